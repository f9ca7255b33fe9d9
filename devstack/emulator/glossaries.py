"""Glossaries: exact, case-sensitive term lists in TSV or CSV, read through the URL given in the request."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from devstack.emulator.errors import DocumentFailure
from devstack.emulator.text_codec import decode_text

GLOSSARY_FORMATS: dict[str, str] = {"TSV": "\t", "TAB": "\t", "CSV": ","}
MAX_GLOSSARY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Glossary:
    """Exact, case-sensitive term replacements (source term -> target term)."""

    terms: Mapping[str, str]

    def pattern(self) -> re.Pattern[str] | None:
        if not self.terms:
            return None
        alternatives = []
        for term in sorted(self.terms, key=len, reverse=True):
            left = r"(?<!\w)" if term[0].isalnum() or term[0] == "_" else ""
            right = r"(?!\w)" if term[-1].isalnum() or term[-1] == "_" else ""
            alternatives.append(f"{left}{re.escape(term)}{right}")
        return re.compile("|".join(alternatives))


def merge_glossaries(glossaries: Sequence[Glossary]) -> Glossary:
    """Earlier glossaries win when two define the same source term."""
    merged: dict[str, str] = {}
    for glossary in glossaries:
        for source, target in glossary.terms.items():
            merged.setdefault(source, target)
    return Glossary(merged)


def parse_glossary(data: bytes, file_format: str, *, name: str) -> Glossary:
    """Parse a two-column glossary; a malformed one fails the document with a message naming the line."""
    delimiter = GLOSSARY_FORMATS.get(file_format.upper())
    if delimiter is None:
        raise DocumentFailure(
            "InvalidGlossaryFormat",
            f"Glossary '{name}' has format '{file_format}'; supported glossary formats: TSV, CSV.",
        )
    if len(data) > MAX_GLOSSARY_BYTES:
        raise DocumentFailure("GlossaryTooLarge", f"Glossary '{name}' is larger than 10 MB.")
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
    return Glossary(terms)
