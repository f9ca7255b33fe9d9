"""The alerts, the workbook and docs/operations.md share one source, infra/queries/*.kql: every block in the docs is
its file verbatim, every file is quoted and loaded where it is said to be, and the queries only name operations,
fields and outcomes the app really logs. No cloud here: the KQL itself is not run (no offline Kusto engine), so these
checks pin down what can drift: names, files and the log lines the queries read."""

from __future__ import annotations

import logging
import re

import pytest

from devstack.host import POISON_QUEUE, poison_move
from shared.logfields import FIELD_NAMES
from shared.messages import Outcome
from tests.support.explorer import CrashPlan, Host, World
from tests.support.functions_host import REPO_ROOT
from tests.unit.test_crash_explorer import SCENARIOS, SETTINGS

QUERIES = REPO_ROOT / "infra" / "queries"
OPERATIONS_DOC = REPO_ROOT / "docs" / "operations.md"
ALERT_QUERIES = {"stuck-jobs", "rejection-rate", "poison-messages", "throttling", "budget-reached"}
WORKBOOK_QUERIES = {"throughput", "outcomes-by-reason", "announcement-latency", "characters-per-day"}
_BLOCK = re.compile(r"```kusto\n(.*?)```", re.DOTALL)
_FILE_LINK = re.compile(r"\(\.\./infra/queries/([\w-]+)\.kql\)")
_LOADED = re.compile(r"loadTextContent\('\.\./queries/([\w-]+)\.kql'\)")
_LOGGED_OPERATION = re.compile(r'log_fields\(\s*"([a-z_]+\.[a-z_]+)"')
_QUOTED_OPERATION = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def query_files() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(QUERIES.glob("*.kql"))}


def quoted_in_docs() -> dict[str, str]:
    """Each kusto block of docs/operations.md, by the query file its paragraph links to (the last link before it)."""
    text, quoted = OPERATIONS_DOC.read_text(), {}
    for block in _BLOCK.finditer(text):
        links = _FILE_LINK.findall(text, 0, block.start())
        assert links, f"the kusto block at offset {block.start()} names no infra/queries file"
        assert links[-1] not in quoted, f"{links[-1]}.kql is quoted twice"
        quoted[links[-1]] = block.group(1)
    return quoted


def loaded_by(bicep: str) -> set[str]:
    return set(_LOADED.findall((REPO_ROOT / "infra" / "app" / bicep).read_text()))


def operations_the_app_logs() -> set[str]:
    source = "\n".join(path.read_text() for path in (REPO_ROOT / "shared").glob("*.py"))
    return set(_LOGGED_OPERATION.findall(source))


def test_every_query_in_the_docs_is_its_file_verbatim_and_every_file_is_quoted():
    files, quoted = query_files(), quoted_in_docs()
    assert set(quoted) == set(files)
    for name, text in files.items():
        assert quoted[name] == text, f"docs/operations.md differs from infra/queries/{name}.kql"


def test_the_alerts_and_the_workbook_load_the_query_files_the_docs_name():
    files = query_files()
    alerts, workbook = loaded_by("alerts.bicep"), loaded_by("workbook.bicep")
    assert alerts == ALERT_QUERIES
    assert workbook >= WORKBOOK_QUERIES
    assert (alerts | workbook) <= set(files)
    table = OPERATIONS_DOC.read_text().split("## Alerts and the workbook", 1)[1].split("\n\n")[2]
    assert set(re.findall(r"`([\w-]+)\.kql`", table)) == alerts  # the docs' table of alert rules


def test_the_queries_name_only_operations_fields_and_outcomes_the_app_logs():
    logged, outcomes = operations_the_app_logs(), {outcome.value for outcome in Outcome}
    assert {"document.announced", "job.announced", "budget.reached", "batch.submitted"} <= logged
    for name, text in query_files().items():
        for operation in _QUOTED_OPERATION.findall(text):
            assert operation in logged, f"{name}.kql: the app never logs {operation!r}"
        for field in re.findall(r"customDimensions\.(\w+)", text):
            assert field in FIELD_NAMES, f"{name}.kql: no log line carries {field!r}"
        for outcome in re.findall(r'customDimensions\.outcome == "(\w+)"', text):
            assert outcome in outcomes, f"{name}.kql: {outcome!r} is not an outcome"


@pytest.mark.parametrize("queue", [POISON_QUEUE, "translation-outbox-poison"])
def test_the_poison_query_reads_the_queue_from_the_hosts_words(queue: str):
    text = query_files()["poison-messages"]
    phrase = re.search(r'message has "([^"]+)"', text).group(1)
    pattern = re.search(r'extract\(@"([^"]+)", 1, message\)', text).group(1)
    line = "queue trigger publish: message 1 failed. " + poison_move(5, queue)  # as the local runner logs it

    assert phrase in line
    assert re.search(pattern, line).group(1) == queue
    assert queue.endswith("-poison")


def test_every_announced_document_logs_one_line_with_its_outcome_reason_and_latency(caplog):
    world = World(SETTINGS)
    with caplog.at_level(logging.INFO, logger="shared"):
        host = Host(world, CrashPlan())
        SCENARIOS["a rejection among documents"](world, host)
        host.recover()  # the translated document's job ends and is announced
    lines = [record for record in caplog.records if getattr(record, "operation", None) == "document.announced"]
    announced = {message["subject"]: message["data"] for message in world.completion_queue}

    assert {record.document: record.outcome for record in lines} == {
        subject: data["status"] for subject, data in announced.items()
    }
    assert {data["status"] for data in announced.values()} == {Outcome.REJECTED.value, Outcome.SUCCEEDED.value}
    for record in lines:
        error = announced[record.document]["error"]
        assert getattr(record, "error_code", None) == (error["code"] if error else None)
        assert record.duration_ms >= 0


def test_the_workbook_and_alert_modules_are_deployed_by_main():
    main = (REPO_ROOT / "infra" / "main.bicep").read_text()
    assert "module alerts 'app/alerts.bicep'" in main
    assert "module workbook 'app/workbook.bicep'" in main
    assert "alertEmail: alertEmail" in main
    assert '"alertEmail": { "value": "${ALERT_EMAIL=}" }' in (REPO_ROOT / "infra" / "main.parameters.json").read_text()
