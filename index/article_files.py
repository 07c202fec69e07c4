"""Writing articles into the articles folder, the one source of truth, so the loader reads what was written.

An added article becomes a one-line ``<id>.jsonl`` file. A replaced one is rewritten where it lives (its line
of a ``.jsonl`` file), or, when it was a ``.txt`` / ``.md`` file, that file goes and a ``<id>.jsonl`` takes its
place: the id is defined once. A deleted one loses its file, or its line of a multi-article ``.jsonl``.

A set of changes is applied as one: it is first written to a journal (``.qa-journal.json``, hidden from the
loader) flushed to disk, then each file is replaced atomically (temporary file, fsync, rename, fsync of the
folder), every file written before any is deleted, then the journal is removed. Once the journal is on disk the
change is decided: a crash or an I/O error part-way (a full disk) leaves the journal, and it is finished, never
dropped or written over: :func:`recover` replays it (every change is idempotent), and so does the next
:func:`apply_changes` before its own change (if it cannot, that change fails too, and nothing of it is written).
So the folder ends either before the changes (no journal on disk) or after them; until a journal left by an
I/O error is finished, the folder holds the old articles and maybe some new files beside them (writes come
before deletes: nothing is lost, though an id replaced from a ``.txt`` may then read as defined twice).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from index.converters.feed import FeedConverter
from index.corpus import Article, Scan, _jsonl_articles, article_paths, jsonl_lines, read_article_file, scan_articles
from index.errors import BadArticle, CorpusError, WriteConflict
from index.store import fsync

JOURNAL = ".qa-journal.json"
_LOCK = ".qa-lock"  # one process changes the folder at a time (a server's writer, `qa index sync`)
_TMP_SUFFIX = ".qa-tmp"
MAX_ID_CHARS = 200
FEED_SUFFIXES = FeedConverter.suffixes  # files of several articles that are no .jsonl
_MAX_NAME_BYTES = 200  # a path segment, before ".jsonl": well under the usual 255-byte limit
# Line separators a JSON string may hold raw but other tools split lines on: written escaped.
_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


@dataclass(frozen=True)
class Location:
    """Where an article is defined: its file (relative to the folder) and, in a ``.jsonl``, its line (0-based).
    ``shared``: the file defines other articles too and is no ``.jsonl`` (a feed): it is not edited per article."""

    path: Path
    line: int | None
    shared: bool = False


@dataclass(frozen=True)
class FileChange:
    """Write ``content`` to ``path`` (relative to the folder), or delete it when ``content`` is ``None``."""

    path: Path
    content: str | None


def check_doc_id(doc_id: str) -> str:
    """The id, stripped, if it can name a file under the folder; raises :class:`BadArticle` otherwise."""
    stripped = doc_id.strip()
    if not stripped:
        raise BadArticle("an article has an empty id")
    if len(stripped) > MAX_ID_CHARS:
        raise BadArticle(f"article {stripped[:40]!r}…: the id is {len(stripped)} characters long; the limit is {MAX_ID_CHARS}")
    if any(unicodedata.category(ch).startswith("C") for ch in stripped) or "\\" in stripped:
        raise BadArticle(f"article {stripped!r}: the id holds a control character or a backslash")
    for part in stripped.split("/"):
        if part in ("", ".", "..") or part.startswith(".") or part != part.strip():
            raise BadArticle(
                f"article {stripped!r}: the id must be a relative path of plain names (no leading or doubled '/', "
                "no '.' or '..' part, no part starting with '.')"
            )
        if len(part.encode("utf-8")) > _MAX_NAME_BYTES:
            raise BadArticle(f"article {stripped!r}: a part of the id is longer than {_MAX_NAME_BYTES} bytes")
    return stripped


def article_line(article: Article) -> str:
    """The article as a ``.jsonl`` line (no newline): ``id``, ``text`` and the metadata it has (a converted
    file's format and name, author, site name, and whether a feed gave only its summary, included)."""
    record: dict[str, str | bool] = {"id": article.doc_id, "text": article.text}
    for key in ("title", "date", "url", "author", "site_name", "format", "file_name"):
        value = getattr(article, key)
        if value is not None and not (key == "format" and value == "jsonl"):
            record[key] = value
    if article.summary_only:
        record["summary_only"] = True
    line = json.dumps(record, ensure_ascii=False)
    for raw, escaped in _SEPARATORS.items():
        line = line.replace(raw, escaped)  # only inside strings: JSON has no such character elsewhere
    return line


def as_loaded(article: Article) -> Article:
    """The article as the loader will read it back from its ``.jsonl`` line (normalised text, date, title),
    checked by the loader's own rules; raises :class:`BadArticle` naming it."""
    doc_id = check_doc_id(article.doc_id)
    where = Path(f"{doc_id}.jsonl")
    try:
        [loaded] = _jsonl_articles(where, article_line(replace(article, doc_id=doc_id)))
    except CorpusError as exc:
        raise BadArticle(f"article {doc_id!r}: {str(exc).removeprefix(f'{where}: line 1: ')}") from None
    return loaded


def locate_articles(folder: Path) -> dict[str, Location]:
    """Where each article id of a readable folder is defined (none while the folder does not exist)."""
    found: dict[str, Location] = {}
    for path in article_paths(folder) if folder.is_dir() else []:
        relative = path.relative_to(folder)
        if path.suffix.lower() in FEED_SUFFIXES:
            with suppress(CorpusError):  # scan_articles reports it
                found |= {a.doc_id: Location(relative, None, shared=True) for a in read_article_file(path, folder)}
            continue
        if path.suffix != ".jsonl":
            found[relative.with_suffix("").as_posix()] = Location(relative, None)
            continue
        for number, line in enumerate(jsonl_lines(path.read_text(encoding="utf-8"))):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # scan_articles reports it
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                found[record["id"].strip()] = Location(relative, number)
    return found


def plan_changes(folder: Path, upserts: Sequence[Article], deletes: Sequence[str] = ()) -> list[FileChange]:
    """The file changes that leave ``upserts`` (as :func:`as_loaded` checked them) defined once each, and
    ``deletes`` (ids the folder holds) gone; other articles keep their files and lines. Every file written
    comes before every file deleted, so a change cut short by an I/O error loses no article."""
    where = locate_articles(folder)
    lines: dict[Path, list[str | None]] = {}  # .jsonl files being edited: their lines, None where one goes
    changes: dict[Path, str | None] = {}

    def edit(location: Location, line: str | None) -> None:
        assert location.line is not None
        if location.path not in lines:
            lines[location.path] = list(jsonl_lines((folder / location.path).read_text(encoding="utf-8")))
        lines[location.path][location.line] = line

    for doc_id in deletes:
        gone = where[doc_id]
        if gone.shared:
            raise WriteConflict(f"article {doc_id!r} is an item of the feed file {gone.path}: change or remove that file instead")
        if gone.line is None:
            changes[gone.path] = None
        else:
            edit(gone, None)
    for article in upserts:
        location = where.get(article.doc_id)
        if location is not None and location.shared:
            raise BadArticle(f"article {article.doc_id!r} is an item of the feed file {location.path}: send the feed again instead")
        if location is not None and location.line is not None:
            edit(location, article_line(article))
            continue
        if location is not None:  # a .txt or .md file: replaced by a .jsonl one
            changes[location.path] = None
        changes[_new_file(folder, article.doc_id, changes)] = article_line(article) + "\n"
    for path, content in lines.items():
        kept = [line for line in content if line is not None]
        changes[path] = "\n".join(kept) + "\n" if any(line.strip() for line in kept) else None
    writes = [FileChange(path, content) for path, content in changes.items() if content is not None]
    return writes + [FileChange(path, None) for path, content in changes.items() if content is None]


def _new_file(folder: Path, doc_id: str, taken: dict[Path, str | None]) -> Path:
    path = Path(f"{doc_id}.jsonl")
    if ((folder / path).exists() and path not in taken) or taken.get(path) is not None:
        path = Path(f"{doc_id}.{hashlib.sha256(doc_id.encode()).hexdigest()[:8]}.jsonl")  # <id>.jsonl holds other articles
    return path


def apply_changes(folder: Path, changes: Sequence[FileChange]) -> None:
    """Apply ``changes`` as one, crash-safely (see the module's docstring)."""
    if not changes:
        return
    journal = [{"path": change.path.as_posix(), "content": change.content} for change in changes]
    with _folder_lock(folder):
        _finish_journal(folder)  # a change left by an I/O error or a crash goes first; raises if it still cannot
        _write_atomic(folder / JOURNAL, json.dumps({"changes": journal}, ensure_ascii=False))
        _replay(folder, changes)
        (folder / JOURNAL).unlink()
        fsync(folder)


def recover(folder: Path) -> bool:
    """Finish the changes a crash or an I/O error interrupted (a journal left in ``folder``), and remove
    temporary files; true when there was a journal to replay. Raises ``OSError`` when it still cannot (the
    journal stays for the next try)."""
    if not folder.is_dir() or not ((folder / JOURNAL).exists() or any(folder.rglob(f".*{_TMP_SUFFIX}"))):
        return False  # nothing to do (and nothing written: a read-only folder is fine)
    with _folder_lock(folder):
        _remove_temporary_files(folder)
        return _finish_journal(folder)


def scan_folder(folder: Path) -> Scan:
    """The folder's articles as the last change left them, and the files that cannot be read (each with its
    reason): a change left half done is finished first, and the folder is read under its lock (shared), so
    that no change runs while it is read."""
    recover(folder)
    with _folder_lock(folder, shared=True):
        return scan_articles(folder)


def read_articles(folder: Path) -> list[Article]:
    """:func:`scan_folder`'s articles (a file that cannot be read is left out, as a build leaves it out)."""
    return scan_folder(folder).articles


def _finish_journal(folder: Path) -> bool:
    """Replay and remove the journal in ``folder``, if any (the caller holds the folder lock)."""
    path = folder / JOURNAL
    if not path.is_file():
        return False
    data = json.loads(path.read_text(encoding="utf-8"))  # written whole by a rename: never truncated
    _remove_temporary_files(folder)
    _replay(folder, [FileChange(Path(c["path"]), c["content"]) for c in data["changes"]])
    path.unlink()
    fsync(folder)
    return True


def _remove_temporary_files(folder: Path) -> None:
    for tmp in folder.rglob(f".*{_TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)


@contextmanager
def _folder_lock(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """One process changes the folder at a time (exclusive); readers hold it shared. A reader that cannot
    open the lock file (a read-only folder, which nobody of ours writes) reads without it."""
    try:
        handle = (folder / _LOCK).open("a")
    except OSError:
        if not shared:
            raise
        handle = None
    if handle is None:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replay(folder: Path, changes: Sequence[FileChange]) -> None:
    for change in changes:
        target = folder / change.path
        if change.content is None:
            if target.exists():
                target.unlink()
                fsync(target.parent)
        else:
            _make_dirs(folder, target.parent)
            _write_atomic(target, change.content)


def _make_dirs(folder: Path, directory: Path) -> None:
    missing = []
    while directory != folder and not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for created in reversed(missing):
        created.mkdir()
        fsync(created.parent)


def _write_atomic(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}{_TMP_SUFFIX}")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk: the partial copy goes, the target is untouched
        raise
    fsync(path.parent)
