"""Office Open XML documents (docx, pptx, xlsx): translate the text, keep every other byte of the package.

Lower-level OOXML handling (zipfile + lxml) rather than python-docx / python-pptx / openpyxl, where they fall short:
python-docx has no API for footnotes, endnotes or text boxes; openpyxl rebuilds a workbook on save and drops its
charts and images; python-pptx would reach every text frame, but one path that rewrites only the text-bearing XML
parts serves all three formats and leaves every other part byte-for-byte as it was. The tests build and check
documents with those libraries.

A paragraph split into runs (formatting changes, spell-check marks, fields) is translated as one sentence with a
boundary mark (engine.RUN_BOUNDARY) between its runs, so a glossary term spanning runs still applies; the engine keeps
the marks as it keeps inline tags, and each run gets the translation of its own words, so bold stays on the same
words. An engine that loses a mark gets its translation shared out over the runs in proportion to their original
lengths, cut at word boundaries. The count of paragraphs, runs and cells never changes.
"""

from __future__ import annotations

import copy
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from devstack.emulator.engine import RUN_BOUNDARY
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.xml_text import SAFE_PARSER_OPTIONS, run_shares

_CONTENT_TYPES = "[Content_Types].xml"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
COPY_CHUNK = 1024 * 1024
MB = 1024 * 1024
# Before any part is read, its declared size and compression ratio are checked (zipfile never inflates a part past
# its declared size: a part that lies about it fails its CRC check). A 1 KB docx can declare a 256 MB document.xml.
MAX_XML_PART_BYTES = 64 * MB  # an XML part is parsed whole
MAX_XML_BYTES = 128 * MB  # all parsed parts together
MAX_PACKAGE_BYTES = 1024 * MB  # every part, once inflated (the others are copied through, piece by piece)
MAX_RATIO = 200  # inflated / compressed, for parts over SMALL_PART
SMALL_PART = 1 * MB
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # what an encrypted Office file is wrapped in

_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_PRESENTATION = "application/vnd.openxmlformats-officedocument.presentationml."
_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml."


@dataclass(frozen=True)
class TextLayout:
    """Where text lives in one kind of package: the parts, the paragraph element, the text element."""

    main_content_types: tuple[str, ...]  # one of these must be present, or the file is not this format
    text_content_types: tuple[str, ...]
    paragraphs: tuple[str, ...]
    text: str
    skip_inside: tuple[str, ...] = ()  # text under these elements is not content (e.g. phonetic guides)


WORD = TextLayout(
    main_content_types=(_WORD + "document.main+xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
    text_content_types=(
        _WORD + "document.main+xml",
        _WORD + "header+xml",
        _WORD + "footer+xml",
        _WORD + "footnotes+xml",
        _WORD + "endnotes+xml",
    ),
    paragraphs=(_W + "p",),
    text=_W + "t",
)
PRESENTATION = TextLayout(
    main_content_types=(_PRESENTATION + "presentation.main+xml",),
    text_content_types=(_PRESENTATION + "slide+xml", _PRESENTATION + "notesSlide+xml"),
    paragraphs=(_A + "p",),
    text=_A + "t",
)
SPREADSHEET = TextLayout(
    main_content_types=(_SHEET + "sheet.main+xml",),
    # Shared strings hold the workbook's string cells; inline strings sit in the worksheets. Numbers, dates,
    # formulas (and their cached results), styles and sheet names are elsewhere and never touched.
    text_content_types=(_SHEET + "sharedStrings+xml", _SHEET + "worksheet+xml"),
    paragraphs=(_X + "si", _X + "is"),
    text=_X + "t",
    skip_inside=(_X + "rPh",),
)


@dataclass
class _Paragraph:
    texts: list[etree._Element]
    lengths: list[int]


class OfficePackage:
    """A parsed package: its text paragraphs as segments, and a writer for a translated copy."""

    def __init__(self, source: BinaryIO, name: str, layout: TextLayout) -> None:
        kind = name.rsplit(".", 1)[-1]
        head = source.read(len(OLE_SIGNATURE))
        source.seek(0)
        if head == OLE_SIGNATURE:
            raise DocumentFailure(
                "UnsupportedDocument", f"'{name}' is password-protected or encrypted; remove the protection first."
            )
        try:
            self._zip = zipfile.ZipFile(source)  # parts are read from the (spooled) file as they are needed
            check_sizes(self._zip.infolist(), name, kind)
            check_xml_sizes([self._zip.getinfo(_CONTENT_TYPES)], name)
            types = self._xml(_CONTENT_TYPES, name)
            parts = {
                item.get("PartName", "").lstrip("/"): item.get("ContentType", "")
                for item in types.iter(_CT + "Override")
            }
            if not any(content_type in layout.main_content_types for content_type in parts.values()):
                raise DocumentFailure("InvalidDocument", f"'{name}' is a zip package but not a .{kind} document.")
            text_parts = [
                part
                for part, content_type in parts.items()
                if content_type in layout.text_content_types and part in self._zip.NameToInfo
            ]
            check_xml_sizes([self._zip.getinfo(part) for part in text_parts], name)
            self._trees = {part: self._xml(part, name) for part in text_parts}
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, EOFError, ValueError) as exc:
            raise DocumentFailure("InvalidDocument", f"'{name}' is corrupt or not a valid .{kind} file.") from exc
        self._paragraphs = [
            paragraph for tree in self._trees.values() for paragraph in _paragraphs(tree, layout) if paragraph.texts
        ]
        # one segment per paragraph, its runs joined by RUN_BOUNDARY: translated as one sentence, split back per run
        self.segments = [
            RUN_BOUNDARY.join(text.text or "" for text in paragraph.texts) for paragraph in self._paragraphs
        ]

    def _xml(self, part: str, name: str) -> etree._Element:
        """A part parsed without entities, DTDs or network access; one that declares a DTD is refused, as Office
        refuses it (its entities would be left unresolved, and the output would not be well-formed)."""
        root = etree.fromstring(self._zip.read(part), etree.XMLParser(**SAFE_PARSER_OPTIONS))
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise DocumentFailure(
                "InvalidDocument",
                f"'{name}': the part '{part}' declares a document type (DTD); Office documents never do.",
            )
        return root

    def write(self, translated: Sequence[str], out: BinaryIO) -> None:
        for paragraph, text in zip(self._paragraphs, translated, strict=True):
            for element, share in zip(paragraph.texts, run_shares(text, paragraph.lengths), strict=True):
                element.text = share
                if share != share.strip():
                    element.set(_XML_SPACE, "preserve")
        with zipfile.ZipFile(out, "w") as target:
            for info in self._zip.infolist():
                tree = self._trees.get(info.filename)
                written = copy.copy(info)  # writing fills in offsets and sizes: never on the source's own entry
                if tree is None:
                    copy_member(self._zip, info, target, written)
                else:
                    xml = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
                    target.writestr(written, xml, compress_type=zipfile.ZIP_DEFLATED)


def check_sizes(infos: list[zipfile.ZipInfo], name: str, kind: str) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if (info.file_size > SMALL_PART and ratio > MAX_RATIO) or total > MAX_PACKAGE_BYTES:
            raise DocumentFailure(
                "InvalidDocument",
                f"'{name}' is not a valid .{kind} file: its part '{info.filename}' inflates from {info.compress_size} "
                f"to {info.file_size} bytes (a zip bomb?); at most {MAX_RATIO}:1 and {MAX_PACKAGE_BYTES // MB} MB "
                "in all are accepted.",
            )


def check_xml_sizes(infos: list[zipfile.ZipInfo], name: str) -> None:
    largest = max(infos, key=lambda info: info.file_size, default=None)
    total = sum(info.file_size for info in infos)
    if largest is not None and (largest.file_size > MAX_XML_PART_BYTES or total > MAX_XML_BYTES):
        raise DocumentFailure(
            "InvalidDocument",
            f"'{name}': its text parts hold {total} bytes of XML ('{largest.filename}': {largest.file_size}); at most "
            f"{MAX_XML_PART_BYTES // MB} MB a part and {MAX_XML_BYTES // MB} MB in all are accepted.",
        )


def copy_member(
    source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile, written: zipfile.ZipInfo
) -> None:
    """Copy one part in 1 MB pieces (a 40 MB image never sits in memory whole)."""
    with source.open(info) as reader, target.open(written, "w", force_zip64=info.file_size > 2**31) as writer:
        shutil.copyfileobj(reader, writer, COPY_CHUNK)


def _paragraphs(tree: etree._Element, layout: TextLayout) -> list[_Paragraph]:
    """Each paragraph element with its own text elements (not those of paragraphs nested in it, e.g. text boxes)."""
    found = []
    for paragraph in tree.iter(*layout.paragraphs):
        texts = [
            text
            for text in paragraph.iter(layout.text)
            if next(text.iterancestors(*layout.paragraphs), None) is paragraph
            and not (layout.skip_inside and any(True for _ in text.iterancestors(*layout.skip_inside)))
        ]
        found.append(_Paragraph(texts, [len(text.text or "") for text in texts]))
    return found
