"""Tables and the results file: every figure side by side for the three approaches, with ratios baseline / this app."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from bench.approaches import APPROACHES

RESULTS = Path(__file__).parent / "results" / "latest.json"


def comparison(results: dict[str, dict[str, Any]], figures: tuple[tuple[str, str, str], ...]) -> str:
    """A Markdown table: one row per figure (key, label, format), each baseline followed by its ratio to this app."""
    ours = results[APPROACHES[0]]
    lines = [
        "| figure | this app | naive function | ratio | official client script | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for key, label, fmt in figures:
        cells = [fmt.format(ours[key])]
        for approach in APPROACHES[1:]:
            value = results[approach][key]
            cells += [fmt.format(value), f"{value / ours[key]:.2f}" if ours[key] else "–"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.1f} GiB, {platform.machine()} {platform.system()}, "
        f"Python {platform.python_version()}, Azurite in memory"
    )


def write(report: dict[str, Any], path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path
