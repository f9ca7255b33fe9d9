"""Offline source-language detection (py3langid's model, shipped in its package)."""

from __future__ import annotations

import pytest

from devstack.emulator.language_detection import detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Das ist ein Test: wir haben in diesem Quartal zwölftausend Lampen verkauft.", "de"),
        ("Contoso a vendu douze mille lampes ce trimestre, un record.", "fr"),
        ("Contoso sold 12,500 lamps this quarter, a record.", "en"),
        ("Contoso vendió doce mil lámparas este trimestre, todo un récord.", "es"),
        ("康托索本季度售出了一万两千五百盏灯，创下了纪录。", "zh-Hans"),
    ],
)
def test_detects_the_language_as_a_translator_code(text: str, code: str):
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "12,500 / 3.4", "Hi"])
def test_too_little_text_is_no_answer(text: str):
    assert detect_language(text) is None
