"""Storage connections named by bindings, read from app settings as the Functions host reads them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient

DEVELOPMENT_STORAGE = "UseDevelopmentStorage=true"


class ConnectionSettingError(RuntimeError):
    """A binding's connection has no usable settings; the message names the settings to add."""


@dataclass(frozen=True)
class Connection:
    """Either a connection string (`X`) or an identity-based connection (`X__blobServiceUri`, `X__queueServiceUri`,
    `X__serviceUri`, or `AzureWebJobsStorage__accountName`; `X__credential=managedidentity` + `X__clientId` for a
    user-assigned identity, else the developer's own sign-in as the host uses locally)."""

    name: str
    connection_string: str | None = None
    blob_service_uri: str | None = None
    queue_service_uri: str | None = None
    client_id: str | None = None

    @classmethod
    def from_settings(cls, name: str) -> Connection:
        value = os.environ.get(name)
        if not value and name == "AzureWebJobsStorage" and not _has_identity_settings(name):
            value = DEVELOPMENT_STORAGE  # Core Tools' default for the host's own storage
        if value:
            return cls(name, connection_string=value)
        account = os.environ.get(f"{name}__accountName") if name == "AzureWebJobsStorage" else None
        service = os.environ.get(f"{name}__serviceUri")
        blob = os.environ.get(f"{name}__blobServiceUri") or service or _account_uri(account, "blob")
        queue = os.environ.get(f"{name}__queueServiceUri") or _account_uri(account, "queue")
        if not blob and not queue:
            raise ConnectionSettingError(
                f"connection {name!r}: set app setting {name} to a connection string, or {name}__blobServiceUri and "
                f"{name}__queueServiceUri for an identity-based connection"
            )
        client_id = os.environ.get(f"{name}__clientId")
        return cls(name, blob_service_uri=blob, queue_service_uri=queue, client_id=client_id)

    def blob_service(self) -> BlobServiceClient:
        if self.connection_string:
            return BlobServiceClient.from_connection_string(self.connection_string)
        if not self.blob_service_uri:
            raise ConnectionSettingError(f"connection {self.name!r}: {self.name}__blobServiceUri is not set")
        return BlobServiceClient(self.blob_service_uri, credential=self.credential())

    def queue(self, name: str, **policies: Any) -> QueueClient:
        if self.connection_string:
            return QueueClient.from_connection_string(self.connection_string, name, **policies)
        if not self.queue_service_uri:
            raise ConnectionSettingError(
                f"connection {self.name!r}: {self.name}__queueServiceUri is not set (queue {name!r} needs it)"
            )
        return QueueClient(self.queue_service_uri, name, credential=self.credential(), **policies)

    def credential(self) -> Any:
        """The identity the host signs in with: a user-assigned managed identity when named, else the default chain
        (`az login`, environment, managed identity), as the host does when it runs locally."""
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        if os.environ.get(f"{self.name}__credential", "").lower() == "managedidentity":
            return ManagedIdentityCredential(client_id=self.client_id)
        return DefaultAzureCredential()


def _has_identity_settings(name: str) -> bool:
    return any(key.startswith(f"{name}__") for key in os.environ)


def _account_uri(account: str | None, service: str) -> str | None:
    return f"https://{account}.{service}.core.windows.net" if account else None
