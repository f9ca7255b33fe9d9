"""The log lines the alerts and the workbook read (infra/queries), written by the app on Azurite and the emulator:
one `document.announced` per document with its outcome, reason and latency, and `job.announced` with the characters
the Translator charged (the workbook's characters per day)."""

from __future__ import annotations

import logging

from tests.integration.test_budget import TEXT, until_jobs_end


def test_announced_documents_and_charged_jobs_log_what_the_queries_read(make_pipeline, caplog):
    with (
        caplog.at_level(logging.INFO, logger="shared"),
        make_pipeline(settings={"REUSE_TRANSLATIONS": "false"}) as pipeline,
    ):
        pipeline.drop("telemetry/notes.txt", TEXT)
        pipeline.drop("telemetry/setup.exe", "MZ not a document")
        messages = pipeline.run_until_announced(2)
        until_jobs_end(pipeline)

    by_name = {message["subject"]: message["data"] for message in messages}
    lines = [record for record in caplog.records if getattr(record, "operation", None) == "document.announced"]
    assert {record.document: record.outcome for record in lines} == {
        subject: data["status"] for subject, data in by_name.items()
    }
    for record in lines:
        error = by_name[record.document]["error"]
        assert getattr(record, "error_code", None) == (error["code"] if error else None)
        assert 0 <= record.duration_ms < 600_000
    jobs = [record for record in caplog.records if getattr(record, "operation", None) == "job.announced"]
    assert [record.characters for record in jobs] == [128]  # 64 characters in fr and de, as the emulator charged
