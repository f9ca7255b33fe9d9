"""The argos engine adapter, against a test double of the Argos Translate API."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from devstack.emulator.argos import ArgosEngine, EngineUnavailable
from devstack.emulator.engine import TextTranslator, create_engine
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.glossaries import Glossary
from tests.support.argos_double import fake_translate_module, installed_argos
from tests.support.functions_host import REPO_ROOT

PAIRS = {("en", "de"), ("en", "zh"), ("fr", "en")}


def engine() -> ArgosEngine:
    return ArgosEngine(fake_translate_module(PAIRS))


def test_translates_each_segment_with_the_installed_pair():
    assert engine().translate(["Hello world", "  Good bye  "], source="en", target="de") == [
        "<en-de>HELLO WORLD",
        "  <en-de>GOOD BYE  ",
    ]


def test_a_missing_source_language_is_taken_as_english():
    assert engine().translate(["Hi"], source=None, target="de") == ["<en-de>HI"]


def test_translator_codes_map_to_argos_codes():
    assert engine().translate(["Hi"], source="en", target="zh-Hans") == ["<en-zh>HI"]
    assert engine().translate(["Salut"], source="FR", target="en") == ["<fr-en>SALUT"]


def test_an_unsupported_pair_is_a_document_error_naming_what_is_installed():
    with pytest.raises(DocumentFailure) as caught:
        engine().translate(["Hi"], source="en", target="ja")
    assert caught.value.detail.inner_code == "UnsupportedLanguagePair"
    assert "de, en, fr, zh" in caught.value.detail.message


def test_glossary_placeholders_survive_the_model():
    translator = TextTranslator(engine(), source="en", target="de", glossary=Glossary({"Contoso": "Contoso GmbH"}))
    assert translator.translate(["Buy Contoso widgets"]) == ["<en-de>BUY Contoso GmbH <en-de>WIDGETS"]


def test_no_installed_language_packages_fail_at_start_up():
    with pytest.raises(EngineUnavailable, match="argospm install"):
        ArgosEngine(fake_translate_module(set()))


def test_create_engine_uses_the_installed_package():
    with installed_argos(PAIRS):
        assert create_engine("argos").translate(["x"], source="en", target="de") == ["<en-de>X"]


def test_without_argostranslate_the_server_refuses_to_start_with_a_clear_message():
    if importlib.util.find_spec("argostranslate") is not None:
        pytest.skip("argostranslate is installed here")
    result = subprocess.run(
        [sys.executable, "-m", "devstack.emulator", "--engine", "argos", "--key", "k", "--port", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "argostranslate package is missing" in result.stderr
    assert "pip install argostranslate" in result.stderr
    assert "emulator on" not in result.stderr  # it never says it is serving before the engine loaded


def test_run_boundaries_are_kept_and_never_sent_to_the_model():
    """Each run of an Office paragraph is translated on its own, so its formatting stays on its own words."""
    assert engine().translate(["Contoso sold \ue00212,500 lamps\ue002 today."], source="en", target="de") == [
        "<en-de>CONTOSO SOLD \ue002<en-de>12,500 LAMPS\ue002 <en-de>TODAY."
    ]
