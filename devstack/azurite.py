"""Azurite (blob, queue, table) as a child process on free ports: for the demo, the dev stack and the tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from azure.storage.blob import ContainerSasPermissions, generate_container_sas

REPO_ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_NAME = "devstoreaccount1"
# Azurite's published, well-known development key (not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class AzuriteEndpoints:
    blob_port: int
    queue_port: int
    table_port: int
    host: str = "127.0.0.1"

    @property
    def blob_url(self) -> str:
        return f"http://{self.host}:{self.blob_port}/{ACCOUNT_NAME}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_url};"
            f"QueueEndpoint=http://{self.host}:{self.queue_port}/{ACCOUNT_NAME};"
            f"TableEndpoint=http://{self.host}:{self.table_port}/{ACCOUNT_NAME};"
        )


def container_sas_url(
    blob_url: str, container: str, permissions: str, *, name: str | None = None, minutes: int = 30
) -> str:
    """A container-scoped SAS URL signed with Azurite's well-known key; with `name`, the URL of one blob inside it."""
    token = generate_container_sas(
        ACCOUNT_NAME,
        container,
        account_key=ACCOUNT_KEY,
        permission=ContainerSasPermissions.from_string(permissions),
        expiry=datetime.now(UTC) + timedelta(minutes=minutes),
    )
    path = f"{container}/{quote(name)}" if name else container
    return f"{blob_url}/{path}?{token}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def azurite_executable() -> str:
    local = REPO_ROOT / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found:
        return found
    raise FileNotFoundError("Azurite is not installed: run `make test` (it runs `npm ci`) or `npm ci` in the repo root")


def stop_azurite(process: subprocess.Popen) -> None:
    """In-memory Azurite has nothing to flush, and open keep-alive connections can hold a graceful close for 10 s:
    ask, then insist."""
    process.terminate()
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_azurite() -> Iterator[AzuriteEndpoints]:
    endpoints = AzuriteEndpoints(free_port(), free_port(), free_port())
    with tempfile.TemporaryDirectory(prefix="azurite-") as workdir:
        log = open(Path(workdir) / "azurite.log", "wb")  # noqa: SIM115 - closed below, after the process
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [
                azurite_executable(),
                "--silent",
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableTelemetry",  # Azurite phones home by default; offline, it then takes 20 s to exit
                "--disableProductStyleUrl",
                "--blobHost",
                endpoints.host,
                "--queueHost",
                endpoints.host,
                "--tableHost",
                endpoints.host,
                "--blobPort",
                str(endpoints.blob_port),
                "--queuePort",
                str(endpoints.queue_port),
                "--tablePort",
                str(endpoints.table_port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for port in (endpoints.blob_port, endpoints.queue_port, endpoints.table_port):
                if process.poll() is not None:
                    raise RuntimeError(f"Azurite exited: {(Path(workdir) / 'azurite.log').read_text()[-2000:]}")
                wait_for_port(endpoints.host, port)
            yield endpoints
        finally:
            stop_azurite(process)
            log.close()
