"""Text inside XML documents (XLIFF, OpenDocument): safe parsing, and a paragraph's text slots.

A paragraph in mixed content (`<p>Hello <span>big</span> world</p>`) holds its text in several slots: the element's
text, each child's text and each child's tail. The slots are joined with RUN_BOUNDARY into one segment, so the
sentence is translated whole and each slot gets back the translation of its own words (`run_shares`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from lxml import etree

from devstack.emulator.engine import RUN_BOUNDARY
from devstack.emulator.errors import DocumentFailure

SAFE_PARSER_OPTIONS = dict(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)


def parse_xml(data: bytes, name: str, what: str) -> etree._Element:
    """Parsed without entities, DTDs or network access; a document that declares a DTD is refused (its entities
    would be left unresolved, and the output would not be well-formed)."""
    try:
        root = etree.fromstring(data, etree.XMLParser(**SAFE_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise DocumentFailure("InvalidDocument", f"'{name}' is not well-formed XML: {exc}.") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise DocumentFailure("InvalidDocument", f"'{name}': {what} declares a document type (DTD); refused.")
    return root


@dataclass(frozen=True)
class Slot:
    """One place text sits: an element's text, or its tail."""

    element: etree._Element
    tail: bool

    def get(self) -> str:
        return (self.element.tail if self.tail else self.element.text) or ""

    def set(self, value: str) -> None:
        if self.tail:
            self.element.tail = value
        else:
            self.element.text = value


def text_slots(element: etree._Element, *, opaque: Collection[str] = (), separate: Collection[str] = ()) -> list[Slot]:
    """The element's text slots in document order. Inside an `opaque` child (inline code, a placeholder) nothing is
    text; a `separate` child (a nested paragraph) is a paragraph of its own. Both keep their tails."""
    slots = [Slot(element, tail=False)]
    for child in element:
        if not isinstance(child.tag, str):  # comments and processing instructions: only their tails are text
            slots.append(Slot(child, tail=True))
            continue
        if child.tag not in opaque and child.tag not in separate:
            slots += text_slots(child, opaque=opaque, separate=separate)
        slots.append(Slot(child, tail=True))
    return slots


def joined(slots: Sequence[Slot]) -> str:
    return RUN_BOUNDARY.join(slot.get() for slot in slots)


def write_slots(slots: Sequence[Slot], translated: str) -> None:
    for slot, share in zip(slots, run_shares(translated, [len(slot.get()) for slot in slots]), strict=True):
        slot.set(share)


def run_shares(text: str, lengths: Sequence[int]) -> list[str]:
    """Each run's translation: the text between the run boundaries the engine kept; when it did not keep them all,
    the translation shared out in proportion to the runs' original lengths."""
    shares = text.split(RUN_BOUNDARY)
    if len(shares) == len(lengths):
        return shares
    return distribute(text.replace(RUN_BOUNDARY, ""), lengths)


def distribute(text: str, lengths: Sequence[int]) -> list[str]:
    """Share `text` over runs in proportion to their original lengths, cutting at spaces; empty runs stay empty."""
    if len(lengths) == 1:
        return [text]
    total = sum(lengths)
    if total == 0:
        return [text] + [""] * (len(lengths) - 1)
    shares, start, consumed = [], 0, 0
    last_filled = max(index for index, length in enumerate(lengths) if length)
    for index, length in enumerate(lengths):
        if length == 0:
            shares.append("")
            continue
        if index == last_filled:
            shares.append(text[start:])
            start = len(text)
            continue
        consumed += length
        cut = _word_boundary(text, round(len(text) * consumed / total), start)
        shares.append(text[start:cut])
        start = cut
    return shares


def _word_boundary(text: str, ideal: int, floor: int) -> int:
    """The cut nearest `ideal` just after a space (never before `floor`); `ideal` itself if there is no space near."""
    ideal = max(floor, min(ideal, len(text)))
    window = max(8, len(text) // 10)
    for offset in range(window + 1):
        for cut in (ideal + offset, ideal - offset):
            if floor < cut < len(text) and text[cut - 1] == " ":
                return cut
    return ideal
