"""The README's snippets run as written, against a stack of real processes (its ports put in place of the defaults)."""

from __future__ import annotations

import re
import subprocess

import pytest

from devstack.azurite import REPO_ROOT
from devstack.stack import Ports, Stack

MARKER = "<!-- tested: tests/e2e/test_readme.py runs this block -->"


def tested_blocks() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    return [match.group(1) for match in re.finditer(re.escape(MARKER) + r"\n```sh\n(.*?)```", readme, re.DOTALL)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("readme")
    running = Stack(Ports.free(), state, state / "local.settings.json")
    running.start()
    yield running
    running.stop()


def test_the_readme_marks_its_client_snippet():
    assert len(tested_blocks()) == 1


@pytest.mark.parametrize("index", range(len(tested_blocks())))
def test_each_tested_snippet_runs_as_written(stack, index: int):
    ports = stack.ports
    script = (
        tested_blocks()[index]
        .replace("UseDevelopmentStorage=true", ports.connection_string)
        .replace("127.0.0.1:10000", f"127.0.0.1:{ports.blob}")
        .replace("127.0.0.1:5080", f"127.0.0.1:{ports.emulator}")
    )
    result = subprocess.run(
        ["bash", "-e", "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Status.SUCCEEDED fr" in result.stdout
    assert "[fr] Héļļö ŵöŕļd." in result.stdout
