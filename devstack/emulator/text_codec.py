"""Decoding and re-encoding of text documents, keeping their encoding and byte-order mark."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

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
        raise DocumentFailure(
            "WrongDocumentEncoding",
            f"'{name}' is not valid {encoding.codec} text (byte {exc.start}); save it as UTF-8 or UTF-16 with a BOM.",
        ) from exc
