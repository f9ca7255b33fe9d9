"""A separate process doing what one instance of a scaled-out Function app does, for crash and concurrency tests:
the blob trigger for a list of events on several threads, or timer runs one after another. As the host writes output
bindings, each invocation's publish requests go to OUTBOX_QUEUE after it returns. Settings come from the environment.

Usage: python -m tests.support.host_worker trigger EVENTS_JSON THREADS
       python -m tests.support.host_worker poller RUNS INTERVAL_SECONDS
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from azure.storage.blob import BlobClient
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from shared import handlers


def outbox_queue() -> QueueClient:
    connection = os.environ["DocumentStorage"]  # noqa: SIM112 - the app setting is spelled so
    return QueueClient.from_connection_string(
        connection, os.environ["OUTBOX_QUEUE"], message_encode_policy=TextBase64EncodePolicy()
    )


def triggers(events_path: str, threads: int) -> None:
    names = json.loads(Path(events_path).read_text())
    connection = os.environ["DocumentStorage"]  # noqa: SIM112 - the app setting is spelled so
    container, queue = os.environ["SOURCE_CONTAINER"], outbox_queue()

    def deliver(name: str) -> None:
        for request in handlers.handle_upload(BlobClient.from_connection_string(connection, container, name)):
            queue.send_message(request)

    print("ready", flush=True)  # imports done: a crash harness times its kill from here
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(deliver, names))


def timer_runs(runs: int, interval: float) -> None:
    queue = outbox_queue()
    print("ready", flush=True)
    for _ in range(runs):
        for request in handlers.handle_poll_tick():
            queue.send_message(request)
        time.sleep(interval)


if __name__ == "__main__":
    if sys.argv[1] == "trigger":
        triggers(sys.argv[2], int(sys.argv[3]))
    else:
        timer_runs(int(sys.argv[2]), float(sys.argv[3]))
