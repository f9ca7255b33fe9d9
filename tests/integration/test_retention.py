"""Retention on Azurite and the emulator, the timer's clock shifted a month on: announced versions, their job and
batch members go and say "expired"; a version whose newer one is in a job, or whose message is unconfirmed, stays."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import requests

from shared.handlers import document_status, job_status
from shared.records import (
    BatchMember,
    DocumentRecord,
    EndedEntry,
    JobRecord,
    OutboxEntry,
    day_of,
    ended_partition,
    member_partition,
    name_key,
    utc_now,
)
from shared.retention import Retention


def later(days: int):
    return lambda: utc_now() + timedelta(days=days)


def test_a_month_on_announced_versions_go_and_say_expired_what_is_needed_stays(make_pipeline):
    with make_pipeline(settings={"RETENTION_DAYS": "30"}) as pipeline:
        ledger = pipeline.services.ledger
        pipeline.drop("done/old.txt", "Translated a month ago.")
        pipeline.drop("done/unconfirmed.txt", "Its message never reached the publisher.")
        pipeline.drop("done/replaced.txt", "Version one.")
        messages = pipeline.run_until_announced(3)
        job_id = messages[0]["data"]["jobId"]
        until_finished(pipeline)
        unconfirmed = ledger.latest_version(name_key(pipeline.source, "done/unconfirmed.txt"))
        [sent] = [m for m in messages if m["id"] == unconfirmed.message_id]
        ledger.insert(  # as if its publish request were still on its way when the pruner runs
            OutboxEntry(key=sent["id"], message=json.dumps(sent), requested_at=later(31)())
        )
        pipeline.upload("done/replaced.txt", "Version two, recorded now and in a job when the pruner runs.")
        pipeline.deliver_as_one_batch(["done/replaced.txt"])

        pipeline.tick_at(later(31))  # submits version two, then prunes

        status, old = document_status("done/old.txt")
        assert (status, old["state"], old["name"]) == (200, "Expired", "done/old.txt")
        assert document_status("done/unconfirmed.txt")[1]["state"] == "Completed"
        assert document_status("done/replaced.txt")[1]["state"] == "Submitted"  # version two
        names = [document.name for document in ledger.partition(DocumentRecord)]
        assert sorted(names) == ["done/replaced.txt", "done/replaced.txt", "done/unconfirmed.txt"]  # both versions
        job = ledger.job(job_id)
        assert job_status(job_id)[1]["state"] == "Expired"
        assert ledger.partition(BatchMember, member_partition(job.batch_id)) == []
        assert {entry.kind.value for entry in ledger.partition(EndedEntry, ended_partition(day_of(later(31)())))} >= {
            "expired-name",
            "expired-job",
            "document",
        }

        pipeline.run_until_announced(4, clock=later(31))
        pipeline.tick_at(later(62))  # another month: the tombstones go, the rest is now due too
        pipeline.tick_at(later(62))
        assert document_status("done/old.txt")[0] == 404
        assert job_status(job_id)[0] == 404
        assert ledger.partition(JobRecord, JobRecord.FINISHED_PARTITION)[0].expired_at is not None


def until_finished(pipeline) -> None:
    for _ in range(100):
        if not pipeline.services.ledger.active_jobs():
            return
        pipeline.tick()
    raise AssertionError("jobs still active")


def test_an_idle_tick_pays_retention_one_table_read(pipeline, monkeypatch):
    pipeline.drop("idle.txt", "Announced today: nothing is due for 30 days.")
    pipeline.run_until_announced(1)
    until_finished(pipeline)
    counts: Counter[str] = Counter()
    send = requests.Session.send

    def counting(session, request, **kwargs):
        response = send(session, request, **kwargs)
        if f"/{pipeline.table}" in request.url:
            counts[request.method] += 1
        return response

    monkeypatch.setattr(requests.Session, "send", counting)
    Retention(pipeline.services, pipeline.clock).prune(deadline=float("inf"))
    assert counts == {"GET": 1}  # the cursor
