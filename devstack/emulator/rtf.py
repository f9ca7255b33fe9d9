"""Rich Text Format: the text translated in place, every control word, group and destination kept as written.

A lexical pass (as for HTML: a parser would rewrite what it does not understand): text runs between control words
are translated; `\\par`, `\\line`, `\\cell`, `\\row`, `\\tab`, `\\sect` and `\\page` end a paragraph, and a control
word or group inside a paragraph (`\\b`, `{\\i ...}`) separates its runs, so each keeps its formatting on its own
words. Destinations that hold no document text (font and colour tables, style sheet, document info, pictures,
objects, field instructions, and every `{\\*\\...}` group) are left alone. Text is read through `\\'hh` (the
`\\ansicpg` code page, 1252 by default) and `\\uN` (with `\\ucN` fallback characters); translated text is written
back as ASCII with `\\uN?` escapes for everything else.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from devstack.emulator.engine import RUN_BOUNDARY
from devstack.emulator.errors import DocumentFailure
from devstack.emulator.xml_text import run_shares

_TOKEN = re.compile(
    r"\\(?P<word>[a-zA-Z]{1,32})(?P<arg>-?\d{1,10})? ?"
    r"|\\'(?P<hex>[0-9a-fA-F]{2})"
    r"|\\(?P<symbol>[^a-zA-Z])"
    r"|(?P<brace>[{}])"
    r"|(?P<newline>[\r\n]+)"
    r"|(?P<text>[^\\{}\r\n]+)"
    r"|(?P<stray>\\)",
)
_BREAKS = frozenset({"par", "line", "cell", "row", "tab", "sect", "page", "nestcell", "nestrow"})
_SKIPPED = frozenset(
    {
        "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "fldinst", "themedata", "colorschememapping",
        "datastore", "latentstyles", "listtable", "listoverridetable", "rsidtbl", "generator", "xmlnstbl", "mmathPr",
        "filetbl", "revtbl", "pgdsctbl", "bkmkstart", "bkmkend", "nonshppict", "shppict", "userprops",
    }
)  # fmt: skip
_LITERAL_SYMBOLS = {"\\": "\\", "{": "{", "}": "}", "~": "\u00a0"}


@dataclass
class _Group:
    skipped: bool = False
    fallback: int = 1  # \ucN: characters that follow each \uN for readers without Unicode
    fresh: bool = True  # nothing read in it yet: its first control word may name a destination


@dataclass
class _Piece:
    """A run of text as written (`raw`) and as read (`text`)."""

    raw: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class RtfDocument:
    def __init__(self, data: bytes, name: str) -> None:
        source = data.decode("latin-1")
        if not source.lstrip().startswith("{\\rtf"):
            raise DocumentFailure("InvalidDocument", f"'{name}' is not an RTF file (it does not start with {{\\rtf).")
        self._output: list[str | _Piece] = []
        self._paragraphs: list[list[_Piece]] = []
        self._read(source, name)
        self.segments = [RUN_BOUNDARY.join("".join(piece.text) for piece in pieces) for pieces in self._paragraphs]

    def _read(self, source: str, name: str) -> None:
        stack = [_Group()]
        codec = "cp1252"
        piece: _Piece | None = None
        paragraph: list[_Piece] = []
        pending_fallback = 0

        def end_piece() -> None:
            nonlocal piece
            if piece is not None:
                self._output.append(piece)
                paragraph.append(piece)
                piece = None

        def end_paragraph() -> None:
            nonlocal paragraph
            end_piece()
            if any("".join(p.text).strip() for p in paragraph):
                self._paragraphs.append(paragraph)
            paragraph = []

        def add_text(raw: str, text: str) -> None:
            nonlocal piece
            if piece is None:
                piece = _Piece()
            piece.raw.append(raw)
            piece.text.append(text)

        for match in _TOKEN.finditer(source):
            group = stack[-1]
            kind = "word" if match.group("word") else match.lastgroup  # (a word's argument closes last)
            value = match.group(0)  # the token as written
            if kind == "brace":
                end_piece()
                self._output.append(value)
                if value == "{":
                    stack.append(_Group(skipped=group.skipped, fallback=group.fallback))
                elif len(stack) > 1:
                    stack.pop()
                pending_fallback = 0
                continue
            fresh, group.fresh = group.fresh, False
            if kind == "word":
                pending_fallback = 0
                word, argument = match.group("word"), match.group("arg")
                if fresh and word in _SKIPPED:
                    group.skipped = True
                if word == "ansicpg" and argument:
                    codec = _codec(argument)
                elif word == "uc" and argument:
                    group.fallback = max(0, int(argument))
                elif word == "u" and argument and not group.skipped:
                    add_text(value, chr(int(argument) % 65536))
                    pending_fallback = group.fallback
                    continue
                if word in _BREAKS and not group.skipped:
                    end_paragraph()
                else:
                    end_piece()
                self._output.append(value)
                continue
            symbol = match.group("symbol")
            if symbol == "*":
                group.skipped = group.skipped or fresh
                end_piece()
                self._output.append(value)
                continue
            if pending_fallback and kind in ("hex", "text", "symbol"):  # what follows \uN for older readers
                if kind != "text":
                    pending_fallback -= 1
                    add_text(value, "")
                    continue
                head, value = value[:pending_fallback], value[pending_fallback:]
                pending_fallback -= len(head)
                add_text(head, "")
                if not value:
                    continue
            if group.skipped or kind in ("newline", "stray") or (kind == "symbol" and symbol not in _LITERAL_SYMBOLS):
                end_piece()
                self._output.append(value)
            elif kind == "hex":
                add_text(value, bytes([int(match.group("hex"), 16)]).decode(codec, "replace"))
            elif kind == "symbol":
                add_text(value, _LITERAL_SYMBOLS[symbol])
            else:
                add_text(value, value)
        end_paragraph()
        if len(stack) != 1:
            raise DocumentFailure("InvalidDocument", f"'{name}' is not a valid RTF file: its groups are not balanced.")

    def write(self, translated: Sequence[str], out: BinaryIO) -> None:
        replacement: dict[int, str] = {}
        for pieces, text in zip(self._paragraphs, translated, strict=True):
            shares = run_shares(text, [len("".join(piece.text)) for piece in pieces])
            for piece, share in zip(pieces, shares, strict=True):
                replacement[id(piece)] = _encoded(share)
        written = (
            item if isinstance(item, str) else replacement.get(id(item), "".join(item.raw)) for item in self._output
        )
        out.write("".join(written).encode("latin-1"))


def _codec(page: str) -> str:
    try:
        return codecs.lookup(f"cp{page}").name
    except LookupError:
        return "cp1252"


def _encoded(text: str) -> str:
    """Text as RTF: ASCII as it is (with `\\`, `{`, `}` escaped), everything else as `\\uN?`."""
    pieces = []
    for char in text:
        if char in "\\{}":
            pieces.append("\\" + char)
        elif " " <= char < "\x7f":
            pieces.append(char)
        else:
            for unit in _utf16_units(char):
                pieces.append(f"\\u{unit - 65536 if unit > 32767 else unit}?")
    return "".join(pieces)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-le")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
