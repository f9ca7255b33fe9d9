"""PDF documents for tests, drawn with reportlab: text in known places, a drawing, a link, a rotated page."""

from __future__ import annotations

import io
import zlib

from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject
from reportlab.lib.colors import blue, red
from reportlab.pdfgen.canvas import Canvas

PAGE = (595.0, 842.0)  # A4, points
PARAGRAPH = (
    "Contoso sold 12,500 lamps this quarter, a record for the",
    "company. Europe grew by 15 percent & Asia by 9.",
)
BLOCKS = ("Quarterly report", " ".join(PARAGRAPH), "Internal use only", "Second page words")  # block by block


def build_pdf(*, rotated: int = 0, encrypt: str | None = None) -> bytes:
    """Page 1: a bold heading, a two-line Times paragraph, a red box with a link over it, blue text; page 2 is
    shown rotated by `rotated` degrees, its content turned back so that its line reads horizontally."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, encrypt=encrypt)
    canvas.setFont("Helvetica-Bold", 20)
    canvas.drawString(72, 770, BLOCKS[0])
    text = canvas.beginText(72, 740)
    text.setFont("Times-Roman", 11)
    for line in PARAGRAPH:
        text.textLine(line)
    canvas.drawText(text)
    canvas.setFillColor(red)
    canvas.rect(72, 600, 200, 80, fill=1)
    canvas.linkURL("https://contoso.example/", (72, 600, 272, 680))
    canvas.setFillColor(blue)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 560, BLOCKS[2])
    canvas.showPage()
    canvas.setPageRotation(rotated)
    width, height = PAGE
    canvas.translate(*{90: (0, height), 180: (width, height), 270: (width, 0)}.get(rotated, (0, 0)))
    canvas.rotate(-rotated)
    canvas.setFont("Helvetica", 14)
    canvas.drawString(50, 100, BLOCKS[3])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def build_image_only_pdf() -> bytes:
    """A page with a drawing and no text at all, as a scan without OCR would be."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE)
    canvas.rect(72, 72, 300, 300, fill=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def build_expanding_pdf(pages: int, megabytes_per_page: int) -> bytes:
    """A small file whose pages' content streams decompress to `megabytes_per_page` MB of spaces each."""
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(200, 200)
        compressor = zlib.compressobj(9)
        data = b"".join(compressor.compress(b" " * (1 << 20)) for _ in range(megabytes_per_page)) + compressor.flush()
        stream = StreamObject()
        stream.set_data(data)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
