"""The consumer examples in examples/ against real Azurite queues, reading messages as the app writes them."""

from __future__ import annotations

import base64
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime

import azure.functions as func
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from shared.messages import BudgetReached
from tests.support.functions_host import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "examples"))

from completion_consumer import MAX_DEQUEUES, CompletionConsumer, print_outcome
from queue_trigger_consumer import on_translation_completed


def event(event_id: str, name: str = "a.txt") -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "http://127.0.0.1/devstoreaccount1/inbox",
        "type": "TranslationAutopilot.DocumentCompleted",
        "subject": f"inbox/{name}",
        "time": "2026-11-22T10:00:00Z",
        "datacontenttype": "application/json",
        "data": {"status": "Succeeded", "targets": [{"language": "fr", "status": "Succeeded", "url": "http://x"}]},
    }


def app_queue(azurite) -> tuple[str, QueueClient]:
    """A queue written the way the app's queue output writes (base64, per host.json)."""
    name = f"completed-{uuid.uuid4().hex[:8]}"
    queue = QueueClient.from_connection_string(
        azurite.connection_string, name, message_encode_policy=TextBase64EncodePolicy()
    )
    queue.create_queue()
    return name, queue


def test_the_sdk_consumer_processes_each_event_once_and_deletes_it(azurite):
    name, queue = app_queue(azurite)
    for message in (event("e1", "a.txt"), event("e2", "b.txt"), event("e1", "a.txt")):  # e1 announced twice
        queue.send_message(json.dumps(message))
    handled: list[str] = []
    consumer = CompletionConsumer.connect(
        azurite.connection_string, name, lambda e: handled.append(e["id"]), processed=set()
    )

    assert consumer.drain() == 3

    assert handled == ["e1", "e2"]
    assert queue.peek_messages() == []


def test_a_message_that_keeps_failing_is_set_aside_after_its_last_try(azurite):
    name, queue = app_queue(azurite)
    queue.send_message(json.dumps(event("bad")))

    def broken(_: dict) -> None:
        raise RuntimeError("downstream is down")

    consumer = CompletionConsumer.connect(azurite.connection_string, name, broken, processed=set())
    poison = QueueClient.from_connection_string(azurite.connection_string, f"{name}-poison")
    tries = 0
    while not poison.peek_messages():
        tries += consumer.drain(visibility_timeout=1) == 0
        assert tries <= MAX_DEQUEUES + 2, "the message was never set aside"
        time.sleep(1.1)  # until the failed message is visible again

    assert queue.peek_messages() == []
    [kept] = poison.peek_messages()
    assert json.loads(base64.b64decode(kept.content))["id"] == "bad"


def test_the_queue_triggered_function_reads_the_same_messages(azurite, caplog):
    _, queue = app_queue(azurite)
    queue.send_message(json.dumps(event("e9", "c.txt")))
    [stored] = QueueClient.from_connection_string(azurite.connection_string, queue.queue_name).peek_messages()

    caplog.set_level(logging.INFO)
    # The Functions host base64-decodes (messageEncoding base64, the default) and hands over the body:
    on_translation_completed(func.QueueMessage(id="1", body=base64.b64decode(stored.content)))

    assert "inbox/c.txt: Succeeded (event e9)" in caplog.text


def test_both_examples_take_the_daily_budget_message_in_their_stride(azurite, caplog, capsys):
    reached = BudgetReached(
        day="2026-12-04",
        cap=1000,
        spent=960,
        reached_at=datetime(2026, 12, 4, 15, tzinfo=UTC),
        resumes_at=datetime(2026, 12, 5, tzinfo=UTC),
        event_source="http://127.0.0.1/devstoreaccount1/inbox",
    )
    name, queue = app_queue(azurite)
    queue.send_message(reached.to_json())
    consumer = CompletionConsumer.connect(azurite.connection_string, name, print_outcome, processed=set())

    assert consumer.drain() == 1
    assert "daily budget reached on 2026-12-04: documents wait until 2026-12-05T00:00:00Z" in capsys.readouterr().out
    caplog.set_level(logging.INFO)
    on_translation_completed(func.QueueMessage(id="2", body=reached.to_json().encode()))
    assert "daily budget reached on 2026-12-04; documents wait until 2026-12-05T00:00:00Z" in caplog.text
