"""The offline stack as child processes: Azurite, the Document Translation emulator and the local Functions runner.

Each runs in its own process group with its log under the state folder; `Stack.stop()` (also on Ctrl-C or a failed
start) ends them all, so nothing is left behind. `up` records the processes in `stack.json` so `down`/`status` find
them from another shell.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from devstack.azurite import ACCOUNT_KEY, ACCOUNT_NAME, REPO_ROOT, azurite_executable, free_port, wait_for_port

STATE_DIR = REPO_ROOT / ".devstack"
SAMPLE_SETTINGS = REPO_ROOT / "local.settings.sample.json"


@dataclass(frozen=True)
class Ports:
    blob: int = 10000
    queue: int = 10001
    table: int = 10002
    emulator: int = 5080
    host: int = 7071

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port(), free_port())

    @property
    def connection_string(self) -> str:
        base = f"http://127.0.0.1:{{}}/{ACCOUNT_NAME}"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={base.format(self.blob)};QueueEndpoint={base.format(self.queue)};"
            f"TableEndpoint={base.format(self.table)};"
        )


def settings_for(ports: Ports, path: Path, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Write local.settings.json at `path` from the sample (if missing), pointed at these ports; returns its Values.
    An existing file is kept, and only gains settings the sample has and it lacks (added by a newer version)."""
    sample = json.loads(SAMPLE_SETTINGS.read_text())
    if path.exists():
        document = json.loads(path.read_text())
        missing = {name: value for name, value in sample["Values"].items() if name not in document["Values"]}
        if missing:
            document["Values"].update(missing)
            path.write_text(json.dumps(document, indent=2) + "\n")
        return document["Values"]
    sample["Values"].update(
        {
            "AzureWebJobsStorage": ports.connection_string,
            "DocumentStorage": ports.connection_string,
            "TRANSLATOR_ENDPOINT": f"http://127.0.0.1:{ports.emulator}",
            **(overrides or {}),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sample, indent=2) + "\n")
    return sample["Values"]


@dataclass
class Child:
    name: str
    pid: int
    log: str

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, timeout: float = 10.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


@dataclass
class Stack:
    ports: Ports
    state_dir: Path
    settings_path: Path
    children: list[Child] = field(default_factory=list)
    emulator_options: tuple[str, ...] = ()  # extra `python -m devstack.emulator` options, e.g. faults to inject

    @property
    def record(self) -> Path:
        return self.state_dir / "stack.json"

    def start(self, *, settings_overrides: dict[str, str] | None = None) -> dict[str, str]:
        """Start everything and wait until each part answers; on any failure stop what started, then raise."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        values = settings_for(self.ports, self.settings_path, settings_overrides)
        try:
            self._start_azurite()
            self._prepare_storage(values)
            self._start_emulator(values)
            self._start_host()
        except BaseException:
            self.stop()
            raise
        self.record.write_text(
            json.dumps({"ports": asdict(self.ports), "children": [asdict(c) for c in self.children]})
        )
        return values

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        self.record.unlink(missing_ok=True)

    def restart_host(self) -> None:
        """Stop and start the Functions runner alone (its receipts decide what it triggers again)."""
        self.stop_part("host")
        self._start_host()

    def restart_emulator(self) -> None:
        """Stop and start the emulator alone; its --state-dir keeps the jobs."""
        self.stop_part("emulator")
        self._start_emulator(settings_for(self.ports, self.settings_path))

    def stop_part(self, name: str) -> None:
        """Stop one part ("azurite", "emulator" or "host"), leaving the others running."""
        for child in [c for c in self.children if c.name == name]:
            child.stop()
            self.children.remove(child)

    def start_azurite(self) -> None:
        """Start Azurite again after `stop_part("azurite")`: same ports, same data."""
        self._start_azurite()

    @classmethod
    def recorded(cls, state_dir: Path, settings_path: Path) -> Stack | None:
        """The stack `up` started earlier (from its stack.json), if any."""
        record = state_dir / "stack.json"
        if not record.exists():
            return None
        data: dict[str, Any] = json.loads(record.read_text())
        return cls(Ports(**data["ports"]), state_dir, settings_path, [Child(**c) for c in data["children"]])

    # ---- parts ------------------------------------------------------------------------------------------------

    def _spawn(self, name: str, command: list[str], *, port: int) -> None:
        """Start a child and wait until it listens on `port`; fail at once, with its log, if it exits instead."""
        log = self.state_dir / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.children.append(Child(name, process.pid, str(log)))
        deadline = time.monotonic() + 60
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} did not start (exit code {process.poll()}, log {log}):\n{tail}")
            time.sleep(0.1)

    def _start_azurite(self) -> None:
        data = self.state_dir / "azurite"
        data.mkdir(exist_ok=True)
        p = self.ports
        self._spawn(
            "azurite",
            [
                azurite_executable(),
                "--silent",
                "--skipApiVersionCheck",
                "--disableProductStyleUrl",
                "--location",
                str(data),
                "--blobPort",
                str(p.blob),
                "--queuePort",
                str(p.queue),
                "--tablePort",
                str(p.table),
            ],
            port=p.table,
        )
        for port in (p.blob, p.queue):
            wait_for_port("127.0.0.1", port)

    def _prepare_storage(self, values: dict[str, str]) -> None:
        connection = values["DocumentStorage"]
        blobs = BlobServiceClient.from_connection_string(connection)
        for setting, default in (
            ("SOURCE_CONTAINER", "inbox"),
            ("TARGET_CONTAINER", "translated"),
            ("GLOSSARY_CONTAINER", ""),
        ):
            name = values.get(setting) or default
            if name:
                with contextlib.suppress(ResourceExistsError):
                    blobs.create_container(name)
        queues = QueueServiceClient.from_connection_string(connection)
        for queue in (values["COMPLETION_QUEUE"], values["OUTBOX_QUEUE"]):
            with contextlib.suppress(ResourceExistsError):
                queues.create_queue(queue)
        TableServiceClient.from_connection_string(connection).create_table_if_not_exists(values["STATE_TABLE"])

    def _start_emulator(self, values: dict[str, str]) -> None:
        command = [
            sys.executable, "-m", "devstack.emulator", "--port", str(self.ports.emulator),
            "--key", values.get("TRANSLATOR_KEY") or "local-dev-key", "--state-dir", str(self.state_dir / "emulator"),
        ]  # fmt: skip
        if values.get("TRANSLATOR_STORAGE_ACCESS") == "managed-identity":  # the Translator's own storage identity
            command += ["--storage-connection-string", values["DocumentStorage"]]
        self._spawn("emulator", [*command, *self.emulator_options], port=self.ports.emulator)
        requests.get(f"http://127.0.0.1:{self.ports.emulator}/emulator/health", timeout=10).raise_for_status()

    def _start_host(self) -> None:
        self._spawn(
            "host",
            [
                sys.executable,
                "-m",
                "devstack",
                "host",
                "--settings",
                str(self.settings_path),
                "--port",
                str(self.ports.host),
            ],
            port=self.ports.host,
        )


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def reset(state_dir: Path) -> None:
    """Forget a previous run's data (the demo starts clean)."""
    shutil.rmtree(state_dir, ignore_errors=True)
