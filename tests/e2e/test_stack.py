"""End to end with everything as real processes: Azurite, the emulator and function_app.py under the local runner."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import docx
import openpyxl
import pytest
import requests
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient
from pptx import Presentation

from devstack.samples import sample_documents
from devstack.stack import Ports, Stack
from tests.support.messages import assert_valid_message, receive_completions

SETTINGS = {"TARGET_LANGUAGES": "fr,de", "POLL_SCHEDULE": "*/1 * * * * *"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("stack")
    running = Stack(Ports.free(), state, state / "local.settings.json")
    values = running.start(settings_overrides=SETTINGS)
    yield running, values
    running.stop()


def start_translation_calls(stack: Stack) -> int:
    stats = requests.get(f"http://127.0.0.1:{stack.ports.emulator}/emulator/stats", timeout=10).json()
    return sum(stats["requests"].get("start_translation", {}).values())


def test_30_mixed_documents_are_translated_and_announced_and_a_restart_triggers_nothing_again(stack):
    running, values = stack
    blobs = BlobServiceClient.from_connection_string(values["DocumentStorage"])
    samples = {name: data for name, data in sample_documents().items() if "scan" not in name}
    uploads = {f"batch{index}/{name}": data for index in range(5) for name, data in samples.items()}
    uploads = dict(list(uploads.items())[:30])
    for name, data in uploads.items():
        blobs.get_blob_client(values["SOURCE_CONTAINER"], name).upload_blob(data)

    messages = receive_completions(values, len(uploads))

    assert Counter(m["data"]["source"]["name"] for m in messages) == Counter(list(uploads))
    for message in messages:
        assert_valid_message(message)
        assert message["data"]["status"] == "Succeeded", message["data"]
    target = blobs.get_container_client(values["TARGET_CONTAINER"])
    for name in uploads:
        for language in ("fr", "de"):
            assert_structurally_valid(name, target.download_blob(f"{language}/{name}").readall(), language)
    posts = start_translation_calls(running)
    assert posts < len(uploads)  # batched

    running.restart_host()
    time.sleep(4)
    assert start_translation_calls(running) == posts  # receipts survived: nothing triggered again
    assert collect_nothing(values)


def collect_nothing(values: dict[str, str]) -> bool:
    queue = QueueClient.from_connection_string(values["DocumentStorage"], values["COMPLETION_QUEUE"])
    return not list(queue.peek_messages(max_messages=1))


def assert_structurally_valid(name: str, data: bytes, language: str) -> None:
    marker = f"[{language}] "
    if name.endswith(".docx"):
        assert docx.Document(io.BytesIO(data)).paragraphs[0].text.startswith(marker)
    elif name.endswith(".pptx"):
        assert Presentation(io.BytesIO(data)).slides[0].shapes.title.text.startswith(marker)
    elif name.endswith(".xlsx"):
        assert openpyxl.load_workbook(io.BytesIO(data))["Sales"]["A1"].value.startswith(marker)
    else:
        assert marker in data.decode("utf-8-sig")


def test_a_part_that_cannot_start_stops_the_others_and_says_why(tmp_path):
    (tmp_path / "emulator").write_text("a file where the emulator's --state-dir folder should be")
    doomed = Stack(Ports.free(), tmp_path, tmp_path / "local.settings.json")

    with pytest.raises(RuntimeError, match="emulator did not start") as caught:
        doomed.start(settings_overrides=SETTINGS)

    assert "emulator.log" in str(caught.value)
    assert doomed.children == []
    assert not (tmp_path / "stack.json").exists()
    assert processes_mentioning(str(tmp_path)) == [], "orphans left behind"


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line contains `text` (read from /proc, like pgrep -f)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_status_route_values_are_url_decoded_as_the_functions_host_does(stack):
    running, values = stack
    blobs = BlobServiceClient.from_connection_string(values["DocumentStorage"])
    for name in ("sp ace.txt", "café.txt"):
        blobs.get_blob_client(values["SOURCE_CONTAINER"], name).upload_blob(b"Hello.", overwrite=True)
    receive_completions(values, 2)
    for encoded, name in (("sp%20ace.txt", "sp ace.txt"), ("caf%C3%A9.txt", "café.txt")):
        response = requests.get(f"http://127.0.0.1:{running.ports.host}/api/status/{encoded}", timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == name
