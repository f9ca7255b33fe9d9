"""The long-lived parts of the app, built once per process for a given set of settings and then reused."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from azure.core.credentials import TokenCredential

from shared.ledger import Ledger
from shared.settings import Settings
from shared.storage import SasIssuer, StorageClients, create_credential
from shared.table_store import TableStateStore
from shared.translator import TranslatorClient


@dataclass
class Services:
    settings: Settings
    storage: StorageClients
    ledger: Ledger
    translator: TranslatorClient
    urls: SasIssuer
    # held while a submitter of this process drains the inbox: it looks at the inbox again after letting go, so the
    # process's other invocations need not ask for the Table lease meanwhile
    submitting: threading.Lock = field(default_factory=threading.Lock)

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
        urls = SasIssuer(storage, settings.storage_access, sas_ttl=timedelta(hours=settings.sas_ttl_hours))
        return cls(settings, storage, ledger, translator, urls)

    @property
    def event_source(self) -> str:
        """CloudEvents `source` of every message: the source container's URL (no SAS)."""
        return self.storage.container_url(self.settings.source_container)


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
