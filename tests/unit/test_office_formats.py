"""docx, pptx and xlsx: text translated, structure (paragraphs, runs, cells, slides, sheets) and non-text untouched."""

from __future__ import annotations

import io
import zipfile

import pytest

from devstack.emulator.engine import PseudoEngine, TextTranslator
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.formats import format_for
from devstack.emulator.glossaries import Glossary
from devstack.emulator.xml_text import distribute
from tests.support.office_documents import (
    build_docx,
    build_pptx,
    build_xlsx,
    docx_structure,
    footnotes_xml,
    pptx_structure,
    xlsx_cells,
)

GLOSSARY = Glossary({"Contoso": "CONTOSO-FR"})


def translate(data: bytes, name: str, glossary: Glossary | None = None) -> bytes:
    extracted = format_for(name).extract(io.BytesIO(data), name)
    translator = TextTranslator(PseudoEngine(), source=None, target="fr", glossary=glossary)
    out = io.BytesIO()
    extracted.write(translator.translate, out, "fr")
    return out.getvalue()


def segments_of(data: bytes, name: str) -> list[str]:
    """The segments a document hands to the translator."""
    seen: list[str] = []

    def record(segments):
        seen.extend(segments)
        return list(segments)

    format_for(name).extract(io.BytesIO(data), name).write(record, io.BytesIO(), "fr")
    return seen


def shape(structure):
    """The structure with texts blanked: what must be identical before and after."""
    if isinstance(structure, dict):
        return {key: shape(value) for key, value in structure.items()}
    if isinstance(structure, list | tuple):
        return type(structure)(shape(item) for item in structure)
    return "" if isinstance(structure, str) else structure


def test_docx_keeps_paragraphs_runs_formatting_tables_headers_and_footers():
    original = build_docx()
    translated = translate(original, "report.docx", GLOSSARY)

    before, after = docx_structure(original), docx_structure(translated)
    assert shape(after) == shape(before)  # same paragraphs, runs (with bold/italic), cells
    texts = ["".join(text for text, _, _ in runs) for runs in after["paragraphs"]]
    assert texts[0].startswith("[fr] ")
    assert "CONTOSO-FR" in texts[1]  # the glossary term spans the bold and the italic run
    assert "1,250" in texts[1]
    assert "12" in texts[1]
    assert all(cell.startswith("[fr] ") for cell in after["cells"])
    assert after["header"].startswith("[fr] ")
    assert after["footer"].startswith("[fr] ")


def test_docx_footnotes_are_translated():
    translated = translate(build_docx(), "report.docx")
    assert "[fr] Šöûŕçé" in footnotes_xml(translated)


def test_docx_leaves_every_part_without_text_untouched():
    original = build_docx()
    translated = translate(original, "report.docx")
    before, after = zipfile.ZipFile(io.BytesIO(original)), zipfile.ZipFile(io.BytesIO(translated))
    assert before.namelist() == after.namelist()
    changed = {name for name in before.namelist() if before.read(name) != after.read(name)}
    text_parts = {"word/document.xml", "word/header1.xml", "word/header2.xml", "word/footer1.xml", "word/footnotes.xml"}
    assert "word/document.xml" in changed
    assert "word/footnotes.xml" in changed
    assert changed <= text_parts
    assert "word/styles.xml" not in changed
    assert "[Content_Types].xml" not in changed


def test_pptx_keeps_slides_frames_runs_tables_groups_and_notes():
    original = build_pptx()
    translated = translate(original, "deck.pptx", GLOSSARY)

    before, after = pptx_structure(original), pptx_structure(translated)
    assert shape(after) == shape(before)
    title, body = after["frames"][0], after["frames"][1]
    assert title[0][0][0].startswith("[fr] ")
    body_text = "".join(text for text, _ in body[0])
    assert "CONTOSO-FR" in body_text
    assert "15" in body_text
    assert body[0][0][1] is True  # the first run is still bold
    assert all(cell.startswith("[fr] ") for cell in after["frames"][2])
    assert after["frames"][3][0].startswith("[fr] ")
    assert after["notes"].startswith("[fr] ")


def test_xlsx_translates_strings_only():
    original = build_xlsx()
    translated = translate(original, "sales.xlsx")

    before, after = xlsx_cells(original), xlsx_cells(translated)
    assert after["sheets"] == ["Sales 2026", "Notes"]
    assert after["bold"] is True
    assert after["number_formats"] == before["number_formats"]
    for key, value in before["values"].items():
        if isinstance(value, str) and not value.startswith("="):
            assert after["values"][key].startswith("[fr] "), key
        else:
            assert after["values"][key] == value, key  # numbers, dates and formulas unchanged


@pytest.mark.parametrize("name", ["report.docx", "deck.pptx", "sales.xlsx"])
def test_corrupt_files_fail_the_document_with_invalid_document(name):
    with pytest.raises(DocumentFailure) as caught:
        format_for(name).extract(io.BytesIO(b"PK\x03\x04 but then garbage"), name)
    assert caught.value.detail.inner_code == "InvalidDocument"


def test_a_package_of_another_kind_is_invalid():
    with pytest.raises(DocumentFailure) as caught:
        format_for("sales.xlsx").extract(io.BytesIO(build_docx()), "sales.xlsx")
    assert caught.value.detail.inner_code == "InvalidDocument"
    assert "not a .xlsx document" in caught.value.detail.message


def test_encrypted_files_are_unsupported():
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    with pytest.raises(DocumentFailure) as caught:
        format_for("secret.docx").extract(io.BytesIO(encrypted), "secret.docx")
    assert caught.value.detail.inner_code == "UnsupportedDocument"


@pytest.mark.parametrize(
    ("text", "lengths", "expected"),
    [
        ("[fr] Çöñtöšö šéļļš", [3, 10], ["[fr] ", "Çöñtöšö šéļļš"]),
        ("aaaa bbbb cccc dddd", [5, 5, 9], ["aaaa ", "bbbb ", "cccc dddd"]),
        ("one two three", [5], ["one two three"]),
        ("one two three", [0, 4, 0], ["", "one two three", ""]),
        ("abc", [0, 0], ["abc", ""]),
    ],
)
def test_distribute_over_runs(text, lengths, expected):
    assert distribute(text, lengths) == expected


def test_distribute_keeps_every_character_and_the_run_count():
    text = "[fr] Thé qûîçķ bŕöŵñ föx ĵûmpš övéŕ thé ļåžý döĝ"
    shares = distribute(text, [4, 6, 12, 1, 20])
    assert "".join(shares) == text
    assert len(shares) == 5


@pytest.mark.parametrize(("name", "build"), [("r.docx", build_docx), ("d.pptx", build_pptx), ("s.xlsx", build_xlsx)])
def test_one_parse_serves_several_languages(name, build):
    extracted = format_for(name).extract(io.BytesIO(build()), name)
    outputs = {}
    for language in ("fr", "de", "ja"):
        out = io.BytesIO()
        extracted.write(TextTranslator(PseudoEngine(), source=None, target=language).translate, out, language)
        outputs[language] = out.getvalue()
    for language, data in outputs.items():
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            assert package.testzip() is None
        assert any(segment.startswith(f"[{language}] ") for segment in segments_of(data, name))


def _demo_paragraph_docx() -> bytes:
    import docx

    document = docx.Document()
    paragraph = document.add_paragraph("Contoso sold ")
    paragraph.add_run("12,500 lamps").bold = True
    paragraph.add_run(" this quarter.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _runs(data: bytes) -> list[tuple[str, bool]]:
    import docx

    (paragraph,) = docx.Document(io.BytesIO(data)).paragraphs
    return [(run.text, bool(run.bold)) for run in paragraph.runs]


def test_a_runs_formatting_covers_the_translation_of_that_runs_own_words():
    """The demo's "Contoso sold **12,500 lamps**": the bold stays on the lamps, the `[fr] ` prefix in the first run."""
    assert _runs(translate(_demo_paragraph_docx(), "report.docx")) == [
        ("[fr] Çöñtöšö šöļd ", False),
        ("12,500 ļåmpš", True),
        (" thîš qûåŕtéŕ.", False),
    ]


def test_a_glossary_term_across_runs_goes_into_the_run_where_it_starts():
    translated = translate(_demo_paragraph_docx(), "report.docx", Glossary({"sold 12,500": "VENDU 12 500"}))
    assert _runs(translated) == [("[fr] Çöñtöšö VENDU 12 500", False), (" ļåmpš", True), (" thîš qûåŕtéŕ.", False)]


class _EngineThatLosesRunBoundaries:
    name = "lossy"

    def translate(self, segments, *, source, target):
        return [text.replace("\ue002", "").upper() for text in segments]


def test_an_engine_that_loses_the_run_boundaries_gets_its_text_shared_out_by_length():
    extracted = format_for("report.docx").extract(io.BytesIO(_demo_paragraph_docx()), "report.docx")
    out = io.BytesIO()
    extracted.write(TextTranslator(_EngineThatLosesRunBoundaries(), source=None, target="fr").translate, out, "fr")
    runs = _runs(out.getvalue())
    assert "".join(text for text, _ in runs) == "CONTOSO SOLD 12,500 LAMPS THIS QUARTER."
    assert [bold for _, bold in runs] == [False, True, False]
