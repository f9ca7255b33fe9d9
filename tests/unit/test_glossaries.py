from __future__ import annotations

import pytest

from devstack.emulator.errors import DocumentFailure
from devstack.emulator.glossaries import Glossary, merge_glossaries, parse_glossary


def test_tsv_and_csv_glossaries_parse_to_term_pairs():
    assert parse_glossary(b"Contoso\tContoso SA\ncloud\tnuage\n", "TSV", name="g.tsv").terms == {
        "Contoso": "Contoso SA",
        "cloud": "nuage",
    }
    assert parse_glossary(b'"Hello, world",Bonjour\n', "csv", name="g.csv").terms == {"Hello, world": "Bonjour"}


def test_blank_lines_are_ignored_and_utf8_bom_is_accepted():
    assert parse_glossary(b"\xef\xbb\xbfa\tb\n\n", "TSV", name="g.tsv").terms == {"a": "b"}


@pytest.mark.parametrize("content", [b"only-one-column\n", b"a\tb\tc\n", b"a\t\n"])
def test_malformed_glossary_names_the_line(content: bytes):
    with pytest.raises(DocumentFailure) as failure:
        parse_glossary(b"ok\tfine\n" + content, "TSV", name="g.tsv")
    assert failure.value.detail.inner_code == "InvalidGlossary"
    assert "line 2" in failure.value.detail.message


def test_unsupported_glossary_format_fails_the_document():
    with pytest.raises(DocumentFailure) as failure:
        parse_glossary(b"<xliff/>", "XLIFF", name="g.xlf")
    assert failure.value.detail.inner_code == "InvalidGlossaryFormat"


def test_first_glossary_wins_on_conflicting_terms():
    merged = merge_glossaries([Glossary({"a": "1"}), Glossary({"a": "2", "b": "3"})])
    assert merged.terms == {"a": "1", "b": "3"}
