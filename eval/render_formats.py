"""Articles rendered as the files newsrooms keep: news web pages, PDF editions (one or two columns, words cut by
end-of-line hyphens, running headers and footers), Word files; and how much of each article the converters
(``index/converters/``) get back.

``python -m eval.render_formats [--out build/formats]`` renders the held-out articles (``eval/heldout/articles``)
into ``<out>/{txt,html,pdf,docx}/`` (the same ids: ``h01_….html`` and so on), then prints, per format, the
character-level similarity of each extracted text to the original (``difflib``'s ratio, whitespace kept) and
the extraction speed. Score each folder with ``qa eval --articles <out>/<format> --questions
eval/heldout/questions_fr.jsonl --no-html``. The same writers make the test fixtures (tests/fixtures/make_fixtures.py).

The PDF writer lays text out itself with reportlab's canvas (Helvetica, so nothing depends on a system font):
greedy line filling, a word that does not fit cut with a hyphen when both parts keep three letters (or at its
own hyphen), paragraphs with a first-line indent, page furniture on every page. ``interleaved`` draws the
lines of a two-column page row by row, left then right, so that the file's order is not the reading order.
reportlab and python-docx are imported where used (reportlab is a dev dependency).
"""

from __future__ import annotations

import argparse
import calendar
import difflib
import html
import io
import json
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from index.corpus import normalize_text, split_date_marker

HERE = Path(__file__).resolve().parent
HELDOUT = HERE / "heldout" / "articles"
FORMATS = ("txt", "html", "pdf", "docx", "rss")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
A4 = (595.0, 842.0)  # in points
A5 = (420.0, 595.0)
_MARGIN = 50.0
_BODY_FONT, _BODY_SIZE, _LEADING = "Helvetica", 10.0, 13.0
_TITLE_FONT, _TITLE_SIZE, _TITLE_LEADING = "Helvetica-Bold", 17.0, 21.0
_INDENT = 14.0
_GUTTER = 20.0


@dataclass(frozen=True)
class Story:
    """One article to render: its headline, its paragraphs and what a page says about it."""

    title: str
    paragraphs: tuple[str, ...]
    date: str | None = None  # YYYY-MM-DD
    author: str | None = None
    url: str | None = None
    site: str = "Le Courrier de l'Ouest"
    lead: str | None = None  # a standfirst under the headline (part of the article)
    subheads: dict[int, str] = field(default_factory=dict)  # paragraph index -> an intertitle before it

    @property
    def text(self) -> str:
        """The article as plain text: what a converter should give back (headline, lead, paragraphs)."""
        blocks = [self.title, *([self.lead] if self.lead else [])]
        for number, paragraph in enumerate(self.paragraphs):
            if number in self.subheads:
                blocks.append(self.subheads[number])
            blocks.append(paragraph)
        return "\n\n".join(blocks)


def story_from_text(text: str, **meta: Any) -> Story:
    """A story from a ``.txt`` article: its first line is the headline, blank lines part the paragraphs."""
    title, _, body = text.strip().partition("\n")
    paragraphs = tuple(" ".join(p.split()) for p in body.split("\n\n") if p.strip())
    return Story(title.strip(), paragraphs, **meta)


def french_date(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{'1er' if day == 1 else day} {_MONTHS[month - 1]} {year}"


# ---- web pages ----

_NAV = ("Actualité", "Politique", "Économie", "Sports", "Culture", "Bretagne", "Pays de la Loire", "Météo")


def news_page(story: Story, *, json_ld: bool = True, related: Sequence[str] = (), comments: Sequence[tuple[str, str]] = ()) -> str:
    """A news site's article page: cookie banner, navigation, ads, the article (headline, byline with
    ``<time>``, paragraphs, an inline "à lire aussi"), comments, related links, footer; metadata in meta tags
    and, with ``json_ld``, a schema.org ``NewsArticle``."""
    e = html.escape
    published = f"{story.date}T07:30:00+01:00" if story.date else None
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(story.title)} | {e(story.site)}</title>",
        f'<meta property="og:site_name" content="{e(story.site)}">',
        f'<meta property="og:title" content="{e(story.title)}">',
        '<meta property="og:type" content="article">',
    ]
    if story.url:
        head += [f'<link rel="canonical" href="{e(story.url)}">', f'<meta property="og:url" content="{e(story.url)}">']
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if story.author:
        head.append(f'<meta name="author" content="{e(story.author)}">')
    if json_ld:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "publisher": {"@type": "Organization", "name": story.site},
        }
        if published:
            data |= {"datePublished": published, "dateModified": published.replace("07:30", "18:45")}
        if story.author:
            data["author"] = [{"@type": "Person", "name": story.author}]
        if story.url:
            data["mainEntityOfPage"] = {"@type": "WebPage", "@id": story.url}
        head.append(f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>')
    nav = "".join(f'<li><a href="/{e(name.lower())}/">{e(name)}</a></li>' for name in _NAV)
    byline = []
    if story.author:
        byline.append(f'Par <a class="author" href="/auteurs/">{e(story.author)}</a>')
    if story.date:
        byline.append(f'Publié le <time datetime="{published}">{french_date(story.date)} à 07h30</time>')
    body = []
    for number, paragraph in enumerate(story.paragraphs):
        if number in story.subheads:
            body.append(f"<h2>{e(story.subheads[number])}</h2>")
        body.append(f"<p>{e(paragraph)}</p>")
        if number == 1:
            body.append('<div class="ad ad-inread" data-ad="inread"><span>Publicité</span><p>Votre cuisine équipée à -40 %</p></div>')
        if number == 2 and related:
            body.append(f'<aside class="read-also"><strong>À lire aussi</strong> <a href="/a/1">{e(related[0])}</a></aside>')
    comment_items = "".join(
        f'<div class="comment"><p class="comment-author">{e(who)}</p><p class="comment-text">{e(said)}</p></div>' for who, said in comments
    )
    related_items = "".join(f'<li><a href="/a/{n}">{e(title)}</a></li>' for n, title in enumerate(related, start=2))
    lead = f'<p class="article__lead">{e(story.lead)}</p>' if story.lead else ""
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="fr">',
            "<head>",
            *head,
            "</head>",
            "<body>",
            '<div id="cookie-banner" class="cookie-consent" role="dialog"><p>Nous utilisons des cookies pour mesurer '
            "l'audience et vous proposer des publicités adaptées. Vous pouvez accepter ou paramétrer vos choix.</p>"
            "<button>Tout accepter</button><button>Paramétrer</button></div>",
            f'<header class="site-header"><a class="logo" href="/">{e(story.site)}</a><nav class="main-nav"><ul>{nav}</ul></nav>'
            '<a class="subscribe" href="/abonnement">Je m’abonne</a></header>',
            '<div class="ad ad-banner" data-ad="top"><span>Publicité</span> Offre spéciale : abonnez-vous pour 1 € le premier mois</div>',
            "<main>",
            '<article class="article">',
            f'<h1 class="article__title">{e(story.title)}</h1>',
            lead,
            f'<p class="article__byline">{" — ".join(byline)}</p>' if byline else "",
            f'<div class="article__content">{"".join(body)}</div>',
            '<div class="share"><a href="#">Partager sur Facebook</a> <a href="#">Partager sur X</a> <a href="#">Copier le lien</a></div>',
            "</article>",
            f'<section id="comments" class="comments"><h2>Réactions ({len(comments)})</h2>{comment_items}</section>' if comments else "",
            f'<aside class="related"><h2>Sur le même sujet</h2><ul>{related_items}</ul></aside>' if related else "",
            '<div class="newsletter"><h2>La newsletter du matin</h2><p>Recevez l’essentiel de l’actualité chaque jour à 7 h.</p>'
            '<form><input type="email" placeholder="Votre adresse e-mail"><button>S’inscrire</button></form></div>',
            "</main>",
            f'<footer class="site-footer"><p>© 2026 {e(story.site)} — Mentions légales — Politique de confidentialité — '
            "Gestion des cookies — Nous contacter</p></footer>",
            "</body>",
            "</html>",
        ]
    )


# ---- PDF ----


@dataclass(frozen=True)
class _Placed:
    page: int
    column: int
    x: float
    y: float
    text: str
    font: str
    size: float


@contextmanager
def _source_date(iso: str | None) -> Iterator[None]:
    """reportlab stamps CreationDate from ``SOURCE_DATE_EPOCH`` when set: the story's date, and reproducible files."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    if iso is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm(datetime.strptime(iso, "%Y-%m-%d").replace(hour=7, tzinfo=UTC).timetuple()))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _cut(word: str, room: float, font: str, size: float) -> tuple[str, str] | None:
    """Where to cut ``word`` so that its head (with a hyphen) fits in ``room``: at its own hyphen, or between
    letters keeping three on each side; ``None`` when it cannot be cut."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for at in range(len(word) - 1, 0, -1):
        if word[at - 1] == "-" and at >= 3 and len(word) - at >= 3 and stringWidth(word[:at], font, size) <= room:
            return word[:at], word[at:]
    if not word.isalpha() or len(word) < 7:
        return None
    for at in range(len(word) - 3, 2, -1):
        if stringWidth(word[:at] + "-", font, size) <= room:
            return word[:at] + "-", word[at:]
    return None


def wrap(paragraph: str, width: float, font: str, size: float, *, indent: float = 0.0, hyphenate: bool = True) -> list[str]:
    """The lines of ``paragraph`` filled to ``width`` (the first ``indent`` narrower)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    current = ""
    words = paragraph.split()
    while words:
        word = words.pop(0)
        room = width - (indent if not lines else 0.0)
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= room:
            current = candidate
            continue
        space = room - stringWidth(current + " ", font, size) if current else room
        cut = _cut(word, space, font, size) if hyphenate and space > 4 * size else None
        if cut is not None:
            lines.append(f"{current} {cut[0]}" if current else cut[0])
            current = ""
            words.insert(0, cut[1])
        elif current:
            lines.append(current)
            current = ""
            words.insert(0, word)
        else:  # a word wider than the line: on a line of its own
            lines.append(word)
    if current:
        lines.append(current)
    return lines


def _layout(story: Story, columns: int, hyphenate: bool, byline: bool, size: tuple[float, float]) -> list[_Placed]:
    """Every line of the story placed on pages: headline (and byline, lead) across the first page, then the
    paragraphs in ``columns`` columns, page after page."""
    full = size[0] - 2 * _MARGIN
    col_w = (full - (columns - 1) * _GUTTER) / columns
    top, bottom = size[1] - _MARGIN - 30, _MARGIN + 30
    placed: list[_Placed] = []
    y = top
    for line in wrap(story.title, full, _TITLE_FONT, _TITLE_SIZE, hyphenate=False):
        placed.append(_Placed(1, 0, _MARGIN, y, line, _TITLE_FONT, _TITLE_SIZE))
        y -= _TITLE_LEADING
    if byline and (story.author or story.date):
        parts = [f"Par {story.author}" if story.author else "", french_date(story.date) if story.date else ""]
        placed.append(_Placed(1, 0, _MARGIN, y - 2, " — ".join(p for p in parts if p), "Helvetica-Oblique", 9.0))
        y -= _LEADING + 4
    if story.lead:
        for line in wrap(story.lead, full, "Helvetica-Bold", 11.0, hyphenate=False):
            placed.append(_Placed(1, 0, _MARGIN, y, line, "Helvetica-Bold", 11.0))
            y -= 14.0
    y -= _LEADING / 2
    page, column, col_top = 1, 0, y
    blocks: list[tuple[str, bool]] = []
    for number, paragraph in enumerate(story.paragraphs):
        if number in story.subheads:
            blocks.append((story.subheads[number], True))
        blocks.append((paragraph, False))
    for text, is_subhead in blocks:
        font = "Helvetica-Bold" if is_subhead else _BODY_FONT
        lines = wrap(text, col_w, font, _BODY_SIZE, indent=0.0 if is_subhead else _INDENT, hyphenate=hyphenate and not is_subhead)
        if y < col_top:
            y -= _LEADING * 0.5  # space before a paragraph, not at a column's top
        for n, line in enumerate(lines):
            if y < bottom:
                column += 1
                if column == columns:
                    page, column, col_top = page + 1, 0, top
                y = col_top
            x = _MARGIN + column * (col_w + _GUTTER) + (_INDENT if n == 0 and not is_subhead else 0.0)
            placed.append(_Placed(page, column, x, y, line, font, _BODY_SIZE))
            y -= _LEADING
    return placed


def write_pdf(
    story: Story,
    path: Path,
    *,
    columns: int = 1,
    interleaved: bool = False,
    hyphenate: bool = True,
    byline: bool = True,
    furniture: bool = True,
    user_password: str | None = None,
    size: tuple[float, float] = A4,
) -> None:
    """Write ``story`` as a PDF edition: metadata (title, author, creation date = the story's date), and on every
    page, with ``furniture``, a running header (site, date, rubric) and footer (site address, page number)."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen.canvas import Canvas

    placed = _layout(story, columns, hyphenate, byline, size)
    width, height = size
    pages = max(p.page for p in placed)
    encrypt = StandardEncryption(user_password, ownerPassword="owner-" + user_password, strength=128) if user_password else None
    with _source_date(story.date):
        canvas = Canvas(str(path), pagesize=size, encrypt=encrypt, pageCompression=1)
    canvas.setTitle(story.title)
    if story.author:
        canvas.setAuthor(story.author)
    canvas.setCreator(story.site)
    for page in range(1, pages + 1):
        if furniture:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(_MARGIN, height - _MARGIN, story.site.upper())
            canvas.drawRightString(width - _MARGIN, height - _MARGIN, french_date(story.date) if story.date else "Actualité")
            canvas.line(_MARGIN, height - _MARGIN - 5, width - _MARGIN, height - _MARGIN - 5)
            canvas.drawString(_MARGIN, _MARGIN - 12, "www.courrier-ouest.fr — Reproduction interdite")
            canvas.drawRightString(width - _MARGIN, _MARGIN - 12, f"Page {page} / {pages}")
        lines = [p for p in placed if p.page == page]
        lines.sort(key=(lambda p: (-p.y, p.column)) if interleaved else (lambda p: (p.column, -p.y)))
        for line in lines:
            canvas.setFont(line.font, line.size)
            canvas.drawString(line.x, line.y, line.text)
        canvas.showPage()
    canvas.save()


def write_scan_pdf(story: Story, path: Path) -> None:
    """A scan: each page one picture of its text (drawn with Pillow), no text layer at all."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    image = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    y = 120
    for block in story.text.split("\n\n"):
        for line in wrap(block, 470, _BODY_FONT, _BODY_SIZE, hyphenate=False):
            draw.text((110, y), line, fill=0, font=font)
            y += 30
        y += 14
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with _source_date(story.date):
        canvas = Canvas(str(path), pagesize=A4)
    canvas.setTitle(story.title)
    canvas.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width=A4[0], height=A4[1])
    canvas.showPage()
    canvas.save()


# ---- Word ----


def write_docx(story: Story, path: Path, *, table: Sequence[Sequence[str]] = ()) -> None:
    """A Word file as a correspondent sends it: core properties (title, author, created = the story's date),
    the headline as a Title paragraph, a byline, the paragraphs with intertitles as headings, and an optional
    table after the second paragraph."""
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.title = story.title
    if story.author:
        props.author = story.author
    stamp = datetime.strptime(story.date or "2026-01-01", "%Y-%m-%d").replace(hour=7)
    props.created = props.modified = stamp
    props.last_modified_by = story.author or ""
    doc.add_heading(story.title, level=0)
    if story.lead:
        doc.add_paragraph(story.lead, style="Intense Quote")
    for number, paragraph in enumerate(story.paragraphs):
        if number in story.subheads:
            doc.add_heading(story.subheads[number], level=2)
        doc.add_paragraph(paragraph)
        if number == 1 and table:
            grid = doc.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell
    buffer = io.BytesIO()
    doc.save(buffer)
    _fixed_zip(buffer.getvalue(), path)


def _fixed_zip(data: bytes, path: Path) -> None:
    """Write the zip ``data`` to ``path`` with every entry dated 1980-01-01: the same file every time."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, source.read(info.filename))


# ---- feeds ----


def write_rss(story: Story, path: Path) -> None:
    """An RSS 2.0 feed of one item carrying the whole article as HTML in ``content:encoded`` (as a CMS exports
    it), written with ElementTree (it escapes the HTML as the format wants)."""
    from xml.etree import ElementTree as ET

    content = "http://purl.org/rss/1.0/modules/content/"
    ET.register_namespace("content", content)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    for tag, value in (("title", story.site), ("link", "https://www.courrier-ouest.fr/"), ("language", "fr")):
        ET.SubElement(channel, tag).text = value
    item = ET.SubElement(channel, "item")
    ET.SubElement(item, "title").text = story.title
    if story.url:
        ET.SubElement(item, "link").text = story.url
        ET.SubElement(item, "guid").text = story.url
    if story.date:
        year, month, day = (int(p) for p in story.date.split("-"))
        ET.SubElement(item, "pubDate").text = format_datetime(datetime(year, month, day, 8, 0, tzinfo=UTC))  # RFC 822
    body = [f"<p><strong>{html.escape(story.lead)}</strong></p>"] if story.lead else []
    for number, paragraph in enumerate(story.paragraphs):
        if number in story.subheads:
            body.append(f"<h2>{html.escape(story.subheads[number])}</h2>")
        body.append(f"<p>{html.escape(paragraph)}</p>")
    ET.SubElement(item, f"{{{content}}}encoded").text = "".join(body)
    ET.ElementTree(rss).write(path, encoding="utf-8", xml_declaration=True)


# ---- the held-out articles in every format, and what comes back ----


def render_heldout(out: Path, source: Path = HELDOUT) -> dict[str, Path]:
    """Render every ``.txt`` of ``source`` as ``.html``, ``.pdf`` (odd ones in one column, even ones in two)
    , ``.docx`` and a one-item ``.rss`` feed under ``out/<format>/``; the ``.txt`` files are copied to ``out/txt``.
    Returns the folders."""
    folders = {fmt: out / fmt for fmt in FORMATS}
    for folder in folders.values():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for number, path in enumerate(sorted(source.glob("*.txt")), start=1):
        marked, text = split_date_marker(normalize_text(path.read_text(encoding="utf-8")))
        date = marked if marked is not None and len(marked) == 10 else f"2026-03-{number:02d}"
        story = story_from_text(text, date=date, author="Rédaction", url=f"https://www.courrier-ouest.fr/{path.stem}")
        shutil.copy(path, folders["txt"] / path.name)
        (folders["html"] / f"{path.stem}.html").write_text(
            news_page(story, related=["Le marché de Noël revient place du Bouffay"], comments=[("Yann29", "Enfin une bonne nouvelle !")]),
            encoding="utf-8",
        )
        write_pdf(story, folders["pdf"] / f"{path.stem}.pdf", columns=1 + (number % 2 == 0), byline=False)
        write_docx(story, folders["docx"] / f"{path.stem}.docx")
        write_rss(story, folders["rss"] / f"{path.stem}.rss")
    return folders


def similarity(extracted: str, original: str) -> float:
    """Character-level similarity in [0, 1] (difflib's ratio), after both texts' runs of blank space are made
    one space: paragraph breaks do not count, every character does."""
    return difflib.SequenceMatcher(None, " ".join(extracted.split()), " ".join(original.split()), autojunk=False).ratio()


def measure(folders: dict[str, Path]) -> dict[str, dict[str, float]]:
    """Per format: mean and minimum similarity of the extracted texts to the ``.txt`` originals, files per second."""
    from index.corpus import load_articles

    originals = {a.doc_id: a.text for a in load_articles(folders["txt"])}
    table = {}
    for fmt, folder in folders.items():
        started = time.perf_counter()
        articles = load_articles(folder)
        seconds = time.perf_counter() - started
        # a feed's item is <feed file>/<item>: its feed file is named after the article
        scores = [similarity(a.text, originals[a.doc_id.partition("/")[0]]) for a in articles]
        table[fmt] = {"files": len(articles), "similarity_mean": sum(scores) / len(scores), "similarity_min": min(scores)}
        table[fmt]["files_per_s"] = len(articles) / seconds if seconds else float("inf")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.render_formats", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/formats"), help="where the formats go (default build/formats)")
    args = parser.parse_args(argv)
    folders = render_heldout(args.out)
    table = measure(folders)
    print("format  files  similarity (mean / min)  files/s")
    for fmt, row in table.items():
        print(f"{fmt:<7} {int(row['files']):>5}  {row['similarity_mean']:.4f} / {row['similarity_min']:.4f}  {row['files_per_s']:9.1f}")
    for fmt, folder in folders.items():
        print(f"qa eval --articles {folder} --questions eval/heldout/questions_fr.jsonl --no-html --report build/formats/{fmt}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
