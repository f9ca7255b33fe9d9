"""Request counters for GET /emulator/stats: calls per operation and status code."""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict

_OPERATIONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/translator/document/batches/?$"), "start_translation"),
    ("GET", re.compile(r"^/translator/document/batches/?$"), "list_translations"),
    ("GET", re.compile(r"^/translator/document/batches/[^/]+/documents/?$"), "list_documents"),
    ("GET", re.compile(r"^/translator/document/batches/[^/]+/documents/[^/]+$"), "get_document"),
    ("GET", re.compile(r"^/translator/document/batches/[^/]+$"), "get_translation"),
    ("DELETE", re.compile(r"^/translator/document/batches/[^/]+$"), "cancel_translation"),
    ("GET", re.compile(r"^/translator/document/formats/?$"), "get_formats"),
    ("POST", re.compile(r"^/translator/document:translate$"), "translate_document"),
)


def operation_name(method: str, path: str) -> str:
    for op_method, pattern, name in _OPERATIONS:
        if method == op_method and pattern.match(path):
            return name
    return "other"


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def record(self, operation: str, status_code: int) -> None:
        with self._lock:
            self._counts[operation][str(status_code)] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {operation: dict(codes) for operation, codes in self._counts.items()}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
