"""Why a document was not translated: one `Problem` (a code and a message) for the app's own reasons and for the
Translator's, and the codes the app itself gives (`Reason`), which the README and the message schema list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_ERROR_MESSAGE = 1000


class Reason(StrEnum):
    # a document rejected before translation (a DocumentRejected message)
    EMPTY_DOCUMENT = "EmptyDocument"
    DOCUMENT_TOO_LARGE = "DocumentTooLarge"
    UNSUPPORTED_FORMAT = "UnsupportedFormat"
    CONTENT_MISMATCH = "ContentMismatch"
    ENCRYPTED_DOCUMENT = "EncryptedDocument"
    INVALID_TARGET_LANGUAGES = "InvalidTargetLanguages"
    INVALID_LANGUAGE_ROUTES = "InvalidLanguageRoutes"
    INVALID_DOCUMENT_NAME = "InvalidDocumentName"
    SOURCE_DELETED = "SourceDeleted"
    SOURCE_REPLACED = "SourceReplaced"
    OVER_DAILY_BUDGET = "OverDailyBudget"
    # a document failed in or around its job (besides the Translator's own codes)
    JOB_TIMED_OUT = "JobTimedOut"
    JOB_NOT_FOUND = "JobNotFound"
    DOCUMENT_NOT_TRANSLATED = "DocumentNotTranslated"
    TARGET_FILE_ALREADY_EXISTS = "TargetFileAlreadyExists"


REJECTION_REASONS = frozenset(
    {
        Reason.EMPTY_DOCUMENT,
        Reason.DOCUMENT_TOO_LARGE,
        Reason.UNSUPPORTED_FORMAT,
        Reason.CONTENT_MISMATCH,
        Reason.ENCRYPTED_DOCUMENT,
        Reason.INVALID_TARGET_LANGUAGES,
        Reason.INVALID_LANGUAGE_ROUTES,
        Reason.INVALID_DOCUMENT_NAME,
        Reason.SOURCE_DELETED,
        Reason.SOURCE_REPLACED,
        Reason.OVER_DAILY_BUDGET,
    }
)


@dataclass(frozen=True)
class Problem:
    code: str  # a Reason, or the code the Translator gave (innerError.code first)
    message: str

    def to_wire(self) -> dict[str, str]:
        return {"code": str(self.code), "message": self.message[:MAX_ERROR_MESSAGE]}

    @classmethod
    def from_service(cls, wire: Mapping[str, Any] | None) -> Problem | None:
        """The Translator's `error` object: `innerError` (either spelling) first, as the most specific."""
        if not wire:
            return None
        inner = wire.get("innerError") or wire.get("innererror") or {}
        return cls(
            inner.get("code") or wire.get("code") or "Unknown", inner.get("message") or wire.get("message") or ""
        )


def refused_target_language(code: str, origin: str, detail: str | None = None) -> Problem:
    """A target language the Translator refused: that language fails, the document's others are translated."""
    said = f" ({detail})" if detail else ""
    return Problem(
        Reason.INVALID_TARGET_LANGUAGES,
        f"The Translator refused the target language '{code}'{said}. It comes from {origin}: correct it, then upload "
        "the document again for that language.",
    )
