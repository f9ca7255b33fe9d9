"""`python -m devstack up | status | down` as a user runs them (the Makefile's `make up` etc.), as real processes.

Each test points the commands at its own folder and free ports (DEVSTACK_STATE_DIR, DEVSTACK_SETTINGS and the
DEVSTACK_*_PORT variables), so they never touch the repo's .devstack or the default ports.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.azurite import REPO_ROOT, free_port
from devstack.stack import PORT_VARIABLES, Child
from tests.e2e.test_stack import processes_mentioning


def devstack(command: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", command],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {variable: str(free_port()) for _, variable in PORT_VARIABLES.values()}
    variables = {
        **os.environ,
        "DEVSTACK_STATE_DIR": str(tmp_path / "state"),
        "DEVSTACK_SETTINGS": str(tmp_path / "local.settings.json"),
        **ports,
    }
    yield variables
    devstack("down", variables)
    assert processes_mentioning(str(tmp_path)) == [], "orphans left behind"


def children(environment: dict[str, str]) -> dict[str, Child]:
    record = json.loads((Path(environment["DEVSTACK_STATE_DIR"]) / "stack.json").read_text())
    return {child["name"]: Child(**child) for child in record["children"]}


def test_up_after_the_runner_was_killed_restarts_only_the_runner_and_down_stops_everything(environment):
    first = devstack("up", environment)
    assert first.returncode == 0, first.stderr
    assert "Stack up" in first.stdout
    before = children(environment)
    os.killpg(before["host"].pid, signal.SIGKILL)  # as README's Core Tools path does with `kill <host pid>`
    deadline = time.monotonic() + 10
    while before["host"].alive() and time.monotonic() < deadline:
        time.sleep(0.1)

    status = devstack("status", environment)
    assert status.returncode == 1
    assert "host" in status.stdout
    assert "STOPPED" in status.stdout
    again = devstack("up", environment)
    assert again.returncode == 0, again.stderr
    assert "Restarting host; azurite, emulator still running." in again.stdout

    after = children(environment)
    assert (after["azurite"].pid, after["emulator"].pid) == (before["azurite"].pid, before["emulator"].pid)
    assert after["host"].pid != before["host"].pid
    assert all(child.alive() for child in after.values())
    host_port = environment["DEVSTACK_HOST_PORT"]
    assert requests.get(f"http://127.0.0.1:{host_port}/api/status/none.txt", timeout=10).status_code == 404
    assert devstack("status", environment).returncode == 0

    down = devstack("down", environment)
    assert "stopping host" in down.stdout
    assert "Stack stopped." in down.stdout
    assert not any(child.alive() for child in after.values())
    assert devstack("status", environment).stdout.strip() == "No stack is up."


@pytest.mark.parametrize("part", ["blob", "emulator", "host"])
def test_a_busy_port_fails_before_anything_starts_and_names_the_variable_that_moves_it(environment, part: str):
    _, variable = PORT_VARIABLES[part]
    port = int(environment[variable])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = devstack("up", environment)
    assert result.returncode == 1
    assert f"Port {port}" in result.stderr
    assert f"{variable}=<port> make up" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Stack up" not in result.stdout
    assert not (Path(environment["DEVSTACK_STATE_DIR"]) / "stack.json").exists()


def test_a_port_variable_that_is_not_a_port_is_named(environment):
    result = devstack("up", {**environment, "DEVSTACK_HOST_PORT": "70x1"})
    assert result.returncode == 1
    assert "DEVSTACK_HOST_PORT='70x1' is not a port number" in result.stderr


def test_ctrl_c_during_the_demo_stops_the_stack_at_once_and_a_second_one_does_not_cut_that_short(environment):
    demo = subprocess.Popen(
        [sys.executable, "-m", "devstack", "demo"],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stdout is not None
    lines = []
    while not any(line.startswith("Uploaded") for line in lines):
        line = demo.stdout.readline()
        assert line, f"the demo ended before uploading: {lines}"
        lines.append(line)
    demo.send_signal(signal.SIGINT)
    time.sleep(0.2)
    demo.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    output, errors = demo.communicate(timeout=60)
    assert demo.returncode == 130
    assert time.monotonic() - stopped < 15
    assert "Interrupted: stopping the stack..." in output
    assert "Traceback" not in errors
    state = Path(environment["DEVSTACK_STATE_DIR"])
    assert processes_mentioning(str(state)) == [], "orphans left behind"
