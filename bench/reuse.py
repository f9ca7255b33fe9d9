"""Re-uploads: N uploads into fr and de, 30 % of them re-uploads (same name) or copies (other names) of content
translated a moment before, as sync tools and shared attachments make them (the repeats are uploaded once the
originals are announced: a re-upload landing before its original was seen would replace it unseen). This app with
REUSE_TRANSLATIONS on against the same app with it off (the baseline), on the same Azurite: characters charged,
Translator calls, batches.

Run: `.venv/bin/python -m bench.reuse [N]` (`make bench` runs it with 1000). Asserts nothing.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient

from bench.common import documents_argument
from bench.harness import base_settings, completion_queue, emulator_stats, local_runner
from devstack.azurite import AzuriteEndpoints, running_azurite
from devstack.processes import emulator_process

POLL_SECONDS = 2
REPEATED_SHARE = 0.3
MODES = {"reuse off (baseline)": "false", "reuse on": "true"}
FIGURES = (
    ("characters_charged", "characters charged", "{:.0f}"),
    ("translator_calls", "Translator calls", "{:.0f}"),
    ("batches", "batches posted", "{:.0f}"),
    ("reused", "documents announced as reused", "{:.0f}"),
    ("originals_seconds", "s until the originals are announced", "{:.1f}"),
    ("repeats_seconds", "s from the repeats' upload to their last announcement", "{:.1f}"),
)


def uploads(count: int) -> tuple[dict[str, bytes], list[tuple[str, bytes]]]:
    """The originals, then the repeats: half re-uploads of an original's name, half copies under a new name."""
    repeats = int(count * REPEATED_SHARE)
    originals = {
        f"docs/doc-{index:05}.txt": f"Document {index:05}: the quick brown fox jumps over the lazy dog.\n".encode() * 4
        for index in range(count - repeats)
    }
    names = list(originals)
    later = [
        (names[index] if index % 2 == 0 else f"copies/copy-{index:05}.txt", originals[names[index]])
        for index in range(repeats)
    ]
    return originals, later


def run(count: int, workdir: Path) -> dict[str, dict[str, Any]]:
    originals, later = uploads(count)
    with running_azurite() as azurite:
        return {mode: _run(azurite, originals, later, reuse, workdir) for mode, reuse in MODES.items()}


def _run(
    azurite: AzuriteEndpoints, originals: dict[str, bytes], later: list[tuple[str, bytes]], reuse: str, workdir: Path
) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    with emulator_process(workers=4) as emulator:
        settings = {**base_settings(azurite, emulator, suffix, POLL_SECONDS), "REUSE_TRANSLATIONS": reuse}
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        source = settings["SOURCE_CONTAINER"]
        for container in (source, settings["TARGET_CONTAINER"]):
            service.create_container(container)
        queue = completion_queue(azurite.connection_string, settings["COMPLETION_QUEUE"])
        with local_runner("function_app", settings, workdir / suffix), ThreadPoolExecutor(16) as pool:
            started = time.time()

            def upload(item: tuple[str, bytes]) -> None:
                service.get_blob_client(source, item[0]).upload_blob(item[1], overwrite=True)

            list(pool.map(upload, originals.items()))
            messages = _receive(queue, len(originals), timeout=120 + 2 * len(originals))
            originals_done = time.time()
            list(pool.map(upload, later))
            messages += _receive(queue, len(later), timeout=120 + 2 * len(later))
            finished = time.time()
        calls = emulator_stats(emulator)
    return {
        "documents": len(messages),
        "characters_charged": sum(t["characters"] for m in messages for t in m["data"]["targets"]),
        "translator_calls": sum(sum(codes.values()) for codes in calls.values()),
        "batches": calls.get("start_translation", {}).get("202", 0),
        "reused": sum(1 for message in messages if message["data"].get("reusedFrom")),
        "succeeded": sum(1 for message in messages if message["data"]["status"] == "Succeeded"),
        "originals_seconds": originals_done - started,
        "repeats_seconds": finished - originals_done,
    }


def _receive(queue: Any, count: int, timeout: float) -> list[dict[str, Any]]:
    messages: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(messages)} of {count} announcements after {timeout:.0f} s")
        batch = list(queue.receive_messages(messages_per_page=32, max_messages=32))
        for message in batch:
            event = json.loads(message.content)
            messages[event["id"]] = event
            queue.delete_message(message)
        if not batch:
            time.sleep(0.1)
    return list(messages.values())


def markdown(results: dict[str, dict[str, Any]]) -> str:
    """One row per figure: the baseline, this app with reuse, and the ratio baseline / reuse."""
    baseline, ours = (results[mode] for mode in MODES)
    lines = ["| figure | reuse off (baseline) | reuse on | ratio |", "|---|---|---|---|"]
    for key, label, fmt in FIGURES:
        ratio = f"{baseline[key] / ours[key]:.2f}" if ours[key] and baseline[key] else "–"
        lines.append(f"| {label} | {fmt.format(baseline[key])} | {fmt.format(ours[key])} | {ratio} |")
    saved = 1 - ours["characters_charged"] / baseline["characters_charged"] if baseline["characters_charged"] else 0
    lines.append(f"\ncharacters saved by reuse: {saved:.1%}")
    return "\n".join(lines)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-reuse-") as workdir:
        results = run(count, Path(workdir))
    print(f"### Re-uploads: {count} uploads, {REPEATED_SHARE:.0%} re-uploads or copies of identical content\n")
    print(markdown(results))


if __name__ == "__main__":
    main(documents_argument("bench.reuse", __doc__, 1000))
