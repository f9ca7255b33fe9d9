"""The benchmark chart: upload → announcement latency CDF of the three approaches (burst and trickle), and Translator
calls per document in the burst. Written as a PNG next to the results file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # the object API: no pyplot state, no display needed

from bench.approaches import APPROACHES


def write(report: dict[str, Any], path: Path) -> Path:
    figure = Figure(figsize=(16, 4.5))
    burst_axis, trickle_axis, calls_axis = figure.subplots(1, 3)
    for axis, scenario in ((burst_axis, "burst"), (trickle_axis, "trickle")):
        for approach in APPROACHES:
            latencies = report[scenario]["results"][approach]["latencies"]
            shares = [(index + 1) / len(latencies) for index in range(len(latencies))]
            axis.step(latencies, shares, where="post", label=approach)
        axis.set_title(f"{scenario}: upload → announcement")
        axis.set_xlabel("seconds")
        axis.set_ylabel("share of documents")
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right")
    calls = [report["burst"]["results"][approach]["calls_per_document"] for approach in APPROACHES]
    bars = calls_axis.bar(APPROACHES, calls, color=["tab:blue", "tab:orange", "tab:green"])
    calls_axis.bar_label(bars, fmt="%.3f")
    calls_axis.set_title(f"burst of {report['burst']['documents']}: Translator calls per document")
    calls_axis.set_yscale("log")
    figure.suptitle(report["machine"], fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
