"""Glossaries: exact, case-sensitive term lists in TSV or CSV, read through the URL given in the request."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import ahocorasick

from devstack.emulator.errors import DocumentFailure
from devstack.emulator.text_codec import decode_text

GLOSSARY_FORMATS: dict[str, str] = {"TSV": "\t", "TAB": "\t", "CSV": ","}
XLIFF_GLOSSARY_FORMATS = frozenset({"XLIFF", "XLF"})
MAX_GLOSSARY_BYTES = 10 * 1024 * 1024
MAX_GLOSSARY_TERMS = 100_000
csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_GLOSSARY_BYTES))  # one long term is not a malformed file


@dataclass(frozen=True)
class Glossary:
    """Exact, case-sensitive term replacements (source term -> target term)."""

    terms: Mapping[str, str]

    @cached_property
    def matcher(self) -> TermMatcher | None:
        """Built once per glossary (an Aho-Corasick automaton: linear in the text, whatever the number of terms)."""
        return TermMatcher(self.terms) if self.terms else None


class TermMatcher:
    """Finds glossary terms as a regular expression of the terms, longest first, would: at each position the longest
    term that stands as a whole word (a term that starts or ends with a letter, digit or '_' must not touch another
    one there), scanning on after each match."""

    def __init__(self, terms: Mapping[str, str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for term in terms:
            self._automaton.add_word(term, len(term))
        self._automaton.make_automaton()

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each term in `text`, left to right, never overlapping."""
        longest: dict[int, int] = {}
        for last, length in self._automaton.iter(text):
            start = last + 1 - length
            if length > longest.get(start, 0) and _stands_alone(text, start, last + 1):
                longest[start] = length
        cursor = 0
        for start in sorted(longest):
            if start >= cursor:
                cursor = start + longest[start]
                yield start, cursor


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _stands_alone(text: str, start: int, end: int) -> bool:
    left_ok = not _is_word(text[start]) or start == 0 or not _is_word(text[start - 1])
    right_ok = not _is_word(text[end - 1]) or end == len(text) or not _is_word(text[end])
    return left_ok and right_ok


def merge_glossaries(glossaries: Sequence[Glossary]) -> Glossary:
    """Earlier glossaries win when two define the same source term."""
    if len(glossaries) == 1:
        return glossaries[0]  # and its matcher, already built
    merged: dict[str, str] = {}
    for glossary in glossaries:
        for source, target in glossary.terms.items():
            merged.setdefault(source, target)
    return Glossary(merged)


def parse_glossary(data: bytes, file_format: str, *, name: str) -> Glossary:
    """Parse a two-column or XLIFF glossary; a malformed one fails the document with a message naming the line."""
    kind = file_format.upper()
    if kind not in GLOSSARY_FORMATS and kind not in XLIFF_GLOSSARY_FORMATS:
        raise DocumentFailure(
            "InvalidGlossaryFormat",
            f"Glossary '{name}' has format '{file_format}'; supported glossary formats: XLIFF, TSV, CSV.",
        )
    if len(data) > MAX_GLOSSARY_BYTES:
        raise DocumentFailure("GlossaryTooLarge", f"Glossary '{name}' is larger than 10 MB.")
    if kind in XLIFF_GLOSSARY_FORMATS:
        return _xliff_glossary(data, name)
    delimiter = GLOSSARY_FORMATS[kind]
    text, _ = decode_text(data, name=name)
    terms: dict[str, str] = {}
    for line_number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise DocumentFailure(
                "InvalidGlossary",
                f"Glossary '{name}' line {line_number} must have exactly two non-empty columns "
                f"(source term, target term) separated by {'a tab' if delimiter == chr(9) else 'a comma'}.",
            )
        terms.setdefault(row[0].strip(), row[1].strip())
        if len(terms) > MAX_GLOSSARY_TERMS:
            raise DocumentFailure(
                "GlossaryTooManyTerms",
                f"Glossary '{name}' has more than {MAX_GLOSSARY_TERMS:,} terms (line {line_number}); split it by "
                "subject or keep the terms that matter.",
            )
    return Glossary(terms)


def _xliff_glossary(data: bytes, name: str) -> Glossary:
    from devstack.emulator.xliff import XliffDocument  # xliff -> xml_text -> engine -> glossaries: imported late

    terms = XliffDocument(data, name).glossary_terms()
    if len(terms) > MAX_GLOSSARY_TERMS:
        raise DocumentFailure(
            "GlossaryTooManyTerms",
            f"Glossary '{name}' has more than {MAX_GLOSSARY_TERMS:,} terms; split it by subject.",
        )
    return Glossary(terms)
