"""Checks on completion messages: the JSON Schema in docs/schemas, and 'no SAS anywhere' scans."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from tests.support.functions_host import REPO_ROOT
from tests.support.secret_scan import leaks_in


@cache
def completion_schema() -> Draft202012Validator:
    schema = json.loads((REPO_ROOT / "docs" / "schemas" / "completion-message.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def assert_valid_message(message: dict[str, Any]) -> None:
    errors = sorted(completion_schema().iter_errors(message), key=lambda error: error.path)
    assert not errors, "; ".join(f"{list(error.path)}: {error.message}" for error in errors)


def assert_no_sas(text: str, where: str) -> None:
    assert not leaks_in(text), f"{where}: {leaks_in(text)}"
