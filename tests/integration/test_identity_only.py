"""Identity-only access for real: no storage key and no Translator key anywhere in the app's settings.

Storage is Azurite with OAuth over HTTPS; Microsoft Entra ID is replaced by a test token credential (it cannot run
here). The app issues user-delegation SAS, the emulator reads and writes through them, and it calls the emulator with
a bearer token the emulator checks (`--allow-bearer`, Cognitive Services audience)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.storage.blob import BlobClient, BlobServiceClient

import shared.services
from shared import handlers
from shared.services import current_services
from shared.translator import batch_body
from tests.support.emulator import serve_emulator
from tests.support.identity import TestTokenCredential, oauth_azurite


@pytest.fixture
def identity_stack(monkeypatch):
    credential = TestTokenCredential()
    with oauth_azurite() as azurite, serve_emulator(allow_bearer=True) as emulator:
        suffix = uuid.uuid4().hex[:8]
        values = {
            "DocumentStorage__blobServiceUri": azurite.blob_url,
            "DocumentStorage__queueServiceUri": azurite.queue_url,
            "DocumentStorage__tableServiceUri": azurite.table_url,
            "DocumentStorage__credential": "managedidentity",
            "SOURCE_CONTAINER": f"inbox-{suffix}",
            "TARGET_CONTAINER": f"translated-{suffix}",
            "TARGET_LANGUAGES": "fr,de",
            "STATE_TABLE": f"state{suffix}",
            "COMPLETION_QUEUE": f"done-{suffix}",
            "TRANSLATOR_ENDPOINT": emulator.endpoint,
        }
        monkeypatch.delenv("DocumentStorage", raising=False)
        monkeypatch.delenv("TRANSLATOR_KEY", raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(shared.services, "create_credential", lambda client_id: credential)
        blobs = BlobServiceClient(azurite.blob_url, credential=credential)
        for container in (values["SOURCE_CONTAINER"], values["TARGET_CONTAINER"]):
            blobs.create_container(container)
        yield blobs, values, credential


def test_the_pipeline_completes_with_user_delegation_sas_and_bearer_tokens_only(identity_stack, monkeypatch):
    blobs, values, credential = identity_stack
    names = [f"doc-{index}.txt" for index in range(3)]
    for name in names:
        blobs.get_blob_client(values["SOURCE_CONTAINER"], name).upload_blob(f"{name} says hello.".encode())
    services = current_services()
    bodies: list[dict] = []
    post = services.translator.begin_batch
    monkeypatch.setattr(
        services.translator, "begin_batch", lambda inputs: bodies.append(batch_body(inputs)) or post(inputs)
    )

    for name in names:
        handlers.handle_upload(BlobClient(blobs.url, values["SOURCE_CONTAINER"], name, credential=credential))
    messages: list[dict] = []
    for _ in range(100):
        for request in handlers.handle_poll_tick():
            messages += [json.loads(text) for text in handlers.handle_publish(request)]
        if len(messages) == len(names):
            break

    assert sorted(m["data"]["source"]["name"] for m in messages) == names
    assert {m["data"]["status"] for m in messages} == {"Succeeded"}
    target = blobs.get_container_client(values["TARGET_CONTAINER"])
    assert target.download_blob(f"fr/{names[0]}").readall().decode().startswith("[fr] ")
    sas = dict(parse_qsl(urlsplit(bodies[0]["inputs"][0]["source"]["sourceUrl"]).query))
    assert "skoid" in sas  # a user-delegation SAS, signed with a key from Entra ID, not the account key
    assert sas["spr"] == "https"
    assert services.urls.delegation_keys_requested == 1  # one key for every SAS of the run
    assert credential.requests.get("https://cognitiveservices.azure.com", 0) >= 1  # Translator called with a token
