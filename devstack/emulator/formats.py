"""Document formats the emulator translates, each keeping the document's structure: only text content changes.

A handler splits a document into translatable segments once; `rebuild` writes the document with translated segments
in place to an output file, so one read and one parse serve every target language. Documents come and go as files
(spooled to disk when large), never as whole copies in memory beyond what a format's parser needs.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from devstack.emulator.engine import charged_characters
from devstack.emulator.office import PRESENTATION, SPREADSHEET, WORD, OfficePackage, TextLayout
from devstack.emulator.text_codec import decode_text, detect_encoding, line_blocks

Rebuild = Callable[[Sequence[str], BinaryIO], None]
Translate = Callable[[Sequence[str]], list[str]]
Extract = Callable[[BinaryIO, str], "ExtractedDocument"]


@dataclass(frozen=True)
class ExtractedDocument:
    """A parsed document: the characters a translation charges, and a writer of its translation.

    `write(translate, out)` may call `translate` once with every segment, or (streaming formats) once per block.
    """

    characters: int
    write: Callable[[Translate, BinaryIO], None]

    @classmethod
    def in_memory(cls, segments: list[str], rebuild: Rebuild) -> ExtractedDocument:
        """A document whose segments are all held at once (markup and Office formats)."""
        return cls(charged_characters(segments), lambda translate, out: rebuild(translate(segments), out))


@dataclass(frozen=True)
class DocumentFormat:
    name: str
    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    extract: Extract = field(repr=False)

    def to_wire(self) -> dict[str, Any]:
        return {
            "format": self.name,
            "fileExtensions": list(self.extensions),
            "contentTypes": list(self.content_types),
            "versions": [],
            "type": "Document",
        }


def _extract_plain_text(source: BinaryIO, name: str) -> ExtractedDocument:
    """Each line is a segment; line endings, encoding and BOM are kept. Streams: a block of lines at a time, so a
    40 MB text file never sits in memory whole (one pass counts and checks the encoding, one pass per language)."""
    encoding = detect_encoding(source)
    characters = sum(
        len(body) for block in line_blocks(source, encoding, name=name) for body in _bodies(block) if body.strip()
    )

    def write(translate: Translate, out: BinaryIO) -> None:
        out.write(encoding.bom)
        for block in line_blocks(source, encoding, name=name):
            bodies = _bodies(block)
            for line, body, translated in zip(block, bodies, translate(bodies), strict=True):
                out.write((translated + line[len(body) :]).encode(encoding.codec))

    return ExtractedDocument(characters, write)


def _bodies(lines: list[str]) -> list[str]:
    return [line.rstrip("\r\n") for line in lines]


_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# Markdown syntax kept verbatim: block markers at line start, inline code, link/image targets, autolinks, HTML tags,
# emphasis markers and table pipes. Everything between them is translatable text.
_MD_BLOCK_MARKER = re.compile(r"^(?:\s*(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+))*")
_MD_INLINE = re.compile(r"`[^`]*`|\]\([^)]*\)|!?\[|\]|<[^>\s]+>|\*\*|__|[*_~|]")


def _extract_markdown(source: BinaryIO, name: str) -> ExtractedDocument:
    text, encoding = decode_text(source.read(), name=name)
    pieces: list[str | int] = []
    segments: list[str] = []
    in_fence = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if _MD_FENCE.match(body):
            in_fence = not in_fence
        if in_fence or _MD_FENCE.match(body) or body.startswith(("    ", "\t")):
            pieces.append(line)
            continue
        marker = _MD_BLOCK_MARKER.match(body)
        start = marker.end() if marker else 0
        pieces.append(body[:start])
        _split_kept_markup(body, _MD_INLINE, start, pieces, segments)
        pieces.append(line[len(body) :])
    return ExtractedDocument.in_memory(segments, _piece_rebuilder(pieces, encoding.encode))


# Lexical HTML split that keeps every byte of markup as written (a parser would normalise tags and entities):
# comments, script/style elements and tags are kept; the text between them is translated.
_HTML_MARKUP = re.compile(
    r"<!--.*?-->|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!\[CDATA\[.*?\]\]>|<[^>]*>",
    re.DOTALL | re.IGNORECASE,
)


def _extract_html(source: BinaryIO, name: str) -> ExtractedDocument:
    text, encoding = decode_text(source.read(), name=name)
    pieces: list[str | int] = []
    segments: list[str] = []
    _split_kept_markup(text, _HTML_MARKUP, 0, pieces, segments)
    return ExtractedDocument.in_memory(segments, _piece_rebuilder(pieces, encoding.encode))


def _split_kept_markup(
    text: str, markup: re.Pattern[str], start: int, pieces: list[str | int], segments: list[str]
) -> None:
    """Append text[start:] as kept markup (verbatim pieces) and translatable runs (segment indexes into pieces)."""
    last = start
    for match in markup.finditer(text, start):
        if match.start() > last:
            pieces.append(len(segments))
            segments.append(text[last : match.start()])
        pieces.append(match.group(0))
        last = match.end()
    if last < len(text):
        pieces.append(len(segments))
        segments.append(text[last:])


def _piece_rebuilder(pieces: list[str | int], encode: Callable[[str], bytes]) -> Rebuild:
    def rebuild(translated: Sequence[str], out: BinaryIO) -> None:
        out.write(encode("".join(translated[p] if isinstance(p, int) else p for p in pieces)))

    return rebuild


def _delimited_extractor(delimiter: str) -> Extract:
    """Each cell is a segment; rows, columns, delimiter and line terminator are kept."""

    def extract(source: BinaryIO, name: str) -> ExtractedDocument:
        text, encoding = decode_text(source.read(), name=name)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        terminator = "\r\n" if "\r\n" in text else "\n"
        trailing_newline = text.endswith(("\n", "\r"))
        segments = [cell for row in rows for cell in row]

        def rebuild(translated: Sequence[str], out_file: BinaryIO) -> None:
            cells = iter(translated)
            out = io.StringIO()
            writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
            for row in rows:
                writer.writerow([next(cells) for _ in row])
            result = out.getvalue()
            if not trailing_newline and result.endswith(terminator):
                result = result[: -len(terminator)]
            out_file.write(encoding.encode(result))

        return ExtractedDocument.in_memory(segments, rebuild)

    return extract


def _office_extractor(layout: TextLayout) -> Extract:
    def extract(source: BinaryIO, name: str) -> ExtractedDocument:
        package = OfficePackage(source, name, layout)
        return ExtractedDocument.in_memory(package.segments, package.write)

    return extract


DOCUMENT_FORMATS: tuple[DocumentFormat, ...] = (
    DocumentFormat("PlainText", (".txt",), ("text/plain",), _extract_plain_text),
    DocumentFormat("HtmlFile", (".html", ".htm"), ("text/html",), _extract_html),
    DocumentFormat(
        "Markdown",
        (".markdown", ".mdown", ".mkdn", ".md", ".mkd", ".mdwn", ".mdtxt", ".mdtext", ".rmd"),
        ("text/markdown", "text/x-markdown", "text/plain"),
        _extract_markdown,
    ),
    DocumentFormat("CommaSeparatedValues", (".csv",), ("text/csv",), _delimited_extractor(",")),
    DocumentFormat("TabSeparatedValues", (".tsv", ".tab"), ("text/tab-separated-values",), _delimited_extractor("\t")),
    DocumentFormat(
        "OpenXmlWord",
        (".docx",),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        _office_extractor(WORD),
    ),
    DocumentFormat(
        "OpenXmlPresentation",
        (".pptx",),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
        _office_extractor(PRESENTATION),
    ),
    DocumentFormat(
        "OpenXmlSpreadsheet",
        (".xlsx",),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
        _office_extractor(SPREADSHEET),
    ),
)

GLOSSARY_FORMATS_WIRE: tuple[dict[str, Any], ...] = (
    {
        "format": "TSV",
        "fileExtensions": [".tsv", ".tab"],
        "contentTypes": ["text/tab-separated-values"],
        "versions": [],
        "type": "Glossary",
    },
    {"format": "CSV", "fileExtensions": [".csv"], "contentTypes": ["text/csv"], "versions": [], "type": "Glossary"},
)

_BY_EXTENSION = {ext: fmt for fmt in DOCUMENT_FORMATS for ext in fmt.extensions}


def format_for(name: str) -> DocumentFormat | None:
    """The format of a blob name, by its extension (case-insensitive); None when unsupported."""
    return _BY_EXTENSION.get(posixpath.splitext(name)[1].lower())
