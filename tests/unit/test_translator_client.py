"""The Translator client's error mapping and retry rules, over a stub HTTP session (the real service cannot run
here; integration tests cover the same client against the emulator over real HTTP)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import requests

from shared.batches import backoff_seconds
from shared.errors import (
    SubmissionUncertain,
    TranslatorAuthFailed,
    TranslatorError,
    TranslatorThrottled,
    TranslatorUnavailable,
)
from shared.translator import MAX_RETRY_AFTER_SECONDS, RetryPolicy, TranslatorClient, time_budget


def response(status: int, body: dict | None = None, headers: dict | None = None) -> requests.Response:
    result = requests.Response()
    result.status_code = status
    result._content = json.dumps(body or {}).encode()
    result.headers.update(headers or {})
    return result


def error_body(code: str, inner: str | None = None, target: str | None = None) -> dict:
    wire = {"code": code, "message": f"{code} happened"}
    if inner:
        wire["innerError"] = {"code": inner, "message": f"{inner} happened", "target": target}
    return {"error": wire}


@dataclass
class StubSession:
    answers: list
    calls: list = field(default_factory=list)

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(*answers, attempts: int = 4) -> tuple[TranslatorClient, StubSession, list[float]]:
    session, sleeps = StubSession(list(answers)), []
    translator = TranslatorClient(
        endpoint="https://contoso.cognitiveservices.azure.com",
        api_version="2024-05-01",
        key="k",
        region="westeurope",
        retry=RetryPolicy(attempts=attempts, budget_seconds=60),
        sleep=sleeps.append,
        session=session,
    )
    return translator, session, sleeps


ACCEPTED = response(202, headers={"Operation-Location": "https://x/translator/document/batches/abc-123?api-version=1"})


def test_post_returns_the_job_id_and_sends_key_region_and_api_version():
    translator, session, _ = client(ACCEPTED)
    assert translator.begin_batch([]) == "abc-123"
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("POST", "https://contoso.cognitiveservices.azure.com/translator/document/batches")
    assert kwargs["params"]["api-version"] == "2024-05-01"
    assert kwargs["headers"]["Ocp-Apim-Subscription-Key"] == "k"
    assert kwargs["headers"]["Ocp-Apim-Subscription-Region"] == "westeurope"


def test_429_is_retried_honouring_retry_after():
    throttled = response(429, error_body("RequestRateTooHigh", "RateTooHigh"), {"Retry-After": "3"})
    translator, _, sleeps = client(throttled, ACCEPTED)
    assert translator.begin_batch([]) == "abc-123"
    assert sleeps == [3.0]


def test_429_without_retry_after_backs_off_exponentially_and_finally_raises_with_codes():
    throttled = response(429, error_body("RequestRateTooHigh", "RateTooHigh"))
    translator, _, sleeps = client(throttled, throttled, throttled, attempts=3)
    with pytest.raises(TranslatorThrottled) as caught:
        translator.get_job("abc")
    assert len(sleeps) == 2
    assert all(0 <= delay <= 2.0 for delay in sleeps)
    assert (caught.value.code, caught.value.inner_code, caught.value.reason) == (
        "RequestRateTooHigh",
        "RateTooHigh",
        "RateTooHigh",
    )


def test_a_500_on_post_is_uncertain_and_not_retried():
    translator, session, _ = client(response(500, error_body("InternalServerError")), ACCEPTED)
    with pytest.raises(SubmissionUncertain):
        translator.begin_batch([])
    assert len(session.calls) == 1


def test_a_read_timeout_on_post_is_uncertain_but_a_refused_connection_is_retried():
    translator, _, _ = client(requests.ReadTimeout("read timed out"))
    with pytest.raises(SubmissionUncertain):
        translator.begin_batch([])
    translator, _, _ = client(requests.ConnectTimeout("connect timed out"), ACCEPTED)
    assert translator.begin_batch([]) == "abc-123"


def test_a_500_on_get_is_retried():
    translator, session, _ = client(
        response(500, error_body("InternalServerError")), response(200, {"id": "a", "status": "Running"})
    )
    assert translator.get_job("a").status == "Running"
    assert len(session.calls) == 2


def test_503_is_unavailable_and_401_is_an_auth_failure():
    translator, _, _ = client(*[response(503, error_body("ServiceUnavailable"))] * 4)
    with pytest.raises(TranslatorUnavailable):
        translator.get_job("a")
    translator, session, _ = client(response(401, error_body("Unauthorized", "InvalidSubscriptionKey")))
    with pytest.raises(TranslatorAuthFailed):
        translator.get_job("a")
    assert len(session.calls) == 1


def test_400_keeps_the_inner_code_and_target_and_is_not_retried():
    body = error_body("InvalidRequest", "InvalidTargetLanguage", target="inputs[3].targets[0].language")
    translator, session, _ = client(response(400, body))
    with pytest.raises(TranslatorError) as caught:
        translator.begin_batch([])
    assert caught.value.inner_code == "InvalidTargetLanguage"
    assert caught.value.target == "inputs[3].targets[0].language"
    assert len(session.calls) == 1


def test_azure_core_innererror_spelling_is_accepted():
    body = {"error": {"code": "InvalidRequest", "message": "m", "innererror": {"code": "Specific", "message": "s"}}}
    translator, _, _ = client(response(400, body))
    with pytest.raises(TranslatorError) as caught:
        translator.get_job("a")
    assert caught.value.reason == "Specific"


def test_many_jobs_are_polled_100_ids_per_call_following_next_link():
    ids = [f"job-{index}" for index in range(150)]
    first = response(
        200,
        {
            "value": [{"id": i, "status": "Running"} for i in ids[:50]],
            "nextLink": "https://contoso.cognitiveservices.azure.com/translator/next?api-version=x",
        },
    )
    second = response(200, {"value": [{"id": i, "status": "Running"} for i in ids[50:100]]})
    third = response(200, {"value": [{"id": i, "status": "Succeeded"} for i in ids[100:]]})
    translator, session, _ = client(first, second, third)
    statuses = translator.get_jobs(ids)
    assert [status.id for status in statuses] == ids
    assert len(session.calls[0][2]["params"]["ids"].split(",")) == 100
    assert session.calls[1][1].endswith("/translator/next?api-version=x")
    assert session.calls[1][2]["params"] == {}
    assert len(session.calls[2][2]["params"]["ids"].split(",")) == 50


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("soon", None),  # not a number, not a date: absent, so the client's own backoff applies
        ("Wed, 99 Foo 2026 25:61:61 GMT", None),
        ("1e300", MAX_RETRY_AFTER_SECONDS),
        ("1e999", None),  # infinite
        ("nan", None),
        ("-5", 0.0),
        ("7", 7.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),  # a date in the past: now
    ],
)
def test_malformed_or_huge_retry_after_is_absent_or_capped_never_a_crash(header, expected):
    throttled = response(429, error_body("RequestRateTooHigh"), {"Retry-After": header})
    translator, _, _ = client(throttled, attempts=1)
    with pytest.raises(TranslatorThrottled) as caught:
        translator.get_job("a")
    assert caught.value.retry_after == expected


def test_a_huge_retry_after_is_not_slept_through_it_ends_the_call():
    throttled = response(429, error_body("RequestRateTooHigh"), {"Retry-After": "1e300"})
    translator, session, sleeps = client(throttled, ACCEPTED)
    with pytest.raises(TranslatorThrottled):
        translator.begin_batch([])
    assert (sleeps, len(session.calls)) == ([], 1)


@pytest.mark.parametrize("attempts", [1, 30, 5000])
@pytest.mark.parametrize("retry_after", [None, 0.0, 1e300, float("inf")])
def test_batch_backoff_is_bounded_whatever_the_attempts_and_retry_after(attempts, retry_after):
    delay = backoff_seconds(attempts, retry_after)
    assert 0 < delay <= MAX_RETRY_AFTER_SECONDS
    assert datetime.now(UTC) + timedelta(seconds=delay)  # no OverflowError where the submitter uses it


def test_a_run_budget_bounds_every_call_and_its_retries():
    throttled = response(429, error_body("RequestRateTooHigh"), {"Retry-After": "5"})
    translator, session, sleeps = client(throttled, throttled, ACCEPTED)
    with time_budget(2.0), pytest.raises(TranslatorThrottled):  # a 5 s wait does not fit a 2 s budget
        translator.get_job("abc")
    assert (len(session.calls), sleeps) == (1, [])
    _, _, kwargs = session.calls[0]
    assert kwargs["timeout"][1] <= 2.0  # nor may the request itself outlast the run

    with time_budget(60.0), time_budget(0.0), pytest.raises(TranslatorUnavailable, match="budget"):
        translator.begin_batch([])  # the inner, shorter budget wins: the POST is never sent
    assert len(session.calls) == 1


def test_formats_being_read_elsewhere_never_hold_an_invocation_past_its_budget():
    formats = response(200, {"value": [{"fileExtensions": [".txt"]}]})
    translator, _, _ = client(formats)
    assert translator.supported_extensions() == frozenset({".txt"})
    translator._formats = (frozenset({".txt"}), 0.0)  # expired: the next call reads them again
    with translator._formats_lock:  # another invocation is reading them now
        assert translator.supported_extensions() == frozenset({".txt"})  # the stale answer, at once
        translator._formats = None
        with time_budget(0.05), pytest.raises(TranslatorUnavailable):
            translator.supported_extensions()  # nothing to fall back on: waits out its own budget only
