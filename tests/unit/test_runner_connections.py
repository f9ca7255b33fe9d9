"""The local runner reads a binding's connection as the Functions host does: a connection string, or identity settings.
Signing in is not exercised (Azure AD cannot run here): the tests check which account and which credential each
setting gives."""

from __future__ import annotations

import pytest
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

from devstack.azurite import ACCOUNT_NAME, AzuriteEndpoints
from devstack.connections import Connection, ConnectionSettingError


@pytest.fixture(autouse=True)
def no_storage_settings(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(("DocumentStorage", "AzureWebJobsStorage")):
            monkeypatch.delenv(name)


def test_a_connection_string_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("DocumentStorage", AzuriteEndpoints(10000, 10001, 10002).connection_string)
    connection = Connection.from_settings("DocumentStorage")
    assert connection.blob_service().url.startswith(f"http://127.0.0.1:10000/{ACCOUNT_NAME}")
    assert connection.queue("q").url.startswith(f"http://127.0.0.1:10001/{ACCOUNT_NAME}/q")


def test_the_hosts_own_storage_defaults_to_development_storage():
    assert Connection.from_settings("AzureWebJobsStorage").connection_string == "UseDevelopmentStorage=true"


def test_identity_settings_sign_in_with_the_developers_identity_by_default(monkeypatch):
    monkeypatch.setenv("DocumentStorage__blobServiceUri", "https://contoso.blob.core.windows.net")
    monkeypatch.setenv("DocumentStorage__queueServiceUri", "https://contoso.queue.core.windows.net")
    connection = Connection.from_settings("DocumentStorage")
    blobs, queue = connection.blob_service(), connection.queue("translation-outbox")
    assert blobs.url == "https://contoso.blob.core.windows.net/"
    assert queue.url == "https://contoso.queue.core.windows.net/translation-outbox"
    assert isinstance(blobs.credential, DefaultAzureCredential)


def test_a_user_assigned_identity_is_used_when_named(monkeypatch):
    monkeypatch.setenv("DocumentStorage__serviceUri", "https://contoso.blob.core.windows.net")
    monkeypatch.setenv("DocumentStorage__credential", "managedidentity")
    monkeypatch.setenv("DocumentStorage__clientId", "00000000-0000-0000-0000-000000000001")
    assert isinstance(Connection.from_settings("DocumentStorage").blob_service().credential, ManagedIdentityCredential)


def test_the_hosts_storage_by_account_name_gives_both_services(monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "contoso")
    connection = Connection.from_settings("AzureWebJobsStorage")
    assert connection.blob_service().url == "https://contoso.blob.core.windows.net/"
    assert connection.queue("q").url == "https://contoso.queue.core.windows.net/q"


def test_missing_settings_name_what_to_add():
    with pytest.raises(ConnectionSettingError, match=r"DocumentStorage__blobServiceUri and DocumentStorage__queue"):
        Connection.from_settings("DocumentStorage")


def test_a_queue_without_its_service_uri_names_the_setting(monkeypatch):
    monkeypatch.setenv("DocumentStorage__blobServiceUri", "https://contoso.blob.core.windows.net")
    with pytest.raises(ConnectionSettingError, match=r"DocumentStorage__queueServiceUri is not set \(queue 'q'"):
        Connection.from_settings("DocumentStorage").queue("q")
