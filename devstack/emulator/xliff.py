"""XLIFF 1.0/1.1/1.2 and 2.0: each unit's `<source>` is translated into its `<target>`, the rest kept.

1.x: every `<trans-unit>` not marked `translate="no"` gets a `<target state="translated">` (an existing one is
replaced), and each `<file>` its `target-language`. 2.0: every `<segment>` of a unit not marked `translate="no"` gets
a `<target>`, and the root its `trgLang`. Inline codes (`<x/>`, `<bx/>`, `<ex/>`, `<ph>`, `<sc/>`, `<ec/>`, ...)
are copied into the target as they are; the text around and inside paired codes (`<g>`, `<pc>`, `<mrk>`) is
translated with each piece kept in its place. As a glossary, each unit's source text maps to its target text.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from lxml import etree

from devstack.emulator.errors import DocumentFailure
from devstack.emulator.xml_text import joined, parse_xml, text_slots, write_slots

XLIFF_1 = ("urn:oasis:names:tc:xliff:document:1.1", "urn:oasis:names:tc:xliff:document:1.2", "")
XLIFF_2 = "urn:oasis:names:tc:xliff:document:2.0"
MAX_XLIFF_BYTES = 64 * 1024 * 1024
# inline elements whose content is native code, not text
_OPAQUE_LOCAL_NAMES = frozenset({"x", "bx", "ex", "ph", "bpt", "ept", "it", "sub", "sc", "ec", "cp"})


class XliffDocument:
    """A parsed XLIFF file: one segment per source, and a writer of the translated file."""

    def __init__(self, data: bytes, name: str) -> None:
        if len(data) > MAX_XLIFF_BYTES:
            raise DocumentFailure("DocumentTooLarge", f"'{name}' is larger than {MAX_XLIFF_BYTES} bytes of XML.")
        self._root = parse_xml(data, name, "the file")
        namespace = etree.QName(self._root).namespace or ""
        if etree.QName(self._root).localname != "xliff" or namespace not in (*XLIFF_1, XLIFF_2):
            raise DocumentFailure("InvalidDocument", f"'{name}' is XML but not an XLIFF 1.x or 2.0 file.")
        self._ns = f"{{{namespace}}}" if namespace else ""
        self._version_2 = namespace == XLIFF_2
        self._opaque = frozenset(self._ns + local for local in _OPAQUE_LOCAL_NAMES)
        self._units = list(self._sources())
        self._slots = [text_slots(source, opaque=self._opaque) for _, source in self._units]
        self.segments = [joined(slots) for slots in self._slots]

    def _sources(self) -> Iterator[tuple[etree._Element, etree._Element]]:
        """(the unit or segment that holds a source, the source), for every translatable one."""
        holder = "segment" if self._version_2 else "trans-unit"
        for element in self._root.iter(self._ns + holder):
            unit = element.getparent() if self._version_2 else element
            if unit is not None and unit.get("translate") == "no":
                continue
            source = element.find(self._ns + "source")
            if source is not None:
                yield element, source

    def write(self, translated: Sequence[str], out: BinaryIO, language: str) -> None:
        for (holder, source), text in zip(self._units, translated, strict=True):
            target = self._target_of(holder, source)
            write_slots(text_slots(target, opaque=self._opaque), text)  # a copy of the source: the same slots
        if self._version_2:
            self._root.set("trgLang", language)
        else:
            for file_element in self._root.iter(self._ns + "file"):
                file_element.set("target-language", language)
        out.write(etree.tostring(self._root.getroottree(), xml_declaration=True, encoding="UTF-8"))

    def _target_of(self, holder: etree._Element, source: etree._Element) -> etree._Element:
        old = holder.find(self._ns + "target")
        target = copy.deepcopy(source)
        target.tag = self._ns + "target"
        target.tail = source.tail if old is None else old.tail
        for attribute in list(target.attrib):
            del target.attrib[attribute]
        if not self._version_2:
            target.set("state", "translated")
        if old is not None:
            holder.replace(old, target)
        else:
            source.addnext(target)
        return target

    def glossary_terms(self) -> dict[str, str]:
        """Source text -> target text of every unit that has both."""
        terms: dict[str, str] = {}
        for holder, source in self._units:
            target = holder.find(self._ns + "target")
            source_text, target_text = _plain(source), _plain(target) if target is not None else ""
            if source_text and target_text:
                terms.setdefault(source_text, target_text)
        return terms


def _plain(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()
