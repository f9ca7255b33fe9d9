"""The app's own reason codes have one list: the `Reason` enum. The README and the message schema must say the same."""

from __future__ import annotations

import json
import re

from shared.problems import REJECTION_REASONS, Reason
from tests.support.functions_host import REPO_ROOT


def test_the_readme_lists_exactly_the_rejection_reasons():
    readme = (REPO_ROOT / "README.md").read_text()
    listed = re.search(r"`error\.code` says why: (.*?)\)\.", readme, re.DOTALL)
    assert listed, "the README's list of rejection reasons moved"
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == {str(reason) for reason in REJECTION_REASONS}


def test_the_schema_allows_exactly_the_rejection_reasons_on_rejected_messages():
    schema = json.loads((REPO_ROOT / "docs" / "schemas" / "completion-message.schema.json").read_text())
    [rejected] = [
        rule
        for rule in schema["properties"]["data"]["allOf"]
        if rule["if"]["properties"]["status"]["const"] == "Rejected"
    ]
    codes = rejected["then"]["properties"]["error"]["properties"]["code"]["enum"]
    assert set(codes) == {str(reason) for reason in REJECTION_REASONS}
    assert len(codes) == len(set(codes))


def test_every_failure_reason_the_readme_names_is_one_of_ours():
    readme = (REPO_ROOT / "README.md").read_text()
    for code in ("JobTimedOut", "JobNotFound"):
        assert code in readme
        assert Reason(code) not in REJECTION_REASONS
