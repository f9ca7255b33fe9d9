"""Decoding and re-encoding of text documents, keeping their encoding and byte-order mark."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from devstack.emulator.errors import DocumentFailure

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class TextEncoding:
    codec: str
    bom: bytes

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec)


LINES_PER_BLOCK = 2000
SNIFF_BYTES = 4096
UTF16_NUL_SHARE = 0.3  # of the bytes at odd (LE) or even (BE) offsets: Latin text in UTF-16 has a NUL in almost all


def detect_encoding(source: BinaryIO, *, name: str = "") -> TextEncoding:
    """The encoding of a text file from its byte-order mark, else from its first bytes: UTF-16 without a BOM shows
    as NUL bytes at every other offset; UTF-8 otherwise. Leaves the file at its start."""
    head = source.read(SNIFF_BYTES)
    source.seek(0)
    return _encoding_of(head, name)


def _encoding_of(head: bytes, name: str) -> TextEncoding:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return TextEncoding(codec, bom)
    if b"\0" not in head:
        return TextEncoding("utf-8", b"")
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= UTF16_NUL_SHARE * len(odd) and even.count(0) < odd.count(0) / 4:
        return TextEncoding("utf-16-le", b"")
    if even.count(0) >= UTF16_NUL_SHARE * len(even) and odd.count(0) < even.count(0) / 4:
        return TextEncoding("utf-16-be", b"")
    raise DocumentFailure(
        "WrongDocumentEncoding",
        f"'{name}' contains NUL bytes, so it is neither UTF-8 text nor UTF-16 text; save it as UTF-8 or UTF-16.",
    )


def line_blocks(source: BinaryIO, encoding: TextEncoding, *, name: str) -> Iterator[list[str]]:
    """The file's lines (with their endings) in blocks, decoded as they are read; WrongDocumentEncoding if invalid."""
    source.seek(len(encoding.bom))
    reader = io.TextIOWrapper(source, encoding=encoding.codec, errors="strict", newline="")
    try:
        block: list[str] = []
        for line in reader:
            block.append(line)
            if len(block) == LINES_PER_BLOCK:
                yield block
                block = []
        if block:
            yield block
    except UnicodeDecodeError as exc:
        raise _wrong_encoding(name, encoding, exc) from exc
    finally:
        reader.detach()  # the caller owns the file


def decode_text(data: bytes, *, name: str) -> tuple[str, TextEncoding]:
    """UTF-8 or UTF-16, with or without a BOM (see `detect_encoding`); anything else is WrongDocumentEncoding."""
    encoding = _encoding_of(data[:SNIFF_BYTES], name)
    try:
        return data[len(encoding.bom) :].decode(encoding.codec), encoding
    except UnicodeDecodeError as exc:
        raise _wrong_encoding(name, encoding, exc) from exc


def _wrong_encoding(name: str, encoding: TextEncoding, exc: UnicodeDecodeError) -> DocumentFailure:
    return DocumentFailure(
        "WrongDocumentEncoding",
        f"'{name}' is not valid {encoding.codec} text (near byte {exc.start}); save it as UTF-8 or UTF-16 with a BOM.",
    )
