"""Translation Autopilot's Azure Functions: bindings only. All logic lives in the `shared` package."""

from __future__ import annotations

import azure.functions as func
import azurefunctions.extensions.bindings.blob as blob

from shared import handlers

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.blob_trigger(
    arg_name="client",
    path="%SOURCE_CONTAINER%/{name}",
    connection="DocumentStorage",
    source=func.BlobSource.EVENT_GRID,
)
@app.queue_output(arg_name="outbox", queue_name="%OUTBOX_QUEUE%", connection="DocumentStorage")
def on_document_uploaded(client: blob.BlobClient, outbox: func.Out[list[str]]) -> None:
    """A document arrived: validate, record, submit it with whatever else waits."""
    requests = handlers.handle_upload(client)
    if requests:
        outbox.set(requests)


@app.timer_trigger(arg_name="timer", schedule="%POLL_SCHEDULE%", run_on_startup=False)
@app.queue_output(arg_name="outbox", queue_name="%OUTBOX_QUEUE%", connection="DocumentStorage")
def poll_translation_jobs(timer: func.TimerRequest, outbox: func.Out[list[str]]) -> None:
    """Recover, re-submit, poll due jobs and announce the finished ones."""
    requests = handlers.handle_poll_tick()
    if requests:
        outbox.set(requests)


@app.queue_trigger(arg_name="request", queue_name="%OUTBOX_QUEUE%", connection="DocumentStorage")
@app.queue_output(arg_name="announcements", queue_name="%COMPLETION_QUEUE%", connection="DocumentStorage")
def publish_announcements(request: func.QueueMessage, announcements: func.Out[list[str]]) -> None:
    """Put the completion messages of one publish request on the completion queue (retried by the host)."""
    announcements.set(handlers.handle_publish(request.get_body().decode("utf-8")))


@app.route(route="status/{*name}", methods=["GET"])
def get_status(req: func.HttpRequest) -> func.HttpResponse:
    """State of a source document, by name."""
    status, body = handlers.document_status(req.route_params.get("name", ""))
    return func.HttpResponse(handlers.to_json(body), status_code=status, mimetype="application/json")


@app.route(route="jobs/{id}", methods=["GET"])
def get_job_status(req: func.HttpRequest) -> func.HttpResponse:
    """State of a translation job, by id."""
    status, body = handlers.job_status(req.route_params.get("id", ""))
    return func.HttpResponse(handlers.to_json(body), status_code=status, mimetype="application/json")
