"""Reading articles from a folder: each file through the converter of its format (``index/converters/``).

A document's id is its path relative to the articles folder, without extension
(``000_9d614626e99b93de``); a JSONL line gives its own ``id``; a feed's items are named under the feed's
path (``feeds/ouest/<slug>``, see ``index/converters/feed.py``). Text is normalised to NFC with ``\\n``
line endings; both apostrophes are kept as written. A leading `` date 2025-10-02 `` marker becomes the
article's date and leaves the text.

:func:`scan_articles` reads what it can and lists the files it could not read, each with its reason
(:class:`Skipped`); :func:`load_articles` refuses a folder with any such file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath

from index.converters import SUFFIXES, Extracted, Unreadable, converter_for
from index.converters.jsonl import jsonl_lines as jsonl_lines  # split on "\n" only: where every .jsonl is read
from index.errors import CorpusError

ARTICLE_SUFFIXES = SUFFIXES

_DATE_MARKER = re.compile(r"\A\s*date\s+(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?=\s|\Z)\s*")
# First lines that look like headlines but are page furniture.
_NOT_TITLES = {"table des matières", "sommaire", "à lire aussi", "lire aussi", "publicité"}
_MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Article:
    """One article. ``date`` is an ISO prefix (``2025``, ``2025-10`` or ``2025-10-02``); ``url`` its canonical
    address (a feed item's link). ``source`` says where it was read, for messages. What its file said of it:
    ``author``, ``site_name``, ``format`` (the converter's: ``txt``, ``md``, ``jsonl``, ``html``, ``pdf``,
    ``docx``, ``rss``, ``atom``), ``file_name`` (the file's path in the articles folder, or the uploaded
    file's name; none for a ``.jsonl`` line) and ``summary_only`` (a feed item that carried only its summary)."""

    doc_id: str
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str = ""
    author: str | None = None
    site_name: str | None = None
    format: str | None = None
    file_name: str | None = None
    summary_only: bool = False


# What an index stores of an article, in this order (``source`` is not stored).
STORED_FIELDS = ("doc_id", "text", "title", "date", "url", "author", "site_name", "format", "file_name", "summary_only")


def stored(article: Article) -> tuple[str | bool | None, ...]:
    """The article's :data:`STORED_FIELDS` values."""
    return tuple(getattr(article, name) for name in STORED_FIELDS)


def same_article(a: Article, b: Article) -> bool:
    """Equal in everything an index stores of an article (where it was read aside)."""
    return stored(a) == stored(b)


@dataclass(frozen=True)
class Skipped:
    """A file of the articles folder that could not be read: its path in the folder, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class Scan:
    """What :func:`scan_articles` found: the articles, sorted by id, and the files it skipped."""

    articles: list[Article]
    skipped: list[Skipped]


def normalize_text(raw: str) -> str:
    """NFC, ``\\n`` line endings, no BOM, no surrounding blank space."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return unicodedata.normalize("NFC", text).strip()


def split_date_marker(text: str) -> tuple[str | None, str]:
    """Return ``(date, text without the marker)`` for a text that may start with `` date ISO ``."""
    match = _DATE_MARKER.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def guess_title(text: str) -> str | None:
    """The first line when it reads as a headline: short, unpunctuated, followed by a body."""
    first, sep, rest = text.partition("\n")
    first = first.strip()
    if not sep or not rest.strip() or not first:
        return None
    if len(first) > _MAX_TITLE_CHARS or len(first.split()) < 3:
        return None
    if first[-1] in ".;:,…" or first.casefold() in _NOT_TITLES:
        return None
    return first


def _article(found: Extracted, file_id: str, file_name: str, format: str, where: str) -> Article:
    """``found`` as an article: named, its text normalised (a leading date marker read), its title guessed
    when the file gave none."""
    if found.doc_id is not None:
        doc_id = found.doc_id
    elif found.item is not None:
        doc_id = f"{file_id}/{found.item}"
    else:
        doc_id = file_id
    source = f"{where}: {found.where}" if found.where else where
    marked_date, text = split_date_marker(normalize_text(found.text))
    text = text.strip()
    if not text:
        raise CorpusError(f"{source}: the article is empty")
    return Article(
        doc_id=doc_id,
        text=text,
        title=found.title or guess_title(text),
        date=found.date or marked_date,
        url=found.url,
        source=source,
        author=found.author,
        site_name=found.site_name,
        format=found.format or format,
        # a .jsonl line is no file of its own: it names one only when it records a converted file
        file_name=found.file_name if found.doc_id is not None else (found.file_name or file_name),
        summary_only=found.summary_only,
    )


def articles_from_bytes(data: bytes, name: str | PurePath, where: str | None = None) -> list[Article]:
    """The articles of one file: ``name`` is its path relative to the articles folder (its id without the
    extension; for an upload, the file's name), ``where`` names it in messages (default ``name``).
    Raises :class:`CorpusError` naming the file and saying why it cannot be read."""
    path = PurePosixPath(PurePath(name).as_posix())
    where = str(name) if where is None else where
    converter = converter_for(path)
    if converter is None:
        raise CorpusError(f"{where}: not an article file (the formats read are {', '.join(SUFFIXES)})")
    try:
        found = converter.convert(data)
    except Unreadable as exc:
        raise CorpusError(f"{where}: {exc}") from None
    if not found:
        raise CorpusError(f"{where}: the file holds no article")
    file_id = path.with_suffix("").as_posix()
    return [_article(item, file_id, path.as_posix(), converter.format, where) for item in found]


def _jsonl_articles(path: Path, text: str) -> list[Article]:
    """The articles of ``.jsonl`` text read as the file ``path`` (the loader's rules for one line)."""
    return articles_from_bytes(text.encode("utf-8"), path.with_suffix(".jsonl"), str(path))


def read_article_file(path: Path, root: Path) -> list[Article]:
    """Articles of one file; raises :class:`CorpusError` naming the file (and line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return articles_from_bytes(data, path.relative_to(root), str(path))


def article_paths(folder: Path) -> list[Path]:
    """The files :func:`load_articles` reads below ``folder`` (hidden ones left out), sorted."""
    if not folder.is_dir():
        raise CorpusError(f"articles folder not found: {folder}")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def scan_articles(folder: Path) -> Scan:
    """Every article below ``folder`` that can be read, sorted by id, and the files that cannot, each with
    its reason (a file whose id another file already gave is skipped too: files are read in path order)."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for path in article_paths(folder):
        relative = path.relative_to(folder).as_posix()
        try:
            found = read_article_file(path, folder)
            clash = next((a for a in found if a.doc_id in seen), None)
            if clash is not None:
                raise CorpusError(f"{clash.source}: duplicate document id {clash.doc_id!r} (also in {seen[clash.doc_id]})")
            ids = [a.doc_id for a in found]
            if len(set(ids)) != len(ids):
                twice = next(i for i in ids if ids.count(i) > 1)
                raise CorpusError(f"{path}: duplicate document id {twice!r} (twice in this file)")
        except CorpusError as exc:
            skipped.append(Skipped(relative, str(exc).removeprefix(f"{path}: ")))
            continue
        for article in found:
            seen[article.doc_id] = article.source
        articles += found
    return Scan(sorted(articles, key=lambda a: a.doc_id), skipped)


def skipped_lines(skipped: list[Skipped], indent: str = "  ") -> str:
    """The skipped files, one ``path: reason`` a line."""
    return "\n".join(f"{indent}{s.file}: {s.reason}" for s in skipped)


def load_articles(folder: Path) -> list[Article]:
    """Every article below ``folder``, sorted by id; a file that cannot be read is an error (every such file
    is reported together)."""
    scan = scan_articles(folder)
    if scan.skipped:
        raise CorpusError(f"cannot read the articles:\n{skipped_lines(scan.skipped)}")
    if not scan.articles:
        raise CorpusError(f"no articles ({', '.join(SUFFIXES)}) in {folder}")
    return scan.articles
