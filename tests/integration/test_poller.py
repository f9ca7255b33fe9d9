"""The poller on real Azurite and the emulator: recovering interrupted submissions, timeouts, lost jobs, poll cost."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

import shared.batches
import shared.submitter
from shared.errors import SubmissionUncertain
from shared.outbox import CONFIRM_GRACE
from shared.poller import Poller
from shared.records import BatchRecord, BatchState, JobRecord, JobState, NamePointer, OutboxEntry, name_key, utc_now
from tests.support.emulator import serve_emulator
from tests.support.translator_api import TranslatorApi, file_input


class Killed(BaseException):
    """Stands in for the process being killed at this line (SIGKILL cannot be caught in-process)."""


def later(minutes: float):
    return lambda: utc_now() + timedelta(minutes=minutes)


def test_a_post_whose_answer_was_lost_is_found_among_recent_jobs_not_resubmitted(pipeline, monkeypatch):
    translator = pipeline.services.translator
    post = translator.begin_batch

    def answer_lost(body):
        post(body)  # the service creates the job ...
        raise SubmissionUncertain("the response never arrived (read timeout)")  # ... but we never hear of it

    monkeypatch.setattr(translator, "begin_batch", answer_lost)
    pipeline.drop("uncertain.txt", "Was it sent?")
    [batch] = pipeline.services.ledger.batches()
    assert batch.state is BatchState.UNCERTAIN
    monkeypatch.setattr(translator, "begin_batch", post)

    pipeline.tick_at(later(1))  # the uncertain batch's grace has passed: its job is found and adopted
    [message] = pipeline.run_until_announced(1, clock=later(1))  # the job was recorded on the shifted clock

    assert message["data"]["status"] == "Succeeded"
    assert pipeline.calls("start_translation") == 1
    assert pipeline.services.ledger.batches() == []


def test_a_post_that_never_reached_the_service_is_submitted_again(pipeline, monkeypatch):
    translator = pipeline.services.translator
    post = translator.begin_batch

    def never_sent(body):
        raise SubmissionUncertain("connection reset while sending")

    monkeypatch.setattr(translator, "begin_batch", never_sent)
    pipeline.drop("resend.txt", "Send me again.")
    monkeypatch.setattr(translator, "begin_batch", post)

    pipeline.tick_at(later(1))  # the claim has expired: no job is found, so the document is submitted again
    [message] = pipeline.run_until_announced(1, clock=later(1))  # the new job was recorded on the shifted clock

    assert message["data"]["status"] == "Succeeded"
    assert pipeline.calls("start_translation") == 1


def test_a_submitter_killed_after_the_post_leaves_a_job_the_poller_adopts(pipeline, monkeypatch):
    def killed(*args, **kwargs):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(shared.batches.Batches, "record", killed)
        with pytest.raises(Killed):
            pipeline.drop("killed.txt", "Crash right after the POST.")
    assert [batch.state for batch in pipeline.services.ledger.batches()] == [BatchState.POSTING]

    pipeline.tick()  # the claim has not expired yet: the poller leaves the batch alone
    assert pipeline.collect() == []
    pipeline.tick_at(later(10))  # the claim has expired: the job the POST created is found and adopted
    [message] = pipeline.run_until_announced(1, clock=later(10))  # the job was recorded on the shifted clock

    assert message["data"]["status"] == "Succeeded"
    assert pipeline.calls("start_translation") == 1


def test_a_submitter_killed_after_recording_the_job_leaves_bookkeeping_the_next_tick_finishes_without_a_resubmit(
    pipeline, monkeypatch
):
    """The job record goes in after the batch says Submitted and the documents say which job they are in: a crash
    right after it leaves a batch the next tick finishes at once (no claim timeout to wait for), never re-posted."""
    ledger = pipeline.services.ledger
    insert = ledger.insert

    def killed_after_the_job_record(record):
        inserted = insert(record)
        if isinstance(record, JobRecord):
            raise Killed
        return inserted

    with monkeypatch.context() as patch:
        patch.setattr(ledger, "insert", killed_after_the_job_record)
        with pytest.raises(Killed):
            pipeline.drop("half-recorded.txt", "Crash right after the job record.")
    assert [batch.state for batch in ledger.batches()] == [BatchState.SUBMITTED]
    assert len(ledger.active_jobs()) == 1
    assert len(ledger.inbox()) == 1

    messages = pipeline.run_until_announced(1)  # on the real clock: nothing has to expire first
    pipeline.tick()

    assert [message["data"]["status"] for message in pipeline.collect()] == ["Succeeded"]
    assert len(messages) == 1
    assert pipeline.calls("start_translation") == 1
    assert (ledger.batches(), ledger.inbox()) == ([], [])


def test_a_submitter_killed_after_claiming_releases_the_documents_on_expiry(pipeline, monkeypatch):
    def killed(self, batch_id, entries):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(shared.submitter.Submitter, "_submit", killed)
        with pytest.raises(Killed):
            pipeline.drop("claimed.txt", "Crash right after the claim.")

    pipeline.tick_at(later(10))  # the claim has expired: the document is back in the inbox and submitted again
    [message] = pipeline.run_until_announced(1, clock=later(10))  # the new job was recorded on the shifted clock

    assert message["data"]["status"] == "Succeeded"
    assert pipeline.calls("start_translation") == 1


def test_a_batch_recorded_without_its_members_frees_its_documents_in_one_recovery_tick(pipeline, monkeypatch):
    """Found by `make stress` (seed 113): the trigger was killed after recording the Claimed batch and before its
    member rows. Recovery must free the batch's documents by their claim, so the same tick submits them again."""
    names = [f"memberless-{index}.txt" for index in range(3)]
    for name in names:
        pipeline.upload(name, f"{name} was claimed by a batch that has no members.")

    def killed(self, batch_id, entries):
        self.services.ledger.insert(
            BatchRecord(
                key=batch_id,
                state=BatchState.CLAIMED,
                created_at=self.clock(),
                claim_expires=self.clock() + timedelta(minutes=5),
                document_count=len(entries),
            )
        )
        raise Killed  # before insert_all(members)

    pipeline.deliver_as_one_batch(names)
    with monkeypatch.context() as patch:
        patch.setattr(shared.submitter.Submitter, "_submit", killed)
        with pytest.raises(Killed):
            pipeline.tick()
    ledger = pipeline.services.ledger
    [batch] = ledger.batches()
    assert {entry.claim_id for entry in ledger.inbox()} == {batch.key}
    assert ledger.members(batch.key) == []

    pipeline.tick_at(later(10))  # one tick: the batch is released and its documents are submitted at once

    assert ledger.batches() == []
    assert ledger.inbox() == []
    assert len(ledger.active_jobs()) == 1
    messages = pipeline.run_until_announced(3)
    assert {message["data"]["source"]["name"] for message in messages} == set(names)
    assert pipeline.calls("start_translation") == 1


def test_a_job_running_past_max_job_hours_is_cancelled_and_announced_failed(make_pipeline):
    with make_pipeline(emulator_settings={"chars_per_second": 1.0, "workers": 1}) as pipeline:
        pipeline.drop("slow.txt", "This takes a long time to translate, one character per second.")
        pipeline.tick()
        assert pipeline.collect() == []

        messages = Poller(pipeline.services, clock=lambda: utc_now() + timedelta(hours=25)).tick()

        [message] = [json.loads(text) for text in messages]
        assert message["data"]["status"] == "Failed"
        assert message["data"]["error"]["code"] == "JobTimedOut"
        assert {target["error"]["code"] for target in message["data"]["targets"]} == {"JobTimedOut"}
        assert pipeline.calls("cancel_translation") == 1


def test_a_job_the_service_no_longer_knows_is_announced_failed(pipeline, monkeypatch):
    pipeline.drop("forgotten.txt", "The service will forget this job.")
    with serve_emulator() as amnesiac:  # a Translator without the job's record
        monkeypatch.setenv("TRANSLATOR_ENDPOINT", amnesiac.endpoint)
        monkeypatch.setenv("TRANSLATOR_KEY", amnesiac.key)
        [message] = pipeline.run_until_announced(1)

    assert message["data"]["status"] == "Failed"
    assert message["data"]["error"]["code"] == "JobNotFound"


def test_polling_150_jobs_in_flight_takes_two_calls_per_tick_and_writes_only_changed_jobs(make_pipeline):
    with make_pipeline(emulator_settings={"chars_per_second": 0.5, "workers": 1}) as pipeline:
        api = TranslatorApi(pipeline.emulator)
        ledger = pipeline.services.ledger
        pipeline.storage.upload(pipeline.source, "slow.txt", "Slow to translate.")
        source = pipeline.storage.blob_sas_url(pipeline.source, "slow.txt", "r")
        now = utc_now()
        for index in range(150):
            target = pipeline.storage.blob_sas_url(pipeline.target, f"fr/{index}.txt", "rw")
            job_id = api.start({"inputs": [file_input(source, [(target, "fr")])]})
            ledger.insert(
                JobRecord(
                    key=job_id,
                    batch_id=f"b{index}",
                    state=JobState.ACTIVE,
                    status="NotStarted",
                    created_at=now,
                    next_poll_at=now,
                    document_count=1,
                )
            )
        before = pipeline.calls("list_translations")

        messages = Poller(pipeline.services).tick()
        first = {job.key: job for job in ledger.active_jobs()}
        Poller(pipeline.services).tick()
        second = {job.key: job for job in ledger.active_jobs()}

        assert messages == []
        assert pipeline.calls("list_translations") - before == 4  # ids in chunks of 100, two ticks
        assert pipeline.calls("get_translation") == 0
        unchanged = [
            key for key in first if (first[key].status, first[key].summary) == (second[key].status, second[key].summary)
        ]
        assert len(unchanged) > 100  # one worker at 0.5 characters/s: nearly every job is still waiting
        assert all(first[key].etag == second[key].etag for key in unchanged)  # no Table write for an unchanged job


def test_a_throttled_submission_waits_for_its_backoff_then_is_resubmitted(make_pipeline, monkeypatch):
    throttling = {"throttle_rate": 1.0, "retry_after": 0.05}
    with make_pipeline(emulator_settings=throttling) as pipeline:
        pipeline.drop("patient.txt", "I can wait.")
        [entry] = pipeline.services.ledger.inbox()
        assert entry.attempts == 1
        assert entry.claim_id is None
        assert entry.not_before > utc_now()

        with serve_emulator() as relaxed:  # the Translator stops throttling
            monkeypatch.setenv("TRANSLATOR_ENDPOINT", relaxed.endpoint)
            monkeypatch.setenv("TRANSLATOR_KEY", relaxed.key)
            pipeline.tick()
            assert len(pipeline.services.ledger.inbox()) == 1  # still inside its backoff
            pipeline.tick_at(later(30))
            assert pipeline.services.ledger.inbox() == []
            [message] = pipeline.run_until_announced(1, clock=later(30))  # the job was recorded on the shifted clock

    assert message["data"]["status"] == "Succeeded"


def test_two_pollers_racing_on_a_finished_job_announce_it_once(pipeline):
    pipeline.drop("race.txt", "Two timers, one announcement.")
    api = TranslatorApi(pipeline.emulator)
    [job] = pipeline.services.ledger.active_jobs()
    api.wait(job.key)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: Poller(pipeline.services).tick(), range(2)))

    assert sorted(len(announcements) for announcements in results) == [0, 1]


def test_messages_the_host_never_wrote_are_requested_again_by_a_later_tick_and_published_once(pipeline):
    """The output-binding window, closed (docs/reliability.md): the timer's publish requests are lost with the host,
    the outbox keeps the message pending, and a tick after the grace requests it again."""
    pipeline.drop("window.txt", "Written after the function returned.")
    [job] = pipeline.services.ledger.active_jobs()
    TranslatorApi(pipeline.emulator).wait(job.key)

    lost = Poller(pipeline.services).tick()  # the host dies before writing these requests to the outbox queue
    pipeline.tick()  # within the grace: nothing is requested twice
    assert pipeline.collect() == []
    pipeline.tick_at(later(CONFIRM_GRACE.total_seconds() / 60 + 1))
    [message] = pipeline.collect()
    pipeline.tick_at(later(2 * CONFIRM_GRACE.total_seconds() / 60 + 2))  # confirmed: never requested again

    assert [json.loads(text)["id"] for text in lost] == [message["id"]]
    assert pipeline.collect() == [message]
    assert pipeline.services.ledger.partition(OutboxEntry) == []


def test_a_publish_the_host_failed_to_write_is_retried_with_the_same_messages(pipeline, monkeypatch):
    """The publisher confirms before the host writes; a failed write means the host retries the request."""
    pipeline.drop("retry.txt", "The completion queue fails once.")
    [job] = pipeline.services.ledger.active_jobs()
    TranslatorApi(pipeline.emulator).wait(job.key)
    pipeline.tick()
    host, calls = pipeline.host, []
    invoke = host.invoke

    def failing_write(name, **trigger):  # the function ran and returned; the host's queue write failed
        result = invoke(name, **trigger)
        calls.append(name)
        if len(calls) == 1:
            raise ConnectionError("completion queue unavailable")
        return result

    monkeypatch.setattr(host, "invoke", failing_write)
    with pytest.raises(ConnectionError):
        pipeline.publish()
    monkeypatch.setattr(host, "invoke", invoke)
    time.sleep(1.5)  # the failed request becomes visible again (the test host hides messages for 1 s)
    received = pipeline.collect()

    assert len({message["id"] for message in received}) == 1
    assert pipeline.services.ledger.partition(OutboxEntry) == []


def test_a_document_that_finishes_early_is_announced_while_its_job_still_runs_and_only_once(make_pipeline):
    with make_pipeline(emulator_settings={"chars_per_second": 40.0, "workers": 2}) as pipeline:
        pipeline.upload("short.txt", "Quick.")  # well under a second per language
        pipeline.upload("long.txt", "A long document to translate. " * 20)  # 15 s per language
        pipeline.deliver_as_one_batch(["short.txt", "long.txt"])

        [early] = pipeline.run_until_announced(1, timeout=30)

        assert early["data"]["source"]["name"] == "short.txt"
        assert early["data"]["status"] == "Succeeded"
        assert [target["status"] for target in early["data"]["targets"]] == ["Succeeded", "Succeeded"]
        [job] = pipeline.services.ledger.active_jobs()
        assert job.key == early["data"]["jobId"]
        assert job.status in ("NotStarted", "Running")  # the job has not ended: the document did not wait for it
        assert pipeline.services.ledger.document(_key_of(pipeline, "short.txt")).state.value == "Completed"

        messages = pipeline.run_until_announced(2, timeout=120)
        pipeline.tick()

        assert sorted(message["data"]["source"]["name"] for message in pipeline.collect()) == ["long.txt", "short.txt"]
        assert {message["data"]["jobId"] for message in messages} == {job.key}
        assert pipeline.services.ledger.active_jobs() == []
        assert pipeline.services.ledger.partition(OutboxEntry) == []


def _key_of(pipeline, name: str) -> str:
    pointer = pipeline.services.ledger.get(NamePointer, name_key(pipeline.source, name))
    return pointer.document_key
