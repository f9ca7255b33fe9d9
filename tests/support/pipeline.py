"""The whole app on real parts for integration tests: Azurite, an emulator of its own, and function_app's functions."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

import function_app
from devstack.azurite import AzuriteEndpoints
from shared.outbox import publish_requests
from shared.poller import Poller
from shared.records import utc_now
from shared.services import Services, current_services
from shared.translator import batch_body
from tests.support.emulator import RunningEmulator, serve_emulator
from tests.support.functions_host import FunctionsHost
from tests.support.storage import TestStorage

CLOCK_TOLERANCE = timedelta(seconds=5)  # `later(10)` built a moment ago reads a little behind the pipeline's clock


@dataclass
class Pipeline:
    host: FunctionsHost
    storage: TestStorage
    emulator: RunningEmulator
    source: str
    target: str
    glossaries: str
    queue: str
    outbox: str
    table: str
    received: list[dict[str, Any]] = field(default_factory=list)
    shift: timedelta = timedelta(0)  # how far the timer's clock runs ahead of the real one; it never goes back

    def clock(self) -> datetime:
        """The timer's clock: the real one, shifted as far ahead as the latest shifted tick."""
        return utc_now() + self.shift

    @property
    def services(self) -> Services:
        return current_services()

    def upload(self, name: str, data: bytes | str, *, metadata: dict[str, str] | None = None) -> None:
        payload = data.encode() if isinstance(data, str) else data
        client = self.storage.service.get_blob_client(self.source, name)
        client.upload_blob(payload, overwrite=True, metadata=metadata)

    def event(self, name: str) -> dict[str, Any]:
        return self.host.blob_event(self.source, name)

    def drop(self, name: str, data: bytes | str, *, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Upload a blob and deliver its event, as Event Grid would."""
        self.upload(name, data, metadata=metadata)
        return self.event(name)

    def deliver_as_one_batch(self, names: list[str]) -> None:
        """Events arrive while someone else holds the submitter lease: they are recorded and left for one batch."""
        ledger = self.services.ledger
        assert ledger.acquire_lease("busy-elsewhere", now=utc_now(), duration=timedelta(minutes=5))
        for name in names:
            self.event(name)
        ledger.release_lease("busy-elsewhere")

    def tick(self) -> None:
        """A timer run as the host makes it; on the shifted clock once a tick has moved it ahead."""
        if self.shift:
            self.tick_at(self.clock)
        else:
            self.host.timer_tick()

    def tick_at(self, clock: Callable[[], datetime]) -> None:
        """A timer run with a shifted clock (claims expire, jobs age); its requests go to the outbox queue like the
        host's. Requests already waiting are published first, as a running publisher would have. Time only moves
        forward: a clock behind one already used is refused (a job recorded at +20 min and polled at +0 would look
        lost when it is only not due), and later ticks stay on the latest clock."""
        shift = clock() - utc_now()
        if shift < self.shift - CLOCK_TOLERANCE:
            raise AssertionError(f"a tick at {shift} after one at {self.shift}: the timer's clock never goes back")
        self.shift = max(self.shift, shift)
        self.publish()
        outbox_queue = self.host.queue_client(self.outbox)
        for request in publish_requests(Poller(self.services, clock=self.clock).tick()):
            outbox_queue.send_message(request)

    def publish(self) -> None:
        """Run the publisher function for every request now on the outbox queue."""
        self.host.queue_messages("publish_announcements")

    def collect(self) -> list[dict[str, Any]]:
        """Publish waiting requests, then move every message now on the completion queue into `received` (decoded as
        host.json says)."""
        self.publish()
        queue = self.host.queue_client(self.queue)
        while True:
            batch = list(queue.receive_messages(messages_per_page=32, max_messages=32))
            if not batch:
                return self.received
            for message in batch:
                self.received.append(json.loads(message.content))
                queue.delete_message(message)

    def run_until_announced(
        self,
        count: int,
        *,
        timeout: float = 60.0,
        interval: float = 0.2,
        clock: Callable[[], datetime] | None = None,
    ) -> list[dict]:
        """Tick the poller (with a shifted `clock` when given, else on the pipeline's clock) until `count` messages
        arrived in total (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.collect()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} announcements after {timeout:.0f} s")
            if clock is None:
                self.tick()
            else:
                self.tick_at(clock)
            time.sleep(interval)
        return self.received

    def record_posts(self, monkeypatch) -> list[dict]:
        """Record each batch request body the app sends (the request still goes to the emulator unchanged)."""
        bodies: list[dict] = []
        translator = self.services.translator
        post = translator.begin_batch

        def recording(inputs):
            bodies.append(batch_body(inputs))
            return post(inputs)

        monkeypatch.setattr(translator, "begin_batch", recording)
        return bodies

    def emulator_stats(self) -> dict[str, Any]:
        return requests.get(f"{self.emulator.endpoint}/emulator/stats", timeout=10).json()

    def calls(self, operation: str) -> int:
        return sum(self.emulator_stats()["requests"].get(operation, {}).values())

    def jobs_per_source(self) -> dict[str, set[str]]:
        """Source blob name -> the ids of the emulator's jobs that contain it (read through the public API)."""
        api, headers = f"{self.emulator.api}/document/batches", self.emulator.headers()
        params = {"api-version": "2024-05-01", "$maxpagesize": "100"}
        found: defaultdict[str, set[str]] = defaultdict(set)
        for job in self._pages(api, params, headers):
            for document in self._pages(f"{api}/{job['id']}/documents", params, headers):
                path = self.services.blobs.path_of(document["sourcePath"])
                if path is not None:
                    found[path.name].add(job["id"])
        return found

    @staticmethod
    def _pages(url: str, params: dict[str, str], headers: dict[str, str]) -> Iterator[dict[str, Any]]:
        page = requests.get(url, params=params, headers=headers, timeout=30).json()
        yield from page["value"]
        while page.get("@nextLink"):
            page = requests.get(page["@nextLink"], headers=headers, timeout=30).json()
            yield from page["value"]

    def translated(self, language: str, name: str) -> str:
        return self.storage.download(self.target, f"{language}/{name}").decode("utf-8-sig")


@contextmanager
def running_pipeline(
    azurite: AzuriteEndpoints,
    storage: TestStorage,
    monkeypatch,
    *,
    settings: dict[str, str] | None = None,
    emulator_settings: dict[str, Any] | None = None,
    limits=None,
) -> Iterator[Pipeline]:
    with ExitStack() as stack:
        emulator = stack.enter_context(serve_emulator(limits=limits, **(emulator_settings or {})))
        suffix = uuid.uuid4().hex[:10]
        source, target, glossaries = (storage.new_container(stem) for stem in ("inbox", "translated", "glossaries"))
        queue, outbox, table = f"completed-{suffix}", f"outbox-{suffix}", f"state{suffix}"
        environment = {
            "DocumentStorage": azurite.connection_string,
            "SOURCE_CONTAINER": source,
            "TARGET_CONTAINER": target,
            "GLOSSARY_CONTAINER": glossaries,
            "TARGET_LANGUAGES": "fr,de",
            "COMPLETION_QUEUE": queue,
            "OUTBOX_QUEUE": outbox,
            "STATE_TABLE": table,
            "TRANSLATOR_ENDPOINT": emulator.endpoint,
            "TRANSLATOR_KEY": emulator.key,
            "POLL_SCHEDULE": "*/30 * * * * *",
            **(settings or {}),
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        host = FunctionsHost(function_app.app, azurite.connection_string)
        host.queue_client(queue).create_queue()
        host.queue_client(outbox).create_queue()
        yield Pipeline(host, storage, emulator, source, target, glossaries, queue, outbox, table)
