"""Retention (RETENTION_DAYS) in the explorer's world, with its clock shifted a month on: what ended is pruned and
says "expired"; what a live version, the inbox or the outbox needs is kept; an idle timer run costs one read."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from shared.ledger import Ledger
from shared.records import (
    BatchMember,
    DocumentRecord,
    DocumentState,
    EndedEntry,
    JobRecord,
    OutboxEntry,
    day_of,
    ended_partition,
    member_partition,
)
from shared.retention import Retention
from shared.state_store import Query
from shared.status import document_view, job_view
from tests.support.explorer import START, CrashPlan, Host, World
from tests.unit.test_crash_explorer import SCENARIOS, SETTINGS


def documents(world: World) -> dict[str, list[DocumentRecord]]:
    found: dict[str, list[DocumentRecord]] = {}
    for row in world.store.query(Query("document")):
        record = DocumentRecord.from_entity(row.entity, row.etag)
        found.setdefault(record.name, []).append(record)
    return found


def services_of(host: Host):
    return host.process("t").functions.services


def test_a_month_on_what_ended_is_pruned_and_says_expired_and_a_new_version_is_kept():
    world = World(SETTINGS)
    host = Host(world, CrashPlan())
    SCENARIOS["a month later, pruned"](world, host)
    ledger, services = Ledger(world.store), services_of(host)

    left = documents(world)
    assert sorted(left) == ["old/a.txt"]  # b and the rejected setup.exe are gone
    first, second = sorted(left["old/a.txt"], key=lambda document: document.received_at)
    assert first.completed_at < START + timedelta(days=1)  # kept: its newer version was in a job when pruning ran
    assert second.state is DocumentState.COMPLETED
    assert ledger.partition(EndedEntry, ended_partition(day_of(world.now()))) != []  # first is looked at again then
    for name in ("old/b.txt", "setup.exe"):
        view = document_view(services, name)
        assert (view["state"], view["name"]) == ("Expired", name)
        assert view["expiredAt"].startswith(day_of(START + timedelta(days=31)))
    assert document_view(services, "old/a.txt")["state"] == "Completed"
    finished = ledger.partition(JobRecord, JobRecord.FINISHED_PARTITION)
    old_job, new_job = sorted(finished, key=lambda job: job.created_at)
    assert job_view(services, old_job.key)["state"] == "Expired"
    assert ledger.partition(BatchMember, member_partition(old_job.batch_id)) == []
    assert job_view(services, new_job.key)["state"] == "Announced"
    assert len(ledger.members(new_job.batch_id)) == 1
    assert ledger.partition(EndedEntry, ended_partition(day_of(START))) == []

    world.offset += timedelta(days=31)  # another month: the tombstones go, and both versions of a
    host.tick()
    assert document_view(services, "old/b.txt") is None
    assert job_view(services, old_job.key) is None
    assert document_view(services, "old/a.txt")["state"] == "Expired"
    assert documents(world) == {}


def test_a_version_still_needed_is_kept_and_looked_at_again_later():
    world = World(SETTINGS)
    host = Host(world, CrashPlan())
    world.upload("kept/outbox.txt", "Its message is never confirmed.")
    world.upload("kept/replaced.txt", "Version one.")
    host.deliver_together(["kept/outbox.txt", "kept/replaced.txt"])
    host.tick()
    host.tick()  # announced; the publisher never runs, so both messages stay in the outbox
    ledger = Ledger(world.store)
    outbox = {entry.key for entry in ledger.partition(OutboxEntry)}
    replaced = next(doc for doc in documents(world)["kept/replaced.txt"])
    ledger.delete_keys([(OutboxEntry.PARTITION, replaced.message_id)])  # this one was confirmed
    world.offset += timedelta(days=31)
    world.upload("kept/replaced.txt", "Version two, on its way.")
    world.translator.stall = True
    host.event("kept/replaced.txt")  # its job never ends: version one may still be walked back to
    host.tick()

    left = documents(world)
    assert len(left["kept/outbox.txt"]) == 1  # its message is still in the outbox
    assert len(left["kept/replaced.txt"]) == 2  # a newer version is still in a job
    assert outbox - {replaced.message_id} <= {entry.key for entry in ledger.partition(OutboxEntry)}
    later = ledger.partition(EndedEntry, ended_partition(day_of(world.now())))
    assert {entry.target for entry in later} >= {doc.key for docs in left.values() for doc in docs if doc.completed_at}


def test_an_idle_timer_run_costs_retention_one_read():
    world = World(SETTINGS)
    host = Host(world, CrashPlan())
    world.upload("idle.txt", "Done long ago.")
    host.event("idle.txt")
    host.tick()
    host.tick()
    host.publish()
    counted: Counter[str] = Counter()
    store = world.store

    class Counting:
        def __getattr__(self, name):
            counted[name] += 1
            return getattr(store, name)

    retention = Retention(replace(services_of(host), ledger=Ledger(Counting())), world.now)
    retention.prune(time.monotonic() + 5)
    assert counted == Counter({"get": 1})  # the cursor: today's ended entries are not due
