"""The runner's start-up check of language settings against the Translator's language list (the emulator's, over
HTTP)."""

from __future__ import annotations

import requests

from devstack.language_check import LANGUAGES_PATH, warn_about_unknown_languages
from tests.support.emulator import RunningEmulator
from tests.unit.test_app_settings import BASE


def test_the_emulator_serves_the_language_list_without_a_key(emulator: RunningEmulator):
    response = requests.get(
        emulator.endpoint + LANGUAGES_PATH, params={"api-version": "3.0", "scope": "translation"}, timeout=10
    )
    assert response.status_code == 200
    languages = response.json()["translation"]
    assert languages["fr"]["dir"] == "ltr"
    assert languages["ar"]["dir"] == "rtl"
    assert "zh-hans" in languages
    assert "xx" not in languages


def test_each_unknown_language_is_named_with_its_setting(emulator: RunningEmulator):
    environ = {
        **BASE,
        "TRANSLATOR_ENDPOINT": emulator.endpoint,
        "TARGET_LANGUAGES": "fr,xx",
        "LANGUAGE_ROUTES": '{"legal/": "de,qq"}',
        "SOURCE_LANGUAGE": "en",
    }
    assert warn_about_unknown_languages(environ) == [
        "TARGET_LANGUAGES names 'xx', which the Translator does not translate into: each document gets it as a "
        "Failed target.",
        "LANGUAGE_ROUTES names 'qq', which the Translator does not translate into: each document gets it as a "
        "Failed target.",
    ]
    assert warn_about_unknown_languages({**environ, "TARGET_LANGUAGES": "fr", "LANGUAGE_ROUTES": ""}) == []


def test_no_list_no_check():
    assert (
        warn_about_unknown_languages({**BASE, "TRANSLATOR_ENDPOINT": "http://127.0.0.1:9", "TARGET_LANGUAGES": "xx"})
        == []
    )
