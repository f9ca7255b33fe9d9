"""local.settings.sample.json lists every setting the app reads, and loads as valid settings."""

from __future__ import annotations

import json

from shared.settings import ALL_SETTINGS, Settings
from tests.support.functions_host import REPO_ROOT


def sample_values() -> dict[str, str]:
    return json.loads((REPO_ROOT / "local.settings.sample.json").read_text())["Values"]


def test_every_setting_the_app_reads_is_in_the_sample():
    assert set(ALL_SETTINGS) <= set(sample_values())


def test_the_sample_is_a_valid_configuration():
    settings = Settings.from_environ(sample_values())
    assert settings.target_languages == ("fr", "de")
    assert settings.translator_endpoint.startswith("http://127.0.0.1")


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text()
    missing = [name for name in ALL_SETTINGS if f"`{name}`" not in readme]
    assert not missing, f"README.md does not document {missing}"
