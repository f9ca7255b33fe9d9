"""The local Functions runner's binding semantics, with small apps defined here, on real Azurite."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import uuid

import azure.functions as func
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from devstack.host import POISON_QUEUE, HostError, LocalHost

HOST_JSON = {"extensions": {"queues": {"messageEncoding": "base64"}, "blobs": {"poisonBlobThreshold": 5}}}


@pytest.fixture
def host_env(azurite, monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    monkeypatch.setenv("AppStorage", azurite.connection_string)
    return azurite


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def running(app: func.FunctionApp, port: int = 0, *, blob_retry_delay: float = 1.0) -> LocalHost:
    host = LocalHost(app, HOST_JSON, http_port=port or _free_port(), blob_retry_delay=blob_retry_delay)
    host.start()
    return host


def _free_port() -> int:
    from devstack.azurite import free_port

    return free_port()


def queue_texts(azurite, name: str) -> list[str]:
    queue = QueueClient.from_connection_string(azurite.connection_string, name)
    if not queue_exists(queue):
        return []
    return [base64.b64decode(message.content).decode() for message in queue.peek_messages(max_messages=32)]


def queue_exists(queue: QueueClient) -> bool:
    try:
        queue.get_queue_properties()
    except ResourceNotFoundError:
        return False
    return True


def test_a_blob_trigger_that_keeps_failing_goes_to_the_poison_queue_after_5_tries_waiting_more_before_each(
    host_env, storage, monkeypatch
):
    container = storage.new_container("poison")
    monkeypatch.setenv("WATCHED", container)
    calls: list[str] = []
    moments: list[float] = []
    app = func.FunctionApp()

    @app.blob_trigger(arg_name="blob", path="%WATCHED%/{name}", connection="AppStorage")
    def always_fails(blob: func.InputStream) -> None:
        calls.append(blob.name)
        moments.append(time.monotonic())
        raise RuntimeError("boom")

    host = running(app, blob_retry_delay=0.2)
    try:
        storage.upload(container, "bad.txt", "content")
        wait_until(lambda: any(container in text for text in queue_texts(host_env, POISON_QUEUE)))
    finally:
        host.stop()
    assert calls == [f"{container}/bad.txt"] * 5
    waits = [later - earlier for earlier, later in itertools.pairwise(moments)]
    assert all(wait >= 0.2 * 2**index for index, wait in enumerate(waits)), waits  # 0.2, 0.4, 0.8, 1.6 s at least
    poison = next(json.loads(text) for text in queue_texts(host_env, POISON_QUEUE) if container in text)
    assert poison["FunctionId"] == "Host.Functions.always_fails"
    assert poison["BlobName"] == "bad.txt"


def test_receipts_survive_a_restart_and_a_new_version_triggers_again(host_env, storage, monkeypatch):
    container = storage.new_container("receipts")
    monkeypatch.setenv("WATCHED", container)
    seen: list[str] = []

    def app_instance() -> func.FunctionApp:  # each host start is a new process, with the app indexed afresh
        app = func.FunctionApp()

        @app.blob_trigger(arg_name="blob", path="%WATCHED%/{name}", connection="AppStorage")
        def record(blob: func.InputStream) -> None:
            seen.append(blob.read().decode())

        return app

    storage.upload(container, "doc.txt", "v1")
    host = running(app_instance())
    wait_until(lambda: seen == ["v1"])
    host.stop()

    host = running(app_instance())  # a restart: doc.txt v1 has a receipt
    time.sleep(2.5)
    assert seen == ["v1"]
    storage.upload(container, "doc.txt", "v2")  # a new ETag
    wait_until(lambda: seen == ["v1", "v2"])
    host.stop()


def test_queue_outputs_are_written_only_when_the_function_succeeds(host_env, storage, monkeypatch):
    container = storage.new_container("outputs")
    queue = f"out-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("WATCHED", container)
    monkeypatch.setenv("OUT_QUEUE", queue)
    app = func.FunctionApp()

    @app.blob_trigger(arg_name="blob", path="%WATCHED%/{name}", connection="AppStorage")
    @app.queue_output(arg_name="out", queue_name="%OUT_QUEUE%", connection="AppStorage")
    def echo(blob: func.InputStream, out: func.Out[list[str]]) -> None:
        text = blob.read().decode()
        out.set([f"seen {text}", f"again {text}"])
        if text == "fail":
            raise RuntimeError("after setting the output")

    host = running(app)
    try:
        storage.upload(container, "fail.txt", "fail")
        storage.upload(container, "ok.txt", "ok")
        wait_until(lambda: len(queue_texts(host_env, queue)) == 2)
        time.sleep(1.5)
    finally:
        host.stop()
    assert sorted(queue_texts(host_env, queue)) == ["again ok", "seen ok"]


def test_a_queue_trigger_deletes_what_succeeded_retries_failures_then_moves_them_to_poison(host_env, monkeypatch):
    queue = f"in-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("IN_QUEUE", queue)
    seen: list[tuple[str, int]] = []
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="message", queue_name="%IN_QUEUE%", connection="AppStorage")
    def consume(message: func.QueueMessage) -> None:
        text = message.get_body().decode()
        seen.append((text, message.dequeue_count))
        if text == "bad":
            raise RuntimeError("cannot handle this one")

    settings = json.loads(json.dumps(HOST_JSON))
    settings["extensions"]["queues"].update({"visibilityTimeout": "00:00:00", "maxPollingInterval": "00:00:00.5"})
    sender = QueueClient.from_connection_string(
        host_env.connection_string, queue, message_encode_policy=TextBase64EncodePolicy()
    )
    sender.create_queue()
    sender.send_message("good")
    sender.send_message("bad")
    host = LocalHost(app, settings, http_port=_free_port())
    host.start()
    try:
        wait_until(lambda: queue_texts(host_env, f"{queue}-poison") == ["bad"], timeout=30)
    finally:
        host.stop()
    assert [count for text, count in seen if text == "good"] == [1]
    assert [count for text, count in seen if text == "bad"] == [1, 2, 3, 4, 5]  # maxDequeueCount, then poison
    assert queue_texts(host_env, queue) == []


def test_a_timer_never_overlaps_itself_and_late_runs_are_past_due(host_env, monkeypatch):
    monkeypatch.setenv("EVERY_SECOND", "* * * * * *")
    runs: list[tuple[float, float, bool]] = []
    active = threading.Lock()
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="%EVERY_SECOND%", run_on_startup=False)
    def slow(timer: func.TimerRequest) -> None:
        assert active.acquire(blocking=False), "two runs at once"
        started = time.monotonic()
        time.sleep(1.6)
        runs.append((started, time.monotonic(), timer.past_due))
        active.release()

    host = running(app)
    try:
        wait_until(lambda: len(runs) >= 3, timeout=15)
    finally:
        host.stop()
    for (_, first_end, _), (second_start, _, _) in itertools.pairwise(runs):
        assert second_start >= first_end
    assert any(past_due for _, _, past_due in runs[1:])


def test_http_triggers_answer_on_api_routes(host_env):
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

    @app.route(route="hello/{who}", methods=["GET"])
    def hello(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(f"hello {req.route_params['who']}", status_code=200)

    port = _free_port()
    host = running(app, port)
    try:
        import requests

        assert requests.get(f"http://127.0.0.1:{port}/api/hello/world", timeout=10).text == "hello world"
        assert requests.get(f"http://127.0.0.1:{port}/api/nowhere", timeout=10).status_code == 404
    finally:
        host.stop()


def test_an_unsupported_binding_stops_the_host_naming_function_and_binding(host_env):
    app = func.FunctionApp()

    @app.service_bus_queue_trigger(arg_name="message", queue_name="orders", connection="Bus")
    def on_order(message: func.ServiceBusMessage) -> None:
        return None

    with pytest.raises(HostError, match=r"function 'on_order': binding 'message' of type 'serviceBusTrigger'"):
        LocalHost(app, HOST_JSON, http_port=_free_port())
