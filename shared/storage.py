"""Storage access for the app: SDK clients for the `DocumentStorage` connection, blob URLs and least-privilege SAS."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from azure.core.credentials import TokenCredential
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.blob import BlobSasPermissions, BlobServiceClient, UserDelegationKey, generate_blob_sas

from shared.errors import SettingError
from shared.logfields import log_fields
from shared.settings import STORAGE_CONNECTION, StorageAccess, StorageConnection

logger = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
MAX_DELEGATION_KEY_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class BlobPath:
    container: str
    name: str

    def __str__(self) -> str:
        return f"{self.container}/{self.name}"


def blob_path_in(url: str, account_url: str) -> BlobPath | None:
    """The container and blob name of a blob URL under `account_url`, the app's own blob service URL (any cloud's
    host, a custom domain, Azurite's `/{account}` path style); None for a URL elsewhere. The query is dropped."""
    parts, account = urlsplit(url), urlsplit(account_url)
    if (parts.hostname or "").lower() != (account.hostname or "").lower() or _port(parts) != _port(account):
        return None
    prefix = account.path.rstrip("/") + "/"
    if not parts.path.startswith(prefix):
        return None
    container, _, name = parts.path[len(prefix) :].partition("/")
    if not container or not name:
        return None
    return BlobPath(unquote(container), unquote(name))


def without_query(url: str) -> str:
    """A URL with its query (and so any SAS) and fragment dropped: the only form of a URL the app logs or sends."""
    return urlunsplit(urlsplit(url)._replace(query="", fragment=""))


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"https": 443, "http": 80}.get(parts.scheme)


def create_credential(client_id: str | None) -> TokenCredential:
    """The Microsoft Entra ID credential: managed identity on Azure (`client_id` picks a user-assigned one), a
    developer login locally."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=client_id)


@dataclass
class StorageClients:
    """SDK clients for one connection, created once per process and reused."""

    blob_service: BlobServiceClient
    table_service: TableServiceClient

    @classmethod
    def connect(cls, connection: StorageConnection, credential: TokenCredential | None = None) -> StorageClients:
        if connection.connection_string is not None:
            return cls(
                BlobServiceClient.from_connection_string(connection.connection_string),
                TableServiceClient.from_connection_string(connection.connection_string),
            )
        if connection.blob_service_uri is None or connection.table_service_uri is None:
            raise SettingError(STORAGE_CONNECTION, "the identity form needs __blobServiceUri and __tableServiceUri")
        credential = credential or create_credential(connection.client_id)
        return cls(
            BlobServiceClient(connection.blob_service_uri, credential=credential),
            TableServiceClient(connection.table_service_uri, credential=credential),
        )

    def table(self, name: str) -> TableClient:
        return self.table_service.get_table_client(name)


@dataclass
class DelegationKeyCache:
    """One user-delegation key reused until it gets too close to its expiry to sign a full-length SAS."""

    blob_service: BlobServiceClient
    sas_ttl: timedelta
    requests: int = 0
    _key: UserDelegationKey | None = None
    _expires: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self, now: datetime) -> UserDelegationKey:
        with self._lock:
            if self._key is None or self._expires is None or self._expires - now < self.sas_ttl + CLOCK_SKEW:
                lifetime = min(MAX_DELEGATION_KEY_LIFETIME - CLOCK_SKEW, 2 * self.sas_ttl + timedelta(hours=1))
                self._expires = now + lifetime
                self._key = self.blob_service.get_user_delegation_key(now - CLOCK_SKEW, self._expires)
                self.requests += 1
                logger.info(
                    "requested a user-delegation key valid until %s",
                    self._expires.isoformat(),
                    extra=log_fields("storage.delegation_key"),
                )
            return self._key


class SasIssuer:
    """URLs the Translator can use: per-blob SAS with the fewest permissions, or plain URLs for its managed identity."""

    def __init__(
        self,
        service: BlobServiceClient,
        url_of: Callable[[BlobPath], str],
        access: StorageAccess,
        *,
        sas_ttl: timedelta,
    ) -> None:
        self._service = service
        self._url_of = url_of
        self._access = access
        self._ttl = sas_ttl
        self._account_key: str | None = getattr(service.credential, "account_key", None)
        self._delegation = None if self._account_key else DelegationKeyCache(service, sas_ttl)
        self._https_only = urlsplit(service.url).scheme == "https"

    @property
    def delegation_keys_requested(self) -> int:
        """User-delegation keys requested so far (identity-based connections only)."""
        return self._delegation.requests if self._delegation else 0

    def source_url(self, path: BlobPath) -> str:
        return self._url(path, "r")

    def target_url(self, path: BlobPath) -> str:
        return self._url(path, "rw")  # write, plus read: the service reads the target back (see reference)

    def glossary_url(self, path: BlobPath) -> str:
        return self._url(path, "r")

    def _url(self, path: BlobPath, permissions: str) -> str:
        url = self._url_of(path)
        if self._access is StorageAccess.MANAGED_IDENTITY:
            return url
        now = datetime.now(UTC)
        signing = {"account_key": self._account_key} if self._account_key else {}
        if self._delegation is not None:
            signing = {"user_delegation_key": self._delegation.key(now)}
        token = generate_blob_sas(
            self._service.account_name,
            path.container,
            path.name,
            permission=BlobSasPermissions.from_string(permissions),
            start=now - CLOCK_SKEW,
            expiry=now + self._ttl,
            protocol="https" if self._https_only else "https,http",
            **signing,
        )
        return f"{url}?{token}"
