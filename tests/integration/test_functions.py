"""function_app as the Functions host sees it: binding metadata, HTTP status functions, settings errors, the queue
contract with consumers (a Functions queue trigger and a plain azure-storage-queue client)."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys

import azure.functions as func
import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

import function_app
from shared.errors import SettingError
from tests.support.functions_host import REPO_ROOT, indexed_functions, message_encoding
from tests.support.messages import assert_no_sas, assert_valid_message

sys.path.insert(0, str(REPO_ROOT / "examples"))
from queue_trigger_consumer import on_translation_completed


def bindings_of(name: str) -> dict[str, dict]:
    function = indexed_functions(function_app.app)[name]
    return {binding["name"]: binding for binding in json.loads(function.get_function_json())["bindings"]}


def test_the_app_declares_exactly_five_functions():
    assert sorted(indexed_functions(function_app.app)) == [
        "get_job_status",
        "get_status",
        "on_document_uploaded",
        "poll_translation_jobs",
        "publish_announcements",
    ]


def test_blob_trigger_binding_is_event_grid_with_an_outbox_queue_output():
    bindings = bindings_of("on_document_uploaded")
    trigger, output = bindings["client"], bindings["outbox"]
    assert trigger["type"] == "blobTrigger"
    assert trigger["direction"] == "IN"
    assert trigger["path"] == "%SOURCE_CONTAINER%/{name}"
    assert trigger["connection"] == "DocumentStorage"
    assert trigger["source"] == "EventGrid"
    assert output == {
        "type": "queue",
        "direction": "OUT",
        "name": "outbox",
        "queueName": "%OUTBOX_QUEUE%",
        "connection": "DocumentStorage",
    }


def test_blob_trigger_takes_the_sdk_type_blob_client():
    user_function = indexed_functions(function_app.app)["on_document_uploaded"].get_user_function()
    annotation = user_function.__annotations__["client"]
    assert "azurefunctions.extensions.bindings.blob" in str(annotation) or "blob.BlobClient" in str(annotation)
    import azurefunctions.extensions.bindings.blob as blob

    assert issubclass(blob.BlobClient, __import__("azure.storage.blob", fromlist=["BlobClient"]).BlobClient)


def test_timer_binding_reads_its_schedule_from_settings_and_never_runs_on_startup():
    bindings = bindings_of("poll_translation_jobs")
    assert bindings["timer"]["type"] == "timerTrigger"
    assert bindings["timer"]["schedule"] == "%POLL_SCHEDULE%"
    assert bindings["timer"]["runOnStartup"] is False
    assert bindings["outbox"]["queueName"] == "%OUTBOX_QUEUE%"


def test_the_publisher_is_triggered_by_the_outbox_queue_and_writes_the_completion_queue():
    bindings = bindings_of("publish_announcements")
    assert {key: bindings["request"][key] for key in ("type", "direction", "queueName", "connection")} == {
        "type": "queueTrigger",
        "direction": "IN",
        "queueName": "%OUTBOX_QUEUE%",
        "connection": "DocumentStorage",
    }
    assert bindings["announcements"]["type"] == "queue"
    assert bindings["announcements"]["queueName"] == "%COMPLETION_QUEUE%"


@pytest.mark.parametrize(("name", "route"), [("get_status", "status/{*name}"), ("get_job_status", "jobs/{id}")])
def test_status_functions_are_function_key_get_routes(name, route):
    trigger = bindings_of(name)["req"]
    assert trigger["type"] == "httpTrigger"
    assert trigger["authLevel"] == "FUNCTION"
    assert trigger["route"] == route
    assert trigger["methods"] == ["GET"]


def test_importing_function_app_never_fails_without_settings():
    environment = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    result = subprocess.run(
        [sys.executable, "-c", "import function_app; print(len(function_app.app.get_functions()))"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5"


def test_a_missing_setting_fails_the_invocation_with_an_error_naming_it(pipeline, monkeypatch):
    pipeline.upload("any.txt", "Hello.")
    monkeypatch.delenv("TARGET_LANGUAGES")

    with pytest.raises(SettingError, match="TARGET_LANGUAGES"):
        pipeline.event("any.txt")


def test_status_functions_report_a_document_and_its_job_without_sas(pipeline):
    pipeline.drop("status/report.txt", "Status please.")
    [message] = pipeline.run_until_announced(1)

    document = pipeline.host.http_get("get_status", {"name": "status/report.txt"})
    job = pipeline.host.http_get("get_job_status", {"id": message["data"]["jobId"]})
    missing = pipeline.host.http_get("get_status", {"name": "never-uploaded.txt"})

    assert document.status_code == 200
    body = json.loads(document.get_body())
    assert body["state"] == "Completed"
    assert body["outcome"] == "Succeeded"
    assert body["messageId"] == message["id"]
    assert [target["language"] for target in body["targets"]] == ["fr", "de"]
    assert_no_sas(document.get_body().decode(), "the status response")
    assert job.status_code == 200
    assert json.loads(job.get_body())["status"] == "Succeeded"
    assert missing.status_code == 404


def test_the_status_of_a_rejected_document_names_the_message_it_was_announced_with(pipeline):
    pipeline.drop("status/setup.exe", "MZ not a document")
    [message] = pipeline.collect()

    body = json.loads(pipeline.host.http_get("get_status", {"name": "status/setup.exe"}).get_body())

    assert message["type"] == "TranslationAutopilot.DocumentRejected"
    assert (body["state"], body["outcome"]) == ("Rejected", "Rejected")
    assert body["messageId"] == message["id"]


def test_messages_are_base64_on_the_queue_and_read_by_both_kinds_of_consumer(pipeline, caplog):
    assert message_encoding() == "base64"
    pipeline.drop("consumers.txt", "Who reads this?")
    pipeline.run_until_announced(1)
    [sent] = pipeline.received
    pipeline.host.queue_client(pipeline.queue).send_message(json.dumps(sent))  # put one back to read it raw

    sdk_consumer = QueueClient.from_connection_string(
        pipeline.storage.endpoints.connection_string, pipeline.queue, message_decode_policy=TextBase64DecodePolicy()
    )
    [stored] = list(sdk_consumer.peek_messages(max_messages=5))
    raw = QueueClient.from_connection_string(pipeline.storage.endpoints.connection_string, pipeline.queue)
    [raw_text] = [message.content for message in raw.peek_messages(max_messages=5)]

    assert json.loads(stored.content) == sent  # a plain SDK consumer with the Base64 decode policy
    assert json.loads(base64.b64decode(raw_text)) == sent  # what is stored is base64 text
    # A Functions queue trigger (default messageEncoding base64) receives the decoded body, as here:
    # examples/queue_trigger_consumer.py, fed as the Functions host feeds a queue trigger (messageEncoding base64):
    caplog.set_level(logging.INFO)
    delivered = func.QueueMessage(id="1", body=base64.b64decode(raw_text))
    on_translation_completed(delivered)
    assert f"{pipeline.source}/consumers.txt: Succeeded" in caplog.text
    assert_valid_message(json.loads(delivered.get_body()))
