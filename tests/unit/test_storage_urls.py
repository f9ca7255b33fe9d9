"""Blob URL parsing and the user-delegation key cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.storage import DelegationKeyCache, blob_path_of


def test_blob_paths_of_azure_and_azurite_urls():
    assert str(blob_path_of("https://acct.blob.core.windows.net/inbox/a/b%20c.txt?sv=1&sig=x")) == "inbox/a/b c.txt"
    assert str(blob_path_of("http://127.0.0.1:10000/devstoreaccount1/inbox/a%23b.txt")) == "inbox/a#b.txt"
    assert blob_path_of("https://acct.blob.core.windows.net/inbox") is None


@dataclass
class CountingBlobService:
    """Stands in for Microsoft Entra ID + storage (cannot run here; issue 6 tests it against Azurite OAuth)."""

    requests: int = 0

    def get_user_delegation_key(self, start, expiry):
        self.requests += 1
        return f"key-{self.requests}-until-{expiry.isoformat()}"


def test_delegation_key_is_reused_until_too_close_to_expiry():
    service = CountingBlobService()
    cache = DelegationKeyCache(service, sas_ttl=timedelta(hours=24))
    now = datetime(2026, 11, 22, tzinfo=UTC)
    first = cache.key(now)
    assert all(cache.key(now + timedelta(hours=hours)) == first for hours in range(0, 24))
    assert service.requests == 1
    cache.key(now + timedelta(hours=25))
    assert service.requests == 2
