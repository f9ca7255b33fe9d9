"""The crash explorer: run a scenario of blob events, timer runs and publisher runs on the in-memory state store,
blob store and Translator, counting every external call the app makes (store, blob, Translator, queue output). Then
run it again once for every call k: the process dies at call k (before it, or after it with its answer lost), the
host redelivers what did not finish, and recovery ticks run with the clock shifted, until nothing is left to do.
After each run the invariants are checked: every recorded document announced with one message id, exactly one
Translator job per document version, nothing left in the inbox, batches, outbox or active jobs.

Determinism: everything runs on one thread (`storage_threads=1`), the clock is the explorer's, and the ids the app
draws at random (batch ids, lease holders, backoff jitter) come from seeded generators, so call k is the same call in
every run of a scenario.
"""

from __future__ import annotations

import contextlib
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from shared.handlers import Functions
from shared.ledger import Ledger
from shared.memory_blobs import MemoryBlobStore
from shared.memory_store import MemoryStateStore
from shared.messages import BUDGET_REACHED_TYPE
from shared.records import (
    BudgetDay,
    DocumentRecord,
    DocumentState,
    EndedEntry,
    OutboxEntry,
    day_of,
    ended_partition,
)
from shared.services import Services
from shared.settings import Settings
from shared.state_store import Query, StateStore
from shared.storage import BlobPath
from tests.support.fake_translator import FakeTranslator

START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SOURCE, TARGET = "inbox", "translated"
RECOVERY_STEP = timedelta(minutes=10)  # past the claim timeout, the lease and the outbox's confirm grace
RECOVERY_TICKS = 12
HOST_DELIVERIES = 5  # the blob trigger's maxDequeueCount: then the event goes to the poison queue
STORE_CALLS = ("get", "query", "write", "transact", "ensure")
BLOB_CALLS = (
    "properties",
    "read_head",
    "etags",
    "exists",
    "delete",
    "names_starting_with",
    "put_once",
    "sha256",
    "copy",
)
TRANSLATOR_CALLS = (
    "begin_batch",
    "get_job",
    "get_jobs",
    "list_jobs_created_since",
    "list_documents",
    "cancel_job",
    "supported_extensions",
)


class Crash(BaseException):
    """The process dies here (SIGKILL): nothing after it runs, and no `finally` of it reaches the outside."""


@dataclass
class CrashPlan:
    """Which external calls kill the process that makes them: (call number, with its effect applied first)."""

    points: tuple[tuple[int, bool], ...] = ()
    calls: int = 0
    names: list[str] = field(default_factory=list)

    def call(self, process: Process, name: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if process.dead:
            raise Crash(name)
        self.calls += 1
        self.names.append(name)
        for at, after in self.points:
            if at == self.calls:
                process.dead = True
                if after:
                    function(*args, **kwargs)
                raise Crash(name)
        return function(*args, **kwargs)


class Counted:
    """A part whose listed methods go through the crash plan."""

    def __init__(self, target: Any, process: Process, kind: str, methods: tuple[str, ...]) -> None:
        self._target, self._process, self._kind, self._methods = target, process, kind, methods

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name not in self._methods:
            return attribute
        process = self._process

        def counted(*args: Any, **kwargs: Any) -> Any:
            return process.plan.call(process, f"{self._kind}.{name}", attribute, *args, **kwargs)

        return counted


@dataclass
class PlainUrls:
    """URLs as for a Translator with its own managed identity (no SAS to sign: nothing external)."""

    blobs: MemoryBlobStore

    def source_url(self, path: BlobPath) -> str:
        return self.blobs.url(path)

    target_url = glossary_url = source_url


@dataclass
class World:
    """What outlives the app's processes: storage, the Translator, the queues, the clock."""

    settings: Settings
    store: StateStore = field(default_factory=MemoryStateStore)
    blobs: MemoryBlobStore = field(default_factory=MemoryBlobStore)
    offset: timedelta = timedelta(0)
    outbox_queue: list[str] = field(default_factory=list)
    completion_queue: list[dict[str, Any]] = field(default_factory=list)
    poison: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # every blob event the host was given
    translator: FakeTranslator = field(init=False)

    def __post_init__(self) -> None:
        self.translator = FakeTranslator(self.blobs, self.now)
        self.blobs.containers.update({SOURCE, TARGET})

    def now(self) -> datetime:
        return START + self.offset

    def upload(self, name: str, text: str, *, metadata: dict[str, str] | None = None) -> None:
        self.blobs.upload(BlobPath(SOURCE, name), text.encode(), metadata=metadata)


@dataclass
class Process:
    """One instance of the Function app: its own parts (caches, locks) on the shared world; dead after a crash."""

    world: World
    plan: CrashPlan
    dead: bool = False
    functions: Functions = field(init=False)

    def __post_init__(self) -> None:
        world = self.world
        services = Services(
            settings=world.settings,
            blobs=Counted(world.blobs, self, "blob", BLOB_CALLS),
            ledger=Ledger(Counted(world.store, self, "store", STORE_CALLS)),
            translator=Counted(world.translator, self, "translator", TRANSLATOR_CALLS),
            urls=PlainUrls(world.blobs),
            storage_threads=1,
        )
        self.functions = Functions(services, clock=world.now)

    def write_outputs(self, queue: list, items: list) -> None:
        """The host writes a function's output binding after it returns (one more external call)."""
        self.plan.call(self, "queue.send", queue.extend, items)


class Host:
    """Delivers events and runs as the Functions host does: a failed blob event is delivered again (up to 5 times,
    then poison), a publish request stays on its queue until a run succeeds, a timer run is never retried."""

    def __init__(self, world: World, plan: CrashPlan) -> None:
        self.world, self.plan = world, plan
        self.processes: dict[str, Process] = {}
        self.undelivered: list[tuple[str, int]] = []

    def process(self, name: str) -> Process:
        current = self.processes.get(name)
        if current is None or current.dead:  # the host starts another instance in place of a dead one
            current = self.processes[name] = Process(self.world, self.plan)
        return current

    def event(self, name: str, *, on: str = "a", deliveries: int = 0) -> None:
        if not deliveries:
            self.world.events.append(name)
        process = self.process(on)
        try:
            requests = process.functions.upload(BlobPath(SOURCE, name))
            process.write_outputs(self.world.outbox_queue, requests)
        except (Crash, Exception):
            if deliveries + 1 >= HOST_DELIVERIES:
                self.world.poison.append(name)
            else:
                self.undelivered.append((name, deliveries + 1))

    def deliver_together(self, names: list[str], *, on: str = "a") -> None:
        """Events that arrive while another instance holds the submitter lease: recorded, then one batch."""
        ledger = Ledger(self.world.store)
        assert ledger.acquire_lease("elsewhere", now=self.world.now(), duration=timedelta(minutes=2))
        for name in names:
            self.event(name, on=on)
        ledger.release_lease("elsewhere")

    def tick(self, *, on: str = "t") -> None:
        process = self.process(on)
        with contextlib.suppress(Crash, Exception):  # a failed timer run is not retried: the next one goes on
            process.write_outputs(self.world.outbox_queue, process.functions.poll_tick())

    def publish(self, *, on: str = "p") -> None:
        """Run the publisher for each request on the outbox queue; a failed one stays for a later delivery."""
        waiting, self.world.outbox_queue = self.world.outbox_queue, []
        for request in waiting:
            process = self.process(on)
            try:
                messages = process.functions.publish(request)
                process.write_outputs(self.world.completion_queue, [json.loads(text) for text in messages])
            except (Crash, Exception):
                self.world.outbox_queue.append(request)

    def redeliver(self) -> None:
        pending, self.undelivered = self.undelivered, []
        for name, deliveries in pending:
            self.event(name, on="r", deliveries=deliveries)

    def recover(self) -> int:
        """Redeliver, then tick and publish with the clock moved on until nothing is left to do; returns the ticks.
        Half-way, the clock jumps past MAX_JOB_HOURS, so a job that never ends is cancelled and announced."""
        for ticks in range(1, RECOVERY_TICKS + 1):
            self.redeliver()
            self.publish()
            self.world.offset += RECOVERY_STEP
            if ticks == RECOVERY_TICKS // 2:
                self.world.offset += timedelta(hours=self.world.settings.max_job_hours)
            self.tick(on="recovery")
            self.publish()
            if not self.undelivered and not self.world.outbox_queue and _settled(self.world):
                return ticks
        return RECOVERY_TICKS


def _settled(world: World) -> bool:
    ledger = Ledger(world.store)
    return not (ledger.inbox() or ledger.batches() or ledger.active_jobs() or ledger.partition(OutboxEntry))


Scenario = Callable[[World, Host], None]


@dataclass
class RunResult:
    crash_points: tuple[tuple[int, bool], ...]
    calls: int
    call_names: list[str]
    problems: list[str]
    posts: int


def run(
    scenario: Scenario,
    *,
    points: tuple[tuple[int, bool], ...] = (),
    settings: Settings,
    store: Callable[[], StateStore] = MemoryStateStore,
) -> RunResult:
    world = World(settings, store())  # outside the seeded ids: a store named by a uuid gets a fresh name
    with _deterministic():
        plan = CrashPlan(points)
        host = Host(world, plan)
        scenario(world, host)
        host.recover()
        return RunResult(points, plan.calls, plan.names, check(world), world.translator.posts)


def explore(
    scenario: Scenario, *, settings: Settings, store: Callable[[], StateStore] = MemoryStateStore, every: int = 1
) -> Iterator[RunResult]:
    """The crash-free run, then one run per crash point (every `every`-th call), before the call and after it."""
    clean = run(scenario, settings=settings, store=store)
    yield clean
    for at in range(1, clean.calls + 1, every):
        for after in (False, True):
            yield run(scenario, points=((at, after),), settings=settings, store=store)


def check(world: World) -> list[str]:
    """The promises, as problems found (empty: kept)."""
    problems: list[str] = []
    ledger = Ledger(world.store)
    documents = [DocumentRecord.from_entity(row.entity, row.etag) for row in world.store.query(Query("document"))]
    ids: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    budget_days: defaultdict[str, set[str]] = defaultdict(set)
    for message in world.completion_queue:
        if message["type"] == BUDGET_REACHED_TYPE:
            budget_days[message["data"]["day"]].add(message["id"])
            continue
        source = message["data"]["source"] if "data" in message else None
        if source is not None:
            ids[(source["name"], source["etag"])].add(message["id"])
    problems += [f"budget reached on {day}: {len(ids)} message ids" for day, ids in budget_days.items() if len(ids) > 1]
    reached_days = {row.entity["RowKey"] for row in world.store.query(Query(BudgetDay.PARTITION))}
    problems += [f"budget reached on {day}: never announced" for day in sorted(reached_days - set(budget_days))]
    for document in documents:
        version = (document.name, document.source_etag)
        if document.state not in (DocumentState.COMPLETED, DocumentState.REJECTED):
            problems.append(f"{document.name}: still {document.state}")
        if not ids.get(version):
            problems.append(f"{document.name} ({document.source_etag}): never announced")
        elif document.message_id is not None and document.message_id not in ids[version]:
            problems.append(f"{document.name}: recorded message id is not the one announced")
    for version, found in ids.items():
        if len(found) > 1:
            problems.append(f"{version[0]}: {len(found)} message ids for one version")
    announced_names = {message["subject"].split("/", 1)[1] for message in world.completion_queue if "data" in message}
    recorded_names = {document.name for document in documents} | announced_names  # pruned ones were announced
    problems += [f"{name}: event never recorded" for name in set(world.events) - recorded_names - set(world.poison)]
    problems += [f"{name}: blob event in the poison queue" for name in world.poison]
    for version, jobs in world.translator.jobs_per_version().items():
        if len(jobs) > 1:
            problems.append(f"{version[0]} ({version[1]}): in {len(jobs)} Translator jobs")
    if leftovers := [
        f"{len(items)} {kind}"
        for kind, items in (
            ("inbox entries", ledger.inbox()),
            ("batches", ledger.batches()),
            ("active jobs", ledger.active_jobs()),
            ("outbox entries", ledger.partition(OutboxEntry)),
        )
        if items
    ]:
        problems.append("left behind: " + ", ".join(leftovers))
    if world.outbox_queue:
        problems.append(f"{len(world.outbox_queue)} publish requests never published")
    problems += _overdue_for_pruning(world)
    return problems


def _overdue_for_pruning(world: World) -> list[str]:
    """Retention: after recovery, no index entry is left from a day more than a day past RETENTION_DAYS."""
    ledger, late = Ledger(world.store), world.now() - timedelta(days=world.settings.retention_days + 1)
    days = (START + timedelta(days=offset) for offset in range((late - START).days + 1))
    overdue = [day_of(day) for day in days if day < late and ledger.partition(EndedEntry, ended_partition(day_of(day)))]
    return [f"retention: entries of {', '.join(overdue)} never pruned"] if overdue else []


@contextlib.contextmanager
def _deterministic() -> Iterator[None]:
    """Seeded stand-ins for the app's random ids and jitter (only their order matters to the explorer)."""
    ids = random.Random(7)
    jitter = random.Random(11)
    with (
        mock.patch("shared.submitter.uuid.uuid4", side_effect=lambda: uuid.UUID(int=ids.getrandbits(128), version=4)),
        mock.patch("shared.batches.random.uniform", jitter.uniform),
    ):
        yield
