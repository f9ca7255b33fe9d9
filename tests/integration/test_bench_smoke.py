"""The benchmark harness works end to end on tiny runs (the figures themselves are never asserted)."""

from __future__ import annotations

from bench import burst, chart, intake, polling, report, reuse, trickle
from bench.approaches import APPROACHES


def test_a_tiny_burst_and_trickle_run_every_approach_and_report_every_figure_and_the_chart(tmp_path):
    runs = {"burst": burst.run(4, tmp_path), "trickle": trickle.run(1.0, 0.5, tmp_path)}

    for scenario, documents in ((burst, 4), (trickle, 2)):
        results = runs[scenario.__name__.rsplit(".", 1)[-1]]
        assert set(results) == set(APPROACHES)
        for figures in results.values():
            assert figures["documents"] == documents
            assert len(figures["latencies"]) == documents
            assert all(key in figures for key, _, _ in scenario.FIGURES)
        assert report.comparison(results, scenario.FIGURES).count("\n") == len(scenario.FIGURES) + 1
    picture = chart.write(
        {
            "machine": report.machine(),
            "burst": {"documents": 4, "results": runs["burst"]},
            "trickle": {"results": runs["trickle"]},
        },
        tmp_path / "chart.png",
    )
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_polling_a_few_jobs_reports_each_figure_for_both_function_apps():
    results = polling.run((3,))

    assert set(results["3"]) == {"this app", "naive function"}
    assert all(key in figures for figures in results["3"].values() for key, _, _ in polling.FIGURES)
    assert polling.markdown(results).count("\n") == len(polling.FIGURES) + 1


def test_intake_measures_each_count_in_its_own_process_and_reports_each_figure():
    results = intake.run((6, 12))

    assert [figures["events"] for figures in results.values()] == [6, 12]
    assert [figures["documents_submitted"] for figures in results.values()] == [6, 12]
    assert all(figures["peak_rss_mb"] >= figures["baseline_rss_mb"] > 0 for figures in results.values())
    assert intake.markdown(results).count("\n") == len(intake.FIGURES) + 1


def test_the_reupload_scenario_reports_both_modes_and_every_figure(tmp_path):
    results = reuse.run(10, tmp_path)

    assert list(results) == list(reuse.MODES)
    assert [figures["documents"] for figures in results.values()] == [10, 10]
    assert [figures["succeeded"] for figures in results.values()] == [10, 10]
    assert all(key in figures for figures in results.values() for key, _, _ in reuse.FIGURES)
    baseline, ours = results.values()
    assert (baseline["reused"], ours["reused"]) == (0, 3)  # the 3 repeats come after their originals' announcements
    assert ours["characters_charged"] * 10 == baseline["characters_charged"] * 7  # equal-sized documents
    table, saved = reuse.markdown(results).split("\n\n")
    assert table.count("\n") == len(reuse.FIGURES) + 1
    assert saved == "characters saved by reuse: 30.0%"
