"""`BlobStore` in memory, for unit tests and the crash explorer: blobs with ETags that change on every write, under
an account URL of its own, so URLs and `path_of` behave as with Blob storage."""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from urllib.parse import quote

from shared.blob_store import BlobInfo
from shared.storage import BlobPath, blob_path_in, without_query

MEMORY_ACCOUNT_URL = "https://memory.blob.core.windows.net"


@dataclass
class _Blob:
    data: bytes
    etag: str
    content_type: str
    metadata: dict[str, str]
    content_md5: str | None = None


@dataclass
class MemoryBlobStore:
    account_url: str = MEMORY_ACCOUNT_URL
    containers: set[str] = field(default_factory=set)
    _blobs: dict[BlobPath, _Blob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _versions: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ---- what the app uses (BlobStore) --------------------------------------------------------------------------

    def url(self, path: BlobPath) -> str:
        return f"{self.account_url}/{quote(path.container)}/{quote(path.name)}"

    def container_url(self, container: str) -> str:
        return f"{self.account_url}/{quote(container)}"

    def path_of(self, url: str) -> BlobPath | None:
        return blob_path_in(without_query(url), self.account_url)

    def properties(self, path: BlobPath) -> BlobInfo | None:
        with self._lock:
            blob = self._blobs.get(path)
            if blob is None:
                return None
            return BlobInfo(blob.etag, len(blob.data), blob.content_type, dict(blob.metadata), blob.content_md5)

    def read_head(self, path: BlobPath, length: int) -> bytes | None:
        with self._lock:
            blob = self._blobs.get(path)
            return None if blob is None else blob.data[:length]

    def etags(self, paths: list[BlobPath]) -> dict[BlobPath, str | None]:
        with self._lock:
            return {path: blob.etag if (blob := self._blobs.get(path)) else None for path in paths}

    def exists(self, path: BlobPath) -> bool:
        with self._lock:
            return path in self._blobs

    def delete(self, path: BlobPath) -> None:
        with self._lock:
            self._blobs.pop(path, None)

    def names_starting_with(self, container: str, prefix: str, *, page: int) -> dict[str, str] | None:
        with self._lock:
            if container not in self.containers:
                return None
            return {
                path.name: blob.etag
                for path, blob in sorted(self._blobs.items())
                if path.container == container and path.name.startswith(prefix)
            }

    def sha256(self, path: BlobPath) -> str | None:
        with self._lock:
            blob = self._blobs.get(path)
            return None if blob is None else hashlib.sha256(blob.data).hexdigest()

    def copy(self, source: BlobPath, destination: BlobPath, *, source_etag: str) -> bool:
        with self._lock:
            blob = self._blobs.get(source)
            if blob is None or blob.etag != source_etag:
                return False
            self._write(destination, blob.data, blob.content_type, dict(blob.metadata))
            return True

    def put_once(self, path: BlobPath, data: bytes, *, content_type: str) -> None:
        with self._lock:
            if path not in self._blobs:
                self._write(path, data, content_type, {})

    # ---- what users and the Translator do -----------------------------------------------------------------------

    def upload(self, path: BlobPath, data: bytes, *, metadata: dict[str, str] | None = None) -> str:
        """Write (or overwrite) a blob; returns its new ETag."""
        with self._lock:
            return self._write(path, data, "application/octet-stream", metadata or {})

    def download(self, path: BlobPath) -> bytes | None:
        with self._lock:
            blob = self._blobs.get(path)
            return None if blob is None else blob.data

    def names(self, container: str) -> list[str]:
        with self._lock:
            return sorted(path.name for path in self._blobs if path.container == container)

    def _write(self, path: BlobPath, data: bytes, content_type: str, metadata: dict[str, str]) -> str:
        self.containers.add(path.container)
        etag = f"0x{next(self._versions):015X}"
        # storage keeps an MD5 of a single-request upload
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._blobs[path] = _Blob(data, etag, content_type, dict(metadata), md5)
        return etag
