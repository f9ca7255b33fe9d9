"""The local runner builds the blob trigger's `BlobClient` the way the Functions host does: binding data handed to the
`azurefunctions-extensions-bindings-blob` converter, which reads the connection settings (no network needed here)."""

from __future__ import annotations

from azure.identity import ManagedIdentityCredential
from azure.storage.blob import BlobClient

from devstack.azurite import ACCOUNT_KEY, ACCOUNT_NAME
from devstack.host import sdk_blob_client

CONNECTION_STRING = (
    f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
    f"BlobEndpoint=http://127.0.0.1:10000/{ACCOUNT_NAME};"
)


def test_a_connection_string_setting_gives_a_client_signed_with_the_account_key(monkeypatch):
    monkeypatch.setenv("DocumentStorage", CONNECTION_STRING)
    client = sdk_blob_client("DocumentStorage", "inbox", "a b/ü.txt")
    assert isinstance(client, BlobClient)
    assert (client.container_name, client.blob_name) == ("inbox", "a b/ü.txt")
    assert client.url.startswith(f"http://127.0.0.1:10000/{ACCOUNT_NAME}/inbox/")
    assert client.credential.account_name == ACCOUNT_NAME


def test_identity_settings_give_a_client_with_the_user_assigned_identity(monkeypatch):
    monkeypatch.delenv("DocumentStorage", raising=False)
    monkeypatch.setenv("DocumentStorage__blobServiceUri", "https://contoso.blob.core.windows.net")
    monkeypatch.setenv("DocumentStorage__credential", "managedidentity")
    monkeypatch.setenv("DocumentStorage__clientId", "00000000-0000-0000-0000-000000000001")
    client = sdk_blob_client("DocumentStorage", "inbox", "a.txt")
    assert client.url == "https://contoso.blob.core.windows.net/inbox/a.txt"
    assert isinstance(client.credential, ManagedIdentityCredential)
