"""RTF: text translated in place; control words, groups and non-text destinations kept as written."""

from __future__ import annotations

import io

import pytest

from devstack.emulator.engine import PseudoEngine, TextTranslator
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.formats import format_for

HEADER = rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}{\*\generator Word;}"
DOCUMENT = (
    HEADER + rb"\f0 Contoso sold {\b 12,500 lamps} caf\'e9 \u8364?5.\par "
    rb"Second {\field{\*\fldinst HYPERLINK x}{\fldrslt link}} line\par}"
)


def translate(data: bytes) -> str:
    extracted = format_for("letter.rtf").extract(io.BytesIO(data), "letter.rtf")
    out = io.BytesIO()
    extracted.write(TextTranslator(PseudoEngine(), source=None, target="fr").translate, out, "fr")
    return out.getvalue().decode("ascii")


def test_text_is_translated_and_every_control_word_and_destination_kept():
    translated = translate(DOCUMENT)
    assert translated.startswith(HEADER.decode())  # font and colour tables, generator: untouched
    assert r"\f0 [fr] \u199?\u246?\u241?t\u246?\u353?\u246? \u353?\u246?\u316?d {\b 12,500 \u316?\u229?mp\u353?}" in (
        translated
    )  # the bold group keeps its own words
    assert r"\u231?\u229?f\u233? \u8364?5.\par [fr] " in translated  # \'e9 and \u8364? read, written as \uN?
    assert r"{\*\fldinst HYPERLINK x}{\fldrslt \u316?\u238?\u241?k}" in translated  # the link text, not its target
    assert translated.endswith(r"\par}")


def test_characters_charged_are_the_text_read():
    extracted = format_for("letter.rtf").extract(io.BytesIO(DOCUMENT), "letter.rtf")
    assert extracted.sample == "Contoso sold 12,500 lamps café €5.\nSecond link line"
    assert extracted.characters == len("Contoso sold 12,500 lamps café €5.") + len("Second link line")


@pytest.mark.parametrize("data", [b"Just text", HEADER + rb"\f0 Unbalanced {\b group\par}"])
def test_not_rtf_or_unbalanced_groups_is_an_invalid_document(data: bytes):
    with pytest.raises(DocumentFailure) as failure:
        format_for("letter.rtf").extract(io.BytesIO(data), "letter.rtf")
    assert failure.value.detail.inner_code == "InvalidDocument"
