"""OpenDocument text, spreadsheet and presentation (odt, ods, odp): translate the text, keep every other byte.

The package is a zip whose first member, `mimetype`, names its kind. Text lives in `content.xml` (the body: text,
cells, slides, notes) and `styles.xml` (headers, footers, master pages), in `<text:p>` and `<text:h>` paragraphs
of mixed content: spans, links and fields inside a paragraph are runs (xml_text), so each keeps its formatting on its
own words. A paragraph nested in another (a footnote, a text box) is a paragraph of its own; annotations' metadata
(author, date) and footnote numbers are not text. Every other member is copied through unchanged, `mimetype` first
and stored, as the format requires.
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Sequence
from typing import BinaryIO

from lxml import etree

from devstack.emulator.errors import DocumentFailure
from devstack.emulator.office import check_sizes, check_xml_sizes, copy_member
from devstack.emulator.xml_text import Slot, joined, parse_xml, text_slots, write_slots

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
PARAGRAPHS = frozenset({_TEXT + "p", _TEXT + "h"})
OPAQUE = frozenset({_OFFICE + "annotation", _TEXT + "note-citation"})
TEXT_PARTS = ("content.xml", "styles.xml")
TEXT_MIMETYPE = "application/vnd.oasis.opendocument.text"
SPREADSHEET_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
PRESENTATION_MIMETYPE = "application/vnd.oasis.opendocument.presentation"


class OpenDocumentPackage:
    """A parsed package: its paragraphs as segments, and a writer for a translated copy."""

    def __init__(self, source: BinaryIO, name: str, mimetype: str) -> None:
        kind = name.rsplit(".", 1)[-1]
        try:
            self._zip = zipfile.ZipFile(source)
            check_sizes(self._zip.infolist(), name, kind)
            if self._zip.read("mimetype").decode("ascii", "replace").strip() != mimetype:
                raise DocumentFailure("InvalidDocument", f"'{name}' is a zip package but not a .{kind} document.")
            parts = [part for part in TEXT_PARTS if part in self._zip.NameToInfo]
            check_xml_sizes([self._zip.getinfo(part) for part in parts], name)
            self._trees = {part: parse_xml(self._zip.read(part), name, f"the part '{part}'") for part in parts}
        except (zipfile.BadZipFile, KeyError, EOFError, ValueError) as exc:
            raise DocumentFailure("InvalidDocument", f"'{name}' is corrupt or not a valid .{kind} file.") from exc
        except DocumentFailure as failure:
            if failure.detail.inner_code == "InvalidDocument" and "encryption-data" in self._manifest():
                raise DocumentFailure(
                    "UnsupportedDocument", f"'{name}' is password-protected or encrypted; remove the protection first."
                ) from failure
            raise
        self._paragraphs: list[list[Slot]] = [
            text_slots(paragraph, opaque=OPAQUE, separate=PARAGRAPHS)
            for tree in self._trees.values()
            for paragraph in tree.iter(*PARAGRAPHS)
        ]
        self.segments = [joined(slots) for slots in self._paragraphs]

    def _manifest(self) -> str:
        try:
            return self._zip.read("META-INF/manifest.xml").decode("utf-8", "replace")
        except KeyError:
            return ""

    def write(self, translated: Sequence[str], out: BinaryIO) -> None:
        for slots, text in zip(self._paragraphs, translated, strict=True):
            write_slots(slots, text)
        with zipfile.ZipFile(out, "w") as target:
            for info in self._zip.infolist():  # in their order: `mimetype` stays first, and stored
                tree = self._trees.get(info.filename)
                written = copy.copy(info)  # writing fills in offsets and sizes: never on the source's own entry
                if tree is None:
                    copy_member(self._zip, info, target, written)
                else:
                    xml = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
                    target.writestr(written, xml, compress_type=zipfile.ZIP_DEFLATED)
