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


def detect_encoding(source: BinaryIO) -> TextEncoding:
    """The encoding of a text file from its byte-order mark (UTF-8 without one); leaves the file at its start."""
    head = source.read(4)
    source.seek(0)
    return next((TextEncoding(codec, bom) for bom, codec in _BOMS if head.startswith(bom)), TextEncoding("utf-8", b""))


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
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is WrongDocumentEncoding."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            payload, encoding = data[len(bom) :], TextEncoding(codec, bom)
            break
    else:
        payload, encoding = data, TextEncoding("utf-8", b"")
    try:
        return payload.decode(encoding.codec), encoding
    except UnicodeDecodeError as exc:
        raise _wrong_encoding(name, encoding, exc) from exc


def _wrong_encoding(name: str, encoding: TextEncoding, exc: UnicodeDecodeError) -> DocumentFailure:
    return DocumentFailure(
        "WrongDocumentEncoding",
        f"'{name}' is not valid {encoding.codec} text (near byte {exc.start}); save it as UTF-8 or UTF-16 with a BOM.",
    )
