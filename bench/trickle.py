"""Trickle: one small document every 2 s for 2 minutes; batching must not make a lone document wait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.approaches import run_all
from bench.harness import Arrivals, mixed_documents

FIGURES = (
    ("latency_p50", "upload → announcement p50 (s)", "{:.1f}"),
    ("latency_p95", "upload → announcement p95 (s)", "{:.1f}"),
    ("latency_max", "upload → announcement max (s)", "{:.1f}"),
    ("overhead_p95", "announcement − emulator done, p95 (s)", "{:.1f}"),
    ("batches", "batches posted", "{:.0f}"),
    ("translator_calls", "Translator calls", "{:.0f}"),
)


def run(seconds: float, interval: float, workdir: Path) -> dict[str, dict[str, Any]]:
    return run_all(mixed_documents(max(1, int(seconds / interval))), Arrivals(interval), workdir)
