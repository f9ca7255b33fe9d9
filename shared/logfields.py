"""Structured fields on every log line the app writes. With OpenTelemetry (host.json `telemetryMode`) they arrive in
Application Insights as attributes of the trace (`customDimensions` / `Properties`), so operators filter by document,
job or batch instead of parsing messages; docs/operations.md has the queries."""

from __future__ import annotations

from typing import Any


def log_fields(
    operation: str,
    *,
    document: object | None = None,
    job_id: str | None = None,
    batch_id: str | None = None,
    batch_size: int | None = None,
    duration_ms: float | None = None,
    outcome: str | None = None,
    error_code: str | None = None,
    characters: int | None = None,
) -> dict[str, Any]:
    """`extra=` for a log call: `operation` names the event (e.g. "job.announced"); None values are left out.
    Never pass a URL with its query or a key: these fields are exported as they are."""
    values = {
        "operation": operation,
        "document": str(document) if document is not None else None,
        "job_id": job_id,
        "batch_id": batch_id,
        "batch_size": batch_size,
        "duration_ms": round(duration_ms, 1) if duration_ms is not None else None,
        "outcome": outcome,
        "error_code": error_code,
        "characters": characters,
    }
    return {key: value for key, value in values.items() if value is not None}


FIELD_NAMES = (
    "operation",
    "document",
    "job_id",
    "batch_id",
    "batch_size",
    "duration_ms",
    "outcome",
    "error_code",
    "characters",
)
