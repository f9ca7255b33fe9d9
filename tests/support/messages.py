"""Checks on completion messages: the JSON Schema in docs/schemas, and 'no SAS anywhere' scans."""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

from azure.storage.queue import QueueClient, TextBase64DecodePolicy
from jsonschema import Draft202012Validator, FormatChecker

from tests.support.functions_host import REPO_ROOT
from tests.support.secret_scan import leaks_in


@cache
def schema(name: str) -> Draft202012Validator:
    loaded = json.loads((REPO_ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(loaded)
    return Draft202012Validator(loaded, format_checker=FormatChecker())


def completion_schema() -> Draft202012Validator:
    return schema("completion-message")


def assert_valid_message(message: dict[str, Any]) -> None:
    _assert_valid(completion_schema(), message)


def assert_valid_budget_message(message: dict[str, Any]) -> None:
    _assert_valid(schema("budget-reached"), message)


def _assert_valid(validator: Draft202012Validator, message: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(message), key=lambda error: error.path)
    assert not errors, "; ".join(f"{list(error.path)}: {error.message}" for error in errors)


def assert_no_sas(text: str, where: str) -> None:
    assert not leaks_in(text), f"{where}: {leaks_in(text)}"


def receive_completions(values: dict[str, str], count: int, timeout: float = 120) -> list[dict[str, Any]]:
    """Take `count` messages off the completion queue of a running stack (its local.settings `values`)."""
    queue = QueueClient.from_connection_string(
        values["DocumentStorage"], values["COMPLETION_QUEUE"], message_decode_policy=TextBase64DecodePolicy()
    )
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        assert time.monotonic() < deadline, f"{len(messages)} of {count} messages after {timeout} s"
        for message in queue.receive_messages(messages_per_page=32, max_messages=32):
            messages.append(json.loads(message.content))
            queue.delete_message(message)
        time.sleep(0.3)
    return messages
