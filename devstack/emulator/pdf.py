"""PDF: translate each block of text where it stands; keep the pages, their size, images, drawings and links.

pdfminer.six finds the text blocks (lines grouped by layout analysis, each with its box, font size, font and colour);
pypdf copies every page with its text operators removed (page content and form XObjects); reportlab draws each
translated block into its original box, wrapping it and shrinking its font until it fits, and the drawing is merged
onto the page. What is lost: the document's own fonts (DejaVu Sans or Serif stand in, in its bold and italic cuts; a
script DejaVu lacks, such as CJK, shows as empty boxes), character and word spacing, alignment (blocks are set flush
left), and styling that changes inside a block (the block's most common font and colour win). A scanned page holds
images, not text: the service reads it with OCR, the emulator finds no text on it.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextBox, LTTextContainer
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from devstack.emulator.errors import DocumentFailure

Matrix = tuple[float, float, float, float, float, float]

LEADING = 1.2  # line height, in font sizes
KEEP_LINES = 0.8  # a block first shrinks to this share of its size to stay within its own box
SMALLEST = 0.5  # then grows down into free space, shrinking to no less than this share of its size
SHRINK_STEP = 0.92
MARGIN = 36.0  # points (half an inch): how close to the page's edge a translation may grow
GAP = 2.0  # points kept free between a grown block and the one below it
MAX_CONTENT_BYTES = 64 * 1024 * 1024  # decoded page content (text and drawing operators), all pages together
UNREADABLE = "(cid:"  # how pdfminer writes a glyph whose font has no map back to Unicode

# DejaVu ships with matplotlib (a dev dependency) and covers Latin, Greek and Cyrillic, accents included
_FACES = {
    (False, False, False): "DejaVuSans",
    (False, True, False): "DejaVuSans-Bold",
    (False, False, True): "DejaVuSans-Oblique",
    (False, True, True): "DejaVuSans-BoldOblique",
    (True, False, False): "DejaVuSerif",
    (True, True, False): "DejaVuSerif-Bold",
    (True, False, True): "DejaVuSerif-Italic",
    (True, True, True): "DejaVuSerif-BoldItalic",
}
_SERIF_HINTS = ("times", "serif", "georgia", "garamond", "cambria", "palatino", "roman", "minion", "book")


@dataclass(frozen=True)
class TextBlock:
    """One block of text on a page, in the page's displayed coordinates (points, origin bottom left)."""

    page: int
    box: tuple[float, float, float, float]
    size: float
    face: str
    color: tuple[float, float, float]
    text: str
    lines: int


class PdfDocument:
    """A parsed PDF: its text blocks as segments, and a writer for a translated copy."""

    def __init__(self, source: BinaryIO, name: str) -> None:
        self._source = source
        self._name = name
        reader = self._reader()  # refuses a file that is not a PDF, or needs a password, before layout analysis
        try:
            _check_content_size(reader, name)
        except LimitReachedError as exc:
            raise _too_large(name) from exc
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise _corrupt(name) from exc
        source.seek(0)
        try:
            self.blocks = [
                block for page in extract_pages(source, laparams=LAParams(all_texts=True)) for block in _blocks(page)
            ]
        except Exception as exc:  # pdfminer raises many types (PSEOF, KeyError, TypeError...) on a damaged file
            raise _corrupt(name) from exc
        if any(UNREADABLE in block.text for block in self.blocks):
            raise DocumentFailure(
                "InvalidDocument",
                f"'{name}' uses fonts whose characters cannot be read back as text (no Unicode map); "
                "export it again with fonts embedded as Unicode.",
            )
        self.segments = [block.text for block in self.blocks]

    def write(self, translated: Sequence[str], out: BinaryIO) -> None:
        writer = PdfWriter(clone_from=self._reader())
        writer.remove_text()
        by_page: dict[int, list[tuple[TextBlock, str]]] = {}
        for block, text in zip(self.blocks, translated, strict=True):
            by_page.setdefault(block.page, []).append((block, text))
        pages = [
            (page, *_display_space(page), by_page[number])
            for number, page in enumerate(writer.pages)
            if number in by_page
        ]
        drawings = PdfReader(io.BytesIO(_drawing([(width, height, blocks) for _, width, height, _, blocks in pages])))
        for (page, _, _, to_page, _), drawing in zip(pages, drawings.pages, strict=True):
            page.merge_transformed_page(drawing, Transformation(to_page), over=True)
            page.compress_content_streams()
        writer.write(out)

    def _reader(self) -> PdfReader:
        self._source.seek(0)
        if b"%PDF-" not in self._source.read(1024):  # readers accept the header anywhere in the first 1 KB
            raise DocumentFailure("InvalidDocument", f"'{self._name}' is not a PDF file (no %PDF- header).")
        self._source.seek(0)
        try:
            reader = PdfReader(self._source)
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentFailure(
                    "UnsupportedDocument",
                    f"'{self._name}' is password-protected or encrypted; remove the protection first.",
                )
            len(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise _corrupt(self._name) from exc
        return reader


def _check_content_size(reader: PdfReader, name: str) -> None:
    """Decodes the text-bearing streams (page contents, form XObjects) once, with pypdf's per-stream limit, so that a
    small file that expands to gigabytes is refused before pdfminer, which has no limit, reads it."""
    total = 0
    seen: set[int] = set()
    for page in reader.pages:
        for stream in _content_streams(page, seen):
            total += len(stream.get_data())
            if total > MAX_CONTENT_BYTES:
                raise _too_large(name)


def _content_streams(page: Any, seen: set[int]) -> Iterator[Any]:
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    for stream in contents if isinstance(contents, ArrayObject) else [contents] if contents is not None else []:
        yield stream.get_object()
    pending = [page.get("/Resources")]
    while pending:
        resources = pending.pop()
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
        for reference in (xobjects.get_object() if xobjects is not None else {}).values():
            key = getattr(reference, "idnum", id(reference))
            form = reference.get_object()
            if key in seen or not isinstance(form, StreamObject) or form.get("/Subtype") != "/Form":
                continue
            seen.add(key)
            yield form
            pending.append(form.get("/Resources"))


def _too_large(name: str) -> DocumentFailure:
    return DocumentFailure(
        "DocumentTooLarge",
        f"'{name}' expands to more than {MAX_CONTENT_BYTES // (1024 * 1024)} MB of page content when decompressed.",
    )


def _corrupt(name: str) -> DocumentFailure:
    return DocumentFailure("InvalidDocument", f"'{name}' is corrupt or not a valid .pdf file.")


def _blocks(page: LTPage) -> Iterator[TextBlock]:
    for box in _text_boxes(page):
        lines = [line.get_text().strip() for line in box if isinstance(line, LTTextContainer)]
        text = " ".join(line for line in lines if line)
        chars = [char for line in box for char in line if isinstance(char, LTChar)]
        if not text or not chars:
            continue
        sizes = sorted(char.size for char in chars)
        font = Counter(char.fontname for char in chars).most_common(1)[0][0]
        color = Counter(_rgb(char.graphicstate.ncolor) for char in chars).most_common(1)[0][0]
        lines_drawn = sum(1 for line in lines if line)
        yield TextBlock(page.pageid - 1, box.bbox, sizes[len(sizes) // 2], _face(font), color, text, lines_drawn)


def _text_boxes(item: Any) -> Iterator[LTTextBox]:
    """Every text box on the page, those inside figures (form XObjects) included."""
    for child in item:
        if isinstance(child, LTTextBox):
            yield child
        elif hasattr(child, "__iter__") and not isinstance(child, LTTextContainer):
            yield from _text_boxes(child)


def _face(font: str) -> str:
    name = font.split("+", 1)[-1].lower()
    serif = any(hint in name for hint in _SERIF_HINTS) and "sans" not in name
    bold = any(hint in name for hint in ("bold", "black", "heavy", "semibold"))
    italic = "italic" in name or "oblique" in name
    return _FACES[(serif, bold, italic)]


def _rgb(color: Any) -> tuple[float, float, float]:
    """A fill colour as RGB: gray, RGB and CMYK are kept, anything else (patterns, spot colours) is black."""
    values = color if isinstance(color, (list, tuple)) else (color,) if isinstance(color, (int, float)) else ()
    if not all(isinstance(value, (int, float)) for value in values):
        return (0.0, 0.0, 0.0)
    channels = [min(max(float(value), 0.0), 1.0) for value in values]
    if len(channels) == 1:
        return (channels[0],) * 3
    if len(channels) == 3:
        return (channels[0], channels[1], channels[2])
    if len(channels) == 4:
        cyan, magenta, yellow, black = channels
        return ((1 - cyan) * (1 - black), (1 - magenta) * (1 - black), (1 - yellow) * (1 - black))
    return (0.0, 0.0, 0.0)


def _display_space(page: Any) -> tuple[float, float, Matrix]:
    """The page's displayed width and height, and the matrix from displayed coordinates (as pdfminer reports them,
    after /Rotate and the media box's origin) back to the page's own."""
    x0, y0, x1, y1 = (float(value) for value in page.mediabox)
    rotation = page.rotation % 360
    to_display: Matrix = {
        90: (0, -1, 1, 0, -y0, x1),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, 1, -1, 0, y1, -x0),
    }.get(rotation, (1, 0, 0, 1, -x0, -y0))
    width, height = (y1 - y0, x1 - x0) if rotation in (90, 270) else (x1 - x0, y1 - y0)
    return abs(width), abs(height), _inverse(to_display)


def _inverse(matrix: Matrix) -> Matrix:
    a, b, c, d, e, f = matrix
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(ia * e + ic * f), -(ib * e + id_ * f))


def _drawing(pages: Sequence[tuple[float, float, list[tuple[TextBlock, str]]]]) -> bytes:
    """A PDF with one page per (width, height, translated blocks), each block drawn into its box. One document for
    all pages, so each font is embedded once."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=1)
    for width, height, blocks in pages:
        canvas.setPageSize((width, height))
        placed = [block for block, _ in blocks]
        for (block, text), room in zip(blocks, _rooms(placed, width), strict=True):
            paragraph, drawn_height = _fitted(block, text, room)
            paragraph.drawOn(canvas, block.box[0], block.box[3] - drawn_height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _rooms(blocks: Sequence[TextBlock], page_width: float) -> list[tuple[float, float]]:
    """For each block, how far right and how low its translation may reach. A block may grow down to the top of the
    next block below it that shares some of its width, else to the page's bottom margin; a one-line block (a heading,
    a label, a table cell) may also run on to the right up to the next block beside it, else to the right margin. A
    margin is MARGIN, or the text's own extent where that is further out."""
    lowest = min([MARGIN, *(block.box[1] for block in blocks)])
    rightmost = max([page_width - MARGIN, *(block.box[2] for block in blocks)])
    rooms = []
    for block in blocks:
        x0, y0, x1, y1 = block.box
        others = [other.box for other in blocks if other is not block]
        below = [top for left, _, right, top in others if top <= y0 + GAP and left < x1 and right > x0]
        floor = min(y0, max(below, default=lowest) + GAP)
        right = x1
        if block.lines == 1:
            beside = [left for left, bottom, _, top in others if left >= x1 - GAP and bottom < y1 and top > y0]
            right = max(x1, min(beside, default=rightmost) - GAP)
        rooms.append((right, floor))
    return rooms


def _fitted(block: TextBlock, text: str, room: tuple[float, float]) -> tuple[Paragraph, float]:
    """The block's text set in its face: within its own box at up to KEEP_LINES smaller, else at the largest size
    down to SMALLEST of its own that fits in its room."""
    _register_fonts()
    x0, y0, x1, y1 = block.box
    right, floor = room
    slack = block.size * 0.3
    attempts = ((KEEP_LINES, x1, y1 - y0), (KEEP_LINES, right, y1 - y0), (SMALLEST, right, y1 - floor))
    for smallest, reach, height in attempts:
        size = block.size
        while size >= block.size * smallest:
            paragraph, drawn_height = _set(text, block, size, max(reach - x0, 1.0) + slack)
            if drawn_height <= height + slack:
                return paragraph, drawn_height
            size *= SHRINK_STEP
    return _set(text, block, size / SHRINK_STEP, max(right - x0, 1.0) + slack)


def _set(text: str, block: TextBlock, size: float, width: float) -> tuple[Paragraph, float]:
    style = ParagraphStyle("block", fontName=block.face, fontSize=size, leading=size * LEADING, textColor=block.color)
    paragraph = Paragraph(escape(text), style)
    _, drawn_height = paragraph.wrap(width, 1e6)
    return paragraph, drawn_height


@functools.cache
def _register_fonts() -> None:
    import matplotlib  # only for the path of the DejaVu fonts it ships

    directory = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for face in _FACES.values():
        pdfmetrics.registerFont(TTFont(face, str(directory / f"{face}.ttf")))
