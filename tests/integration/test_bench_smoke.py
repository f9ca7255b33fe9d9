"""The benchmark harness works end to end on tiny runs (the figures themselves are never asserted)."""

from __future__ import annotations

from bench import burst, polling, report, trickle
from bench.approaches import APPROACHES


def test_a_tiny_burst_and_trickle_run_every_approach_and_report_every_figure(tmp_path):
    for scenario, results, documents in (
        (burst, burst.run(4, tmp_path), 4),
        (trickle, trickle.run(1.0, 0.5, tmp_path), 2),
    ):
        assert set(results) == set(APPROACHES)
        for figures in results.values():
            assert figures["documents"] == documents
            assert all(key in figures for key, _, _ in scenario.FIGURES)
        assert report.comparison(results, scenario.FIGURES).count("\n") == len(scenario.FIGURES) + 1


def test_polling_a_few_jobs_reports_each_figure_for_both_function_apps():
    results = polling.run((3,))

    assert set(results["3"]) == {"this app", "naive function"}
    assert all(key in figures for figures in results["3"].values() for key, _, _ in polling.FIGURES)
    assert polling.markdown(results).count("\n") == len(polling.FIGURES) + 1
