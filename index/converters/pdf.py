"""PDF editions (``.pdf``) through pdfplumber (pdfminer.six's parser): the text in reading order, page furniture
dropped, words cut by end-of-line hyphens joined; title, author and date from the document's metadata.

pdfplumber gives each word with its position; the reading order, the furniture and the paragraphs are this
module's (pypdf and pdfminer.six's own layout analysis were measured against it: ``eval/pdf_extractors.py``):

- **Columns.** A row's words a word space apart (up to 1.2 times the type size) make a stretch. On each page
  a gutter is a vertical band, in the middle 70 % of the page and 6 points wide at least, that at most a
  sixth of the rows' stretches cross, with three rows or more ending a stretch within 40 points left of it
  and three or more starting one within 40 points right of it. Rows that cross a gutter (a headline across
  the page) are read whole; between two such rows each column is read top to bottom, left column first,
  whatever the order the file draws them in.
- **Furniture.** A row among the three first or three last of a page is a running header or footer when the
  same row (digits aside) stands there on at least half the pages (two at least); a row that is only a page
  number (``3``, ``- 3 -``, ``Page 3 / 5``) there is dropped on any page, and so is a page's first or last row
  when it is set in type smaller than the body's and stands apart (a gap over 2.2 times its size): the
  header and footer of a one-page document.
- **Paragraphs.** A new paragraph starts after a vertical gap larger than 1.35 line pitches (of the body's type
  size, scaled for larger type), at a first-line
  indent, or where the type size changes; a column or a page that begins without an indent continues the
  paragraph. A line ending in a hyphen joins the next without it when the next starts in lower case (the
  document's own hyphenated spelling of that word, a number word or a particle such as ``-t-il`` keep it),
  with it when the next starts with a capital (``Saint-`` ``Gildas``).

Refused, with the reason: a file that is not a PDF, a truncated one (no end-of-file marker), a damaged one, one
encrypted with a password (one that opens without a password is read, as a viewer shows it), and a PDF without
a text layer: a scan needs OCR, which is not supported.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from index.converters import Extracted, Unreadable

_GUTTER_MIN_WIDTH = 6.0
_SUPPORT = 40.0  # how near a gutter the text beside it ends or starts
_ROW_TOLERANCE = 2.0
_FURNITURE_ROWS = 3
_PAGE_NUMBER = re.compile(r"(?i)^(page|p\.)?\s*[-–—]?\s*\d{1,4}\s*([-–—]|(/|sur|of)\s*\d{1,4})?\s*$")
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
# A hyphen before these stays when a line ends on it: parts of French compounds, not cut words.
_KEEP_AFTER = {"t", "il", "ils", "elle", "elles", "on", "je", "tu", "nous", "vous", "ce", "ci", "là", "même", "mêmes"}
_KEEP_BEFORE = {
    "dix", "vingt", "trente", "quarante", "cinquante", "soixante", "quatre", "cent", "mi", "demi", "semi", "ex", "vice",
    "après", "avant", "arrière", "sous", "non", "grand", "grande", "petit", "petite", "beau", "belle", "porte", "peut", "c'est", "est",
}  # fmt: skip
_PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?")
_JUNK_TITLE = re.compile(r"(?i)^(untitled|sans titre|document\d*|microsoft word - .*|.*\.(docx?|pdf|indd|txt))$")


@dataclass(frozen=True)
class Line:
    """A line of text on a page: ``top`` from the page's top edge (or its rank, when an extractor gives no
    positions), ``x0`` its left edge, ``size`` its type size, ``starts`` true when it visibly starts a paragraph
    (an indent, a gap, a change of size)."""

    text: str
    top: float
    x0: float = 0.0
    size: float = 0.0
    starts: bool = False


@dataclass(frozen=True)
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    size: float


# ---- reading order (pdfplumber words) ----


def _rows(words: Sequence[_Word]) -> list[list[_Word]]:
    """Words grouped into rows by their top edge, each row left to right, rows top to bottom."""
    rows: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if rows and abs(rows[-1][0].top - word.top) <= _ROW_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def _segments(row: list[_Word]) -> list[tuple[float, float]]:
    """The stretches of a row where words follow each other a word space apart (wider gaps part them)."""
    space = 1.2 * statistics.median(w.size for w in row)
    found = [(row[0].x0, row[0].x1)]
    for word in row[1:]:
        if word.x0 - found[-1][1] <= space:
            found[-1] = (found[-1][0], max(found[-1][1], word.x1))
        else:
            found.append((word.x0, word.x1))
    return found


def _gutters(rows: list[list[_Word]], width: float) -> list[tuple[float, float]]:
    """The vertical bands between columns (see the module docstring)."""
    import numpy as np

    if len(rows) < 4:
        return []
    xs = np.arange(int(width * 0.15), int(width * 0.85), dtype=np.float64)
    crossing = np.zeros(len(xs), dtype=np.int64)
    ends_left = np.zeros(len(xs), dtype=np.int64)
    starts_right = np.zeros(len(xs), dtype=np.int64)
    for row in rows:
        segments = np.array(_segments(row))
        x0, x1 = segments[:, :1], segments[:, 1:]
        covered = ((x0 <= xs) & (xs <= x1)).any(axis=0)
        crossing += covered
        ends_left += ~covered & ((x1 < xs) & (x1 >= xs - _SUPPORT)).any(axis=0)
        starts_right += ~covered & ((x0 > xs) & (x0 <= xs + _SUPPORT)).any(axis=0)
    good = (crossing <= max(1, len(rows) // 6)) & (ends_left >= 3) & (starts_right >= 3)
    gutters, start = [], None
    for i, ok in enumerate([*good.tolist(), False]):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if xs[i - 1] - xs[start] + 1 >= _GUTTER_MIN_WIDTH:
                gutters.append((float(xs[start]), float(xs[i - 1])))
            start = None
    return gutters


def _line(words: list[_Word], column_left: float) -> Line:
    size = statistics.median(w.size for w in words)
    return Line(" ".join(w.text for w in words), words[0].top, words[0].x0, round(size, 1), words[0].x0 - column_left > 0.6 * size)


def _spans(row: list[_Word], gutters: list[tuple[float, float]]) -> bool:
    """Whether a row runs across a gutter: a word over it, or two words on either side a word space apart."""
    for a, b in gutters:
        middle = (a + b) / 2
        if any(w.x0 < middle < w.x1 for w in row):
            return True
        for left, right in itertools.pairwise(row):
            if left.x1 <= middle <= right.x0 and right.x0 - left.x1 < max(left.size, right.size):
                return True
    return False


def reading_order(rows: list[list[_Word]], width: float) -> list[Line]:
    """A page's rows as lines in reading order (columns one after the other between rows that span them)."""
    gutters = _gutters(rows, width)
    if not gutters:
        left = min((row[0].x0 for row in rows), default=0.0)
        return [_line(row, left) for row in rows]
    edges = [0.0, *[(a + b) / 2 for a, b in gutters], width]
    lines: list[Line] = []
    band: list[list[list[_Word]]] = [[] for _ in range(len(gutters) + 1)]

    def flush() -> None:
        for parts in band:
            if parts:
                left = min(part[0].x0 for part in parts)
                lines.extend(_line(part, left) for part in parts)
            parts.clear()

    for row in rows:
        if _spans(row, gutters):
            flush()
            lines.append(_line(row, row[0].x0))
            continue
        for column in range(len(edges) - 1):
            part = [w for w in row if edges[column] <= (w.x0 + w.x1) / 2 < edges[column + 1]]
            if part:
                band[column].append(part)
    flush()
    return lines


# ---- furniture, paragraphs, hyphens (any extractor's lines) ----


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.casefold().split()))


def furniture(pages: list[list[Line]]) -> list[set[int]]:
    """The lines of each page that are running headers, footers and page numbers (see the module docstring)."""

    def edges(page: list[Line]) -> set[int]:
        by_top = sorted(range(len(page)), key=lambda i: page[i].top)
        return set(by_top[:_FURNITURE_ROWS] + by_top[-_FURNITURE_ROWS:])

    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_shape(page[i].text) for i in edges(page)})
    repeated = {shape for shape, n in counts.items() if n >= 2 and n * 2 >= len(pages)}
    sizes = [line.size for page in pages for line in page if line.size > 0]
    body_size = statistics.median(sizes) if sizes else 0.0
    found = []
    for page in pages:
        drop = {i for i in edges(page) if _shape(page[i].text) in repeated or _PAGE_NUMBER.match(page[i].text.strip())}
        by_top = sorted(range(len(page)), key=lambda i: page[i].top)
        if len(by_top) > 2:  # a lone top or bottom row in small type, set apart from the text
            for edge, neighbour in ((by_top[0], by_top[1]), (by_top[-1], by_top[-2])):
                line = page[edge]
                if 0 < line.size < 0.9 * body_size and abs(page[neighbour].top - line.top) > 2.2 * line.size:
                    drop.add(edge)
        found.append(drop)
    return found


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages without their running headers, footers and page numbers."""
    return [[line for i, line in enumerate(page) if i not in drop] for page, drop in zip(pages, furniture(pages), strict=True)]


def _join(before: str, after: str, hyphenated: set[str]) -> str:
    """``before`` and the next line of its paragraph, an end-of-line hyphen resolved."""
    if before.endswith("\u00ad"):
        return before[:-1] + after
    tail = re.search(r"(\w+)-$", before)
    if tail is None or not after:
        return f"{before} {after}" if after else before
    head = re.match(r"[\w’']+", after)
    if not after[0].islower() or head is None:
        return before + after  # Saint- Gildas: a compound of capitals
    first, second = tail.group(1).casefold(), head.group(0).casefold()
    if f"{first}-{second}" in hyphenated or second in _KEEP_AFTER or first in _KEEP_BEFORE:
        return before + after
    return before[:-1] + after


def _scale(a: Line, b: Line, body_size: float) -> float:
    """How much larger than the body's the line pitch of lines of these sizes is (a headline's is)."""
    return max(1.0, max(a.size, b.size) / body_size) if body_size > 0 else 1.0


def paragraphs(pages: list[list[Line]]) -> list[str]:
    """The pages' lines made paragraphs (see the module docstring)."""
    lines = [line for page in pages for line in page]
    hyphenated = {m.group(0).casefold() for line in lines for m in re.finditer(r"\w+-\w+", line.text)}
    pitches = [b.top - a.top for page in pages for a, b in itertools.pairwise(page) if 0 < b.top - a.top < 3 * max(a.size, 1.0) + 12]
    pitch = statistics.median(pitches) if pitches else 0.0
    body_size = statistics.median(line.size for line in lines) if lines else 0.0
    found: list[str] = []
    for page in pages:
        previous: Line | None = None
        for line in page:
            text = line.text.strip()
            if not text:
                continue
            new = (
                not found
                or line.starts
                or (previous is not None and abs(line.size - previous.size) > 0.5)
                or (previous is not None and pitch > 0 and line.top - previous.top > 1.35 * pitch * _scale(previous, line, body_size))
            )
            if new:
                found.append(text)
            else:
                found[-1] = _join(found[-1], text, hyphenated)
            previous = line
    return found


def clean_text(pages: list[list[Line]]) -> str:
    """The article text of pages of lines in reading order (furniture already dropped), paragraphs a blank
    line apart."""
    text = "\n\n".join(paragraphs(pages))
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    return text


# ---- the converter ----


def _pdf_date(value: object) -> str | None:
    match = _PDF_DATE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day = match.groups()
    if month is None or not 1 <= int(month) <= 12:
        return year
    if day is None or not 1 <= int(day) <= 31:
        return f"{year}-{month}"
    return f"{year}-{month}-{day}"


def _meta(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return " ".join(value.split()) or None if isinstance(value, str) else None


def _words(page: Any) -> list[_Word]:
    found = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False, use_text_flow=False, extra_attrs=["size"])
    return [_Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["size"])) for w in found]


def check_pdf(data: bytes) -> None:
    """Refuse what is not a whole PDF before parsing it."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise Unreadable("not a PDF file (it does not start with %PDF-)")
    if b"%%EOF" not in data[-2048:]:
        raise Unreadable("the PDF is truncated (no end-of-file marker): damaged, or not completely copied or downloaded")


class PdfConverter:
    format = "pdf"
    suffixes = (".pdf",)

    def convert(self, data: bytes) -> list[Extracted]:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect
        from pdfminer.psexceptions import PSException
        from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

        check_pdf(data)
        try:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                metadata = dict(pdf.metadata)
                rows, widths, images = [], [], 0
                for page in pdf.pages:
                    rows.append(_rows(_words(page)))
                    widths.append(float(page.width))
                    images += len(page.images)
        except (PdfminerException, MalformedPDFException, PSException, PDFPasswordIncorrect) as exc:
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
            if isinstance(cause, PDFPasswordIncorrect):
                raise Unreadable("the PDF is encrypted with a password: remove the password, then add the file again") from None
            raise Unreadable(f"damaged PDF ({type(cause).__name__}: {cause})") from None
        if not any(rows):
            if images:
                raise Unreadable("the PDF has no text layer (a scanned or image-only PDF): OCR is not supported")
            raise Unreadable("the PDF holds no text")
        # running headers and footers are whole rows, found before the rows are cut into columns
        whole = [[_line(row, row[0].x0) for row in page] for page in rows]
        kept = [[row for i, row in enumerate(page) if i not in drop] for page, drop in zip(rows, furniture(whole), strict=True)]
        text = clean_text([reading_order(page, width) for page, width in zip(kept, widths, strict=True)])
        title = _meta(metadata.get("Title"))
        if title is not None and _JUNK_TITLE.match(title):
            title = None
        return [
            Extracted(
                text,
                title=title,
                date=_pdf_date(_meta(metadata.get("CreationDate"))),
                author=_meta(metadata.get("Author")),
            )
        ]


def with_starts(lines: list[Line], starts: set[int]) -> list[Line]:
    """``lines`` with those at ``starts`` marked as paragraph starts (for extractors that know paragraphs)."""
    return [replace(line, starts=line.starts or i in starts) for i, line in enumerate(lines)]
