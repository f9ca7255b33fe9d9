"""List queries (jobs and documents): filters, ordering, $top/$skip/$maxpagesize and the next-page link.

The spec names the paging parameters `$top`, `$skip`, `$maxpagesize`, `$orderBy`; the 2.0 Python client sends
`top`, `skip`, `maxpagesize`, `orderby`. Both spellings are accepted, case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import unquote, urlencode

from devstack.emulator.errors import bad_request
from devstack.emulator.jobs import Status

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
_STATUS_ALIASES = {status.value.lower(): status for status in Status} | {
    "canceled": Status.CANCELLED,
    "canceling": Status.CANCELLING,
}
_ESCAPED = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class ListQuery:
    top: int | None
    skip: int
    page_size: int
    ids: frozenset[str] | None
    statuses: frozenset[Status] | None
    created_start: datetime | None
    created_end: datetime | None
    ascending: bool

    def select(
        self,
        items: Sequence[T],
        *,
        id_of: Callable[[T], str],
        status_of: Callable[[T], Status],
        created_of: Callable[[T], datetime],
    ) -> list[T]:
        """Filter and order: every item that matches, before $skip/$top."""
        chosen = [
            item
            for item in items
            if (self.ids is None or id_of(item).lower() in self.ids)
            and (self.statuses is None or status_of(item) in self.statuses)
            and (self.created_start is None or created_of(item) >= self.created_start)
            and (self.created_end is None or created_of(item) <= self.created_end)
        ]
        # Stable: items created at the same moment keep their submission order (reversed when descending).
        ordered = sorted(enumerate(chosen), key=lambda pair: (created_of(pair[1]), pair[0]), reverse=not self.ascending)
        return [item for _, item in ordered]

    def page(self, items: Sequence[T]) -> tuple[list[T], int | None]:
        """The page starting at $skip, and the $skip of the next page (None when this is the last)."""
        end = len(items) if self.top is None else min(len(items), self.skip + self.top)
        stop = min(end, self.skip + self.page_size)
        return list(items[self.skip : stop]), (stop if stop < end else None)

    def next_link(self, base_url: str, api_version: str, next_skip: int, total: int) -> str:
        """The `@nextLink` of a page: `skip`, `top` (the items left), `maxpagesize` without `$`, then the filters and
        `api-version`, as the 2024-05-01 recording test_list_translations.pyTestListTranslationstest_list_translations
        .json shows (`batches?skip=50&top=1039&maxpagesize=50&api-version=2024-05-01`)."""
        end = total if self.top is None else min(total, self.skip + self.top)
        params: dict[str, str] = {
            "skip": str(next_skip),
            "top": str(end - next_skip),
            "maxpagesize": str(self.page_size),
        }
        if self.ids is not None:
            params["ids"] = ",".join(sorted(self.ids))
        if self.statuses is not None:
            params["statuses"] = ",".join(sorted(status.value for status in self.statuses))
        if self.created_start is not None:
            params["createdDateTimeUtcStart"] = _iso(self.created_start)
        if self.created_end is not None:
            params["createdDateTimeUtcEnd"] = _iso(self.created_end)
        if self.ascending:
            params["orderby"] = "createdDateTimeUtc asc"
        params["api-version"] = api_version
        return f"{base_url}?{urlencode(params)}"


def parse_list_query(query: Mapping[str, str]) -> ListQuery:
    lowered = {key.lower().lstrip("$"): _once_unescaped(value) for key, value in query.items()}
    top = _integer(lowered, "top", minimum=0)
    skip = _integer(lowered, "skip", minimum=0) or 0
    page_size = _integer(lowered, "maxpagesize", minimum=1)
    if page_size is not None and page_size > MAX_PAGE_SIZE:
        raise bad_request("InvalidMaxPageSize", f"$maxpagesize must be between 1 and {MAX_PAGE_SIZE}.")
    return ListQuery(
        top=top,
        skip=skip,
        page_size=page_size or DEFAULT_PAGE_SIZE,
        ids=_csv(lowered.get("ids"), str.lower),
        statuses=_csv(lowered.get("statuses"), _status),
        created_start=_datetime(lowered, "createddatetimeutcstart"),
        created_end=_datetime(lowered, "createddatetimeutcend"),
        ascending=_ascending(lowered.get("orderby")),
    )


def _once_unescaped(value: str) -> str:
    """Clients that re-send a next link can escape its values twice; none of these values ever contains '%'."""
    return unquote(value) if _ESCAPED.search(value) else value


def _integer(query: Mapping[str, str], name: str, *, minimum: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("InvalidQueryParameter", f"${name} must be an integer, not '{raw}'.") from None
    if value < minimum:
        raise bad_request("InvalidQueryParameter", f"${name} must be at least {minimum}.")
    return value


def _csv(raw: str | None, convert: Callable[[str], T]) -> frozenset[T] | None:
    if not raw:
        return None
    return frozenset(convert(part.strip()) for part in raw.split(",") if part.strip())


def _status(text: str) -> Status:
    try:
        return _STATUS_ALIASES[text.lower()]
    except KeyError:
        raise bad_request(
            "InvalidStatusFilter",
            f"'{text}' is not a status; use {', '.join(status.value for status in Status)}.",
        ) from None


def _datetime(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise bad_request("InvalidQueryParameter", f"'{raw}' is not an ISO 8601 date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ascending(raw: str | None) -> bool:
    if not raw:
        return False
    field_name, _, direction = raw.replace("+", " ").strip().partition(" ")
    direction = direction.strip().lower() or "asc"
    if field_name.lower() not in ("createddatetimeutc", "createddatetime") or direction not in ("asc", "desc"):
        raise bad_request(
            "InvalidOrderBy", f"$orderBy '{raw}' is not supported; use 'createdDateTimeUtc asc' or '... desc'."
        )
    return direction == "asc"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
