"""The README's snippets run as written, against a stack of real processes (its ports put in place of the defaults)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import pytest

from devstack.azurite import REPO_ROOT
from devstack.stack import Ports, Stack

MARKER = "<!-- tested: tests/e2e/test_readme.py runs this block -->"
COMMANDS_MARKER = "<!-- tested: tests/e2e/test_readme.py runs these commands one after another -->"


def marked_blocks(marker: str) -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    return [match.group(1) for match in re.finditer(re.escape(marker) + r"\n```sh\n(.*?)```", readme, re.DOTALL)]


def client_blocks() -> list[str]:
    return marked_blocks(MARKER)


def on_ports(text: str, ports: Ports) -> str:
    """The README's text with the test stack's ports in place of the default ones."""
    defaults = (10000, 10001, 10002, 5080, 7071)
    for default, port in zip(defaults, (ports.blob, ports.queue, ports.table, ports.emulator, ports.host), strict=True):
        text = text.replace(f"127.0.0.1:{default}", f"127.0.0.1:{port}")
    return text.replace("UseDevelopmentStorage=true", ports.connection_string)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("readme")
    running = Stack(Ports.free(), state, state / "local.settings.json")
    running.start()
    yield running
    running.stop()


def test_the_readme_marks_its_client_snippet():
    assert len(client_blocks()) == 1


@pytest.mark.parametrize("index", range(len(client_blocks())))
def test_each_tested_snippet_runs_as_written(stack, index: int):
    script = on_ports(client_blocks()[index], stack.ports)
    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Status.SUCCEEDED fr" in result.stdout
    assert "[fr] Héļļö ŵöŕļd." in result.stdout


def test_the_stack_commands_upload_announce_and_answer_as_the_readme_says(stack):
    """Upload, then the consumer (waiting until hello.txt shows, then Ctrl-C as the comment says), then curl."""
    (block,) = marked_blocks(COMMANDS_MARKER)
    setting, upload, consumer, curl = on_ports(block, stack.ports).strip().splitlines()
    assert setting.startswith("CONN=")

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", f"{setting}\n{command}"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
        )

    uploaded = run(upload)
    assert uploaded.returncode == 0, uploaded.stderr

    reader = subprocess.Popen(
        ["bash", "-c", f"{setting}\nexec {consumer.split('#')[0]}"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not any("hello.txt" in line for line in lines):
        line = reader.stdout.readline()
        if not line:
            break
        lines.append(line)
    reader.send_signal(signal.SIGINT)  # the Ctrl-C the README asks for
    rest, errors = reader.communicate(timeout=15)
    printed = "".join(lines) + rest
    assert "waiting (Ctrl-C to stop)" in printed
    assert "inbox/hello.txt: Succeeded (fr=Succeeded, de=Succeeded)\n" in printed, printed + errors
    assert printed.endswith("stopped\n")
    assert "Traceback" not in errors, errors

    answered = run(curl)
    assert answered.returncode == 0, answered.stderr
    status = json.loads(answered.stdout)
    assert status["name"] == "hello.txt"
    assert (status["outcome"], status["messageId"] is not None) == ("Succeeded", True)
    assert {target["language"] for target in status["targets"]} == {"fr", "de"}
