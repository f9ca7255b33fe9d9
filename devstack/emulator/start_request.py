"""Parsing and validating the body of `POST /document/batches` into typed inputs (400 on anything invalid)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from devstack.emulator.blobs import BlobLocation, parse_location
from devstack.emulator.errors import INVALID_REQUEST, bad_request
from devstack.emulator.glossaries import GLOSSARY_FORMATS, XLIFF_GLOSSARY_FORMATS
from devstack.emulator.jobs import GlossaryRef, TargetSpec
from devstack.emulator.languages import is_supported

MAX_TARGETS_PER_INPUT = 10


class StorageType(StrEnum):
    FOLDER = "Folder"
    FILE = "File"


@dataclass(frozen=True)
class InputSpec:
    source: BlobLocation
    source_language: str | None
    prefix: str
    suffix: str
    storage_type: StorageType
    targets: tuple[TargetSpec, ...]


def parse_start_request(body: Any) -> list[InputSpec]:
    if not isinstance(body, dict):
        raise bad_request("InvalidRequestBody", "The request body must be a JSON object.", code=INVALID_REQUEST)
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise bad_request("MissingInputs", "The request must contain at least one item in 'inputs'.")
    specs = [_parse_input(item, f"inputs[{i}]") for i, item in enumerate(inputs)]
    _require_unique_targets(specs)
    return specs


def _parse_input(item: Any, where: str) -> InputSpec:
    if not isinstance(item, dict):
        raise bad_request("InvalidInput", f"{where} must be an object with 'source' and 'targets'.")
    source = item.get("source")
    if not isinstance(source, dict) or not source.get("sourceUrl"):
        raise bad_request("MissingSourceUrl", f"{where}.source.sourceUrl is required.", target=f"{where}.source")
    storage_type_text = item.get("storageType") or StorageType.FOLDER.value
    try:
        storage_type = StorageType(storage_type_text)
    except ValueError:
        raise bad_request(
            "InvalidStorageType",
            f"{where}.storageType '{storage_type_text}' is not supported; use 'File' or 'Folder'.",
            target=f"{where}.storageType",
        ) from None
    _require_azure_blob(source, f"{where}.source")
    location = _location(source["sourceUrl"], f"{where}.source.sourceUrl", "InvalidSourceUrl")
    if storage_type is StorageType.FILE and not location.path:
        raise bad_request(
            "InvalidSourceUrl",
            f"{where}.source.sourceUrl must name a blob when storageType is 'File'.",
            target=f"{where}.source.sourceUrl",
        )
    language = source.get("language") or None
    if language is not None and not is_supported(language):
        raise bad_request(
            "InvalidSourceLanguage",
            f"{where}.source.language '{language}' is not a supported language code.",
            target=f"{where}.source.language",
        )
    text_filter = source.get("filter") or {}
    targets = item.get("targets")
    if not isinstance(targets, list) or not targets:
        raise bad_request("MissingTargets", f"{where}.targets must contain at least one target.")
    if len(targets) > MAX_TARGETS_PER_INPUT:
        raise bad_request(
            "TooManyTargets",
            f"{where}.targets has {len(targets)} targets; at most {MAX_TARGETS_PER_INPUT} are allowed.",
            code=INVALID_REQUEST,
        )
    return InputSpec(
        source=location,
        source_language=language,
        prefix=str(text_filter.get("prefix") or ""),
        suffix=str(text_filter.get("suffix") or ""),
        storage_type=storage_type,
        targets=tuple(_parse_target(target, f"{where}.targets[{i}]", storage_type) for i, target in enumerate(targets)),
    )


def _parse_target(item: Any, where: str, storage_type: StorageType) -> TargetSpec:
    if not isinstance(item, dict) or not item.get("targetUrl"):
        raise bad_request("MissingTargetUrl", f"{where}.targetUrl is required.", target=where)
    language = item.get("language")
    if not language:
        raise bad_request("MissingTargetLanguage", f"{where}.language is required.", target=where)
    if not is_supported(str(language)):
        raise bad_request(
            "InvalidTargetLanguage",
            f"{where}.language '{language}' is not a supported language code.",
            target=f"{where}.language",
        )
    _require_azure_blob(item, where)
    location = _location(item["targetUrl"], f"{where}.targetUrl", "InvalidTargetUrl")
    if storage_type is StorageType.FILE and not location.path:
        raise bad_request(
            "InvalidTargetUrl",
            f"{where}.targetUrl must name the output blob when storageType is 'File'.",
            target=f"{where}.targetUrl",
        )
    glossaries = item.get("glossaries") or []
    if not isinstance(glossaries, list):
        raise bad_request("InvalidGlossary", f"{where}.glossaries must be a list.", target=where)
    return TargetSpec(
        location=location,
        language=str(language),
        glossaries=tuple(_parse_glossary(g, f"{where}.glossaries[{i}]") for i, g in enumerate(glossaries)),
        deployment_name=str(item.get("deploymentName") or "") or None,
    )


def _parse_glossary(item: Any, where: str) -> GlossaryRef:
    if not isinstance(item, dict) or not item.get("glossaryUrl") or not item.get("format"):
        raise bad_request("InvalidGlossary", f"{where} needs 'glossaryUrl' and 'format'.", target=where)
    if str(item["format"]).upper() not in (*GLOSSARY_FORMATS, *XLIFF_GLOSSARY_FORMATS):
        raise bad_request(
            "InvalidGlossaryFormat",
            f"{where}.format '{item['format']}' is not supported; use XLIFF, TSV or CSV.",
            target=f"{where}.format",
        )
    _require_azure_blob(item, where)
    location = _location(item["glossaryUrl"], f"{where}.glossaryUrl", "InvalidGlossaryUrl")
    return GlossaryRef(location, str(item["format"]).upper())


def _require_azure_blob(item: dict[str, Any], where: str) -> None:
    storage_source = item.get("storageSource")
    if storage_source not in (None, "AzureBlob"):
        raise bad_request(
            "InvalidStorageSource",
            f"{where}.storageSource '{storage_source}' is not supported; use 'AzureBlob'.",
            target=f"{where}.storageSource",
        )


def _location(url: Any, where: str, inner_code: str) -> BlobLocation:
    try:
        return parse_location(str(url))
    except ValueError as exc:
        raise bad_request(inner_code, f"{where} is not a valid storage URL: {exc}.", target=where) from None


def _require_unique_targets(specs: list[InputSpec]) -> None:
    """Within one input, each target needs its own URL. Different inputs may share a target container (the service
    accepts it: test_multiple_sources_single_target.json records two inputs writing `es` and `fr` to one container);
    two documents that would write the same blob fail that document with TargetFileAlreadyExists instead."""
    for index, spec in enumerate(specs):
        seen: set[str] = set()
        for target in spec.targets:
            key = target.location.public_url.rstrip("/")
            if key in seen:
                raise bad_request(
                    "DuplicateTargetUrl",
                    f"inputs[{index}] uses target URL '{key}' more than once; each target of an input needs its own "
                    "targetUrl.",
                    target=f"inputs[{index}].targets",
                )
            seen.add(key)
