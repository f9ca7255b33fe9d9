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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from devstack.emulator.engine import RUN_BOUNDARY, charged_characters
from devstack.emulator.errors import NO_TRANSLATABLE_TEXT, DocumentFailure
from devstack.emulator.language_detection import SAMPLE_CHARS
from devstack.emulator.office import PRESENTATION, SPREADSHEET, WORD, OfficePackage, TextLayout
from devstack.emulator.opendocument import (
    PRESENTATION_MIMETYPE,
    SPREADSHEET_MIMETYPE,
    TEXT_MIMETYPE,
    OpenDocumentPackage,
)
from devstack.emulator.pdf import PdfDocument
from devstack.emulator.rtf import RtfDocument
from devstack.emulator.text_codec import decode_text, detect_encoding, line_blocks
from devstack.emulator.xliff import XliffDocument

# A cell may be as long as a document (csv's default limit, 131,072 characters, failed a valid file)
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))

Rebuild = Callable[[Sequence[str], BinaryIO], None]
LabelledRebuild = Callable[[Sequence[str], BinaryIO, str], None]  # also told the target language (XLIFF records it)
Translate = Callable[[Sequence[str]], list[str]]
Extract = Callable[[BinaryIO, str], "ExtractedDocument"]


@dataclass(frozen=True)
class ExtractedDocument:
    """A parsed document: the characters a translation charges, and a writer of its translation.

    `write(translate, out, language)` may call `translate` once with every segment, or (streaming formats) once per
    block; `language` is the target language, for formats that record it.
    """

    characters: int
    write: Callable[[Translate, BinaryIO, str], None]
    sample: str = ""  # the start of its translatable text, for language detection

    def with_text(self) -> ExtractedDocument:
        """Itself; raises DocumentFailure when it holds no translatable text (empty, whitespace, markup only)."""
        if self.characters == 0:
            raise DocumentFailure("NoTranslatableText", NO_TRANSLATABLE_TEXT)
        return self

    @classmethod
    def in_memory(cls, segments: list[str], rebuild: Rebuild) -> ExtractedDocument:
        """A document whose segments are all held at once (markup and Office formats)."""
        return cls.in_memory_labelled(segments, lambda translated, out, _: rebuild(translated, out))

    @classmethod
    def in_memory_labelled(cls, segments: list[str], rebuild: LabelledRebuild) -> ExtractedDocument:
        return cls(
            charged_characters(segments),
            lambda translate, out, language: rebuild(translate(segments), out, language),
            text_sample(segments),
        )


def text_sample(segments: Iterable[str], limit: int = SAMPLE_CHARS) -> str:
    """The first `limit` characters of the segments' text, one segment per line."""
    taken: list[str] = []
    size = 0
    for segment in segments:
        text = segment.replace(RUN_BOUNDARY, "").strip()
        if text:
            taken.append(text)
            size += len(text) + 1
            if size >= limit:
                break
    return "\n".join(taken)[:limit]


@dataclass(frozen=True)
class DocumentFormat:
    name: str
    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    extract: Extract = field(repr=False)
    versions: tuple[str, ...] = ()
    default_version: str | None = None

    def to_wire(self, kind: str = "Document") -> dict[str, Any]:
        """As the service lists it: `defaultVersion` and `versions` only for a format that has versions (XLIFF, in
        test_supported_formats.pyTestSupportedFormatstest_supported_document_formats.json)."""
        return wire_format(self.name, self.extensions, self.content_types, kind, self.versions, self.default_version)


def wire_format(
    name: str,
    extensions: Sequence[str],
    content_types: Sequence[str],
    kind: str,
    versions: Sequence[str] = (),
    default_version: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"format": name, "fileExtensions": list(extensions), "contentTypes": list(content_types)}
    if default_version:
        body["defaultVersion"] = default_version
    if versions:
        body["versions"] = list(versions)
    body["type"] = kind
    return body


def _extract_plain_text(source: BinaryIO, name: str) -> ExtractedDocument:
    """Each line is a segment; line endings, encoding and BOM are kept. Streams: a block of lines at a time, so a
    40 MB text file never sits in memory whole (one pass counts and checks the encoding, one pass per language)."""
    encoding = detect_encoding(source, name=name)
    characters = 0
    sample = ""
    for block in line_blocks(source, encoding, name=name):
        bodies = _bodies(block)
        characters += sum(len(body) for body in bodies if body.strip())
        sample = sample or text_sample(bodies)

    def write(translate: Translate, out: BinaryIO, _language: str) -> None:
        out.write(encoding.bom)
        for block in line_blocks(source, encoding, name=name):
            bodies = _bodies(block)
            for line, body, translated in zip(block, bodies, translate(bodies), strict=True):
                out.write((translated + line[len(body) :]).encode(encoding.codec))

    return ExtractedDocument(characters, write, sample)


def _bodies(lines: list[str]) -> list[str]:
    return [line.rstrip("\r\n") for line in lines]


_MD_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
# Markdown syntax kept verbatim: block markers at line start, inline code, link/image targets, autolinks, HTML tags,
# emphasis markers and table pipes. Everything between them is translatable text.
_MD_BLOCK_MARKER = re.compile(r"^(?:\s*(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+))*")
_MD_MARKUP_START = re.compile(r"[`\]!\[<*_~|]")
_BACKTICK, _CLOSE_PAREN, _TAG_STOP = re.compile("`"), re.compile(r"\)"), re.compile(r"[>\s]")


class _Scanner:
    """Searches one text for the next match of simple patterns, remembering each pattern's last answer: a scan that
    asks again from a later position (60,000 unclosed `<!--`) reuses it instead of searching to the end again, so
    splitting a document is linear in its length whatever it holds."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._last: dict[re.Pattern[str], tuple[int, re.Match[str] | None]] = {}

    def next(self, pattern: re.Pattern[str], start: int) -> re.Match[str] | None:
        searched_from, found = self._last.get(pattern, (len(self.text) + 1, None))
        if searched_from <= start and (found is None or found.start() >= start):
            return found
        found = pattern.search(self.text, start)
        self._last[pattern] = (start, found)
        return found


def _markdown_inline_end(scanner: _Scanner, start: int) -> int:
    """Where the inline markup at `start` ends (code span, link target, autolink or tag, emphasis, pipe)."""
    text = scanner.text
    char = text[start]
    if char == "`" and (close := scanner.next(_BACKTICK, start + 1)) is not None:
        return close.end()
    if text.startswith("](", start) and (close := scanner.next(_CLOSE_PAREN, start + 2)) is not None:
        return close.end()
    if text.startswith("![", start) or text.startswith("**", start) or text.startswith("__", start):
        return start + 2
    stop = scanner.next(_TAG_STOP, start + 1) if char == "<" else None
    if stop is not None and stop.group(0) == ">" and stop.start() > start + 1:
        return stop.end()
    return start + 1 if char in "[]*_~|" else start


def _markdown_inline_spans(text: str, start: int) -> Iterator[tuple[int, int]]:
    scanner = _Scanner(text)
    position = start
    while (found := scanner.next(_MD_MARKUP_START, position)) is not None:
        end = _markdown_inline_end(scanner, found.start())
        if end > found.start():
            yield found.start(), end
            position = end
        else:
            position = found.start() + 1


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
        _split_kept_markup(body, _markdown_inline_spans(body, start), start, pieces, segments)
        pieces.append(line[len(body) :])
    return ExtractedDocument.in_memory(segments, _piece_rebuilder(pieces, encoding.encode))


# Lexical HTML split that keeps every byte of markup as written (a parser would normalise tags and entities):
# comments, CDATA, script/style elements and tags are kept; the text between them is translated. An unclosed
# comment or element is a tag up to the next '>'; a '<' with no '>' after it is text.
_TAG_OPEN, _TAG_CLOSE = re.compile("<"), re.compile(">")
_HTML_BLOCKS = (
    ("<!--", re.compile("-->")),
    ("<![cdata[", re.compile(r"\]\]>")),
    ("<script", re.compile(r"</script\s*>", re.IGNORECASE)),
    ("<style", re.compile(r"</style\s*>", re.IGNORECASE)),
)


def _html_markup_end(scanner: _Scanner, start: int) -> int | None:
    text = scanner.text
    for opener, closer in _HTML_BLOCKS:
        if text[start : start + len(opener)].lower() != opener:
            continue
        after = start + len(opener)
        if opener[1].isalpha() and after < len(text) and (text[after].isalnum() or text[after] == "_"):
            continue  # `<scripts>` is a tag, not a script element
        if (close := scanner.next(closer, after)) is not None:
            return close.end()
        break
    close = scanner.next(_TAG_CLOSE, start + 1)
    return close.end() if close is not None else None


def _html_markup_spans(text: str) -> Iterator[tuple[int, int]]:
    scanner = _Scanner(text)
    position = 0
    while (opening := scanner.next(_TAG_OPEN, position)) is not None:
        end = _html_markup_end(scanner, opening.start())
        if end is None:
            return  # no '>' after this '<': nothing after it is markup
        yield opening.start(), end
        position = end


def _extract_html(source: BinaryIO, name: str) -> ExtractedDocument:
    text, encoding = decode_text(source.read(), name=name)
    pieces: list[str | int] = []
    segments: list[str] = []
    _split_kept_markup(text, _html_markup_spans(text), 0, pieces, segments)
    return ExtractedDocument.in_memory(segments, _piece_rebuilder(pieces, encoding.encode))


def _split_kept_markup(
    text: str, markup: Iterator[tuple[int, int]], start: int, pieces: list[str | int], segments: list[str]
) -> None:
    """Append text[start:] as kept markup (the spans, verbatim pieces) and translatable runs (segment indexes into
    pieces)."""
    last = start
    for span_start, span_end in markup:
        if span_start > last:
            pieces.append(len(segments))
            segments.append(text[last:span_start])
        pieces.append(text[span_start:span_end])
        last = span_end
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


def _opendocument_extractor(mimetype: str) -> Extract:
    def extract(source: BinaryIO, name: str) -> ExtractedDocument:
        package = OpenDocumentPackage(source, name, mimetype)
        return ExtractedDocument.in_memory(package.segments, package.write)

    return extract


def _extract_rtf(source: BinaryIO, name: str) -> ExtractedDocument:
    document = RtfDocument(source.read(), name)
    return ExtractedDocument.in_memory(document.segments, document.write)


def _extract_pdf(source: BinaryIO, name: str) -> ExtractedDocument:
    document = PdfDocument(source, name)
    return ExtractedDocument.in_memory(document.segments, document.write)


def _extract_xliff(source: BinaryIO, name: str) -> ExtractedDocument:
    document = XliffDocument(source.read(), name)
    return ExtractedDocument.in_memory_labelled(document.segments, document.write)


XLIFF_VERSIONS = ("1.0", "1.1", "1.2")  # as the service lists them; 2.0 files are translated too

DOCUMENT_FORMATS: tuple[DocumentFormat, ...] = (
    DocumentFormat("PlainText", (".txt",), ("text/plain",), _extract_plain_text),
    DocumentFormat("HtmlFile", (".html", ".htm"), ("text/html",), _extract_html),
    DocumentFormat(
        "Markdown",
        (".markdown", ".mdown", ".mkdn", ".md", ".mkd", ".mdwn", ".mdtxt", ".mdtext", ".rmd"),
        ("text/markdown", "text/x-markdown", "text/plain"),
        _extract_markdown,
    ),
    DocumentFormat("CSV", (".csv",), ("text/csv",), _delimited_extractor(",")),
    DocumentFormat("TSV", (".tsv", ".tab"), ("text/tab-separated-values",), _delimited_extractor("\t")),
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
    DocumentFormat("RichTextFormat", (".rtf",), ("application/rtf",), _extract_rtf),
    DocumentFormat("OpenDocumentText", (".odt",), (TEXT_MIMETYPE,), _opendocument_extractor(TEXT_MIMETYPE)),
    DocumentFormat(
        "OpenDocumentPresentation",
        (".odp",),
        (PRESENTATION_MIMETYPE,),
        _opendocument_extractor(PRESENTATION_MIMETYPE),
    ),
    DocumentFormat(
        "OpenDocumentSpreadsheet", (".ods",), (SPREADSHEET_MIMETYPE,), _opendocument_extractor(SPREADSHEET_MIMETYPE)
    ),
    DocumentFormat(
        "XLIFF", (".xlf",), ("application/xliff+xml",), _extract_xliff, versions=XLIFF_VERSIONS, default_version="1.2"
    ),
    DocumentFormat("PortableDocumentFormat", (".pdf",), ("application/pdf",), _extract_pdf),
)

GLOSSARY_FORMATS_WIRE: tuple[dict[str, Any], ...] = (
    wire_format("XLIFF", (".xlf",), ("application/xliff+xml",), "Glossary", XLIFF_VERSIONS, "1.2"),
    wire_format("TSV", (".tsv", ".tab"), ("text/tab-separated-values",), "Glossary"),
    wire_format("CSV", (".csv",), ("text/csv",), "Glossary"),
)

_BY_EXTENSION = {ext: fmt for fmt in DOCUMENT_FORMATS for ext in fmt.extensions}


def format_for(name: str) -> DocumentFormat | None:
    """The format of a blob name, by its extension (case-insensitive); None when unsupported."""
    return _BY_EXTENSION.get(posixpath.splitext(name)[1].lower())
