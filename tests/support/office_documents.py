"""Office documents built in tests with python-docx, python-pptx and openpyxl (and their structure, for checks)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from datetime import datetime

import docx
import openpyxl
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from openpyxl.styles import Font
from pptx import Presentation
from pptx.util import Inches

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def build_docx(*, paragraphs: int = 1) -> bytes:
    """Heading, a paragraph whose runs split a glossary term, a table, header, footer and a footnote."""
    document = docx.Document()
    document.add_heading("Annual report 2026", level=1)
    split = document.add_paragraph()
    split.add_run("Con").bold = True
    split.add_run("toso sells ").italic = True
    split.add_run("1,250 widgets")
    split.add_run(" in 12 countries.")
    for index in range(paragraphs - 1):
        document.add_paragraph(f"Filler paragraph number {index} talks about growth and costs.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in enumerate(table.rows):
        for column, cell in enumerate(cells.cells):
            cell.text = f"Cell {row}-{column} value"
    document.sections[0].header.paragraphs[0].text = "Confidential header"
    document.sections[0].footer.paragraphs[0].text = "Page footer text"
    _add_footnote(document, "Source: internal figures.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_footnote(document, text: str) -> None:
    """python-docx has no footnote API: add the footnotes part and a reference by hand."""
    xml = (
        f'<w:footnotes xmlns:w="{_W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    part = Part(PackURI("/word/footnotes.xml"), _FOOTNOTES_CT, xml.encode(), document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES)
    run = document.paragraphs[1].add_run()
    run._r.append(parse_xml(f'<w:footnoteReference xmlns:w="{_W_NS}" w:id="1"/>'))


def docx_structure(data: bytes) -> dict:
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    return {
        "paragraphs": [[(run.text, run.bold, run.italic) for run in p.runs] for p in document.paragraphs],
        "cells": [cell.text for row in document.tables[0].rows for cell in row.cells],
        "header": section.header.paragraphs[0].text,
        "footer": section.footer.paragraphs[0].text,
    }


def footnotes_xml(data: bytes) -> str:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read("word/footnotes.xml").decode()


def build_pptx() -> bytes:
    """A title slide, a body with split runs, a table, a group shape and speaker notes."""
    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Quarterly results"
    body = slide.placeholders[1].text_frame.paragraphs[0]
    first = body.add_run()
    first.text = "Con"
    first.font.bold = True
    second = body.add_run()
    second.text = "toso grew 15 percent."
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    for row in range(2):
        for column in range(2):
            table.cell(row, column).text = f"Row {row} column {column}"
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(5), Inches(1), Inches(2), Inches(1)).text_frame.text = "Grouped note"
    slide.notes_slide.notes_text_frame.text = "Remember to thank the team."
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def pptx_structure(data: bytes) -> dict:
    presentation = Presentation(io.BytesIO(data))
    slide = presentation.slides[0]
    frames = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            frames.append([[(run.text, run.font.bold) for run in p.runs] for p in shape.text_frame.paragraphs])
        if shape.has_table:
            frames.append([cell.text for row in shape.table.rows for cell in row.cells])
        if shape.shape_type == 6:  # group
            frames.append([inner.text_frame.text for inner in shape.shapes])
    return {
        "slides": len(presentation.slides),
        "frames": frames,
        "notes": slide.notes_slide.notes_text_frame.text,
    }


def build_xlsx() -> bytes:
    """Two named sheets: strings (one bold), numbers, a date and formulas."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sales 2026"
    sheet["A1"] = "Product name"
    sheet["A1"].font = Font(bold=True)
    sheet["B1"] = "Units sold"
    sheet["A2"] = "Blue widget"
    sheet["B2"] = 1250
    sheet["A3"] = "Red widget"
    sheet["B3"] = 3.5
    sheet["C2"] = datetime(2026, 11, 22, 9, 30)
    sheet["B4"] = "=SUM(B2:B3)"
    other = workbook.create_sheet("Notes")
    other["A1"] = "Figures are preliminary."
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_cells(data: bytes) -> dict:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {
        "sheets": workbook.sheetnames,
        "values": {
            (sheet.title, cell.coordinate): cell.value
            for sheet in workbook.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        },
        "bold": workbook["Sales 2026"]["A1"].font.bold,
        "number_formats": {
            cell.coordinate: cell.number_format for row in workbook["Sales 2026"].iter_rows() for cell in row
        },
    }


def noise_png(width: int, height: int) -> bytes:
    """A valid PNG of random pixels: incompressible, so the document really weighs its size."""
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


def build_large_docx() -> bytes:
    """Just under the 40 MB limit: 2,000 paragraphs of text and one large photo-like (incompressible) image."""
    document = docx.Document()
    for index in range(2000):
        document.add_paragraph(f"Paragraph {index}: the quarterly report explains revenue, costs and outlook.")
    document.add_picture(io.BytesIO(noise_png(3700, 3700)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
