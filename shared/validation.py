"""Checks a new document must pass before it is recorded for translation; each failure has a specific reason code."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath

from shared.errors import SettingError
from shared.languages import MAX_TARGET_LANGUAGES, parse_languages
from shared.problems import Problem, Reason
from shared.settings import LANGUAGES_METADATA, MAX_DOCUMENT_BYTES

MAX_BLOB_NAME = 1024
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files are OLE containers, not zips
ZIP_BASED_EXTENSIONS = frozenset({".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"})
SIGNATURE_BYTES = 8
# Bidirectional controls can make a name display as another (`report\u202etxt.exe`): refused. Other formatting
# characters are part of how scripts are written (the zero-width non-joiner U+200C in Persian words): allowed.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def extension_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def check_name(name: str) -> Problem | None:
    longest_language = 12  # the output is {language}/{name}
    if len(name) > MAX_BLOB_NAME - longest_language - 1:
        return Problem(
            Reason.INVALID_DOCUMENT_NAME,
            f"The name is {len(name)} characters long; at most {MAX_BLOB_NAME - longest_language - 1} are allowed "
            "so that '{language}/{name}' fits in a blob name.",
        )
    if any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in name):
        return Problem(
            Reason.INVALID_DOCUMENT_NAME, "The name contains control characters or bidirectional text controls."
        )
    segments = name.split("/")
    if any(segment in ("", ".", "..") for segment in segments) or name.endswith((".", " ")):
        return Problem(
            Reason.INVALID_DOCUMENT_NAME,
            "The name has an empty, '.' or '..' path segment, or ends with '.' or a space.",
        )
    return None


def check_size(size: int) -> Problem | None:
    if size <= 0:
        return Problem(Reason.EMPTY_DOCUMENT, "The document is empty (0 bytes); there is nothing to translate.")
    if size > MAX_DOCUMENT_BYTES:
        return Problem(
            Reason.DOCUMENT_TOO_LARGE,
            f"The document is {size} bytes; Document Translation accepts at most {MAX_DOCUMENT_BYTES} bytes (40 MB).",
        )
    return None


def check_format(name: str, supported: frozenset[str] | None) -> Problem | None:
    """`supported` is None when the Translator's format list could not be read: the service then decides."""
    extension = extension_of(name)
    if not extension:
        return Problem(Reason.UNSUPPORTED_FORMAT, "The name has no file extension, so its format is unknown.")
    if supported is not None and extension not in supported:
        listed = ", ".join(sorted(supported))
        return Problem(
            Reason.UNSUPPORTED_FORMAT, f"The Translator does not translate '{extension}' files. Supported: {listed}."
        )
    return None


def check_signature(name: str, head: bytes) -> Problem | None:
    extension = extension_of(name)
    if extension not in ZIP_BASED_EXTENSIONS or head.startswith(ZIP_SIGNATURE):
        return None
    if head.startswith(OLE_SIGNATURE):
        return Problem(
            Reason.ENCRYPTED_DOCUMENT,
            f"The '{extension}' file is password-protected or encrypted; Document Translation cannot read it.",
        )
    return Problem(Reason.CONTENT_MISMATCH, f"The content is not a '{extension}' file (a zip-based Office document).")


def target_languages(metadata: Mapping[str, str], default: Callable[[], tuple[str, ...]]) -> tuple[str, ...] | Problem:
    """Languages from blob metadata `targetlanguages` (overrides settings and routes), else `default()`."""
    raw = next((value for key, value in metadata.items() if key.lower() == LANGUAGES_METADATA), None)
    if raw is None:
        try:
            return default()
        except SettingError as exc:
            return Problem(
                Reason.INVALID_LANGUAGE_ROUTES,
                f"{exc} — the app cannot tell this document's languages. Fix the setting, then upload the document "
                f"again (or give it blob metadata '{LANGUAGES_METADATA}').",
            )
    try:
        return parse_languages(raw)
    except ValueError as exc:
        return Problem(
            Reason.INVALID_TARGET_LANGUAGES,
            f"Blob metadata '{LANGUAGES_METADATA}' is invalid: {exc}. "
            f"Give up to {MAX_TARGET_LANGUAGES} codes separated by commas, e.g. 'fr,de'.",
        )
