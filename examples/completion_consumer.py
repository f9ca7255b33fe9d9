"""Example consumer of Translation Autopilot's completion queue, with azure-storage-queue.

- decodes messages as the app emits them (base64 text holding a CloudEvent JSON, see README "Completion messages");
- processes each CloudEvent `id` once (a repeated announcement carries the same id), so redelivery is harmless;
- deletes a message only after it was processed;
- sets aside a message that keeps failing: after MAX_DEQUEUES tries it moves to `{queue}-poison`.

Run: `python examples/completion_consumer.py --connection-string "$CONN" --queue translation-completed [--once]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, QueueMessage, TextBase64DecodePolicy, TextBase64EncodePolicy

logger = logging.getLogger("completion_consumer")
MAX_DEQUEUES = 5
Handler = Callable[[dict[str, Any]], None]


def print_outcome(event: dict[str, Any]) -> None:
    """The default handler: one line per document (replace with what your service does)."""
    data = event["data"]
    if event["type"] == "TranslationAutopilot.BudgetReached":  # MAX_CHARACTERS_PER_DAY: documents wait for tomorrow
        print(f"daily budget reached on {data['day']}: documents wait until {data['resumesAt']}", flush=True)
        return
    languages = ", ".join(f"{t['language']}={t['status']}" for t in data["targets"]) or data["error"]["code"]
    print(f"{event['subject']}: {data['status']} ({languages})", flush=True)


class CompletionConsumer:
    def __init__(self, queue: QueueClient, poison: QueueClient, handle: Handler, *, processed: set[str]) -> None:
        self.queue, self.poison, self.handle, self.processed = queue, poison, handle, processed

    @classmethod
    def connect(cls, connection_string: str, queue: str, handle: Handler, *, processed: set[str]) -> CompletionConsumer:
        def client(name: str) -> QueueClient:
            return QueueClient.from_connection_string(
                connection_string,
                name,
                message_encode_policy=TextBase64EncodePolicy(),
                message_decode_policy=TextBase64DecodePolicy(),
            )

        poison = client(f"{queue}-poison")
        with suppress(ResourceExistsError):
            poison.create_queue()
        return cls(client(queue), poison, handle, processed=processed)

    def drain(self, *, visibility_timeout: int = 30) -> int:
        """Process what is on the queue now; returns how many messages were handled (processed or set aside)."""
        handled = 0
        for message in self.queue.receive_messages(messages_per_page=32, visibility_timeout=visibility_timeout):
            handled += self._one(message)
        return handled

    def _one(self, message: QueueMessage) -> int:
        try:
            event = json.loads(message.content)
            if event["id"] not in self.processed:  # idempotent: a repeated announcement is skipped
                self.handle(event)
                self.processed.add(event["id"])
        except Exception:
            if message.dequeue_count >= MAX_DEQUEUES:
                logger.exception("message %s failed %d times; set aside", message.id, message.dequeue_count)
                self.poison.send_message(message.content)
                self.queue.delete_message(message)
                return 1
            logger.warning("message %s failed (try %d); it comes back later", message.id, message.dequeue_count)
            return 0
        self.queue.delete_message(message)
        return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connection-string", default=os.environ.get("AZURE_STORAGE_CONNECTION_STRING"))
    parser.add_argument("--queue", default="translation-completed")
    parser.add_argument("--once", action="store_true", help="process what is there now, then exit")
    args = parser.parse_args()
    if not args.connection_string:
        parser.error("give --connection-string or set AZURE_STORAGE_CONNECTION_STRING")
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("azure").setLevel(logging.WARNING)
    consumer = CompletionConsumer.connect(args.connection_string, args.queue, print_outcome, processed=set())
    try:
        consume(consumer, args.queue, once=args.once)
    except KeyboardInterrupt:  # Ctrl-C: a message being handled is not deleted, so it comes back
        print("stopped", flush=True)


def consume(consumer: CompletionConsumer, queue: str, *, once: bool) -> None:
    idle = False
    while True:
        handled = consumer.drain()
        if handled == 0 and not idle:  # a message comes after the poller's next tick (POLL_SCHEDULE)
            print(f"queue '{queue}' empty" + ("" if once else ", waiting (Ctrl-C to stop)..."), flush=True)
        idle = handled == 0
        if once:
            return
        time.sleep(2)


if __name__ == "__main__":
    main()
