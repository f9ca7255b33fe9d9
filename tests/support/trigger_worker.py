"""A separate process invoking the blob trigger's handler for a list of events on several threads, as one instance
of a scaled-out Function app would. Settings come from the environment. Writes the messages it produced as JSON lines.

Usage: python -m tests.support.trigger_worker EVENTS_JSON OUTPUT_JSONL THREADS
"""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from azure.storage.blob import BlobClient

from shared import handlers


def main(events_path: str, output_path: str, threads: int) -> None:
    names = json.loads(Path(events_path).read_text())
    connection = os.environ["DocumentStorage"]  # noqa: SIM112 - the app setting is spelled so
    container = os.environ["SOURCE_CONTAINER"]
    lock = threading.Lock()

    def deliver(name: str) -> list[str]:
        return handlers.handle_upload(BlobClient.from_connection_string(connection, container, name))

    print("ready", flush=True)  # imports done: a crash harness times its kill from here
    with ThreadPoolExecutor(threads) as pool, Path(output_path).open("w") as output:
        for messages in pool.map(deliver, names):
            with lock:
                output.writelines(message + "\n" for message in messages)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
