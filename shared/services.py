"""The long-lived parts of the app, built once per process for a given set of settings and then reused."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Protocol

from azure.core.credentials import TokenCredential

from shared.blob_store import AzureBlobStore, BlobStore
from shared.ledger import Ledger
from shared.settings import Settings
from shared.storage import BlobPath, SasIssuer, StorageClients, create_credential
from shared.table_store import TableStateStore
from shared.translator import TranslatorClient

STORAGE_THREADS = 16


class UrlIssuer(Protocol):
    """The URLs the Translator is given for a blob: SAS URLs, or plain ones for its managed identity."""

    def source_url(self, path: BlobPath) -> str: ...

    def target_url(self, path: BlobPath) -> str: ...

    def glossary_url(self, path: BlobPath) -> str: ...


@dataclass
class Services:
    settings: Settings
    blobs: BlobStore
    ledger: Ledger
    translator: TranslatorClient
    urls: UrlIssuer
    storage_threads: int = STORAGE_THREADS  # parallel blob requests of one step (1 makes a run's calls ordered)
    # held while a submitter of this process drains the inbox: it looks at the inbox again after letting go, so the
    # process's other invocations need not ask for the Table lease meanwhile
    submitting: threading.Lock = field(default_factory=threading.Lock)
    retention_started: bool = False  # this process made sure the retention cursor exists (before its first entry)

    @classmethod
    def create(cls, settings: Settings, *, credential: TokenCredential | None = None) -> Services:
        if credential is None and (settings.storage.connection_string is None or not settings.translator_key):
            credential = create_credential(settings.storage.client_id)  # one identity for storage and Translator
        storage = StorageClients.connect(settings.storage, credential)
        ledger = Ledger(TableStateStore(storage.table(settings.state_table)))
        ledger.ensure_table()
        translator = TranslatorClient(
            endpoint=settings.translator_endpoint,
            api_version=settings.api_version,
            key=settings.translator_key,
            region=settings.translator_region,
            credential=None if settings.translator_key else credential,
        )
        blobs = AzureBlobStore(storage.blob_service)
        urls = SasIssuer(
            storage.blob_service, blobs.url, settings.storage_access, sas_ttl=timedelta(hours=settings.sas_ttl_hours)
        )
        return cls(settings, blobs, ledger, translator, urls)

    @property
    def event_source(self) -> str:
        """CloudEvents `source` of every message: the source container's URL (no SAS)."""
        return self.blobs.container_url(self.settings.source_container)


_BUILD_LOCK = threading.Lock()


def current_services() -> Services:
    """Services for the current app settings: read on every call (cheap), built once per process and configuration
    (concurrent first invocations wait for one build instead of each making their own clients)."""
    settings = Settings.from_environ()
    with _BUILD_LOCK:
        return _services_for(settings)


@lru_cache(maxsize=4)
def _services_for(settings: Settings) -> Services:
    return Services.create(settings)
