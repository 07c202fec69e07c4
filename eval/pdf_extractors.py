"""Which PDF extractor: pypdf, pdfminer.six's layout analysis, or pdfplumber's words in our reading order.

    python -m eval.pdf_extractors [--formats build/formats]

Each candidate turns the same real PDFs (the reportlab fixtures of tests/fixtures/pdf, and the held-out
articles rendered by ``python -m eval.render_formats``, odd ones in one column and even ones in two) into the
article text, with the same furniture and paragraph clean-up (``index/converters/pdf.py``) wherever the
extractor gives lines: what differs is the reading order and what each extractor knows of positions.

- ``pypdf``: ``page.extract_text()``, the file's drawing order; no positions, so furniture is found by the
  rank of a line on its page.
- ``pdfminer``: ``extract_pages`` with its default ``LAParams`` (text boxes ordered by pdfminer's layout
  analysis, ``boxes_flow=0.5``); each box starts a paragraph.
- ``pdfplumber``: the converter itself (words, gutters, rows spanning columns).

Printed per candidate: mean and minimum similarity to the expected text (``eval.render_formats.similarity``),
how many expected paragraphs start in the right order (the reading order), end-of-line hyphens left in the
text (``word- word`` where the expected text has ``wordword``), furniture lines left, and seconds per file.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from eval.render_formats import similarity
from index.converters.pdf import Line, PdfConverter, clean_text, drop_furniture, with_starts

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
_FURNITURE = re.compile(r"(?i)reproduction interdite|page \d+ / \d+|le courrier de l'ouest\s+\d")


def pypdf_text(data: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [[Line(text, float(rank)) for rank, text in enumerate(page.extract_text().splitlines())] for page in reader.pages]
    return clean_text(drop_furniture(pages))


def pdfminer_text(data: bytes) -> str:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextBox, LTTextLine

    pages = []
    for page in extract_pages(io.BytesIO(data), laparams=LAParams()):
        lines: list[Line] = []
        starts: set[int] = set()
        for box in page:
            if not isinstance(box, LTTextBox):
                continue
            starts.add(len(lines))
            for line in box:
                if isinstance(line, LTTextLine) and line.get_text().strip():
                    lines.append(Line(line.get_text().strip(), page.height - line.y1, line.x0, round(line.height, 1)))
        pages.append(with_starts(lines, starts))
    return clean_text(drop_furniture(pages))


def pdfplumber_text(data: bytes) -> str:
    return PdfConverter().convert(data)[0].text


CANDIDATES: dict[str, Callable[[bytes], str]] = {"pypdf": pypdf_text, "pdfminer": pdfminer_text, "pdfplumber": pdfplumber_text}


def in_order(text: str, expected: str) -> float:
    """The share of the expected paragraphs whose first 40 characters appear in the text after the previous one's."""
    flat = " ".join(text.split())
    at, hits, paragraphs = 0, 0, [" ".join(p.split())[:40] for p in expected.split("\n\n") if p.strip()]
    for head in paragraphs:
        found = flat.find(head, at)
        if found >= 0:
            hits, at = hits + 1, found
    return hits / len(paragraphs)


def cut_words_left(text: str, expected: str) -> int:
    """End-of-line hyphens the text kept: ``ab- cd`` or ``ab-cd`` where the expected text has ``abcd``."""
    flat = " ".join(expected.split())
    return sum(1 for m in re.finditer(r"(\w+)- ?(\w+)", text) if f"{m.group(1)}{m.group(2)}" in flat and m.group(0) not in flat)


def cases(formats: Path) -> list[tuple[str, bytes, str]]:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["readable"]
    found = [(name, (FIXTURES / name).read_bytes(), item["text"]) for name, item in expected.items() if name.endswith(".pdf")]
    for pdf in sorted((formats / "pdf").glob("*.pdf")):
        original = formats / "txt" / f"{pdf.stem}.txt"
        text = re.sub(r"\A\s*date\s+\S+\s*", "", original.read_text(encoding="utf-8"))
        found.append((f"heldout/{pdf.name}", pdf.read_bytes(), text))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.pdf_extractors", description=__doc__.split("\n\n")[0])
    parser.add_argument("--formats", type=Path, default=Path("build/formats"), help="eval.render_formats' output folder")
    args = parser.parse_args(argv)
    found = cases(args.formats)
    print(f"{len(found)} PDFs")
    print("extractor    similarity mean / min   in order   hyphens left   furniture left   s/file")
    for name, extract in CANDIDATES.items():
        scores, orders, hyphens, furniture, seconds = [], [], 0, 0, 0.0
        for _, data, expected in found:
            started = time.perf_counter()
            text = extract(data)
            seconds += time.perf_counter() - started
            scores.append(similarity(text, expected))
            orders.append(in_order(text, expected))
            hyphens += cut_words_left(text, expected)
            furniture += len(_FURNITURE.findall(text))
        print(
            f"{name:<12} {sum(scores) / len(scores):.4f} / {min(scores):.4f}        {sum(orders) / len(orders):.3f}"
            f"      {hyphens:>5}          {furniture:>5}          {seconds / len(found):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
