"""XLIFF 1.2 and 2.0, as documents and as glossaries."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from devstack.emulator.engine import PseudoEngine, TextTranslator
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.formats import format_for
from devstack.emulator.glossaries import Glossary, parse_glossary

XLIFF_12 = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" datatype="plaintext" original="app.strings">
    <body>
      <trans-unit id="greeting"><source>Hello <g id="1">dear</g> customer<x id="2"/>!</source></trans-unit>
      <trans-unit id="old"><source>Goodbye</source><target state="needs-translation">Au revoir</target></trans-unit>
      <trans-unit id="brand" translate="no"><source>Contoso</source></trans-unit>
    </body>
  </file>
</xliff>
"""

XLIFF_20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en">
  <file id="f1">
    <unit id="u1">
      <segment><source>Open the <pc id="1">settings</pc> page.</source></segment>
      <segment><source>Then save.</source></segment>
    </unit>
  </file>
</xliff>
"""


def translated(data: bytes, glossary: Glossary | None = None) -> etree._Element:
    extracted = format_for("strings.xlf").extract(io.BytesIO(data), "strings.xlf")
    out = io.BytesIO()
    extracted.write(TextTranslator(PseudoEngine(), source="en", target="fr", glossary=glossary).translate, out, "fr")
    return etree.fromstring(out.getvalue())


def test_xliff_12_units_get_translated_targets_and_the_file_its_target_language():
    root = translated(XLIFF_12)
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    assert root.find("x:file", ns).get("target-language") == "fr"
    greeting = root.find(".//x:trans-unit[@id='greeting']/x:target", ns)
    assert greeting.get("state") == "translated"
    assert etree.tostring(greeting, encoding=str, with_tail=False).endswith(
        '>[fr] Héļļö <g id="1">déåŕ</g> çûštöméŕ<x id="2"/>!</target>'
    )
    old = root.findall(".//x:trans-unit[@id='old']/x:target", ns)
    assert [target.text for target in old] == ["[fr] Ĝöödbýé"]  # replaced, not added
    assert root.find(".//x:trans-unit[@id='brand']/x:target", ns) is None  # translate="no"


def test_xliff_20_segments_get_targets_and_the_root_its_target_language():
    root = translated(XLIFF_20)
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    assert root.get("trgLang") == "fr"
    targets = root.findall(".//x:segment/x:target", ns)
    assert "".join(targets[0].itertext()) == "[fr] Öpéñ thé šéttîñĝš påĝé."
    assert targets[0].find("x:pc", ns).text == "šéttîñĝš"
    assert targets[1].text == "[fr] Théñ šåvé."


def test_not_xliff_is_an_invalid_document():
    with pytest.raises(DocumentFailure) as failure:
        format_for("x.xlf").extract(io.BytesIO(b"<html/>"), "x.xlf")
    assert failure.value.detail.inner_code == "InvalidDocument"
    with pytest.raises(DocumentFailure):
        format_for("x.xlf").extract(io.BytesIO(b"<!DOCTYPE x [<!ENTITY a 'b'>]><xliff/>"), "x.xlf")


def test_an_xliff_glossary_maps_each_source_to_its_target():
    glossary = parse_glossary(XLIFF_12, "XLIFF", name="terms.xlf")
    assert glossary.terms == {"Goodbye": "Au revoir"}
    root = translated(XLIFF_20.replace(b"Then save.", b"Goodbye and save."), glossary)
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    assert root.findall(".//x:segment/x:target", ns)[1].text == "[fr] Au revoir åñd šåvé."
