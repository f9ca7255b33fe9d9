"""`make demo`: the whole pipeline offline. Azurite, the Translator emulator and the real `function_app.py` (under the
local Functions runner) start as processes; a set of documents is uploaded; a progress bar follows them through
Received → Submitted → Translated; a table of the outcomes is printed and the translations are copied to
./demo-output/. Exits 0 only if every outcome is the expected one; the stack is shut down either way."""

from __future__ import annotations

import json
import shutil
import signal
import sys
import time
from typing import Any

import requests
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

from devstack.azurite import REPO_ROOT
from devstack.samples import REJECTED, sample_documents
from devstack.stack import STATE_DIR, Ports, Stack, reset

OUTPUT = REPO_ROOT / "demo-output"
DEMO_SETTINGS = {"TARGET_LANGUAGES": "fr,de", "POLL_SCHEDULE": "*/2 * * * * *", "GLOSSARY_CONTAINER": "glossaries"}
TIMEOUT_SECONDS = 150
EXPECTED_REJECTION = "ContentMismatch"


def main(argv: list[str]) -> int:
    started = time.monotonic()
    state = STATE_DIR / "demo"
    reset(state)
    stack = Stack(Ports.free(), state, state / "local.settings.json")
    print("Starting Azurite, the Translator emulator and the Functions runner (no cloud, no keys)...")
    try:
        values = stack.start(settings_overrides=DEMO_SETTINGS)
        print(f"Stack up in {time.monotonic() - started:.1f} s (logs in {state}).")
        ok = run(stack, values)
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the stack...", flush=True)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        stack.stop()
    print(f"Demo {'succeeded' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s.")
    return 0 if ok else 1


def run(stack: Stack, values: dict[str, str]) -> bool:
    connection, source = values["DocumentStorage"], values["SOURCE_CONTAINER"]
    blobs = BlobServiceClient.from_connection_string(connection)
    blobs.get_blob_client("glossaries", "fr.tsv").upload_blob(b"Contoso\tContoso SARL\n", overwrite=True)
    documents = sample_documents()
    for name, data in documents.items():
        blobs.get_blob_client(source, name).upload_blob(data, overwrite=True)
    print(f"Uploaded {len(documents)} documents to '{source}'; translating into {values['TARGET_LANGUAGES']}...")
    messages = follow(stack, values, list(documents))
    print_table(messages)
    copy_outputs(blobs, messages)
    return check(messages, list(documents))


def follow(stack: Stack, values: dict[str, str], names: list[str]) -> dict[str, dict[str, Any]]:
    """Draw the progress bar from the status endpoint while collecting completion messages from the queue."""
    queue = QueueClient.from_connection_string(
        values["DocumentStorage"], values["COMPLETION_QUEUE"], message_decode_policy=TextBase64DecodePolicy()
    )
    messages: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    last = ""
    while len(messages) < len(names) and time.monotonic() < deadline:
        for message in queue.receive_messages(messages_per_page=32, max_messages=32):
            event = json.loads(message.content)
            messages[event["data"]["source"]["name"]] = event
            queue.delete_message(message)
        line = progress_line(states(stack, names), len(messages), len(names))
        if line != last:  # on a terminal the bar redraws in place; in a log, one line per change
            sys.stdout.write(f"\r{line}" if sys.stdout.isatty() else f"{line}\n")
            sys.stdout.flush()
            last = line
        time.sleep(0.5)
    if sys.stdout.isatty():
        print()
    return messages


def states(stack: Stack, names: list[str]) -> dict[str, int]:
    counts = {"Received": 0, "Submitted": 0, "Completed": 0, "Rejected": 0}
    for name in names:
        response = requests.get(f"http://127.0.0.1:{stack.ports.host}/api/status/{name}", timeout=10)
        if response.status_code == 200:
            counts[response.json()["state"]] = counts.get(response.json()["state"], 0) + 1
    return counts


def progress_line(counts: dict[str, int], announced: int, total: int) -> str:
    """At most 79 characters for up to 99 documents (an 80-column terminal must not wrap it)."""
    width = 18
    done = width * announced // total
    return (
        f"[{'#' * done}{'.' * (width - done)}] {announced}/{total} announced; submitted "
        f"{counts['Submitted'] + counts['Completed']}, translated {counts['Completed']}, rejected {counts['Rejected']}"
    )


def print_table(messages: dict[str, dict[str, Any]]) -> None:
    rows = [("document", "language", "status", "output", "characters")]
    for name in sorted(messages):
        data = messages[name]["data"]
        if not data["targets"]:
            rows.append((name, "-", f"{data['status']} ({data['error']['code']})", "-", "-"))
        for target in data["targets"]:
            output = f"{target['container']}/{target['name']}"
            rows.append((name, target["language"], target["status"], output, str(target["characters"])))
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def copy_outputs(blobs: BlobServiceClient, messages: dict[str, dict[str, Any]]) -> None:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    copied = 0
    for event in messages.values():
        for target in event["data"]["targets"]:
            if target["status"] == "Succeeded":
                path = OUTPUT / target["name"]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(blobs.get_blob_client(target["container"], target["name"]).download_blob().readall())
                copied += 1
    print(f"\n{copied} translated files copied to {OUTPUT.relative_to(REPO_ROOT)}/ (open them: they are real files).")


def check(messages: dict[str, dict[str, Any]], names: list[str]) -> bool:
    problems = [f"{name}: no completion message" for name in names if name not in messages]
    for name, event in messages.items():
        data = event["data"]
        if name == REJECTED:
            if data["status"] != "Rejected" or data["error"]["code"] != EXPECTED_REJECTION:
                problems.append(f"{name}: expected Rejected ({EXPECTED_REJECTION}), got {data['status']}")
        elif data["status"] != "Succeeded":
            problems.append(f"{name}: expected Succeeded, got {data['status']} {data['error']}")
    for problem in problems:
        print(f"UNEXPECTED: {problem}")
    return not problems
