"""OpenDocument (odt, ods, odp): text translated with each run's formatting on its own words, everything else kept."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from devstack.emulator.engine import PseudoEngine, TextTranslator
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.formats import format_for
from tests.support.opendocument_files import build_opendocument

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def translate(data: bytes, name: str) -> bytes:
    extracted = format_for(name).extract(io.BytesIO(data), name)
    out = io.BytesIO()
    extracted.write(TextTranslator(PseudoEngine(), source=None, target="fr").translate, out, "fr")
    return out.getvalue()


def content(data: bytes, part: str = "content.xml") -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(part))


def test_odt_paragraphs_spans_notes_and_master_pages_are_translated_in_place():
    original = build_opendocument("odt")
    translated = translate(original, "report.odt")
    root = content(translated)
    heading = root.find(f".//{TEXT}h")
    sold, footnote, review, comment = root.iter(TEXT + "p")
    assert heading.text == "[fr] Qûåŕtéŕļý ŕépöŕt"
    assert sold.text == "[fr] Çöñtöšö šöļd "
    assert sold.find(TEXT + "span").text == "12,500 ļåmpš"  # the bold span keeps its own words
    assert sold.find(f"{TEXT}span").tail == " thîš qûåŕtéŕ"
    assert sold.find(f".//{TEXT}note-citation").text == "1"
    assert footnote.text == "[fr] Šöûŕçé fîĝûŕéš"  # a nested paragraph: its own segment
    assert review.text == "[fr] Ŕévîéŵ"
    assert review.find(".//{http://purl.org/dc/elements/1.1/}creator").text == "Ada"  # metadata, not text
    assert comment.text == "[fr] Çhéçk thîš"
    assert content(translated, "styles.xml").find(f".//{TEXT}p").text == "[fr] Îñtéŕñåļ ûšé öñļý"
    before, after = zipfile.ZipFile(io.BytesIO(original)), zipfile.ZipFile(io.BytesIO(translated))
    assert after.namelist() == before.namelist()
    assert (after.infolist()[0].filename, after.infolist()[0].compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert after.read("Pictures/logo.png") == before.read("Pictures/logo.png")


def test_ods_string_cells_are_translated_and_numbers_kept():
    root = content(translate(build_opendocument("ods"), "sales.ods"))
    assert [p.text for p in root.iter(TEXT + "p")] == ["[fr] Ŕéĝîöñ", "15"]


def test_odp_text_boxes_are_translated():
    root = content(translate(build_opendocument("odp"), "deck.odp"))
    assert [p.text for p in root.iter(TEXT + "p")] == ["[fr] Ŵéļçömé tö Çöñtöšö"]


def test_a_package_of_another_kind_or_a_corrupt_one_is_an_invalid_document():
    for data in (build_opendocument("ods"), b"PK\x03\x04 truncated"):
        with pytest.raises(DocumentFailure) as failure:
            format_for("x.odt").extract(io.BytesIO(data), "x.odt")
        assert failure.value.detail.inner_code == "InvalidDocument"
