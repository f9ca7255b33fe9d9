"""Blob helpers for tests: unique containers, uploads, and least-privilege SAS URLs signed with Azurite's key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    generate_blob_sas,
)

from devstack.azurite import ACCOUNT_KEY, ACCOUNT_NAME, AzuriteEndpoints, container_sas_url


class TestStorage:
    __test__ = False  # not a test class

    def __init__(self, endpoints: AzuriteEndpoints) -> None:
        self.endpoints = endpoints
        self.service = BlobServiceClient.from_connection_string(endpoints.connection_string)

    def new_container(self, stem: str = "c") -> str:
        name = f"{stem}-{uuid.uuid4().hex[:12]}"
        self.service.create_container(name)
        return name

    def upload(self, container: str, name: str, data: bytes | str) -> None:
        payload = data.encode() if isinstance(data, str) else data
        self.service.get_blob_client(container, name).upload_blob(payload, overwrite=True)

    def download(self, container: str, name: str) -> bytes:
        return self.service.get_blob_client(container, name).download_blob().readall()

    def exists(self, container: str, name: str) -> bool:
        return self.service.get_blob_client(container, name).exists()

    def blob_names(self, container: str) -> list[str]:
        return sorted(blob.name for blob in self.service.get_container_client(container).list_blobs())

    def plain_url(self, container: str, name: str | None = None) -> str:
        url = f"{self.endpoints.blob_url}/{container}"
        return f"{url}/{quote(name)}" if name else url

    def container_sas_url(self, container: str, permissions: str, *, name: str | None = None) -> str:
        return container_sas_url(self.endpoints.blob_url, container, permissions, name=name)

    def blob_sas_url(self, container: str, name: str, permissions: str) -> str:
        token = generate_blob_sas(
            ACCOUNT_NAME,
            container,
            name,
            account_key=ACCOUNT_KEY,
            permission=BlobSasPermissions.from_string(permissions),
            expiry=datetime.now(UTC) + timedelta(minutes=30),
        )
        return f"{self.plain_url(container, name)}?{token}"
