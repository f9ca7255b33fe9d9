"""The emulator served by uvicorn in a background thread on a free port (the httpx test-server pattern)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from devstack.azurite import free_port
from devstack.emulator.app import create_app
from devstack.emulator.config import EmulatorConfig
from devstack.emulator.processor import Limits

TEST_KEY = "test-subscription-key"


@dataclass(frozen=True)
class RunningEmulator:
    endpoint: str  # what a client is configured with, e.g. http://127.0.0.1:PORT
    key: str

    @property
    def api(self) -> str:
        return f"{self.endpoint}/translator"

    def headers(self) -> dict[str, str]:
        return {"Ocp-Apim-Subscription-Key": self.key}


@contextmanager
def serve_emulator(*, limits: Limits | None = None, **settings) -> Iterator[RunningEmulator]:
    settings.setdefault("key", TEST_KEY)
    config = EmulatorConfig(host="127.0.0.1", port=free_port(), **settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, limits=limits),
            host=config.host,
            port=config.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, name=f"emulator-{config.port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the emulator did not start")
        time.sleep(0.02)
    try:
        yield RunningEmulator(f"http://{config.host}:{config.port}", config.key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
