"""The blob seam: the few blob operations the app performs, on Azure Blob storage (`AzureBlobStore`) or in memory
(`shared.memory_blobs.MemoryBlobStore`, for unit tests and the crash explorer). Errors other than "not there" are
mapped once into `StoreUnavailable`."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContentSettings

from shared.errors import StoreUnavailable
from shared.sources import current_etags
from shared.storage import BlobPath, blob_path_in, without_query

T = TypeVar("T")


@dataclass(frozen=True)
class BlobInfo:
    etag: str  # unquoted
    size: int
    content_type: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    content_md5: str | None = None  # base64, when storage has one (single-request uploads, or set by the uploader)


class BlobStore(Protocol):
    def url(self, path: BlobPath) -> str:
        """The plain URL of a blob (never a SAS)."""

    def container_url(self, container: str) -> str: ...

    def path_of(self, url: str) -> BlobPath | None:
        """The blob a URL points at, if it is one of this account's."""

    def properties(self, path: BlobPath) -> BlobInfo | None:
        """None when the blob does not exist."""

    def read_head(self, path: BlobPath, length: int) -> bytes | None:
        """The first `length` bytes; None when the blob does not exist."""

    def etags(self, paths: list[BlobPath]) -> dict[BlobPath, str | None]:
        """Each path's current ETag (unquoted), None for a blob that does not exist."""

    def exists(self, path: BlobPath) -> bool: ...

    def delete(self, path: BlobPath) -> None:
        """Delete a blob and its snapshots; one that does not exist is fine."""

    def names_starting_with(self, container: str, prefix: str, *, page: int) -> dict[str, str] | None:
        """Blob names of a container that start with `prefix`, with their ETags; None when the container does not
        exist."""

    def sha256(self, path: BlobPath) -> str | None:
        """The hex SHA-256 of a blob's bytes, read as a stream; None when the blob does not exist."""

    def copy(self, source: BlobPath, destination: BlobPath, *, source_etag: str) -> bool:
        """A server-side copy of exactly that version of `source` over `destination`; False when the source is gone
        or has changed (nothing is written then)."""

    def put_once(self, path: BlobPath, data: bytes, *, content_type: str) -> None:
        """Write a blob unless one exists already (the first copy is kept)."""


class AzureBlobStore:
    def __init__(self, service: BlobServiceClient, *, threads: int = 16) -> None:
        self._service = service
        self._threads = threads

    def url(self, path: BlobPath) -> str:
        return without_query(self._service.get_blob_client(path.container, path.name).url)

    def container_url(self, container: str) -> str:
        return without_query(self._service.get_container_client(container).url)

    def path_of(self, url: str) -> BlobPath | None:
        return blob_path_in(url, without_query(self._service.url))

    def properties(self, path: BlobPath) -> BlobInfo | None:
        found = _absent_as_none(lambda: self._blob(path).get_blob_properties())
        if found is None:
            return None
        return BlobInfo(
            etag=found.etag.strip('"'),
            size=found.size,
            content_type=found.content_settings.content_type or "",
            metadata=dict(found.metadata or {}),
            content_md5=_base64(found.content_settings.content_md5),
        )

    def read_head(self, path: BlobPath, length: int) -> bytes | None:
        return _absent_as_none(lambda: self._blob(path).download_blob(offset=0, length=length).readall())

    def etags(self, paths: list[BlobPath]) -> dict[BlobPath, str | None]:
        return _mapped(lambda: current_etags(self._service, paths, threads=self._threads))

    def exists(self, path: BlobPath) -> bool:
        return _mapped(self._blob(path).exists)

    def delete(self, path: BlobPath) -> None:
        _absent_as_none(lambda: self._blob(path).delete_blob(delete_snapshots="include"))

    def names_starting_with(self, container: str, prefix: str, *, page: int) -> dict[str, str] | None:
        client = self._service.get_container_client(container)
        return _absent_as_none(
            lambda: {
                blob.name: blob.etag.strip('"')
                for blob in client.list_blobs(name_starts_with=prefix, results_per_page=page)
            }
        )

    def sha256(self, path: BlobPath) -> str | None:
        def digest() -> str:
            hasher = hashlib.sha256()
            for chunk in self._blob(path).download_blob(max_concurrency=1).chunks():
                hasher.update(chunk)
            return hasher.hexdigest()

        return _absent_as_none(digest)

    def copy(self, source: BlobPath, destination: BlobPath, *, source_etag: str) -> bool:
        target = self._blob(destination)
        try:
            started = _mapped(
                lambda: target.start_copy_from_url(
                    self._blob(source).url,
                    source_etag=f'"{source_etag}"',
                    source_match_condition=MatchConditions.IfNotModified,
                )
            )
        except (ResourceNotFoundError, ResourceModifiedError):
            return False
        status = started.get("copy_status")
        deadline = time.monotonic() + COPY_WAIT_SECONDS
        while status == "pending" and time.monotonic() < deadline:  # same-account copies usually finish at once
            time.sleep(0.2)
            status = _mapped(lambda: target.get_blob_properties().copy.status)
        return status == "success"

    def put_once(self, path: BlobPath, data: bytes, *, content_type: str) -> None:
        settings = ContentSettings(content_type=content_type)
        with contextlib.suppress(ResourceExistsError):
            _mapped(lambda: self._blob(path).upload_blob(data, overwrite=False, content_settings=settings))

    def _blob(self, path: BlobPath) -> Any:
        return self._service.get_blob_client(path.container, path.name)


COPY_WAIT_SECONDS = 30.0


def _base64(digest: bytes | bytearray | None) -> str | None:
    return base64.b64encode(bytes(digest)).decode() if digest else None


def _absent_as_none(call: Callable[[], T]) -> T | None:
    try:
        return _mapped(call)
    except ResourceNotFoundError:
        return None


def _mapped(call: Callable[[], T]) -> T:
    try:
        return call()
    except (ResourceNotFoundError, ResourceExistsError, ResourceModifiedError):
        raise
    except AzureError as error:
        status = getattr(error, "status_code", None)
        code = getattr(error, "error_code", None) or type(error).__name__
        raise StoreUnavailable(" ".join(str(part) for part in (status, code) if part)) from None
