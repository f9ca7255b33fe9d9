"""Blob access through the URLs a request carries, as the service does.

A URL with a SAS is used as it is. A plain URL (the Translator-managed-identity mode) is used with the emulator's own
credential from `--storage-connection-string`, standing in for the service's system identity. Storage errors are mapped
here, in one place, to the service's document and job errors.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient, ContentSettings

from devstack.emulator.errors import DocumentFailure

TRANSFER_CHUNK = 4 * 1024 * 1024


class StorageAccessDenied(Exception):
    """The URL's credentials do not allow the operation (or there are none)."""


class StorageNotFound(Exception):
    """The container or blob does not exist."""


@dataclass(frozen=True)
class BlobLocation:
    """A parsed storage URL: where the account lives, the container, the path inside it, and the SAS query."""

    account_url: str
    container: str
    path: str
    query: str

    @property
    def has_sas(self) -> bool:
        return "sig" in parse_qs(self.query)

    @property
    def public_url(self) -> str:
        """The URL without its query: safe to return in statuses and to log."""
        path = f"{self.container}/{self.path}" if self.path else self.container
        return f"{_with_port(self.account_url)}/{quote(path, safe='/')}"

    def child(self, relative: str) -> BlobLocation:
        path = f"{self.path.rstrip('/')}/{relative}" if self.path else relative
        return BlobLocation(self.account_url, self.container, path, self.query)

    def url(self) -> str:
        return f"{self.public_url}?{self.query}" if self.query else self.public_url

    def sas_permissions(self) -> str | None:
        values = parse_qs(self.query).get("sp")
        return values[0] if values else None


def _is_path_style(host: str) -> bool:
    """Azurite and other emulators put the account in the path when addressed by IP or localhost."""
    if host in ("localhost", "host.docker.internal"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_location(url: str) -> BlobLocation:
    """Split a blob or container URL; raises ValueError when it is not an http(s) URL. A URL that names no container
    (`https://idont.ex.ist`) gives a location with an empty container, which no storage call can reach."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("not an http(s) URL")
    segments = [unquote(s) for s in parts.path.split("/")[1:]]
    base_path = ""
    if _is_path_style(parts.hostname or ""):
        if not segments or not segments[0]:
            raise ValueError("the URL names no storage account")
        base_path = "/" + segments[0]
        segments = segments[1:]
    account_url = urlunsplit((parts.scheme, parts.netloc, base_path, "", ""))
    if not segments or not segments[0]:
        # accepted, as the service accepts it (202); the job then fails validation: nothing can be reached there
        return BlobLocation(account_url, "", "", parts.query)
    return BlobLocation(account_url, segments[0], "/".join(segments[1:]), parts.query)


@dataclass(frozen=True)
class SourceBlob:
    location: BlobLocation
    name: str  # path inside the source folder (File: the blob's own name)
    size: int


WRITER_METADATA = "emulatordocumentid"  # on every output: which document of which job wrote it


class BlobGateway:
    """Reads, lists and writes blobs through request URLs."""

    def __init__(self, connection_string: str | None = None) -> None:
        self._identity = (
            BlobServiceClient.from_connection_string(connection_string).credential if connection_string else None
        )

    def _credential(self, location: BlobLocation):
        if location.has_sas:
            return None
        if self._identity is None:
            raise StorageAccessDenied(
                "the URL carries no SAS and the emulator has no storage identity (--storage-connection-string)"
            )
        return self._identity

    @staticmethod
    def check_reachable(location: BlobLocation) -> None:
        """Raises StorageAccessDenied when the URL names no container or its host does not resolve: the service
        reports both as an access failure (recorded: test_bad_input_source / test_bad_input_target)."""
        if not location.container:
            raise StorageAccessDenied("the URL names no container")
        host = urlsplit(location.account_url).hostname or ""
        try:
            socket.getaddrinfo(host, None)
        except (socket.gaierror, UnicodeError) as exc:
            raise StorageAccessDenied("the storage host does not resolve") from exc

    def _blob(self, location: BlobLocation) -> BlobClient:
        self.check_reachable(location)
        return BlobClient.from_blob_url(
            location.url(),
            credential=self._credential(location),
            max_single_put_size=TRANSFER_CHUNK,  # bounded memory: large documents move in 4 MB pieces
            max_block_size=TRANSFER_CHUNK,
            max_single_get_size=TRANSFER_CHUNK,
            max_chunk_get_size=TRANSFER_CHUNK,
        )

    def _container(self, location: BlobLocation) -> ContainerClient:
        self.check_reachable(location)
        container_url = f"{location.account_url}/{quote(location.container)}"
        if location.query:
            container_url += f"?{location.query}"
        return ContainerClient.from_container_url(container_url, credential=self._credential(location))

    def blob_size(self, location: BlobLocation) -> int:
        with _mapped_errors():
            return self._blob(location).get_blob_properties().size

    def exists(self, location: BlobLocation) -> bool:
        with _mapped_errors():
            return self._blob(location).exists()

    def list_folder(self, location: BlobLocation, *, prefix: str, suffix: str) -> Iterator[SourceBlob]:
        """Blobs under the folder whose path (after the folder) starts with prefix and ends with suffix."""
        folder = f"{location.path.rstrip('/')}/" if location.path else ""
        with _mapped_errors():
            for item in self._container(location).list_blobs(name_starts_with=folder + prefix):
                relative = item.name[len(folder) :]
                if relative.endswith(suffix):
                    yield SourceBlob(location.child(relative), relative, item.size)

    def download_to(self, location: BlobLocation, out: BinaryIO) -> int:
        """Stream the blob into `out` in chunks; returns its size."""
        with _mapped_errors():
            return self._blob(location).download_blob().readinto(out)

    def read(self, location: BlobLocation) -> bytes:
        with _mapped_errors():
            return self._blob(location).download_blob().readall()

    def write_new(self, location: BlobLocation, data: BinaryIO, *, length: int, content_type: str, writer: str) -> None:
        """Create the blob from a file, uploaded in blocks; an existing one is never overwritten. The blob is tagged
        with `writer` (a document id), so a retry after a lost response, or a resumed job after a restart, knows its
        own output from someone else's."""
        blob = self._blob(location)
        try:
            with _mapped_errors():
                blob.upload_blob(
                    data,
                    length=length,
                    overwrite=False,
                    metadata={WRITER_METADATA: writer},
                    content_settings=ContentSettings(content_type=content_type),
                )
        except ResourceExistsError as exc:
            if self._written_by(blob, writer):
                return
            # as test_existing_documents_in_target.json records it
            raise DocumentFailure("TargetFileAlreadyExists", "Target document file already exists.") from exc

    @staticmethod
    def _written_by(blob: BlobClient, writer: str) -> bool:
        """Whether the existing blob carries `writer`'s tag; False when it cannot be read (a write-only SAS)."""
        try:
            return (blob.get_blob_properties().metadata or {}).get(WRITER_METADATA) == writer
        except HttpResponseError:
            return False


class _mapped_errors:
    """Maps storage SDK errors to StorageAccessDenied / StorageNotFound; everything else propagates."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, ResourceExistsError):
            return False
        if isinstance(exc, ResourceNotFoundError):
            raise StorageNotFound(str(getattr(exc, "error_code", "") or "not found")) from exc
        if isinstance(exc, ClientAuthenticationError) or (
            isinstance(exc, HttpResponseError) and exc.status_code in (401, 403)
        ):
            raise StorageAccessDenied(str(getattr(exc, "error_code", "") or "access denied")) from exc
        return False


def _with_port(account_url: str) -> str:
    """`https://acct.blob.core.windows.net:443`: the service writes the default port out in every path it reports."""
    parts = urlsplit(account_url)
    if parts.scheme == "https" and parts.port is None:
        return urlunsplit(parts._replace(netloc=f"{parts.netloc}:443"))
    return account_url
