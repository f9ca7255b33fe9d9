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

from devstack.azurite import ACCOUNT_KEY, ACCOUNT_NAME, REPO_ROOT, azurite_executable, free_port

STATE_DIR = Path(os.environ.get("DEVSTACK_STATE_DIR") or REPO_ROOT / ".devstack")  # logs, data, stack.json
SAMPLE_SETTINGS = REPO_ROOT / "local.settings.sample.json"


class StackError(RuntimeError):
    """A part of the stack cannot start, for a reason the user can fix (the message says how)."""


# what listens on each port, and the variable that moves it
PORT_VARIABLES = {
    "blob": ("Azurite blob", "DEVSTACK_BLOB_PORT"),
    "queue": ("Azurite queue", "DEVSTACK_QUEUE_PORT"),
    "table": ("Azurite table", "DEVSTACK_TABLE_PORT"),
    "emulator": ("the Translator emulator", "DEVSTACK_EMULATOR_PORT"),
    "host": ("the Functions runner", "DEVSTACK_HOST_PORT"),
}


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

    @classmethod
    def configured(cls, environment: dict[str, str] | os._Environ[str] = os.environ) -> Ports:
        """The default ports, each moved by its DEVSTACK_*_PORT variable when set."""
        chosen: dict[str, int] = {}
        for part, (_, variable) in PORT_VARIABLES.items():
            raw = environment.get(variable, "").strip()
            if not raw:
                continue
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise StackError(f"{variable}={raw!r} is not a port number (1-65535).")
            chosen[part] = int(raw)
        ports = cls(**chosen)
        if len(set(asdict(ports).values())) < len(PORT_VARIABLES):
            raise StackError(f"Two parts of the stack would share a port: {asdict(ports)}; give each its own.")
        return ports

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
    An existing file is kept, and only gains settings the sample has and it lacks (added by a newer version); each
    one added is printed."""
    sample = json.loads(SAMPLE_SETTINGS.read_text())
    if path.exists():
        document = json.loads(path.read_text())
        missing = {name: value for name, value in sample["Values"].items() if name not in document["Values"]}
        if missing:
            document["Values"].update(missing)
            path.write_text(json.dumps(document, indent=2) + "\n")
            print(f"{path.name}: added {', '.join(sorted(missing))} from {SAMPLE_SETTINGS.name} (new settings).")
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


# a word of each part's command line: a recorded pid that now runs something else is not that part
MARKERS = {"azurite": "azurite", "emulator": "devstack.emulator", "host": "devstack host"}
PARTS = tuple(MARKERS)  # in start order
PART_PORTS = {"azurite": ("blob", "queue", "table"), "emulator": ("emulator",), "host": ("host",)}


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
        except PermissionError:
            return False  # the pid now belongs to another user's process
        cmdline = Path(f"/proc/{self.pid}/cmdline")
        if not cmdline.exists():
            return True  # no /proc: trust the pid
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            exited = Path(f"/proc/{self.pid}/stat").read_text().rsplit(") ", 1)[-1].startswith("Z")  # a zombie
        except OSError:
            return False
        return MARKERS.get(self.name, "") in command and not exited

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def reap(self) -> bool:
        """True once the process has exited (collecting it if it is this process's child)."""
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return True
        return not self.alive()


def stop_all(children: list[Child], *, timeout: float = 10.0, report: bool = False) -> None:
    """SIGTERM every child's process group at once, wait for them together, SIGKILL what is left after `timeout`."""
    started = time.monotonic()
    for child in children:
        if report:
            print(f"  stopping {child.name} (pid {child.pid})...", flush=True)
        child.signal(signal.SIGTERM)
    pending = list(children)
    while pending and time.monotonic() - started < timeout:
        pending = [child for child in pending if not child.reap()]
        if pending:
            time.sleep(0.05)
    for child in pending:
        if report:
            print(f"  {child.name} did not stop within {timeout:.0f} s: killed", flush=True)
        child.signal(signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, 0)
    if report:
        print(f"  stopped in {time.monotonic() - started:.1f} s", flush=True)


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
        """Start every part that is not running (all of them for a new stack; for a recorded one, those that died)
        and wait until each answers; on any failure stop what this call started, then raise."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        values = settings_for(self.ports, self.settings_path, settings_overrides)
        self.children = [child for child in self.children if child.alive()]
        kept = list(self.children)
        running = {child.name for child in kept}
        for part in PARTS:
            if part not in running:
                for port in PART_PORTS[part]:
                    self._check_free(port)  # before anything starts: a busy port fails fast and leaves nothing
        try:
            if "azurite" not in running:
                self._start_azurite()
            self._prepare_storage(values)
            if "emulator" not in running:
                self._start_emulator(values)
            if "host" not in running:
                self._start_host()
        except BaseException:
            stop_all([child for child in self.children if child not in kept])
            self.children = kept
            self._write_record()
            raise
        self._write_record()
        return values

    def stop(self, *, report: bool = False) -> None:
        stop_all(list(reversed(self.children)), report=report)
        self.children.clear()
        self.record.unlink(missing_ok=True)

    def _write_record(self) -> None:
        if not self.children:
            self.record.unlink(missing_ok=True)
            return
        self.record.write_text(
            json.dumps({"ports": asdict(self.ports), "children": [asdict(c) for c in self.children]})
        )

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
        parts = [c for c in self.children if c.name == name]
        stop_all(parts)
        for child in parts:
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

    def _spawn(self, name: str, command: list[str]) -> None:
        """Start a child and wait until it listens on its ports; fail at once, with what it logged this time, if it
        exits instead."""
        log = self.state_dir / f"{name}.log"
        with log.open("ab") as output:
            start_of_run = output.tell()
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.children.append(Child(name, process.pid, str(log)))
        deadline = time.monotonic() + 60
        while not all(_listening(getattr(self.ports, port)) for port in PART_PORTS[name]) or process.poll() is not None:
            if process.poll() is not None or time.monotonic() > deadline:
                with log.open("rb") as output:
                    output.seek(start_of_run)
                    tail = output.read().decode(errors="replace")[-2000:]
                exit_code = process.poll()
                raise StackError(f"{name} did not start (exit code {exit_code}, log {log}):\n{tail}")
            time.sleep(0.1)

    def _check_free(self, part: str) -> None:
        port = getattr(self.ports, part)
        if _listening(port):
            what, variable = PORT_VARIABLES[part]
            raise StackError(
                f"Port {port} ({what}) is already in use by another process. Stop that process "
                f"(`ss -ltnp 'sport = :{port}'` shows which), or choose another port: {variable}=<port> make up"
            )

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
                "--disableTelemetry",  # Azurite phones home by default; offline, it then takes 20 s to exit
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
        )

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
        self._spawn("emulator", [*command, *self.emulator_options])
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
        )


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def reset(state_dir: Path) -> None:
    """Forget a previous run's data (the demo starts clean)."""
    shutil.rmtree(state_dir, ignore_errors=True)
