from __future__ import annotations

import random
import re

import pytest

from devstack.emulator.errors import DocumentFailure
from devstack.emulator.glossaries import MAX_GLOSSARY_TERMS, Glossary, merge_glossaries, parse_glossary


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
        parse_glossary(b"%PDF-1.7", "PDF", name="g.pdf")
    assert failure.value.detail.inner_code == "InvalidGlossaryFormat"


def test_first_glossary_wins_on_conflicting_terms():
    merged = merge_glossaries([Glossary({"a": "1"}), Glossary({"a": "2", "b": "3"})])
    assert merged.terms == {"a": "1", "b": "3"}


def regex_spans(terms: list[str], text: str) -> list[tuple[int, int]]:
    """The glossary's former matcher, one alternation of the terms longest first: the reference semantics."""
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):
        left = r"(?<!\w)" if term[0].isalnum() or term[0] == "_" else ""
        right = r"(?!\w)" if term[-1].isalnum() or term[-1] == "_" else ""
        alternatives.append(f"{left}{re.escape(term)}{right}")
    return [match.span() for match in re.finditer("|".join(alternatives), text)]


def test_the_term_matcher_finds_what_the_longest_first_alternation_found():
    generator = random.Random(20)
    alphabet = "ab c-"
    for _ in range(2000):
        terms = list({"".join(generator.choices(alphabet, k=generator.randint(1, 4))).strip() or "a" for _ in range(4)})
        text = "".join(generator.choices(alphabet, k=30))
        assert list(Glossary(dict.fromkeys(terms, "x")).matcher.spans(text)) == regex_spans(terms, text), (terms, text)


def test_a_glossary_over_the_term_limit_fails_with_its_own_code():
    data = "".join(f"t{index}\tx\n" for index in range(MAX_GLOSSARY_TERMS + 1)).encode()
    with pytest.raises(DocumentFailure) as failure:
        parse_glossary(data, "TSV", name="g.tsv")
    assert failure.value.detail.inner_code == "GlossaryTooManyTerms"
