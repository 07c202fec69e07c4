"""Does the articles folder still hold what an index was built from? Cheap enough for every ``/health``.

The folder's articles are read again only when its listing changes (a file's path, size or
modification time): otherwise one ``stat`` per file. The verdict compares the folder's
:func:`~index.store.corpus_hash` (of the articles it can read) with the index manifest's, names the articles
that differ, and lists the files that cannot be read (skipped, as a build skips them)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from index.corpus import Article, Skipped, article_paths, same_article, scan_articles
from index.errors import CorpusError
from index.store import Index, corpus_hash

Signature = tuple[tuple[str, int, int], ...]
_NAMED = 5  # ids named per kind of difference; the rest are counted


@dataclass(frozen=True)
class Agreement:
    in_sync: bool
    reasons: tuple[str, ...]  # empty when in sync
    skipped: tuple[Skipped, ...] = ()  # files of the folder that cannot be read (no index holds them)


def folder_signature(folder: Path) -> Signature:
    """``(relative path, size, mtime in ns)`` of every article file: changes when a file is added,
    removed or rewritten (a rewrite keeping size and mtime to the nanosecond goes unseen)."""
    signature = []
    for path in article_paths(folder):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed while listing
            continue
        signature.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def _names(ids: list[str]) -> str:
    shown = ", ".join(ids[:_NAMED])
    return shown + (f" and {len(ids) - _NAMED} more" if len(ids) > _NAMED else "")


def differences(folder: Mapping[str, Article], indexed: Mapping[str, Article]) -> list[str]:
    """What the folder has that the index has not, and the reverse, in words."""
    added = sorted(folder.keys() - indexed.keys())
    removed = sorted(indexed.keys() - folder.keys())
    changed = sorted(i for i in folder.keys() & indexed.keys() if not same_article(folder[i], indexed[i]))
    reasons = []
    if added:
        reasons.append(f"{len(added)} article(s) in the folder are not in the index: {_names(added)}")
    if removed:
        reasons.append(f"{len(removed)} indexed article(s) are no longer in the folder: {_names(removed)}")
    if changed:
        reasons.append(f"{len(changed)} article(s) changed since the index was built: {_names(changed)}")
    return reasons


class FolderCheck:
    """Compares ``folder`` with a loaded index, re-reading the folder only when its listing changed.
    Thread-safe."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._key: tuple[Signature, str, int] | None = None
        self._verdict = Agreement(True, ())
        self.reads = 0  # how many times the folder's articles were read (for tests)

    def agreement(self, index: Index) -> Agreement:
        with self._lock:
            try:
                key = (folder_signature(self.folder), index.manifest.corpus_hash, id(index))
            except CorpusError as exc:
                return Agreement(False, (f"the articles folder cannot be listed: {exc}",))
            if key != self._key:
                self._verdict = self._compare(index)
                self._key = key
            return self._verdict

    def _compare(self, index: Index) -> Agreement:
        self.reads += 1
        try:
            scan = scan_articles(self.folder)
        except CorpusError as exc:
            return Agreement(False, (f"the articles folder cannot be read: {exc}",))
        skipped = tuple(scan.skipped)
        if corpus_hash(scan.articles) == index.manifest.corpus_hash:
            return Agreement(True, (), skipped)
        reasons = differences({a.doc_id: a for a in scan.articles}, index.articles)
        return Agreement(False, tuple(reasons or ["the articles differ from the ones the index was built from"]), skipped)
