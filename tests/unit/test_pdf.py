"""PDF: each text block translated where it stands; pages, drawings, links and rotation kept."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from devstack.emulator.engine import PseudoEngine, TextTranslator
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.formats import format_for
from devstack.emulator.pdf import PdfDocument
from tests.support.pdf_files import BLOCKS, PAGE, build_expanding_pdf, build_image_only_pdf, build_pdf


def translate(data: bytes) -> bytes:
    extracted = format_for("report.pdf").extract(io.BytesIO(data), "report.pdf").with_text()
    out = io.BytesIO()
    extracted.write(TextTranslator(PseudoEngine(), source=None, target="fr").translate, out, "fr")
    return out.getvalue()


def blocks(data: bytes) -> dict[str, tuple[int, tuple[float, ...], float, str, tuple[float, ...]]]:
    return {
        block.text: (block.page, tuple(round(value) for value in block.box), round(block.size), block.face, block.color)
        for block in PdfDocument(io.BytesIO(data), "read.pdf").blocks
    }


def test_blocks_are_read_with_their_box_size_face_and_colour():
    assert blocks(build_pdf()) == {
        "Quarterly report": (0, (72, 766, 224, 786), 20, "DejaVuSans-Bold", (0.0, 0.0, 0.0)),
        "Contoso sold 12,500 lamps this quarter, a record for the company. Europe grew by 15 percent & Asia by 9.": (
            0,
            (72, 724, 317, 749),
            11,
            "DejaVuSerif",
            (0.0, 0.0, 0.0),
        ),
        "Internal use only": (0, (72, 558, 160, 570), 12, "DejaVuSans", (0.0, 0.0, 1.0)),
        "Second page words": (1, (50, 97, 174, 111), 14, "DejaVuSans", (0.0, 0.0, 0.0)),
    }


def test_each_block_is_translated_in_its_place_in_its_face_colour_and_size():
    translated = blocks(translate(build_pdf()))
    heading = translated["[fr] Qûåŕtéŕļý ŕépöŕt"]
    assert heading[0] == 0
    assert heading[1][0] == 72  # same left edge
    assert 780 <= heading[1][3] <= 786  # about the same top
    assert heading[2:4] == (20, "DejaVuSans-Bold")  # one line: runs on to the right at its size
    paragraph = translated[
        "[fr] Çöñtöšö šöļd 12,500 ļåmpš thîš qûåŕtéŕ, å ŕéçöŕd föŕ thé çömpåñý. Éûŕöpé ĝŕéŵ bý 15 péŕçéñt & Åšîå bý 9."
    ]
    assert paragraph[1][0] == 72
    assert paragraph[1][2] <= 320  # keeps its measure, grows down into the free space
    assert paragraph[2:4] == (11, "DejaVuSerif")
    assert translated["[fr] Îñtéŕñåļ ûšé öñļý"][3:] == ("DejaVuSans", (0.0, 0.0, 1.0))
    assert translated["[fr] Šéçöñd påĝé ŵöŕdš"][0] == 1
    assert "Quarterly report" not in translated  # the original text is gone, not hidden under the translation


def test_pages_their_size_drawings_and_links_are_kept():
    original, translated = PdfReader(io.BytesIO(build_pdf())), PdfReader(io.BytesIO(translate(build_pdf())))
    assert len(translated.pages) == len(original.pages) == 2
    assert [tuple(page.mediabox) for page in translated.pages] == [(0, 0, *PAGE)] * 2
    (link,) = translated.pages[0]["/Annots"]
    assert link.get_object()["/A"]["/URI"] == "https://contoso.example/"
    assert b"72 600 200 80 re" in translated.pages[0].get_contents().get_data()  # the red box is still drawn


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_rotated_page_keeps_its_rotation_and_its_text_reads_where_it_did(rotation: int):
    original = blocks(build_pdf(rotated=rotation))["Second page words"]
    translated = PdfReader(io.BytesIO(translate(build_pdf(rotated=rotation))))
    assert translated.pages[1].rotation == rotation
    translated_blocks = blocks(translate(build_pdf(rotated=rotation)))
    page_two = [(text, block) for text, block in translated_blocks.items() if block[0] == 1]
    assert " ".join(text for text, _ in page_two) == "[fr] Šéçöñd påĝé ŵöŕdš"  # one line, or wrapped near the edge
    first = page_two[0][1]
    assert abs(first[1][0] - original[1][0]) <= 1  # left edge
    assert abs(first[1][3] - original[1][3]) <= 6  # top


def test_characters_charged_and_the_sample_are_the_text_read():
    extracted = format_for("report.pdf").extract(io.BytesIO(build_pdf()), "report.pdf")
    assert extracted.sample.startswith("Quarterly report\nContoso sold 12,500 lamps")
    assert extracted.characters == sum(len(text) for text in BLOCKS)


def test_a_page_without_text_has_nothing_to_translate():
    with pytest.raises(DocumentFailure) as failure:
        translate(build_image_only_pdf())
    assert failure.value.detail.inner_code == "NoTranslatableText"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Just text", "InvalidDocument"),
        (b"%PDF-1.7", "InvalidDocument"),
        (build_pdf()[: len(build_pdf()) // 2], "InvalidDocument"),
        (build_pdf(encrypt="secret"), "UnsupportedDocument"),
    ],
    ids=["not-a-pdf", "header-only", "truncated", "password"],
)
def test_a_broken_or_protected_pdf_fails_with_a_reason(data: bytes, code: str):
    with pytest.raises(DocumentFailure) as failure:
        translate(data)
    assert failure.value.detail.inner_code == code
    assert "report.pdf" in failure.value.detail.message


@pytest.mark.parametrize(("pages", "megabytes"), [(1, 100), (3, 30)], ids=["one-stream-bomb", "many-pages-add-up"])
def test_a_file_that_decompresses_to_too_much_content_is_refused_before_it_is_read(pages: int, megabytes: int):
    data = build_expanding_pdf(pages, megabytes)
    assert len(data) < 1024 * 1024
    with pytest.raises(DocumentFailure) as failure:
        translate(data)
    assert failure.value.detail.inner_code == "DocumentTooLarge"
    assert "'report.pdf' expands to more than 64 MB" in failure.value.detail.message
