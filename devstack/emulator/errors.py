"""Errors of the emulated Document Translation service, in the service's wire shape.

Tree:
    ApiError                 -- answered as an HTTP error: {"error": {code, message, innerError: {code, message}}}
    DocumentFailure          -- fails one document (its DocumentStatus.error); the job goes on
    JobValidationFailure     -- fails the whole job with status ValidationFailed (job.error)

Top-level codes come from the spec's TranslationErrorCode enum; the specific reason is the inner code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INVALID_REQUEST = "InvalidRequest"
INVALID_ARGUMENT = "InvalidArgument"
INTERNAL_SERVER_ERROR = "InternalServerError"
SERVICE_UNAVAILABLE = "ServiceUnavailable"
RESOURCE_NOT_FOUND = "ResourceNotFound"
UNAUTHORIZED = "Unauthorized"
REQUEST_RATE_TOO_HIGH = "RequestRateTooHigh"
# the service's own messages, as recorded (test_bad_input_source.json, test_bad_input_target.json,
# test_empty_document.json); the same for a job's and a document's error
SOURCE_ACCESS_DENIED = "Cannot access source document location with the current permissions."
TARGET_ACCESS_DENIED = "Cannot access target document location with the current permissions."
NO_TRANSLATABLE_TEXT = "The document does not have any translatable text."


@dataclass(frozen=True)
class ErrorDetail:
    """A top-level code plus the specific inner code and message."""

    code: str
    inner_code: str
    message: str
    target: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """`target` on the outer error only: no recorded `innerError` carries one."""
        outer: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            outer["target"] = self.target
        outer["innerError"] = {"code": self.inner_code, "message": self.message}
        return outer

    def for_job(self) -> ErrorDetail:
        """The same error as the job's own, when every document of a job failed with it (as recorded)."""
        return ErrorDetail(self.code, self.inner_code, self.message, target="Operation")


class ApiError(Exception):
    """An error answered to the HTTP caller."""

    def __init__(
        self,
        status_code: int,
        code: str,
        inner_code: str,
        message: str,
        *,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status_code} {code}/{inner_code}: {message}")
        self.status_code = status_code
        self.detail = ErrorDetail(code, inner_code, message, target)
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.detail.to_wire()}


def bad_request(inner_code: str, message: str, *, code: str = INVALID_ARGUMENT, target: str | None = None):
    return ApiError(400, code, inner_code, message, target=target)


class DocumentFailure(Exception):
    """One document cannot be translated; recorded on its DocumentStatus."""

    def __init__(self, inner_code: str, message: str, *, code: str = INVALID_REQUEST) -> None:
        super().__init__(f"{inner_code}: {message}")
        self.detail = ErrorDetail(code, inner_code, message, target="Document")


class JobValidationFailure(Exception):
    """The job as a whole cannot run (storage access, existing target); the job ends ValidationFailed."""

    def __init__(self, inner_code: str, message: str, *, code: str = INVALID_REQUEST) -> None:
        super().__init__(f"{inner_code}: {message}")
        self.detail = ErrorDetail(code, inner_code, message, target="Operation")
