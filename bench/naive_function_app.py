"""Baseline for the benchmarks: the function app a user would write without Translation Autopilot.

One batch POST per uploaded file (with its own SAS URLs), the job id kept in a Table, and a timer that asks for each
pending job with its own `GET /document/batches/{id}`, then lists the documents of a finished one and announces it.
Runs under the same local runner as the real app (`python -m devstack host --app bench.naive_function_app`).
Not app code: account-key SAS only, no validation, no recovery.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime, timedelta
from functools import cache
from urllib.parse import quote

import azure.functions as func
import azurefunctions.extensions.bindings.blob as blob
import requests
from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableClient
from azure.storage.blob import BlobSasPermissions, BlobServiceClient, generate_blob_sas

app = func.FunctionApp()
API_VERSION = {"api-version": "2024-05-01"}
STORAGE = "DocumentStorage"  # the connection string app setting
TERMINAL = ("Succeeded", "Failed", "ValidationFailed", "Cancelled")


def _account() -> BlobServiceClient:
    return _account_for(os.environ[STORAGE])


@cache
def _account_for(connection: str) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(connection)


def _table() -> TableClient:
    return _table_for(os.environ[STORAGE], os.environ["STATE_TABLE"])


@cache
def _table_for(connection: str, name: str) -> TableClient:
    table = TableClient.from_connection_string(connection, name)
    with contextlib.suppress(ResourceExistsError):
        table.create_table()
    return table


def _api() -> tuple[str, dict[str, str]]:
    endpoint = os.environ["TRANSLATOR_ENDPOINT"].rstrip("/")
    return f"{endpoint}/translator/document/batches", {"Ocp-Apim-Subscription-Key": os.environ["TRANSLATOR_KEY"]}


def _sas_url(container: str, name: str, permission: str) -> str:
    account = _account()
    token = generate_blob_sas(
        account.account_name,
        container,
        name,
        account_key=account.credential.account_key,
        permission=BlobSasPermissions.from_string(permission),
        expiry=datetime.now(UTC) + timedelta(hours=2),
    )
    return f"{account.url.rstrip('/')}/{container}/{quote(name)}?{token}"


@app.blob_trigger(arg_name="client", path="%SOURCE_CONTAINER%/{name}", connection="DocumentStorage")
def on_upload(client: blob.BlobClient) -> None:
    api, headers = _api()
    targets = [
        {
            "targetUrl": _sas_url(os.environ["TARGET_CONTAINER"], f"{language}/{client.blob_name}", "rw"),
            "language": language,
        }
        for language in os.environ["TARGET_LANGUAGES"].split(",")
    ]
    source = {"sourceUrl": _sas_url(client.container_name, client.blob_name, "r")}
    body = {"inputs": [{"storageType": "File", "source": source, "targets": targets}]}
    response = requests.post(api, params=API_VERSION, json=body, headers=headers, timeout=60)
    response.raise_for_status()
    job_id = response.headers["Operation-Location"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    _table().upsert_entity({"PartitionKey": "job", "RowKey": job_id, "Name": client.blob_name})


@app.timer_trigger(arg_name="timer", schedule="%POLL_SCHEDULE%", run_on_startup=False)
@app.queue_output(arg_name="announcements", queue_name="%COMPLETION_QUEUE%", connection="DocumentStorage")
def poll(timer: func.TimerRequest, announcements: func.Out[list[str]]) -> None:
    api, headers = _api()
    messages = []
    for entity in _table().query_entities("PartitionKey eq 'job'"):
        job_id = entity["RowKey"]
        status = requests.get(f"{api}/{job_id}", params=API_VERSION, headers=headers, timeout=30).json()
        if status.get("status") not in TERMINAL:
            continue
        documents = requests.get(f"{api}/{job_id}/documents", params=API_VERSION, headers=headers, timeout=30)
        statuses = [document["status"] for document in documents.json()["value"]]
        messages.append(json.dumps({"name": entity["Name"], "jobId": job_id, "statuses": statuses}))
        _table().delete_entity("job", job_id)
    if messages:
        announcements.set(messages)
