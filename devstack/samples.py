"""A small, realistic set of documents for the demo: one of each format the app translates, and one it must reject."""

from __future__ import annotations

import csv
import io

import docx
import openpyxl
from pptx import Presentation

REJECTED = "contracts/scan-of-contract.docx"  # not a zip: the app rejects it (ContentMismatch) before any translation


def sample_documents() -> dict[str, bytes]:
    prices = io.StringIO()
    csv.writer(prices).writerows(
        [
            ["Product", "Price (EUR)", "Notes"],
            ["Contoso Lamp", "49.90", "Warm white light"],
            ["Contoso Hub", "89.00", "Controls every lamp"],
        ]
    )
    return {
        "welcome.txt": b"Welcome to Contoso!\nYour order ships within 2 days.\n",
        "guide/setup.md": b"# Setting up Contoso Hub\n\n1. Plug in the hub.\n2. Open https://contoso.example/setup\n",
        "site/index.html": b"<html><body><h1>Contoso</h1><p>Smart lighting for <b>every</b> room.</p></body></html>",
        "prices.csv": prices.getvalue().encode(),
        "reports/q3.docx": _report(),
        "reports/q3-review.pptx": _deck(),
        "reports/q3-sales.xlsx": _workbook(),
        REJECTED: b"%PDF-1.7 a scanned contract saved with the wrong extension",
    }


def _report() -> bytes:
    document = docx.Document()
    document.add_heading("Quarterly report", level=1)
    paragraph = document.add_paragraph("Contoso sold ")
    paragraph.add_run("12,500 lamps").bold = True
    paragraph.add_run(" this quarter, a record.")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["Region", "Growth", "Europe", "15 percent"], strict=True):
        cell.text = text
    document.sections[0].footer.paragraphs[0].text = "Internal use only"
    return _saved(document)


def _deck() -> bytes:
    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Quarter in review"
    slide.placeholders[1].text_frame.text = "Sales grew in every region."
    slide.notes_slide.notes_text_frame.text = "Thank the sales team."
    return _saved(presentation)


def _workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sales"
    sheet.append(["Region", "Lamps sold"])
    sheet.append(["Europe", 7200])
    sheet.append(["Americas", 5300])
    sheet.append(["Total", "=SUM(B2:B3)"])
    return _saved(workbook)


def _saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
