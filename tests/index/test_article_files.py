from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import article_files
from index.article_files import (
    JOURNAL,
    FileChange,
    apply_changes,
    article_line,
    article_paths,
    as_loaded,
    check_doc_id,
    locate_articles,
    plan_changes,
    recover,
)
from index.corpus import Article, load_articles
from index.errors import BadArticle, CorpusError


def write(folder: Path, changes: list[FileChange]) -> dict[str, Article]:
    apply_changes(folder, changes)
    assert not (folder / JOURNAL).exists()
    return {a.doc_id: a for a in load_articles(folder)}


@pytest.fixture
def mixed(articles_dir: Path) -> Path:
    """The three .txt articles, a two-article .jsonl in a subfolder and a one-article .jsonl."""
    (articles_dir / "lot").mkdir()
    lines = [
        json.dumps({"id": "lot-1", "text": "Premier article du lot. Il parle de Lyon."}, ensure_ascii=False),
        "",
        json.dumps({"id": "lot-2", "text": "Second article du lot, à Marseille.", "date": "2025-03"}, ensure_ascii=False),
    ]
    (articles_dir / "lot" / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (articles_dir / "seul.jsonl").write_text(json.dumps({"id": "seul", "text": "Un article seul."}) + "\n", encoding="utf-8")
    return articles_dir


def test_locates_every_article_the_loader_reads(mixed: Path) -> None:
    where = locate_articles(mixed)
    assert set(where) == {a.doc_id for a in load_articles(mixed)}
    assert where["alpha"].path == Path("alpha.txt") and where["alpha"].line is None
    assert (where["lot-1"].path, where["lot-1"].line, where["lot-2"].line) == (Path("lot/batch.jsonl"), 0, 2)
    (mixed / ".hidden.txt").write_text("caché", encoding="utf-8")
    assert len(article_paths(mixed)) == 5


def test_adds_a_new_article_as_a_one_line_jsonl(mixed: Path) -> None:
    new = as_loaded(Article("dossiers/delta", " Nouvel article sur Nantes.\n", title="Nantes", date="2025-11-01", url="https://x.fr/d"))
    changes = plan_changes(mixed, [new])
    assert changes == [FileChange(Path("dossiers/delta.jsonl"), article_line(new) + "\n")]
    loaded = write(mixed, changes)
    assert loaded["dossiers/delta"].text == "Nouvel article sur Nantes."
    assert (loaded["dossiers/delta"].title, loaded["dossiers/delta"].date, loaded["dossiers/delta"].url) == (
        "Nantes",
        "2025-11-01",
        "https://x.fr/d",
    )
    assert len(loaded) == 7


def test_replacing_a_txt_article_leaves_one_definition(mixed: Path) -> None:
    loaded = write(mixed, plan_changes(mixed, [as_loaded(Article("alpha", "Texte remplacé.", title="Nouveau titre"))]))
    assert loaded["alpha"].text == "Texte remplacé." and loaded["alpha"].title == "Nouveau titre"
    assert not (mixed / "alpha.txt").exists() and (mixed / "alpha.jsonl").is_file()
    assert len(loaded) == 6  # load_articles refuses duplicates, so this also says: defined once


def test_replacing_and_deleting_lines_of_a_multi_article_jsonl(mixed: Path) -> None:
    before = (mixed / "lot" / "batch.jsonl").read_text(encoding="utf-8").splitlines()
    loaded = write(mixed, plan_changes(mixed, [as_loaded(Article("lot-2", "Remplacé à Toulon."))]))
    assert loaded["lot-2"].text == "Remplacé à Toulon." and loaded["lot-2"].date is None
    after = (mixed / "lot" / "batch.jsonl").read_text(encoding="utf-8").splitlines()
    assert after[0] == before[0]  # the other article's line is kept as written
    loaded = write(mixed, plan_changes(mixed, [], ["lot-1"]))
    assert "lot-1" not in loaded and loaded["lot-2"].text == "Remplacé à Toulon."
    loaded = write(mixed, plan_changes(mixed, [], ["lot-2", "seul", "beta"]))
    assert sorted(loaded) == ["alpha", "gamma"]
    assert not (mixed / "lot" / "batch.jsonl").exists() and not (mixed / "seul.jsonl").exists() and not (mixed / "beta.txt").exists()


def test_a_new_id_whose_file_name_is_taken_gets_another_file(mixed: Path) -> None:
    (mixed / "lot.jsonl").write_text(json.dumps({"id": "autre", "text": "Un autre."}) + "\n", encoding="utf-8")
    loaded = write(mixed, plan_changes(mixed, [as_loaded(Article("lot", "Le lot lui-même."))]))
    assert loaded["lot"].text == "Le lot lui-même." and loaded["autre"].text == "Un autre."


@pytest.mark.parametrize(
    ("doc_id", "fragment"),
    [
        ("", "empty id"),
        ("../evil", "relative path"),
        ("a/../../evil", "relative path"),
        ("/etc/passwd", "relative path"),
        ("a//b", "relative path"),
        (".cache", "relative path"),
        ("a\\b", "backslash"),
        ("a\nb", "control"),
        ("x" * 201, "limit is 200"),
    ],
)
def test_refuses_ids_that_cannot_name_a_file(doc_id: str, fragment: str) -> None:
    with pytest.raises(BadArticle, match=fragment):
        check_doc_id(doc_id)


@pytest.mark.parametrize(
    ("article", "fragment"),
    [
        (Article("a", "   "), "'a': the article is empty"),
        (Article("b", "Texte.", date="hier"), "'b': 'date' must be YYYY"),
        (Article("../c", "Texte."), "relative path"),
    ],
)
def test_as_loaded_applies_the_loaders_rules(article: Article, fragment: str) -> None:
    with pytest.raises(BadArticle, match=fragment):
        as_loaded(article)


def test_as_loaded_reads_what_the_loader_will() -> None:
    loaded = as_loaded(Article(" epsilon ", " date 2025-10-02 Un titre assez long ici\nLe corps de\u0301taille.\r\n"))
    assert (loaded.doc_id, loaded.date, loaded.title) == ("epsilon", "2025-10-02", "Un titre assez long ici")
    assert loaded.text == "Un titre assez long ici\nLe corps détaille."


def test_recover_finishes_an_interrupted_change(mixed: Path) -> None:
    changes = plan_changes(mixed, [as_loaded(Article("alpha", "Remplacé."))], ["lot-1"])
    journal = {"changes": [{"path": c.path.as_posix(), "content": c.content} for c in changes]}
    (mixed / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    [new_alpha] = [c for c in changes if c.path == Path("alpha.jsonl")]
    (mixed / "alpha.jsonl").write_text(new_alpha.content or "", encoding="utf-8")  # crashed after one file of three
    (mixed / ".beta.txt.qa-tmp").write_text("half", encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate document id 'alpha'"):
        load_articles(mixed)  # the half-applied folder: alpha defined twice
    assert recover(mixed)
    loaded = {a.doc_id: a for a in load_articles(mixed)}
    assert loaded["alpha"].text == "Remplacé." and "lot-1" not in loaded
    assert not (mixed / JOURNAL).exists() and not (mixed / ".beta.txt.qa-tmp").exists()
    assert not recover(mixed)


def test_recover_leaves_a_clean_folder_untouched(mixed: Path) -> None:
    before = sorted(p.name for p in mixed.rglob("*"))
    assert not recover(mixed)
    assert sorted(p.name for p in mixed.rglob("*")) == before  # not even a lock file: read-only folders work
    assert not recover(mixed / "missing")


# -- a failed write (issue 21, item 1) ---------------------------------------------------------------------------


def test_a_failed_write_deletes_nothing(mixed: Path, disk_full: list[bool]) -> None:
    """Replacing a .txt article writes its .jsonl before deleting the .txt: the failed write leaves the article."""
    before = {a.doc_id: a for a in load_articles(mixed)}
    with pytest.raises(OSError, match="No space left"):
        apply_changes(mixed, plan_changes(mixed, [as_loaded(Article("alpha", "Remplacé."))]))
    assert (mixed / "alpha.txt").is_file()
    assert {a.doc_id: a for a in load_articles(mixed)} == before  # the folder still reads as before


def test_the_next_write_replays_a_journal_left_by_a_failed_one(mixed: Path, disk_full: list[bool]) -> None:
    with pytest.raises(OSError):
        apply_changes(mixed, plan_changes(mixed, [as_loaded(Article("alpha", "Remplacé."))]))
    assert (mixed / JOURNAL).is_file()
    with pytest.raises(OSError):  # still full: the old journal cannot be finished, so the new change is not started
        apply_changes(mixed, plan_changes(mixed, [as_loaded(Article("epsilon", "Nouveau."))]))
    assert "Remplacé" in (mixed / JOURNAL).read_text(encoding="utf-8")  # never written over
    assert "epsilon" not in {a.doc_id for a in load_articles(mixed)}
    disk_full[0] = False
    loaded = write(mixed, plan_changes(mixed, [as_loaded(Article("epsilon", "Nouveau."))]))
    assert loaded["alpha"].text == "Remplacé." and loaded["epsilon"].text == "Nouveau."  # the first change, then the second
    assert not (mixed / "alpha.txt").exists() and not list(mixed.rglob(".*.qa-tmp"))


# -- line separators inside an article (issue 21, item 7) --------------------------------------------------------

SEPARATORS = "Un\u2028deux\u2029trois\x85quatre"


def test_a_jsonl_article_may_hold_unicode_line_separators(mixed: Path) -> None:
    line = json.dumps({"id": "sep", "text": SEPARATORS}, ensure_ascii=False)  # raw, as a hand-made file has them
    (mixed / "lot" / "batch.jsonl").write_text((mixed / "lot" / "batch.jsonl").read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    loaded = {a.doc_id: a for a in load_articles(mixed)}
    assert loaded["sep"].text == SEPARATORS
    assert locate_articles(mixed)["sep"] == article_files.Location(Path("lot/batch.jsonl"), 3)
    loaded = write(mixed, plan_changes(mixed, [as_loaded(Article("lot-2", "Remplacé."))], ["lot-1"]))
    assert loaded["sep"].text == SEPARATORS and loaded["lot-2"].text == "Remplacé." and "lot-1" not in loaded


def test_an_article_with_line_separators_is_written_and_read_back(mixed: Path) -> None:
    new = as_loaded(Article("sep", SEPARATORS))
    assert new.text == SEPARATORS
    loaded = write(mixed, plan_changes(mixed, [new]))
    assert loaded["sep"].text == SEPARATORS
    assert (mixed / "sep.jsonl").read_text(encoding="utf-8").count("\n") == 1
