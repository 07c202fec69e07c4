"""Does the articles folder still hold what the index was built from: the verdict and its cache."""

from __future__ import annotations

import os
from pathlib import Path

from index.corpus import Article
from index.freshness import FolderCheck, differences, folder_signature
from index.store import Index


def test_differences_name_the_ids_and_count_the_rest() -> None:
    indexed = {f"d{i}": Article(f"d{i}", "texte", None, None, None) for i in range(8)}
    folder = {k: v for k, v in indexed.items() if k != "d0"}
    folder["d1"] = Article("d1", "autre texte", None, None, None)
    folder.update({f"n{i}": Article(f"n{i}", "neuf", None, None, None) for i in range(7)})
    assert differences(folder, indexed) == [
        "7 article(s) in the folder are not in the index: n0, n1, n2, n3, n4 and 2 more",
        "1 indexed article(s) are no longer in the folder: d0",
        "1 article(s) changed since the index was built: d1",
    ]
    assert differences(indexed, indexed) == []


def test_the_signature_sees_a_rewrite_and_ignores_hidden_files(articles_dir: Path) -> None:
    before = folder_signature(articles_dir)
    assert [entry[0] for entry in before] == ["alpha.txt", "beta.txt", "gamma.txt"]
    (articles_dir / ".brouillon.txt").write_text("caché", encoding="utf-8")
    assert folder_signature(articles_dir) == before
    alpha = articles_dir / "alpha.txt"
    stat = alpha.stat()
    os.utime(alpha, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert folder_signature(articles_dir) != before


def test_a_touched_but_unchanged_folder_is_read_again_and_still_in_sync(articles_dir: Path, built_index: Index) -> None:
    check = FolderCheck(articles_dir)
    assert check.agreement(built_index).in_sync and check.reads == 1
    assert check.agreement(built_index).in_sync and check.reads == 1
    alpha = articles_dir / "alpha.txt"
    alpha.write_text(alpha.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(alpha, ns=(alpha.stat().st_atime_ns, alpha.stat().st_mtime_ns + 1_000_000))
    agreement = check.agreement(built_index)
    assert agreement.in_sync and agreement.reasons == () and check.reads == 2
