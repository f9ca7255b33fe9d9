"""Burst: N mixed small documents (3 txt : 1 docx) uploaded at once, translated into fr and de by each approach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.approaches import run_all
from bench.harness import Arrivals, mixed_documents

FIGURES = (
    ("batches", "batches posted", "{:.0f}"),
    ("translator_calls", "Translator calls", "{:.0f}"),
    ("calls_per_document", "calls per document", "{:.3f}"),
    ("seconds_to_last_announcement", "s until the last announcement", "{:.1f}"),
    ("latency_p50", "upload → announcement p50 (s)", "{:.1f}"),
    ("latency_p95", "upload → announcement p95 (s)", "{:.1f}"),
    ("latency_max", "upload → announcement max (s)", "{:.1f}"),
    ("overhead_p50", "announcement − emulator done, p50 (s)", "{:.1f}"),
    ("overhead_p95", "announcement − emulator done, p95 (s)", "{:.1f}"),
)


def run(documents: int, workdir: Path) -> dict[str, dict[str, Any]]:
    return run_all(mixed_documents(documents), Arrivals(), workdir)
