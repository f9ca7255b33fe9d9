"""Runs function_app's functions the way the Functions host does, for tests.

The Functions host itself cannot run here (Core Tools downloads a binary), so this is the one mocked part: it finds
functions through `app.get_functions()`, resolves `%SETTING%` in binding metadata from the environment, passes a real
`azure.storage.blob.BlobClient` to the blob trigger and real Azurite queue messages to the queue trigger, and writes
queue outputs to real Azurite queues only when the function returns normally, encoded as host.json
`extensions.queues.messageEncoding` says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobClient
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from devstack.host import Out, resolve

REPO_ROOT = Path(__file__).resolve().parents[2]


def host_json() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "host.json").read_text())


def message_encoding() -> str:
    return host_json().get("extensions", {}).get("queues", {}).get("messageEncoding", "base64")


@cache
def indexed_functions(app: func.FunctionApp) -> dict[str, Any]:
    """The app's functions by name. Indexing happens once per process, as in the host (a second call raises)."""
    return {function.get_function_name(): function for function in app.get_functions()}


@dataclass
class FunctionsHost:
    app: func.FunctionApp
    connection_string: str
    invocations: dict[str, int] = field(default_factory=dict)

    def function(self, name: str):
        return indexed_functions(self.app)[name]

    def bindings(self, name: str) -> list[dict[str, Any]]:
        return json.loads(self.function(name).get_function_json())["bindings"]

    def queue_client(self, queue: str):
        encode = message_encoding() == "base64"
        return QueueClient.from_connection_string(
            self.connection_string,
            queue,
            message_encode_policy=TextBase64EncodePolicy() if encode else None,
            message_decode_policy=TextBase64DecodePolicy() if encode else None,
        )

    def invoke(self, name: str, **trigger: Any) -> dict[str, Any]:
        """Call the function with its trigger argument(s); write its queue outputs; return the outputs by name."""
        bindings = self.bindings(name)
        outputs = {b["name"]: Out() for b in bindings if b["direction"] == "OUT" and b["type"] == "queue"}
        result = self.function(name).get_user_function()(**trigger, **outputs)
        self.invocations[name] = self.invocations.get(name, 0) + 1
        for binding in bindings:
            if binding["direction"] == "OUT" and binding["type"] == "queue":
                value = outputs[binding["name"]].get()
                messages = value if isinstance(value, list) else ([value] if value is not None else [])
                queue = self.queue_client(resolve(binding["queueName"]))
                for message in messages:
                    queue.send_message(message)
        return {"$return": result, **{name: out.get() for name, out in outputs.items()}}

    def blob_event(self, container: str, name: str) -> dict[str, Any]:
        client = BlobClient.from_connection_string(self.connection_string, container, name)
        return self.invoke("on_document_uploaded", client=client)

    def timer_tick(self, *, past_due: bool = False) -> dict[str, Any]:
        return self.invoke("poll_translation_jobs", timer=TimerRequest(past_due=past_due))

    def queue_messages(self, name: str) -> list[dict[str, Any]]:
        """Deliver every message now on the queue trigger's queue, as the host would: deleted after success; a
        failure propagates and leaves the message to be delivered again 1 s later."""
        [trigger] = [b for b in self.bindings(name) if b["type"] == "queueTrigger"]
        queue = self.queue_client(resolve(trigger["queueName"]))
        results = []
        while batch := list(queue.receive_messages(messages_per_page=32, max_messages=32, visibility_timeout=1)):
            for message in batch:
                body = QueueMessage(id=message.id, body=message.content.encode(), dequeue_count=message.dequeue_count)
                results.append(self.invoke(name, **{trigger["name"]: body}))
                queue.delete_message(message)
        return results

    def http_get(self, name: str, route_params: dict[str, str]) -> func.HttpResponse:
        request = func.HttpRequest("GET", "http://localhost/api", body=b"", route_params=route_params)
        return self.function(name).get_user_function()(request)
