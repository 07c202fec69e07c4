"""Reading articles from a folder: ``.txt``/``.md`` (one article a file) and ``.jsonl``.

A document's id is its path relative to the articles folder, without extension
(``000_9d614626e99b93de``); a JSONL line gives its own ``id``. Text is normalised to
NFC with ``\\n`` line endings; both apostrophes are kept as written. A leading
`` date 2025-10-02 `` marker becomes the article's date and leaves the text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError

ARTICLE_SUFFIXES = (".txt", ".md", ".jsonl")

_DATE_MARKER = re.compile(r"\A\s*date\s+(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?=\s|\Z)\s*")
_ISO_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
# First lines that look like headlines but are page furniture.
_NOT_TITLES = {"table des matières", "sommaire", "à lire aussi", "lire aussi", "publicité"}
_MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Article:
    """One article. ``date`` is an ISO prefix (``2025``, ``2025-10`` or ``2025-10-02``)."""

    doc_id: str
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str = ""


def same_article(a: Article, b: Article) -> bool:
    """Equal in everything an index stores of an article (its source file aside)."""
    return (a.doc_id, a.text, a.title, a.date, a.url) == (b.doc_id, b.text, b.title, b.date, b.url)


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


def _make_article(doc_id: str, raw: str, source: str, **meta: str | None) -> Article:
    date, text = split_date_marker(normalize_text(raw))
    text = text.strip()
    if not text:
        raise CorpusError(f"{source}: the article is empty")
    date = meta.get("date") or date
    title = meta.get("title") or guess_title(text)
    return Article(doc_id=doc_id, text=text, title=title, date=date, url=meta.get("url"), source=source)


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path}: line {line}: not valid UTF-8 (byte {exc.start})") from None


def _optional_str(value: object, what: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CorpusError(f"{where}: '{what}' must be a string")
    return value.strip() or None


def jsonl_lines(text: str) -> list[str]:
    """The lines of a ``.jsonl`` file's text, split on ``\\n`` only (``\\r\\n`` leaves a ``\\r`` that JSON reads as blank
    space): ``str.splitlines`` also splits on U+2028, U+2029, U+0085 and other separators that a JSON string may
    hold raw. A final newline ends the last line and opens none."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _jsonl_articles(path: Path, text: str) -> list[Article]:
    articles = []
    for number, line in enumerate(jsonl_lines(text), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: malformed JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{where}: expected a JSON object")
        doc_id, body = record.get("id"), record.get("text")
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise CorpusError(f"{where}: missing or empty string 'id'")
        if not isinstance(body, str):
            raise CorpusError(f"{where}: missing string 'text'")
        date = _optional_str(record.get("date"), "date", where)
        if date is not None and not _ISO_DATE.fullmatch(date):
            raise CorpusError(f"{where}: 'date' must be YYYY, YYYY-MM or YYYY-MM-DD, got {date!r}")
        articles.append(
            _make_article(
                doc_id.strip(),
                body,
                where,
                title=_optional_str(record.get("title"), "title", where),
                date=date,
                url=_optional_str(record.get("url"), "url", where),
            )
        )
    return articles


def read_article_file(path: Path, root: Path) -> list[Article]:
    """Articles of one file; raises :class:`CorpusError` naming the file (and line)."""
    text = _decode(path, path.read_bytes())
    if path.suffix == ".jsonl":
        return _jsonl_articles(path, text)
    doc_id = path.relative_to(root).with_suffix("").as_posix()
    return [_make_article(doc_id, text, str(path))]


def article_paths(folder: Path) -> list[Path]:
    """The files :func:`load_articles` reads below ``folder`` (hidden ones left out), sorted."""
    if not folder.is_dir():
        raise CorpusError(f"articles folder not found: {folder}")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in ARTICLE_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def load_articles(folder: Path) -> list[Article]:
    """Every article below ``folder``, sorted by id. All problems are reported together."""
    paths = article_paths(folder)
    if not paths:
        raise CorpusError(f"no articles (.txt, .md, .jsonl) in {folder}")
    problems: list[str] = []
    seen: dict[str, str] = {}
    articles: list[Article] = []
    for path in paths:
        try:
            found = read_article_file(path, folder)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        for article in found:
            if article.doc_id in seen:
                problems.append(f"{article.source}: duplicate document id {article.doc_id!r} (also in {seen[article.doc_id]})")
                continue
            seen[article.doc_id] = article.source
            articles.append(article)
    if problems:
        raise CorpusError("cannot read the articles:\n  " + "\n  ".join(problems))
    return sorted(articles, key=lambda a: a.doc_id)
