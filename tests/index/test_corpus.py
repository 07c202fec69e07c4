from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.corpus import guess_title, load_articles, split_date_marker
from index.errors import CorpusError


def test_loads_txt_with_date_marker_and_title(articles_dir: Path) -> None:
    articles = {a.doc_id: a for a in load_articles(articles_dir)}
    assert sorted(articles) == ["alpha", "beta", "gamma"]
    alpha = articles["alpha"]
    assert alpha.date == "2025-10-02"
    assert alpha.text.startswith("OpenAI signe avec Samsung")
    assert "date 2025" not in alpha.text
    assert alpha.title == "OpenAI signe avec Samsung et SK Hynix"
    assert articles["gamma"].date == "2024-01"
    assert articles["beta"].date is None


def test_keeps_both_apostrophes_and_normalises_to_nfc(tmp_path: Path) -> None:
    decomposed = "Le de\u0301partement d’e\u0301tat et l'accord.\n"  # é written as e + combining accent
    (tmp_path / "a.txt").write_text(decomposed, encoding="utf-8")
    [article] = load_articles(tmp_path)
    assert article.text == "Le département d’état et l'accord."
    assert "’" in article.text and "'" in article.text


def test_title_only_when_first_line_reads_as_headline() -> None:
    assert guess_title("Une phrase qui finit par un point.\nLa suite.") is None
    assert guess_title("Table des matières\nOpenAI s’associe à Samsung.") is None
    assert guess_title("Titre court ici\n") is None
    assert guess_title("OpenAI s’associe à SoftBank et Oracle\nLe corps.") == "OpenAI s’associe à SoftBank et Oracle"


def test_split_date_marker() -> None:
    assert split_date_marker(" date 2025-10-02 OpenAI vient") == ("2025-10-02", "OpenAI vient")
    assert split_date_marker("date 2024 Texte") == ("2024", "Texte")
    assert split_date_marker("Le date 2024 ici") == (None, "Le date 2024 ici")


def test_subfolders_and_markdown_get_relative_ids(tmp_path: Path) -> None:
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "note.md").write_text("# Titre\nTexte.", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    assert [a.doc_id for a in load_articles(tmp_path)] == ["2025/note"]


def test_jsonl_articles(tmp_path: Path) -> None:
    lines = [
        {"id": "d1", "text": "Premier article.", "title": "Un", "date": "2025-01-02", "url": "https://example.org/1"},
        {"id": "d2", "text": "Second article."},
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    a1, a2 = load_articles(tmp_path)
    assert (a1.doc_id, a1.title, a1.date, a1.url) == ("d1", "Un", "2025-01-02", "https://example.org/1")
    assert (a2.doc_id, a2.title, a2.date) == ("d2", None, None)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.txt", "ligne un\nligne deux \xe9".encode("latin-1"), "bad.txt: line 2: not valid UTF-8"),
        ("empty.txt", b"  \n ", "empty.txt: the article is empty"),
        ("only_date.txt", b" date 2025-01-01 ", "only_date.txt: the article is empty"),
        ("feed.jsonl", b'{"id": "x", "text": "ok"}\n{"id": "y", "text": \n', "feed.jsonl: line 2: malformed JSON"),
        ("feed.jsonl", b'{"id": "x"}\n', "feed.jsonl: line 1: missing string 'text'"),
        ("feed.jsonl", b'{"id": "x", "text": "t", "date": "hier"}\n', "'date' must be YYYY"),
        ("feed.jsonl", b"[1, 2]\n", "expected a JSON object"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / "good.txt").write_text("Un bon article.", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    with pytest.raises(CorpusError, match=re.escape(message)):
        load_articles(tmp_path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Texte.", encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text('{"id": "a", "text": "Autre."}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate document id 'a'"):
        load_articles(tmp_path)


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no articles"):
        load_articles(tmp_path)
    with pytest.raises(CorpusError, match="not found"):
        load_articles(tmp_path / "nope")
