"""The HTTP surface: Azure AI Translator's Document Translation batch routes under /translator, plus /emulator/*."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import random
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from devstack.emulator.blobs import BlobGateway
from devstack.emulator.config import SUPPORTED_API_VERSIONS, EmulatorConfig
from devstack.emulator.engine import create_engine
from devstack.emulator.errors import (
    INTERNAL_SERVER_ERROR,
    INVALID_ARGUMENT,
    INVALID_REQUEST,
    REQUEST_RATE_TOO_HIGH,
    RESOURCE_NOT_FOUND,
    SERVICE_UNAVAILABLE,
    UNAUTHORIZED,
    ApiError,
    bad_request,
)
from devstack.emulator.formats import DOCUMENT_FORMATS, GLOSSARY_FORMATS_WIRE
from devstack.emulator.jobs import Job, JobStore, Status
from devstack.emulator.journal import JobJournal
from devstack.emulator.languages import RIGHT_TO_LEFT, SUPPORTED_LANGUAGES
from devstack.emulator.listing import ListQuery, parse_list_query
from devstack.emulator.processor import JobRunner, Limits
from devstack.emulator.redaction import install_sas_redaction
from devstack.emulator.single_document import translate_single
from devstack.emulator.stale_reads import StaleReads
from devstack.emulator.start_request import InputSpec, parse_start_request
from devstack.emulator.stats import RequestStats, operation_name

logger = logging.getLogger(__name__)
JSON_UTF8 = "application/json; charset=utf-8"
STATUS_CACHE_CONTROL = "public, max-age=1"
TEXT_LANGUAGES_PATH = "/translator/text/v3.0/languages"  # Text Translation's list, which the runner reads

_DENIED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
    "active subscription and use a correct regional API endpoint for your resource."
)
_COGNITIVE_SERVICES_AUDIENCE = "https://cognitiveservices.azure.com"


def create_app(config: EmulatorConfig, *, limits: Limits | None = None) -> FastAPI:
    install_sas_redaction()
    stale_reads = StaleReads(config.stale_reads, config.seed)
    store = JobStore(JobJournal(Path(config.state_dir)) if config.state_dir else None, on_change=stale_reads.remember)
    engine = create_engine(config.engine)
    runner = JobRunner(
        store,
        BlobGateway(config.storage_connection_string),
        engine,
        workers=config.workers,
        chars_per_second=config.chars_per_second,
        limits=limits,
    )
    stats = RequestStats()
    faults = FaultInjector(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner.resume()
        yield
        runner.shutdown()
        store.close()

    app = FastAPI(title="Document Translation emulator", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def service_front_door(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """What the service does before an operation runs: latency, auth, api-version, throttling and faults."""
        if not request.url.path.startswith("/translator/") or request.url.path == TEXT_LANGUAGES_PATH:
            return await call_next(request)  # Text Translation's language list needs no key and has its own version
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        try:
            _authenticate(request, config)
            _check_api_version(request)
            faults.maybe_fail()
            response = await call_next(request)
        except ApiError as error:
            response = error_response(error)
        request_id = str(uuid.uuid4())
        response.headers["X-RequestId"] = request_id
        response.headers["apim-request-id"] = request_id  # the service sends both, equal (every recording)
        stats.record(operation_name(request.method, request.url.path), response.status_code)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def route_error_handler(request: Request, error: StarletteHTTPException) -> Response:
        """An unknown route or method answers in the service's error envelope, with `x-ms-error-code`."""
        if error.status_code == 405:
            return error_response(
                ApiError(
                    405,
                    INVALID_REQUEST,
                    "MethodNotAllowed",
                    f"The method {request.method} is not allowed on {request.url.path}.",
                    headers=dict(error.headers or {}),
                )
            )
        return error_response(
            ApiError(
                error.status_code,
                RESOURCE_NOT_FOUND if error.status_code == 404 else INVALID_REQUEST,
                "RouteNotFound" if error.status_code == 404 else "InvalidRequest",
                f"No resource matches {request.method} {request.url.path}."
                if error.status_code == 404
                else str(error.detail),
            )
        )

    @app.exception_handler(ApiError)
    async def api_error_handler(_: Request, error: ApiError) -> Response:
        return error_response(error)

    @app.exception_handler(Exception)
    async def unexpected_error_handler(request: Request, error: Exception) -> Response:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return error_response(ApiError(500, INTERNAL_SERVER_ERROR, "InternalServerError", "An unexpected error."))

    @app.post("/translator/document/batches")
    async def start_translation(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise bad_request(
                "InvalidRequestBody", "The request body is not valid JSON.", code=INVALID_REQUEST
            ) from None
        specs = parse_start_request(body)
        if config.storage_connection_string:
            _refuse_sas_urls(specs)
        job = await run_in_threadpool(runner.submit, specs)
        location = f"{_base_url(request)}/translator/document/batches/{job.id}?api-version={_api_version(request)}"
        # as recorded (2024-05-01): 202 with the job's id and status, besides Operation-Location
        body = json.dumps({"id": job.id, "status": "NotStarted"}, separators=(",", ":")).encode()
        return Response(body, status_code=202, media_type=JSON_UTF8, headers={"Operation-Location": location})

    @app.get("/translator/document/batches")
    async def list_translations(request: Request) -> Response:
        query = parse_list_query(request.query_params)
        jobs = query.select(
            [stale_reads.view(job) for job in store.all()],
            id_of=lambda j: j.id,
            status_of=lambda j: j.status,
            created_of=lambda j: j.created,
        )
        with store.lock:
            return _paged(request, query, jobs, lambda job: job.to_wire(_api_version(request)))

    @app.get("/translator/document/batches/{job_id}")
    async def get_translation(request: Request, job_id: str) -> Response:
        job = stale_reads.view(_find_job(store, job_id))
        with store.lock:
            return json_response(request, job.to_wire(_api_version(request)))

    @app.delete("/translator/document/batches/{job_id}")
    async def cancel_translation(request: Request, job_id: str) -> Response:
        job = _find_job(store, job_id)
        with store.lock:
            started = job.status is not Status.NOT_STARTED
        runner.cancel(job)  # a job that has ended is left as it is: 200 with its status unchanged
        with store.lock:
            wire = job.to_wire(_api_version(request)) if started else job.cancelling_wire(_api_version(request))
            return JSONResponse(wire, media_type=JSON_UTF8)

    @app.get("/translator/document/batches/{job_id}/documents")
    async def list_documents(request: Request, job_id: str) -> Response:
        job = stale_reads.view(_find_job(store, job_id))
        query = parse_list_query(request.query_params)
        with store.lock:
            documents = query.select(
                job.reported_documents,
                id_of=lambda d: d.id,
                status_of=lambda d: d.status,
                created_of=lambda d: d.created,
            )
            return _paged(request, query, documents, lambda doc: doc.to_wire(_api_version(request)))

    @app.get("/translator/document/batches/{job_id}/documents/{document_id}")
    async def get_document(request: Request, job_id: str, document_id: str) -> Response:
        job = stale_reads.view(_find_job(store, job_id))
        _require_guid(document_id, "document")
        with store.lock:
            for document in job.reported_documents:
                if document.id == document_id.lower():
                    return json_response(request, document.to_wire(_api_version(request)))
        raise ApiError(
            404, RESOURCE_NOT_FOUND, "DocumentNotFound", f"Document {document_id} was not found in job {job.id}."
        )

    @app.post("/translator/document:translate")
    async def translate_document(request: Request) -> Response:
        """The synchronous single-document translation (see single_document.py)."""
        async with request.form(max_files=8, max_fields=16) as form:
            query = {key.lower(): value for key, value in request.query_params.items()}
            result = await run_in_threadpool(translate_single, form, query, engine, runner.counters)
        return Response(
            result.content, media_type=result.content_type, headers={"X-Metered-Usage": str(result.characters)}
        )

    @app.get("/translator/document/formats")
    async def get_formats(request: Request) -> Response:
        kind = request.query_params.get("type", "document").lower()
        if kind == "document":
            return json_response(request, {"value": [fmt.to_wire() for fmt in DOCUMENT_FORMATS]})
        if kind == "glossary":
            return json_response(request, {"value": list(GLOSSARY_FORMATS_WIRE)})
        raise bad_request("InvalidFormatType", f"type '{kind}' is not supported; use 'document' or 'glossary'.")

    @app.get(TEXT_LANGUAGES_PATH)
    async def text_languages() -> dict[str, Any]:
        """Text Translation's `languages?scope=translation`, as the service shapes it: every code the emulator
        accepts (the emulator has no display names, so `name` and `nativeName` are the code)."""
        return {
            "translation": {
                code: {"name": code, "nativeName": code, "dir": "rtl" if code in RIGHT_TO_LEFT else "ltr"}
                for code in sorted(SUPPORTED_LANGUAGES)
            }
        }

    @app.get("/emulator/stats")
    async def emulator_stats() -> dict[str, Any]:
        with store.lock:
            jobs = store.all()
            return {
                "requests": stats.snapshot(),
                "jobs": dict(Counter(job.status.value for job in jobs)),
                "documents": dict(Counter(doc.status.value for job in jobs for doc in job.documents)),
                "translationsByLanguage": dict(runner.counters.translations_by_language),
                "charactersCharged": runner.counters.characters_charged,
                "sourceLanguagesDetected": dict(runner.counters.source_languages_detected),
                "engine": config.engine,
                "workers": config.workers,
            }

    @app.get("/emulator/health")
    async def emulator_health() -> dict[str, str]:
        return {"status": "ok"}

    return app


class FaultInjector:
    """Answers a configured fraction of API calls with 429 or 500/503, from a seeded random source."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()

    def maybe_fail(self) -> None:
        if not (self._config.throttle_rate or self._config.error_rate):
            return
        with self._lock:
            throttled = self._random.random() < self._config.throttle_rate
            failed = not throttled and self._random.random() < self._config.error_rate
            unavailable = self._random.random() < 0.5
        if throttled:
            headers = {}
            if self._config.retry_after > 0:
                headers["Retry-After"] = f"{self._config.retry_after:g}"
            raise ApiError(
                429,
                REQUEST_RATE_TOO_HIGH,
                "RateTooHigh",
                "The server rejected the request because too many requests have been received for this subscription.",
                headers=headers,
            )
        if failed:
            if unavailable:
                raise ApiError(
                    503, SERVICE_UNAVAILABLE, "ServiceTemporaryUnavailable", "The service is temporarily unavailable."
                )
            raise ApiError(500, INTERNAL_SERVER_ERROR, "InternalServerError", "An unexpected error occurred.")


def error_response(error: ApiError) -> Response:
    headers = {"x-ms-error-code": error.detail.code, **error.headers}
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


def json_response(request: Request, body: dict[str, Any]) -> Response:
    """JSON with an ETag (64 upper-case hex characters) and `Cache-Control: public, max-age=1`, as the 2024-05-01
    recordings show; a matching If-None-Match gives 304."""
    content = json.dumps(body, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(content).hexdigest().upper() + '"'
    headers = {"ETag": etag, "Cache-Control": STATUS_CACHE_CONTROL}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=JSON_UTF8, headers=headers)


def _paged(request: Request, query: ListQuery, items: list, to_wire: Callable[[Any], dict[str, Any]]) -> Response:
    page, next_skip = query.page(items)
    body: dict[str, Any] = {"value": [to_wire(item) for item in page]}
    if next_skip is not None:
        body["@nextLink"] = query.next_link(
            f"{_base_url(request)}{request.url.path}", _api_version(request), next_skip, len(items)
        )
    return json_response(request, body)


def _authenticate(request: Request, config: EmulatorConfig) -> None:
    key = request.headers.get("ocp-apim-subscription-key")
    if key is not None:
        if hmac.compare_digest(key.encode(), config.key.encode()):
            return
        raise ApiError(401, UNAUTHORIZED, "InvalidSubscriptionKey", _DENIED_MESSAGE)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        if not config.allow_bearer:
            raise ApiError(
                401,
                UNAUTHORIZED,
                "BearerNotAccepted",
                "Bearer tokens are not accepted by this emulator; start it with --allow-bearer.",
            )
        audience = _token_audience(token.strip())
        if audience is not None and not audience.rstrip("/").startswith(_COGNITIVE_SERVICES_AUDIENCE):
            raise ApiError(
                401,
                UNAUTHORIZED,
                "InvalidTokenAudience",
                f"The token's audience is not {_COGNITIVE_SERVICES_AUDIENCE}; request the scope "
                f"{_COGNITIVE_SERVICES_AUDIENCE}/.default.",
            )
        return
    raise ApiError(401, UNAUTHORIZED, "MissingCredentials", _DENIED_MESSAGE)


def _token_audience(token: str) -> str | None:
    """The `aud` of a JWT, or None for an opaque token (which the emulator accepts as it is)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    audience = payload.get("aud") if isinstance(payload, dict) else None
    return str(audience) if audience else None


def _check_api_version(request: Request) -> None:
    version = request.query_params.get("api-version")
    if version is None:
        raise bad_request(
            "MissingApiVersion",
            f"The api-version query parameter is required; supported: {', '.join(SUPPORTED_API_VERSIONS)}.",
            code=INVALID_REQUEST,
        )
    if version not in SUPPORTED_API_VERSIONS:
        raise bad_request(
            "UnsupportedApiVersion",
            f"api-version '{version}' is not supported; supported: {', '.join(SUPPORTED_API_VERSIONS)}.",
            code=INVALID_REQUEST,
        )


def _api_version(request: Request) -> str:
    return request.query_params["api-version"]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _refuse_sas_urls(specs: list[InputSpec]) -> None:
    """With its own storage identity (managed-identity mode) the service refuses URLs that still carry a SAS."""
    for index, spec in enumerate(specs):
        urls = [("source.sourceUrl", spec.source)]
        urls += [(f"targets[{i}].targetUrl", target.location) for i, target in enumerate(spec.targets)]
        urls += [
            (f"targets[{i}].glossaries[{j}].glossaryUrl", glossary.location)
            for i, target in enumerate(spec.targets)
            for j, glossary in enumerate(target.glossaries)
        ]
        for where, location in urls:
            if location.has_sas:
                raise bad_request(
                    "SasTokenNotAllowed",
                    f"inputs[{index}].{where} carries a SAS token, but the Translator reaches storage with its managed "
                    "identity: send plain URLs.",
                    code=INVALID_REQUEST,
                    target=f"inputs[{index}].{where}",
                )


def _require_guid(value: str, what: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise bad_request("InvalidId", f"'{value}' is not a valid {what} id (a GUID).", code=INVALID_ARGUMENT) from None


def _find_job(store: JobStore, job_id: str) -> Job:
    _require_guid(job_id, "translation job")
    job = store.get(job_id)
    if job is None:
        raise ApiError(404, RESOURCE_NOT_FOUND, "BatchNotFound", f"The translation job {job_id} was not found.")
    return job
