"""Client for Azure AI Translator's Document Translation batch API (REST over `requests`), with bounded retries."""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from azure.core.credentials import TokenCredential
from urllib3.exceptions import NewConnectionError

from shared.errors import (
    JobNotFound,
    SubmissionUncertain,
    TranslatorAuthFailed,
    TranslatorError,
    TranslatorThrottled,
    TranslatorUnavailable,
)
from shared.logfields import log_fields
from shared.problems import Problem

logger = logging.getLogger(__name__)

TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"  # noqa: S105 (a scope, not a secret)
MAX_IDS_PER_CALL = 100
TERMINAL_STATUSES = frozenset({"Succeeded", "Failed", "Cancelled", "ValidationFailed"})
FORMATS_TTL_SECONDS = 3600.0
MAX_RETRY_AFTER_SECONDS = 3600.0  # a longer (or absurd) Retry-After is taken as an hour
MIN_READ_TIMEOUT = 1.0  # a request near the end of its run's budget still gets this long to answer
_STEP_DEADLINE: ContextVar[float] = ContextVar("translator_step_deadline", default=float("inf"))


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Within this block, every Translator call, retries and waits included, ends within `seconds` from now (or
    the enclosing block's deadline, whichever comes first): a run's budget bounds what its calls may take."""
    token = _STEP_DEADLINE.set(min(_STEP_DEADLINE.get(), time.monotonic() + seconds))
    try:
        yield
    finally:
        _STEP_DEADLINE.reset(token)


@dataclass(frozen=True)
class Glossary:
    url: str
    format: str  # "TSV" or "CSV"


@dataclass(frozen=True)
class Target:
    url: str
    language: str
    glossary: Glossary | None = None


@dataclass(frozen=True)
class DocumentInput:
    """One source document of a batch request (`storageType: File`) and the outputs wanted from it."""

    source_url: str
    targets: tuple[Target, ...]
    source_language: str | None = None

    def to_wire(self) -> dict[str, Any]:
        source: dict[str, Any] = {"sourceUrl": self.source_url}
        if self.source_language:
            source["language"] = self.source_language
        return {"source": source, "targets": [_target_wire(target) for target in self.targets], "storageType": "File"}


def batch_body(inputs: Sequence[DocumentInput]) -> dict[str, Any]:
    """The POST /document/batches body."""
    return {"inputs": [item.to_wire() for item in inputs]}


def _target_wire(target: Target) -> dict[str, Any]:
    wire: dict[str, Any] = {"targetUrl": target.url, "language": target.language}
    if target.glossary is not None:
        wire["glossaries"] = [{"glossaryUrl": target.glossary.url, "format": target.glossary.format}]
    return wire


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str
    created: datetime
    summary: dict[str, int]
    error: Problem | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def characters_charged(self) -> int | None:
        """What the whole job was charged (`summary.totalCharacterCharged`), when the service says."""
        return self.summary.get("totalCharacterCharged")

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> JobStatus:
        return cls(
            id=wire["id"],
            status=wire["status"],
            created=_parse_time(wire.get("createdDateTimeUtc")),
            summary={key: int(value) for key, value in (wire.get("summary") or {}).items()},
            error=Problem.from_service(wire.get("error")),
        )


@dataclass(frozen=True)
class DocumentStatus:
    id: str
    status: str
    language: str
    source_url: str
    target_url: str | None
    characters: int
    error: Problem | None = None

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> DocumentStatus:
        return cls(
            id=wire["id"],
            status=wire["status"],
            language=wire.get("to") or "",
            source_url=wire.get("sourcePath") or "",
            target_url=wire.get("path"),
            characters=int(wire.get("characterCharged") or 0),
            error=Problem.from_service(wire.get("error")),
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring Retry-After, within a time budget per call."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    budget_seconds: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass
class TranslatorClient:
    endpoint: str
    api_version: str
    key: str | None = None
    region: str | None = None
    credential: TokenCredential | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: tuple[float, float] = (5.0, 30.0)
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)
    _token: tuple[str, float] | None = None
    _formats: tuple[frozenset[str], float] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _formats_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"{self.endpoint}/translator/document"

    # ---- operations ---------------------------------------------------------------------------------------------

    def begin_batch(self, inputs: Sequence[DocumentInput]) -> str:
        """POST a batch; returns the job id from `Operation-Location`. SubmissionUncertain: a job may exist."""
        response = self._send("POST", f"{self.base_url}/batches", json=batch_body(inputs), idempotent=False)
        location = response.headers.get("Operation-Location") or response.headers.get("Location") or ""
        job_id = location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if not job_id:
            raise SubmissionUncertain("the service accepted the batch but sent no Operation-Location", status=202)
        return job_id

    def get_job(self, job_id: str) -> JobStatus:
        return JobStatus.from_wire(self._send("GET", f"{self.base_url}/batches/{job_id}").json())

    def get_jobs(self, job_ids: list[str]) -> list[JobStatus]:
        """Status of many jobs, ≤100 ids per call, following nextLink. Unknown ids are simply absent."""
        statuses: list[JobStatus] = []
        for start in range(0, len(job_ids), MAX_IDS_PER_CALL):
            chunk = job_ids[start : start + MAX_IDS_PER_CALL]
            params = {"ids": ",".join(chunk), "$maxpagesize": str(MAX_IDS_PER_CALL)}
            statuses += (JobStatus.from_wire(item) for item in self._pages(f"{self.base_url}/batches", params))
        return statuses

    def list_jobs_created_since(self, since: datetime) -> list[JobStatus]:
        params = {"createdDateTimeUtcStart": since.astimezone(UTC).isoformat(), "$maxpagesize": "100"}
        return [JobStatus.from_wire(item) for item in self._pages(f"{self.base_url}/batches", params)]

    def list_documents(self, job_id: str, *, statuses: tuple[str, ...] = ()) -> list[DocumentStatus]:
        """A job's document statuses (one per source and target language), only those in `statuses` when given."""
        url = f"{self.base_url}/batches/{job_id}/documents"
        params = {"$maxpagesize": "100", **({"statuses": ",".join(statuses)} if statuses else {})}
        return [DocumentStatus.from_wire(item) for item in self._pages(url, params)]

    def cancel_job(self, job_id: str) -> None:
        self._send("DELETE", f"{self.base_url}/batches/{job_id}")

    def supported_extensions(self) -> frozenset[str]:
        """File extensions (lower case, with the dot) the service translates; cached for an hour per instance. One
        fetch at a time: others use the previous answer meanwhile, or wait for the fetch within their own budget."""
        cached = self._formats
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        if not self._formats_lock.acquire(timeout=_lock_wait(stale=cached is not None)):
            if cached is not None:
                return cached[0]
            raise TranslatorUnavailable("the Translator's formats are being read by another invocation")
        try:
            if self._formats is not None and time.monotonic() < self._formats[1]:
                return self._formats[0]
            wire = self._send("GET", f"{self.base_url}/formats", params={"type": "document"}).json()
            extensions = frozenset(
                extension.lower() for item in wire.get("value", []) for extension in item.get("fileExtensions", [])
            )
            self._formats = (extensions, time.monotonic() + FORMATS_TTL_SECONDS)
            return extensions
        finally:
            self._formats_lock.release()

    # ---- transport ----------------------------------------------------------------------------------------------

    def _pages(self, url: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        next_url: str | None = url
        query: dict[str, str] | None = params
        while next_url:
            page = self._send("GET", next_url, params=query).json()
            yield from page.get("value", [])
            next_url = page.get("nextLink") or page.get("@nextLink")
            query = None  # a nextLink carries its own query, api-version included

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> requests.Response:
        query = dict(params or {})
        if "api-version=" not in url:
            query["api-version"] = self.api_version
        deadline = min(time.monotonic() + self.retry.budget_seconds, _STEP_DEADLINE.get())
        path = url.split("?", 1)[0].removeprefix(self.endpoint)
        for attempt in range(self.retry.attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TranslatorUnavailable(f"not sent: the time budget of this run is spent ({method} {path})")
            connect, read = self.timeout
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query,
                    json=json,
                    headers=self._headers(),
                    timeout=(min(connect, remaining), max(MIN_READ_TIMEOUT, min(read, remaining))),
                )
            except requests.RequestException as exc:
                error: TranslatorError = _transport_error(exc, idempotent=idempotent)
            else:
                if response.status_code < 400:
                    return response
                error = _service_error(response, idempotent=idempotent)
            retryable = isinstance(error, TranslatorThrottled | TranslatorUnavailable)
            delay = self.retry.delay(attempt, error.retry_after)
            if not retryable or attempt == self.retry.attempts - 1 or time.monotonic() + delay > deadline:
                raise error
            logger.warning(
                "Translator %s %s: %s; retrying in %.1f s",
                method,
                path,
                error.reason,
                delay,
                extra=log_fields("translator.retry", error_code=error.reason, duration_ms=delay * 1000),
            )
            self.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _headers(self) -> dict[str, str]:
        headers = {"X-ClientTraceId": _trace_id()}
        if self.key:
            headers["Ocp-Apim-Subscription-Key"] = self.key
            if self.region:
                headers["Ocp-Apim-Subscription-Region"] = self.region
            return headers
        headers["Authorization"] = f"Bearer {self._bearer_token()}"
        return headers

    def _bearer_token(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] - 300 < time.time():
                if self.credential is None:
                    raise TranslatorAuthFailed("no TRANSLATOR_KEY and no Microsoft Entra ID credential to call with")
                token = self.credential.get_token(TOKEN_SCOPE)
                self._token = (token.token, token.expires_on)
            return self._token[0]


def _lock_wait(*, stale: bool) -> float:
    """How long to wait for another invocation's fetch: not at all with a stale answer to use, else within the run's
    time budget (-1: no budget, wait; the fetch is bounded by its own retry budget)."""
    if stale:
        return 0.0
    deadline = _STEP_DEADLINE.get()
    return -1 if math.isinf(deadline) else max(0.0, deadline - time.monotonic())


def _trace_id() -> str:
    return f"{random.getrandbits(128):032x}"


def _transport_error(exc: requests.RequestException, *, idempotent: bool) -> TranslatorError:
    never_sent = isinstance(exc, requests.ConnectTimeout) or isinstance(
        getattr(exc.args[0], "reason", None) if exc.args else None, NewConnectionError
    )
    message = f"the Translator could not be reached: {type(exc).__name__}"
    if idempotent or never_sent:
        return TranslatorUnavailable(message)
    return SubmissionUncertain(f"{message}; the batch may or may not have been created")


def _service_error(response: requests.Response, *, idempotent: bool) -> TranslatorError:
    try:
        wire = response.json().get("error") or {}
    except ValueError:
        wire = {}
    inner = wire.get("innerError") or wire.get("innererror") or {}
    status = response.status_code
    details = {
        "status": status,
        "code": wire.get("code") or response.headers.get("x-ms-error-code"),
        "inner_code": inner.get("code"),
        "target": inner.get("target") or wire.get("target"),
        "retry_after": _retry_after(response.headers.get("Retry-After")),
    }
    message = inner.get("message") or wire.get("message") or response.reason or f"HTTP {status}"
    if status == 429:
        return TranslatorThrottled(message, **details)
    if status in (401, 403):
        return TranslatorAuthFailed(message, **details)
    if status == 404:
        return JobNotFound(message, **details)
    if status == 503:
        return TranslatorUnavailable(message, **details)
    if status >= 500 and not idempotent:
        return SubmissionUncertain(message, **details)
    if status >= 500:
        return TranslatorUnavailable(message, **details)
    return TranslatorError(message, **details)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped at an hour; a value that is
    neither (`soon`, `1e999`, `nan`) counts as absent, so the caller's own backoff applies."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(MAX_RETRY_AFTER_SECONDS, max(0.0, seconds))


def _parse_time(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
