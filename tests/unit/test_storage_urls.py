"""Blob URL parsing and the user-delegation key cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import BlobServiceClient

from shared.blob_store import AzureBlobStore
from shared.storage import BlobPath, DelegationKeyCache, blob_path_in, without_query

AZURE = "https://acct.blob.core.windows.net"


def test_blob_paths_of_azure_and_azurite_urls():
    assert str(blob_path_in(f"{AZURE}/inbox/a/b%20c.txt?sv=1&sig=x", AZURE + "/")) == "inbox/a/b c.txt"
    azurite = "http://127.0.0.1:10000/devstoreaccount1"
    assert str(blob_path_in(f"{azurite}/inbox/a%23b.txt", azurite)) == "inbox/a#b.txt"
    assert blob_path_in(f"{AZURE}/inbox", AZURE) is None


@pytest.mark.parametrize(
    "account",
    [
        "https://acct.blob.core.usgovcloudapi.net",
        "https://acct.blob.core.chinacloudapi.cn",
        "https://files.contoso.com",  # a custom domain
        "https://acct.z7.blob.storage.azure.net",  # a DNS-zone endpoint
    ],
)
def test_blob_paths_in_every_cloud_keep_their_container(account):
    assert blob_path_in(f"{account}/inbox/legal/a.txt", account) == BlobPath("inbox", "legal/a.txt")
    assert blob_path_in(f"{account.upper()}:443/inbox/a.txt", account) == BlobPath("inbox", "a.txt")


def test_urls_of_another_account_or_port_are_not_ours():
    assert blob_path_in("https://other.blob.core.windows.net/inbox/a.txt", AZURE) is None
    azurite = "http://127.0.0.1:10000/devstoreaccount1"
    assert blob_path_in("http://127.0.0.1:10001/devstoreaccount1/inbox/a.txt", azurite) is None
    assert blob_path_in("http://127.0.0.1:10000/otheraccount/inbox/a.txt", azurite) is None


def test_urls_for_messages_never_carry_the_clients_sas():
    service = BlobServiceClient(f"{AZURE}?sv=2022-11-02&sig=SECRETSIG", credential=None)
    blobs = AzureBlobStore(service)
    assert blobs.url(BlobPath("inbox", "a b.txt")) == f"{AZURE}/inbox/a%20b.txt"
    assert blobs.container_url("inbox") == f"{AZURE}/inbox"
    assert blobs.path_of(f"{AZURE}/inbox/a.txt?sig=x") == BlobPath("inbox", "a.txt")
    assert without_query(f"{AZURE}/inbox/a.txt?sv=1&sig=SECRETSIG#frag") == f"{AZURE}/inbox/a.txt"


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
