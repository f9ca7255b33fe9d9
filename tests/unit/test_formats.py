"""Each format round-trips with its structure intact: only text content changes."""

from __future__ import annotations

import codecs
import csv
import io
import re

import pytest

from devstack.emulator.engine import PseudoEngine
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.formats import DOCUMENT_FORMATS, format_for
from tests.support.office_documents import build_docx, build_pptx, build_xlsx
from tests.support.opendocument_files import build_opendocument
from tests.support.pdf_files import build_pdf


def pseudo(data: bytes, name: str, target: str = "fr") -> bytes:
    document_format = format_for(name)
    assert document_format is not None
    extracted = document_format.extract(io.BytesIO(data), name)
    out = io.BytesIO()
    extracted.write(lambda segments: PseudoEngine().translate(segments, source=None, target=target), out, target)
    return out.getvalue()


def test_plain_text_keeps_lines_and_line_endings():
    source = b"First line.\r\nSecond line.\n\nLast line without newline"
    out = pseudo(source, "a.txt").decode()
    assert out.count("\r\n") == 1
    assert out.count("\n") == source.decode().count("\n")
    assert out.splitlines()[0] == "[fr] Fîŕšt ļîñé."
    assert out.splitlines()[2] == ""
    assert not out.endswith("\n")


def test_text_encodings_and_boms_are_kept():
    utf16 = codecs.BOM_UTF16_LE + "Hello".encode("utf-16-le")
    out = pseudo(utf16, "a.txt")
    assert out.startswith(codecs.BOM_UTF16_LE)
    assert out[2:].decode("utf-16-le") == "[fr] Héļļö"
    assert pseudo(codecs.BOM_UTF8 + b"Hi", "a.txt").startswith(codecs.BOM_UTF8)


def test_invalid_utf8_is_wrong_document_encoding():
    with pytest.raises(DocumentFailure) as failure:
        pseudo(b"caf\xe9 au lait", "a.txt")
    assert failure.value.detail.inner_code == "WrongDocumentEncoding"


def test_html_markup_entities_scripts_and_comments_are_untouched():
    source = (
        '<!DOCTYPE html>\n<html lang="en"><head><title>My page</title>'
        "<style>p { color: red; }</style><script>var greeting = 'Hello';</script></head>"
        '<body><!-- a comment --><p class="x">Hello <b>bold</b> &amp; <a href="https://example.com">link</a></p>'
        "</body></html>"
    )
    out = pseudo(source.encode(), "page.html").decode()
    tags = re.compile(r"<!--.*?-->|<script.*?</script>|<style.*?</style>|<[^>]*>", re.DOTALL)
    assert tags.findall(out) == tags.findall(source)
    assert "var greeting = 'Hello';" in out
    assert "&amp;" in out
    assert "[fr] Héļļö " in out
    assert "[fr] böļd" in out


def test_markdown_keeps_syntax_code_and_link_targets():
    source = (
        "# Title here\n\n- item one\n1. first step\n> quoted text\n\n"
        "Some **bold** and `code()` with a [link](https://example.com/x).\n\n"
        "```python\nprint('not translated')\n```\n\n| a | b |\n|---|---|\n| cell | 3 |\n"
    )
    out = pseudo(source.encode(), "README.md").decode()
    lines, source_lines = out.splitlines(), source.splitlines()
    assert len(lines) == len(source_lines)
    assert lines[0].startswith("# [fr] ")
    assert lines[2].startswith("- [fr] ")
    assert lines[3].startswith("1. [fr] ")
    assert lines[4].startswith("> [fr] ")
    assert "**" in lines[6]
    assert "`code()`" in lines[6]
    assert "](https://example.com/x)" in lines[6]
    assert "print('not translated')" in out
    assert lines[-2] == "|---|---|"
    assert lines[-1].count("|") == 3
    assert "3" in lines[-1]


@pytest.mark.parametrize(("name", "delimiter"), [("data.csv", ","), ("data.tsv", "\t"), ("data.tab", "\t")])
def test_delimited_files_keep_rows_columns_and_numbers(name: str, delimiter: str):
    rows = [["Product", "Price", "Note"], ["Apple pie", "3.50", "Fresh, warm"], ["", "42", "x"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    out = pseudo(buffer.getvalue().encode(), name).decode()
    parsed = list(csv.reader(io.StringIO(out, newline=""), delimiter=delimiter))
    assert [len(row) for row in parsed] == [len(row) for row in rows]
    assert parsed[1][1] == "3.50"
    assert parsed[2][1] == "42"
    assert parsed[2][0] == ""
    assert parsed[1][2].startswith("[fr] ")
    assert "," in parsed[1][2]
    assert out.endswith("\r\n")


def test_format_lookup_is_by_extension_case_insensitive():
    assert format_for("REPORT.TXT").name == "PlainText"
    assert format_for("a/b/page.HTM").name == "HtmlFile"
    assert format_for("scan.PDF").name == "PortableDocumentFormat"
    assert format_for("noextension") is None


XLIFF_SAMPLE = (
    b'<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file source-language="en"><body>'
    b'<trans-unit id="1"><source>Hello</source></trans-unit></body></file></xliff>'
)
STRUCTURED_SAMPLES = {
    ".docx": build_docx,
    ".pptx": build_pptx,
    ".xlsx": build_xlsx,
    ".xlf": lambda: XLIFF_SAMPLE,
    ".rtf": lambda: rb"{\rtf1\ansi Hello\par}",
    ".pdf": build_pdf,
    **{f".{kind}": lambda kind=kind: build_opendocument(kind) for kind in ("odt", "ods", "odp")},
}


def test_every_listed_format_has_a_working_handler():
    for document_format in DOCUMENT_FORMATS:
        for extension in document_format.extensions:
            if extension in STRUCTURED_SAMPLES:
                original = STRUCTURED_SAMPLES[extension]()
                assert pseudo(original, f"x{extension}") != original
            else:
                assert pseudo(b"Hello", f"x{extension}").decode().startswith("[fr] ")


def test_plain_text_streams_in_blocks_and_keeps_every_line_ending_and_the_bom():
    endings = ["\n", "\r\n", "\r"]
    lines = [f"Line {index}" + endings[index % 3] for index in range(5003)]
    original = codecs.BOM_UTF16_LE + "".join(lines).encode("utf-16-le")
    calls: list[int] = []

    def translate(segments):
        calls.append(len(segments))
        return PseudoEngine().translate(segments, source=None, target="fr")

    out = io.BytesIO()
    format_for("big.txt").extract(io.BytesIO(original), "big.txt").write(translate, out, "fr")

    assert calls == [2000, 2000, 1003]  # a block of lines at a time
    result = out.getvalue()
    assert result.startswith(codecs.BOM_UTF16_LE)
    text = result[2:].decode("utf-16-le")
    assert text.splitlines(keepends=True)[1] == "[fr] Ļîñé 1\r\n"
    assert [line[-1] for line in text.splitlines(keepends=True)] == [line[-1] for line in lines]


def test_an_encoding_error_deep_in_a_large_text_fails_before_any_translation():
    data = b"fine line\n" * 4000 + b"\xff\xfe broken\n"
    with pytest.raises(DocumentFailure) as caught:
        format_for("bad.txt").extract(io.BytesIO(data), "bad.txt")
    assert caught.value.detail.inner_code == "WrongDocumentEncoding"
