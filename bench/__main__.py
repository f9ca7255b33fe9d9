"""`python -m bench [--documents N] [--trickle-seconds S] [--jobs J ...] [--intake N ...] [--reuse N]` (`make bench`):
every pipeline scenario, this app against the approaches users would write instead, on the same emulator and
Azurite, the blob trigger's throughput and memory as N grows, and reuse of identical content on and off. Prints
Markdown tables with ratios (baseline / this app, or N against the first N) and writes bench/results/latest.json.
Asserts nothing."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import burst, chart, intake, polling, report, reuse, trickle
from bench.approaches import CLIENT_THREADS, POLL_SECONDS
from bench.harness import LANGUAGES

TRICKLE_INTERVAL = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--documents", type=int, default=1000, help="burst size (default 1000)")
    parser.add_argument("--trickle-seconds", type=float, default=120.0, help="trickle length (default 120)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[100, 1000, 5000], help="jobs in flight to poll")
    parser.add_argument("--intake", type=int, nargs="+", default=[1000, 5000, 10000], help="blob events per process")
    parser.add_argument("--reuse", type=int, default=1000, help="uploads in the re-upload scenario (default 1000)")
    parser.add_argument("--output", type=Path, default=report.RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        burst_results = burst.run(args.documents, Path(workdir))
        trickle_results = trickle.run(args.trickle_seconds, TRICKLE_INTERVAL, Path(workdir))
        reuse_results = reuse.run(args.reuse, Path(workdir))
    polling_results = polling.run(tuple(args.jobs))
    intake_results = intake.run(tuple(args.intake))
    settings = {
        "languages": list(LANGUAGES),
        "emulator": "separate process per approach, 4 workers, pseudo engine, no added latency",
        "timer_seconds": POLL_SECONDS,
        "trigger_concurrency": 8,
        "client_threads": CLIENT_THREADS,
    }
    results = {
        "machine": report.machine(),
        "settings": settings,
        "burst": {"documents": args.documents, "results": burst_results},
        "trickle": {"seconds": args.trickle_seconds, "interval": TRICKLE_INTERVAL, "results": trickle_results},
        "polling": {"results": polling_results},
        "intake": {"trigger_threads": intake.TRIGGER_THREADS, "results": intake_results},
        "reuse": {"uploads": args.reuse, "repeated_share": reuse.REPEATED_SHARE, "results": reuse_results},
    }
    path = report.write(results, args.output)
    picture = chart.write(results, args.output.with_suffix(".png"))
    print(f"machine: {report.machine()}")
    print(f"settings: {settings}; ratio = baseline / this app\n")
    print(f"### Burst: {args.documents} documents (3 txt : 1 docx) uploaded at once, into {', '.join(LANGUAGES)}\n")
    print(report.comparison(burst_results, burst.FIGURES))
    print(f"\n### Trickle: one document every {TRICKLE_INTERVAL:g} s for {args.trickle_seconds:g} s\n")
    print(report.comparison(trickle_results, trickle.FIGURES))
    print("\n### Polling: one timer run with J jobs in flight (after a first run)\n")
    print(polling.markdown(polling_results))
    print(f"\n### Intake: N blob events, one process, {intake.TRIGGER_THREADS} at a time (ratio = N / first N)\n")
    print(intake.markdown(intake_results))
    print(f"\n### Re-uploads: {args.reuse} uploads, {reuse.REPEATED_SHARE:.0%} of them identical content again\n")
    print(reuse.markdown(reuse_results))
    print(f"\nwritten to {path} and {picture}")


if __name__ == "__main__":
    main()
