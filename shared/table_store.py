"""`StateStore` on Azure Table storage (or Azurite): the one place the app meets `TableClient` and its errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from shared.errors import (
    EntityChanged,
    EntityExists,
    EntityMissing,
    EntityRefused,
    StoreError,
    StoreUnavailable,
    TransactionFailed,
)
from shared.state_store import TRANSACTION_LIMIT, Op, Operation, Query, Stored

TRANSPORT_RETRY_DELAYS = (0.2, 1.0)  # then the third failure is raised
_EXISTS = frozenset({"EntityAlreadyExists"})
_CHANGED = frozenset({"UpdateConditionNotSatisfied", "ConditionNotMet"})
_MISSING = frozenset({"ResourceNotFound", "EntityNotFound"})


class TableStateStore:
    """Every call maps the SDK's exceptions into `StoreError`s once; nothing above sees `azure.core` errors."""

    def __init__(self, table: TableClient) -> None:
        self._table = table
        self._ready = False

    def ensure(self) -> None:
        if not self._ready:
            try:
                self._table.create_table()
            except ResourceExistsError:
                pass  # the usual case after the first start
            except AzureError as error:
                raise _mapped(error) from None
            self._ready = True

    def get(self, partition: str, key: str) -> Stored | None:
        try:
            return _stored(self._call(self._table.get_entity, partition, key))
        except EntityMissing:
            return None

    def query(self, query: Query) -> list[Stored]:
        filters = ["PartitionKey eq @pk"]
        parameters = {"pk": query.partition}
        for index, where in enumerate(query.where):
            filters.append(f"{where.name} {where.op} @p{index}")
            parameters[f"p{index}"] = where.value
        found = self._table.query_entities(" and ".join(filters), parameters=parameters, results_per_page=query.limit)
        if query.limit is None:
            entities = self._call(lambda: list(found))
        else:
            pages = found.by_page()
            entities = self._call(lambda: list(next(pages, [])))
        return [_stored(entity) for entity in entities]

    def write(self, operation: Operation) -> str | None:
        entity, condition = operation.entity, _condition(operation.etag)
        if operation.op is Op.INSERT:
            return self._call(self._table.create_entity, entity).get("etag")
        if operation.op is Op.UPSERT:
            return self._call(self._table.upsert_entity, entity, mode=UpdateMode.MERGE).get("etag")
        if operation.op is Op.DELETE:
            self._call(self._table.delete_entity, operation.partition, operation.key, **condition)
            return None
        mode = UpdateMode.REPLACE if operation.op is Op.REPLACE else UpdateMode.MERGE
        return self._call(self._table.update_entity, entity, mode=mode, **condition).get("etag")

    def transact(self, operations: list[Operation]) -> list[str | None]:
        if not operations:
            return []
        if len(operations) > TRANSACTION_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} operations, not {len(operations)}")
        if len({operation.partition for operation in operations}) > 1:
            raise ValueError("all operations of a transaction must be in one partition")
        items = [_transaction_item(operation) for operation in operations]
        try:
            results = _with_transport_retries(lambda: self._table.submit_transaction(items))
        except TableTransactionError as error:
            raise TransactionFailed(error.index, _mapped(error)) from None
        except AzureError as error:
            raise _mapped(error) from None
        return [
            None if operation.op is Op.DELETE else result.get("etag")
            for operation, result in zip(operations, results, strict=True)
        ]

    @staticmethod
    def _call(function, *args: Any, **kwargs: Any) -> Any:
        try:
            return _with_transport_retries(lambda: function(*args, **kwargs))
        except AzureError as error:
            raise _mapped(error) from None  # the SDK's error may quote the request; ours names status and code only


def _with_transport_retries(call: Callable[[], Any]) -> Any:
    """Call again when the connection failed or the answer was lost. The SDK does not retry a lost answer to a POST
    (every insert and transaction), but every write the app makes is safe to repeat: a repeated insert meets its own
    entity (EntityExists) and a repeated guarded write its own ETag (EntityChanged), which callers already take as
    "done by someone", the state a racing run leaves (the crash explorer's lost-answer runs cover it)."""
    for delay in TRANSPORT_RETRY_DELAYS:
        try:
            return call()
        except (ServiceRequestError, ServiceResponseError):
            time.sleep(delay)
    return call()


def _stored(entity: Any) -> Stored:
    return Stored(dict(entity), entity.metadata["etag"])


def _condition(etag: str | None) -> dict[str, Any]:
    if etag is None:
        return {"match_condition": MatchConditions.Unconditionally}
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


def _transaction_item(operation: Operation) -> tuple[Any, ...]:
    entity, condition = operation.entity, _condition(operation.etag)
    if operation.op is Op.INSERT:
        return ("create", entity)
    if operation.op is Op.UPSERT:
        return ("upsert", entity, {"mode": UpdateMode.MERGE})
    if operation.op is Op.DELETE:
        return ("delete", {"PartitionKey": operation.partition, "RowKey": operation.key}, condition)
    mode = UpdateMode.REPLACE if operation.op is Op.REPLACE else UpdateMode.MERGE
    return ("update", entity, {"mode": mode, **condition})


def _mapped(error: AzureError) -> StoreError:
    """The app's error for an SDK error: by exception type and error code, never by message text."""
    status = getattr(error, "status_code", None)
    raw_code = getattr(error, "error_code", None) or ""
    code = str(getattr(raw_code, "value", raw_code))  # the SDK gives a TableErrorCode or the service's string
    reason = " ".join(part for part in (str(status or ""), code or type(error).__name__) if part)
    if code in _EXISTS or (isinstance(error, ResourceExistsError) and not code):
        return EntityExists(reason)
    if isinstance(error, ResourceModifiedError) or code in _CHANGED or status == 412:
        return EntityChanged(reason)
    if code in _MISSING or (isinstance(error, ResourceNotFoundError) and code != "TableNotFound"):
        return EntityMissing(reason)
    if isinstance(error, HttpResponseError) and status in (400, 413):  # Azurite sends some of these without a code
        return EntityRefused(reason)  # PropertyValueTooLarge, EntityTooLarge, InvalidInput, OutOfRangeInput, ...
    return StoreUnavailable(reason)
