"""`POST /translator/document:translate`: one document translated synchronously, as the service's single-document API.

Multipart form: a `document` part and at most one `glossary` part; query `targetLanguage` (required),
`sourceLanguage`, and `deploymentName` (2026-03-01). Answers 200 `application/octet-stream` with the translated
document and `X-Metered-Usage` (the characters charged), as test_single_document_translation.py
TestSingleDocumentTranslationtest_translate_single_csv_glossary.json records; two glossaries answer 400
`InvalidRequest` / `MaxGlossaryFilesExceeded` with target `GlossaryBodies`
(..._test_translate_multiple_csv_glossary.json). The document's format comes from its file name, else from its
content type; the glossary's likewise.
"""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from devstack.emulator.engine import TextTranslator, TranslationEngine
from devstack.emulator.errors import INVALID_REQUEST, ApiError, DocumentFailure, bad_request
from devstack.emulator.formats import DOCUMENT_FORMATS, DocumentFormat, format_for
from devstack.emulator.glossaries import GLOSSARY_FORMATS, XLIFF_GLOSSARY_FORMATS, Glossary, parse_glossary
from devstack.emulator.languages import is_supported
from devstack.emulator.processor import TranslationCounters

MAX_SINGLE_DOCUMENT_BYTES = 10 * 1024 * 1024  # the synchronous API's documented limit per document
MAX_GLOSSARY_PARTS = 1
_MAX_GLOSSARIES_MESSAGE = "The maximum number of glossary files has been exceeded."
_GLOSSARY_CONTENT_TYPES = {"text/csv": "CSV", "text/tab-separated-values": "TSV", "application/xliff+xml": "XLIFF"}


@dataclass(frozen=True)
class TranslatedDocument:
    content: bytes
    content_type: str
    characters: int


def translate_single(
    form: FormData, query: dict[str, str], engine: TranslationEngine, counters: TranslationCounters
) -> TranslatedDocument:
    """Translate the form's document; raises ApiError (400) for a bad request or a document that cannot be
    translated."""
    target = query.get("targetlanguage")
    if not target:
        raise bad_request(
            "MissingTargetLanguage", "The query parameter targetLanguage is required.", target="targetLanguage"
        )
    if not is_supported(target):
        raise bad_request("InvalidTargetLanguage", f"targetLanguage '{target}' is not a supported language code.")
    source = query.get("sourcelanguage") or None
    if source is not None and not is_supported(source):
        raise bad_request("InvalidSourceLanguage", f"sourceLanguage '{source}' is not a supported language code.")
    documents = [part for part in form.getlist("document") if isinstance(part, UploadFile)]
    glossaries = [part for part in form.getlist("glossary") if isinstance(part, UploadFile)]
    if len(documents) != 1:
        raise bad_request(
            "InvalidDocument",
            "The form needs exactly one 'document' file part.",
            code=INVALID_REQUEST,
            target="Document",
        )
    if len(glossaries) > MAX_GLOSSARY_PARTS:
        raise ApiError(
            400, INVALID_REQUEST, "MaxGlossaryFilesExceeded", _MAX_GLOSSARIES_MESSAGE, target="GlossaryBodies"
        )
    (document,) = documents
    name = document.filename or "document"
    document_format = _document_format(name, document.content_type)
    try:
        data = document.file.read(MAX_SINGLE_DOCUMENT_BYTES + 1)
        if len(data) > MAX_SINGLE_DOCUMENT_BYTES:
            raise DocumentFailure(
                "DocumentTooLarge", f"'{name}' is larger than {MAX_SINGLE_DOCUMENT_BYTES} bytes, the synchronous limit."
            )
        glossary = _glossary(glossaries[0]) if glossaries else None
        extracted = document_format.extract(io.BytesIO(data), name).with_text()
        if source is None:
            source = counters.detected(extracted)
        translator = TextTranslator(engine, source=source, target=target, glossary=glossary)
        out = io.BytesIO()
        extracted.write(translator.translate, out, target)
        counters.translated(target, extracted.characters)
    except DocumentFailure as failure:
        detail = failure.detail
        raise ApiError(400, detail.code, detail.inner_code, detail.message, target="Document") from failure
    return TranslatedDocument(out.getvalue(), "application/octet-stream", extracted.characters)


def _document_format(name: str, content_type: str | None) -> DocumentFormat:
    found = format_for(name)
    if found is None and content_type:
        media_type = content_type.split(";", 1)[0].strip().lower()
        found = next((fmt for fmt in DOCUMENT_FORMATS if media_type in fmt.content_types), None)
    if found is None:
        raise ApiError(
            400,
            INVALID_REQUEST,
            "UnsupportedDocumentFormat",
            f"The document '{name}' is in a format that is not supported; see GET /document/formats.",
            target="Document",
        )
    return found


def _glossary(part: UploadFile) -> Glossary:
    name = part.filename or "glossary"
    extension = posixpath.splitext(name)[1].lstrip(".").upper()
    media_type = (part.content_type or "").split(";", 1)[0].strip().lower()
    known = extension in GLOSSARY_FORMATS or extension in XLIFF_GLOSSARY_FORMATS
    file_format = extension if known else _GLOSSARY_CONTENT_TYPES.get(media_type, extension)
    return parse_glossary(part.file.read(), file_format, name=name)
