"""A local runner for `function_app.py` with the Functions host's binding semantics (no Core Tools needed).

It discovers functions through `app.get_functions()` and their binding metadata, takes app settings from
`local.settings.json` (`Values`, resolving `%SETTING%` in binding paths and schedules) and drives:
blob triggers (scanning the container, receipts by name + ETag, 5 tries then the host's poison message), timer triggers
(6-field NCRONTAB, never overlapping, `past_due` when late), queue triggers (messages hidden while processed, deleted on
success, `maxDequeueCount` tries then `<queue>-poison`), queue outputs (written only after success, encoded as host.json
says) and HTTP triggers on http://127.0.0.1:7071/api/... . Any other binding fails at start-up.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func
from azure.core.exceptions import ResourceExistsError
from azure.functions.queue import QueueMessage as FunctionQueueMessage
from azure.functions.timer import TimerRequest
from azure.storage.queue import QueueClient, QueueMessage, TextBase64DecodePolicy, TextBase64EncodePolicy
from croniter import croniter

from devstack.azurite import REPO_ROOT
from devstack.connections import Connection, ConnectionSettingError

logger = logging.getLogger("devstack.host")

RECEIPTS_CONTAINER = "azure-webjobs-hosts"
POISON_QUEUE = "webjobs-blobtrigger-poison"
SCAN_INTERVAL_SECONDS = 1.0
PAST_DUE_SECONDS = 0.5
SUPPORTED_TRIGGERS = ("blobTrigger", "timerTrigger", "queueTrigger", "httpTrigger")


class HostError(RuntimeError):
    """The app cannot be hosted as configured (unsupported binding, missing setting)."""


# ---- settings ---------------------------------------------------------------------------------------------------


def load_local_settings(path: Path) -> dict[str, str]:
    """`Values` of local.settings.json; like Core Tools, they become environment variables (the environment wins)."""
    if not path.exists():
        raise HostError(f"{path} does not exist: copy local.settings.sample.json to it (`python -m devstack up` does)")
    values = json.loads(path.read_text()).get("Values", {})
    for name, value in values.items():
        os.environ.setdefault(name, str(value))
    return values


def resolve(expression: str) -> str:
    """`%NAME%` → the app setting NAME, as the host resolves binding expressions."""

    def setting(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value is None:
            raise HostError(f"binding expression {expression!r} needs app setting {match.group(1)}, which is not set")
        return value

    return re.sub(r"%([^%]+)%", setting, expression)


# ---- discovery --------------------------------------------------------------------------------------------------


@dataclass
class HostedFunction:
    name: str
    call: Callable[..., Any]
    trigger: dict[str, Any]
    outputs: list[dict[str, Any]]
    parameters: Mapping[str, inspect.Parameter]

    @property
    def trigger_type(self) -> str:
        return self.trigger["type"]


def discover(app: func.FunctionApp) -> list[HostedFunction]:
    """Every function of the app with its bindings; an unsupported binding stops the host with a clear message."""
    hosted = []
    for function in app.get_functions():
        name = function.get_function_name()
        bindings = json.loads(function.get_function_json())["bindings"]
        triggers = [binding for binding in bindings if binding["type"].endswith("Trigger")]
        outputs = [binding for binding in bindings if binding["direction"] == "OUT" and binding["type"] != "http"]
        others = [b for b in bindings if b not in triggers and b not in outputs and b["type"] != "http"]
        for binding in [*triggers, *outputs, *others]:
            supported = binding["type"] in SUPPORTED_TRIGGERS or (binding["type"] == "queue" and binding in outputs)
            if not supported:
                raise HostError(
                    f"function {name!r}: binding {binding['name']!r} of type {binding['type']!r} "
                    f"({binding['direction']}) is not supported by the local runner; use Core Tools (`func start`)"
                )
        call = function.get_user_function()
        hosted.append(HostedFunction(name, call, triggers[0], outputs, inspect.signature(call).parameters))
    return hosted


class Out:
    """The `func.Out` handed to a function for each output binding."""

    def __init__(self) -> None:
        self.value: Any = None

    def set(self, value: Any) -> None:
        self.value = value

    def get(self) -> Any:
        return self.value


@dataclass
class Invoker:
    """Runs one invocation: outputs are written only when the function returns normally."""

    message_encoding: str
    _queues: dict[tuple[str, str], QueueClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, function: HostedFunction, reason: str, **trigger: Any) -> Any:
        invocation = uuid.uuid4()
        logger.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", function.name, reason, invocation)
        outputs = {binding["name"]: Out() for binding in function.outputs}
        started = time.monotonic()
        try:
            result = function.call(**trigger, **outputs)
        except Exception:
            logger.exception("Executed 'Functions.%s' (Failed, Id=%s)", function.name, invocation)
            raise
        for binding in function.outputs:
            self._write_queue(binding, outputs[binding["name"]].get())
        elapsed = (time.monotonic() - started) * 1000
        logger.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)", function.name, invocation, elapsed)
        return result

    def _write_queue(self, binding: dict[str, Any], value: Any) -> None:
        messages = value if isinstance(value, list) else ([] if value is None else [value])
        if not messages:
            return
        queue = self.queue(binding.get("connection") or "AzureWebJobsStorage", resolve(binding["queueName"]))
        for message in messages:
            queue.send_message(message if isinstance(message, str) else json.dumps(message))

    def queue(self, connection: str, name: str) -> QueueClient:
        with self._lock:
            key = (connection, name)
            if key not in self._queues:
                policy = TextBase64EncodePolicy() if self.message_encoding == "base64" else None
                client = Connection.from_settings(connection).queue(name, message_encode_policy=policy)
                with contextlib.suppress(ResourceExistsError):
                    client.create_queue()
                self._queues[key] = client
            return self._queues[key]


# ---- blob triggers ----------------------------------------------------------------------------------------------


@dataclass
class BlobTriggerDriver:
    """Scans the trigger's container (Azurite raises no Event Grid events); one invocation per new name + ETag."""

    function: HostedFunction
    invoker: Invoker
    pool: ThreadPoolExecutor
    max_tries: int
    stopping: threading.Event
    retry_delay: float = 1.0  # seconds before the second try, doubling before each next one (the host waits too)
    _receipts: dict[str, str] = field(default_factory=dict)
    _in_flight: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        container, _, pattern = resolve(self.function.trigger["path"]).partition("/")
        if pattern != "{name}":
            raise HostError(f"function {self.function.name!r}: only blob paths 'container/{{name}}' are supported")
        self.container = container
        connection = self.function.trigger.get("connection") or "AzureWebJobsStorage"
        self._service = Connection.from_settings(connection).blob_service()
        self._hosts = Connection.from_settings("AzureWebJobsStorage").blob_service()
        self._receipt_prefix = f"blobreceipts/local/{self.function.name}/{container}/"
        self._load_receipts()

    def _load_receipts(self) -> None:
        hosts = self._hosts.get_container_client(RECEIPTS_CONTAINER)
        with contextlib.suppress(ResourceExistsError):
            hosts.create_container()
        for blob in hosts.list_blobs(name_starts_with=self._receipt_prefix, include=["metadata"]):
            self._receipts[blob.name[len(self._receipt_prefix) :]] = (blob.metadata or {}).get("etag", "")

    def run(self) -> None:
        container = self._service.get_container_client(self.container)
        while not self.stopping.is_set():
            try:
                for blob in container.list_blobs():
                    self._consider(blob.name, blob.etag)
            except Exception:
                logger.exception("blob trigger %s: scanning container %r failed", self.function.name, self.container)
            self.stopping.wait(SCAN_INTERVAL_SECONDS)

    def _consider(self, name: str, etag: str) -> None:
        with self._lock:
            if self._receipts.get(name) == etag or (name, etag) in self._in_flight:
                return
            self._in_flight.add((name, etag))
        self.pool.submit(self._process, name, etag)

    def _process(self, name: str, etag: str) -> None:
        try:
            for attempt in range(1, self.max_tries + 1):
                if self.stopping.is_set():
                    return  # no receipt: the blob is picked up again after a restart
                try:
                    self.invoker.invoke(
                        self.function, f"New blob detected: {self.container}/{name}", **self._arguments(name)
                    )
                    break
                except Exception:
                    logger.warning(
                        "blob trigger %s: try %d of %d failed for %s", self.function.name, attempt, self.max_tries, name
                    )
                    if attempt < self.max_tries:
                        self.stopping.wait(self.retry_delay * 2 ** (attempt - 1))
            else:
                self._poison(name, etag)
            self._write_receipt(name, etag)
        finally:
            with self._lock:
                self._in_flight.discard((name, etag))

    def _arguments(self, name: str) -> dict[str, Any]:
        parameter = self.function.parameters[self.function.trigger["name"]]
        if "InputStream" in str(parameter.annotation):
            client = self._service.get_blob_client(self.container, name)
            from azure.functions.blob import InputStream  # the host downloads the blob for InputStream parameters

            data = client.download_blob().readall()
            return {
                parameter.name: InputStream(
                    data=data, name=f"{self.container}/{name}", uri=client.url, length=len(data)
                )
            }
        connection = self.function.trigger.get("connection") or "AzureWebJobsStorage"
        return {parameter.name: sdk_blob_client(connection, self.container, name)}

    def _poison(self, name: str, etag: str) -> None:
        message = {
            "Type": "BlobTrigger",
            "FunctionId": f"Host.Functions.{self.function.name}",
            "BlobType": "BlockBlob",
            "ContainerName": self.container,
            "BlobName": name,
            "ETag": etag,
        }
        logger.error(
            "blob trigger %s: %s failed. %s",
            self.function.name,
            name,
            poison_move(self.max_tries, POISON_QUEUE),
        )
        self.invoker.queue("AzureWebJobsStorage", POISON_QUEUE).send_message(json.dumps(message))

    def _write_receipt(self, name: str, etag: str) -> None:
        receipt = self._hosts.get_blob_client(RECEIPTS_CONTAINER, self._receipt_prefix + name)
        receipt.upload_blob(b"", overwrite=True, metadata={"etag": etag})
        with self._lock:
            self._receipts[name] = etag


# ---- timers -----------------------------------------------------------------------------------------------------


@dataclass
class TimerDriver:
    """One thread per timer: runs are sequential, so a timer never overlaps itself; late runs get past_due."""

    function: HostedFunction
    invoker: Invoker
    stopping: threading.Event
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.schedule = resolve(self.function.trigger["schedule"])
        if len(self.schedule.split()) != 6:
            raise HostError(f"function {self.function.name!r}: schedule {self.schedule!r} is not a 6-field NCRONTAB")

    def run(self) -> None:
        schedule = croniter(self.schedule, self.clock(), second_at_beginning=True)
        if self.function.trigger.get("runOnStartup"):
            self._fire(past_due=False, reason="Timer fired at startup")
        while not self.stopping.is_set():
            due = schedule.get_next(datetime)
            wait = (due - self.clock()).total_seconds()
            if wait > 0 and self.stopping.wait(wait):
                return
            late = (self.clock() - due).total_seconds() > PAST_DUE_SECONDS
            self._fire(past_due=late, reason=f"Timer fired at {due.isoformat()}")
            if late:  # one catch-up run for what was missed, then back on schedule from now
                schedule = croniter(self.schedule, self.clock(), second_at_beginning=True)

    def _fire(self, *, past_due: bool, reason: str) -> None:
        parameter = self.function.trigger["name"]
        with contextlib.suppress(Exception):  # logged by the invoker; a failed run is not retried, as on Azure
            self.invoker.invoke(self.function, reason, **{parameter: TimerRequest(past_due=past_due)})


# ---- queue triggers ---------------------------------------------------------------------------------------------


@dataclass
class QueueTriggerDriver:
    """Polls the trigger's queue like the host: a batch at a time, each message hidden while it is processed, deleted
    on success, visible again after a failure, and moved to `<queue>-poison` once `maxDequeueCount` tries failed."""

    function: HostedFunction
    invoker: Invoker
    settings: dict[str, Any]
    stopping: threading.Event

    def __post_init__(self) -> None:
        self.queue_name = resolve(self.function.trigger["queueName"])
        self.connection = self.function.trigger.get("connection") or "AzureWebJobsStorage"
        self.batch_size = int(self.settings.get("batchSize", 16))
        self.max_dequeue_count = int(self.settings.get("maxDequeueCount", 5))
        self.max_polling = _seconds(self.settings.get("maxPollingInterval", "00:00:02"))
        self.retry_delay = _seconds(self.settings.get("visibilityTimeout", "00:00:00"))
        self.pool = ThreadPoolExecutor(self.batch_size, thread_name_prefix=f"queue-{self.function.name}")

    def run(self) -> None:
        base64 = self.invoker.message_encoding == "base64"
        queue = Connection.from_settings(self.connection).queue(
            self.queue_name, message_decode_policy=TextBase64DecodePolicy() if base64 else None
        )
        with contextlib.suppress(ResourceExistsError):
            queue.create_queue()
        wait = 0.1
        while not self.stopping.is_set():
            try:
                batch = queue.receive_messages(messages_per_page=self.batch_size, visibility_timeout=600)
                messages = list(next(batch.by_page(), []))
            except Exception:
                logger.exception("queue trigger %s: reading %r failed", self.function.name, self.queue_name)
                messages = []
            if messages:
                list(self.pool.map(lambda message: self._process(queue, message), messages))
                wait = 0.1
            else:  # back off while the queue is empty, as the host does, up to maxPollingInterval
                self.stopping.wait(wait)
                wait = min(wait * 2, self.max_polling)
        self.pool.shutdown(wait=True)

    def _process(self, queue: QueueClient, message: QueueMessage) -> None:
        content = message.content
        body = content if isinstance(content, bytes) else str(content).encode("utf-8")
        argument = FunctionQueueMessage(
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            expiration_time=message.expires_on,
            insertion_time=message.inserted_on,
            pop_receipt=message.pop_receipt,
        )
        try:
            self.invoker.invoke(
                self.function,
                f"New queue message detected on '{self.queue_name}'.",
                **{self.function.trigger["name"]: argument},
            )
        except Exception:
            if (message.dequeue_count or 1) >= self.max_dequeue_count:
                poison = f"{self.queue_name}-poison"
                logger.error(
                    "queue trigger %s: message %s failed. %s",
                    self.function.name,
                    message.id,
                    poison_move(message.dequeue_count or 1, poison),
                )
                self.invoker.queue(self.connection, poison).send_message(body.decode("utf-8"))
                queue.delete_message(message)
            else:
                queue.update_message(message.id, message.pop_receipt, visibility_timeout=int(self.retry_delay))
            return
        queue.delete_message(message)


def poison_move(tries: int, queue: str) -> str:
    """The host's own words for a poison move (azure-webjobs-sdk QueueProcessor): infra/queries/poison-messages.kql
    looks for them."""
    return f"Message has reached MaxDequeueCount of {tries}. Moving message to queue '{queue}'."


def _seconds(timespan: str) -> float:
    """A host.json timespan ("hh:mm:ss[.fff]") in seconds."""
    hours, minutes, seconds = timespan.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


# ---- HTTP -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelBindingData:
    """What the Functions host sends the worker for an SDK-type blob binding (the worker's `ModelBindingData`)."""

    content: str
    version: str = "1.0"
    source: str = "AzureStorageBlobs"
    content_type: str = "application/json"


def sdk_blob_client(connection: str, container: str, name: str) -> Any:
    """The trigger's `BlobClient` as the host makes it: the binding data handed to the extension's own converter,
    which builds the client from the connection settings (a connection string, or `__blobServiceUri` with
    `__credential`/`__clientId` for an identity)."""
    from azurefunctions.extensions.base import Datum
    from azurefunctions.extensions.bindings.blob import BlobClient as SdkBlobClient
    from azurefunctions.extensions.bindings.blob.blobClientConverter import BlobClientConverter

    content = json.dumps({"Connection": connection, "ContainerName": container, "BlobName": name})
    datum = Datum(value=ModelBindingData(content), type="model_binding_data")
    return BlobClientConverter.decode(datum, trigger_metadata={}, pytype=SdkBlobClient)


def _route_pattern(route: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{\*(\w+)\}", r"(?P<\1>.*)", route)
    pattern = re.sub(r"\{(\w+)(?::\w+)?\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^/api/{pattern}$")


def http_server(functions: list[HostedFunction], invoker: Invoker, port: int) -> ThreadingHTTPServer:
    routes = [(_route_pattern(f.trigger.get("route") or f.name), f) for f in functions]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            url = urlsplit(self.path)
            for pattern, function in routes:
                match = pattern.match(url.path)
                methods = [method.upper() for method in function.trigger.get("methods") or []]
                if match and (not methods or self.command in methods):
                    break
            else:
                self._reply(404, b'{"error": "no function has this route"}', "application/json")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = func.HttpRequest(
                self.command,
                f"http://{self.headers.get('Host', '127.0.0.1')}{self.path}",
                headers=dict(self.headers),
                params=dict(parse_qsl(url.query)),
                route_params={key: unquote(value) for key, value in match.groupdict().items()},  # as the host does
                body=body,
            )
            try:
                response = invoker.invoke(
                    function,
                    "This function was programmatically called via the host APIs.",
                    **{function.trigger["name"]: request},
                )
            except Exception:
                self._reply(500, b"", "text/plain")
                return
            self._reply(response.status_code, response.get_body(), response.mimetype or "text/plain")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("http: %s", format % args)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


# ---- the host ---------------------------------------------------------------------------------------------------


@dataclass
class LocalHost:
    """All drivers of one app; `start()` returns at once, `stop()` waits for running invocations."""

    app: func.FunctionApp
    host_json: dict[str, Any]
    http_port: int = 7071
    blob_retry_delay: float = 1.0  # before a failed blob trigger's second try; doubles (1 + 2 + 4 + 8 s for 5 tries)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        extensions = self.host_json.get("extensions", {})
        self.invoker = Invoker(extensions.get("queues", {}).get("messageEncoding", "base64"))
        blobs = extensions.get("blobs", {})
        self.pool = ThreadPoolExecutor(blobs.get("maxDegreeOfParallelism", 8), thread_name_prefix="blob-trigger")
        self.functions = discover(self.app)
        tries = blobs.get("poisonBlobThreshold", 5)
        self.blob_drivers = [
            BlobTriggerDriver(f, self.invoker, self.pool, tries, self.stopping, self.blob_retry_delay)
            for f in self.functions
            if f.trigger_type == "blobTrigger"
        ]
        self.timer_drivers = [
            TimerDriver(f, self.invoker, self.stopping) for f in self.functions if f.trigger_type == "timerTrigger"
        ]
        self.queue_drivers = [
            QueueTriggerDriver(f, self.invoker, extensions.get("queues", {}), self.stopping)
            for f in self.functions
            if f.trigger_type == "queueTrigger"
        ]
        http_functions = [f for f in self.functions if f.trigger_type == "httpTrigger"]
        self.http = http_server(http_functions, self.invoker, self.http_port) if http_functions else None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for driver in [*self.blob_drivers, *self.timer_drivers, *self.queue_drivers]:
            thread = threading.Thread(target=driver.run, name=f"host-{driver.function.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.http:
            thread = threading.Thread(target=self.http.serve_forever, name="host-http", daemon=True)
            thread.start()
            self._threads.append(thread)
        names = ", ".join(f"{f.name} ({f.trigger_type})" for f in self.functions)
        logger.info("Host started: %s; HTTP on http://127.0.0.1:%d/api/", names, self.http_port)

    def stop(self) -> None:
        self.stopping.set()
        if self.http:
            self.http.shutdown()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for thread in self._threads:
            thread.join(timeout=10)


def main(argv: list[str]) -> int:
    """`python -m devstack host [--settings local.settings.json] [--port 7071]`: runs until Ctrl-C or SIGTERM."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m devstack host", description=main.__doc__)
    parser.add_argument("--settings", type=Path, default=REPO_ROOT / "local.settings.json")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--app", default="function_app", help="module holding `app` (default: function_app)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    try:
        load_local_settings(args.settings)
        sys.path.insert(0, str(REPO_ROOT))
        app = importlib.import_module(args.app).app
        host = LocalHost(app, json.loads((REPO_ROOT / "host.json").read_text()), http_port=args.port)
    except (HostError, ConnectionSettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    host.start()
    from devstack.language_check import warn_about_unknown_languages  # the app's settings, read once at start

    warn_about_unknown_languages(dict(os.environ))
    done.wait()
    logger.info("Host stopping")
    host.stop()
    return 0
