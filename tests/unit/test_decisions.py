"""What the submitter and the poller decide, on the in-memory world of the crash explorer: no Azurite, no sleeps, no
patched private methods. The Translator is the in-process fake; faults are its own switches."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.errors import TranslatorAuthFailed, TranslatorError, TranslatorUnavailable
from shared.ledger import Ledger
from shared.records import DocumentRecord, DocumentState, OutboxEntry
from tests.support.explorer import CrashPlan, Host, World
from tests.unit.test_crash_explorer import SETTINGS


@pytest.fixture(autouse=True)
def quiet() -> Iterator[None]:
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def world_and_host(**settings) -> tuple[World, Host, Ledger]:
    world = World(dataclasses.replace(SETTINGS, **settings))
    return world, Host(world, CrashPlan()), Ledger(world.store)


def announced(world: World) -> dict[str, str]:
    return {message["data"]["source"]["name"]: message["data"]["status"] for message in world.completion_queue}


def test_credentials_refused_after_recording_fail_nothing_and_the_timer_submits_later():
    world, host, ledger = world_and_host()
    post = world.translator.begin_batch

    def refused(body):
        raise TranslatorAuthFailed("Access denied", status=401, code="Unauthorized")

    world.translator.begin_batch = refused
    world.upload("a.txt", "Hello.")
    host.event("a.txt")

    assert (host.undelivered, world.poison) == ([], [])  # the invocation succeeded: no retries, no poison
    [entry] = ledger.inbox()
    assert entry.claim_id is None
    assert entry.not_before >= world.now() + timedelta(seconds=60)
    world.translator.begin_batch = post
    host.recover()
    assert announced(world) == {"a.txt": "Succeeded"}


def test_a_burst_is_cut_into_batches_of_max_batch_documents():
    world, host, ledger = world_and_host(max_batch_documents=2)
    names = [f"doc-{index}.txt" for index in range(5)]
    for name in names:
        world.upload(name, f"{name}.")
    host.deliver_together(names)
    host.tick()

    assert sorted(len(job.documents) for job in world.translator.jobs.values()) == [2, 4, 4]  # 2 languages each
    assert ledger.inbox() == []


def test_a_new_version_waits_for_the_job_of_the_previous_one():
    world, host, ledger = world_and_host()
    world.upload("contract.txt", "One.")
    host.event("contract.txt")
    host.tick()  # version one's job starts
    world.upload("contract.txt", "Two.")
    host.event("contract.txt")
    assert world.translator.posts == 1  # both would write translated/fr/contract.txt
    host.tick()  # version one ends and is announced; version two goes out in the same tick
    assert world.translator.posts == 2
    host.recover()
    assert [message["data"]["source"]["etag"] for message in world.completion_queue] == [
        document.source_etag for document in sorted(ledger.partition(DocumentRecord), key=lambda d: d.received_at)
    ]


def test_a_throttled_post_waits_its_retry_after_then_goes_out_once():
    world, host, ledger = world_and_host()
    world.translator.throttle_posts = 1
    world.upload("a.txt", "Hello.")
    host.event("a.txt")
    [entry] = ledger.inbox()
    assert entry.not_before >= world.now() + timedelta(seconds=30)  # the fake's Retry-After
    host.tick()
    assert world.translator.posts == 1  # still inside the backoff: not posted again
    world.offset += timedelta(seconds=31)
    host.tick()
    assert world.translator.posts == 2
    assert len(world.translator.jobs) == 1


def test_a_post_whose_answer_was_lost_is_adopted_after_the_grace_never_posted_again():
    world, host, ledger = world_and_host()
    world.translator.uncertain_posts = [True]
    world.upload("a.txt", "Hello.")
    host.event("a.txt")
    [batch] = ledger.batches()
    assert batch.state.value == "Uncertain"
    world.offset += timedelta(seconds=31)
    host.tick()
    assert (world.translator.posts, len(world.translator.jobs), ledger.batches()) == (1, 1, [])
    host.recover()
    assert announced(world) == {"a.txt": "Succeeded"}


def test_polling_an_unchanged_job_writes_nothing():
    world, host, _ = world_and_host()
    world.translator.stall = True
    world.upload("slow.txt", "Slow.")
    host.event("slow.txt")
    host.tick()  # NotStarted -> Running: recorded
    host.plan.names.clear()
    host.tick()  # still Running with the same summary
    assert host.plan.names == [
        "store.query",  # batches to recover
        "store.query",  # expired claims
        "store.query",  # active jobs
        "translator.get_jobs",
        "store.query",  # the inbox: empty, so no lease is taken
        "store.query",  # the outbox
        "store.get",  # the retention cursor: nothing is due
        "queue.send",
    ]


def test_translator_trouble_never_stops_the_outbox_being_requested_again():
    world, host, ledger = world_and_host()
    world.upload("a.txt", "Hello.")
    host.event("a.txt")
    host.recover()
    assert announced(world) == {"a.txt": "Succeeded"}
    ledger.insert(OutboxEntry(key="stuck", message='{"id":"stuck"}', requested_at=world.now()))
    world.completion_queue.clear()

    def down(*args, **kwargs):
        raise TranslatorUnavailable("the Translator is down")

    for name in ("get_jobs", "list_jobs_created_since", "begin_batch"):
        setattr(world.translator, name, down)
    world.offset += timedelta(minutes=5)
    host.tick()
    host.publish()
    assert [message["id"] for message in world.completion_queue] == ["stuck"]
    assert {document.state for document in ledger.partition(DocumentRecord)} == {DocumentState.COMPLETED}


def test_a_refused_input_fails_that_document_only_and_the_others_go_out_at_once():
    world, host, _ = world_and_host()
    post = world.translator.begin_batch
    refused: list[str] = []

    def refuses_the_second(inputs):
        if len(inputs) == 3:
            refused.append(world.blobs.path_of(inputs[1].source_url).name)
            raise TranslatorError("The source is invalid.", status=400, code="InvalidRequest", target="inputs[1]")
        return post(inputs)

    world.translator.begin_batch = refuses_the_second
    names = ["a.txt", "b.txt", "c.txt"]
    for name in names:
        world.upload(name, f"{name}.")
    host.deliver_together(names)
    host.tick()
    host.recover()

    assert announced(world) == {name: "Failed" if name in refused else "Succeeded" for name in names}
    assert [len(job.documents) for job in world.translator.jobs.values()] == [4]  # the other two, in one job


def refusing(world, language: str, posts: list[list[tuple[str, ...]]]):
    """begin_batch that refuses any batch asking for `language`, as the service does (400, the target named)."""
    post = world.translator.begin_batch

    def begin_batch(inputs):
        posts.append([tuple(target.language for target in item.targets) for item in inputs])
        for index, item in enumerate(inputs):
            for target_index, target in enumerate(item.targets):
                if target.language == language:
                    raise TranslatorError(
                        "The target language is not valid.",
                        status=400,
                        code="InvalidRequest",
                        inner_code="InvalidTargetLanguage",
                        target=f"inputs[{index}].targets[{target_index}].language",
                    )
        return post(inputs)

    return begin_batch


def test_a_refused_target_language_fails_that_language_only_and_the_others_are_translated():
    world, host, ledger = world_and_host(target_languages=("fr", "xx", "de"))
    posts: list[list[tuple[str, ...]]] = []
    world.translator.begin_batch = refusing(world, "xx", posts)
    names = [f"doc-{index}.txt" for index in range(5)]
    for name in names:
        world.upload(name, f"{name}.")
    host.deliver_together(names)
    host.recover()

    assert posts == [[("fr", "xx", "de")] * 5, [("fr", "de")] * 5]  # one refusal, then one batch without xx
    assert set(announced(world).values()) == {"PartiallySucceeded"}
    for message in world.completion_queue:
        targets = {target["language"]: target for target in message["data"]["targets"]}
        assert [targets[code]["status"] for code in ("fr", "xx", "de")] == ["Succeeded", "Failed", "Succeeded"]
        assert targets["xx"]["error"]["code"] == "InvalidTargetLanguages"
        assert "'xx'" in targets["xx"]["error"]["message"]
        assert "app setting TARGET_LANGUAGES" in targets["xx"]["error"]["message"]
    assert ledger.inbox() == []


def test_a_document_asking_only_for_refused_languages_fails_naming_them_and_the_batch_goes_on():
    world, host, ledger = world_and_host(target_languages=("fr",))
    posts: list[list[tuple[str, ...]]] = []
    world.translator.begin_batch = refusing(world, "xx", posts)
    world.upload("only-xx.txt", "Text.", metadata={"targetlanguages": "xx"})
    world.upload("fine.txt", "Text.")
    host.deliver_together(["only-xx.txt", "fine.txt"])
    host.recover()

    assert announced(world) == {"only-xx.txt": "Failed", "fine.txt": "Succeeded"}
    (failed,) = [m for m in world.completion_queue if m["data"]["source"]["name"] == "only-xx.txt"]
    assert failed["data"]["error"]["code"] == "InvalidTargetLanguages"
    assert "the blob metadata 'targetlanguages'" in failed["data"]["error"]["message"]
    assert ledger.inbox() == []
