"""Articles as files, with the fake embedder: ``POST /documents`` multipart uploads of the real fixtures (web
pages, PDF, Word, feeds), answers with exact offsets per format, the source's metadata on ``GET /documents``,
bad files refused with nothing changed, and a folder of every format built with its unreadable files skipped
(``qa index build``, ``--strict``, ``/health``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import cli
from index.corpus import load_articles
from index.store import build_index
from qa.settings import Settings
from tests.api.test_admin import AUTH, GatedEmbedder, make_settings, start
from tests.conftest import FakeEmbedder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MEDIA = {
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
}
MEDIA[".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def part(path: str, name: str | None = None) -> tuple[str, tuple[str, bytes, str]]:
    """A ``files`` part holding the fixture ``path`` under the file name ``name``."""
    source = FIXTURES / path
    return ("files", (name or source.name, source.read_bytes(), MEDIA.get(source.suffix, "application/octet-stream")))


@pytest.fixture
def settings(tmp_path: Path, articles_dir: Path, embedder: GatedEmbedder) -> Settings:
    index_dir = tmp_path / "index"
    build_index(load_articles(articles_dir), embedder, index_dir)
    # threshold 0: the reader always answers, so that each format shows an answer and its offsets
    return make_settings(articles_dir, index_dir, max_batch_articles=10, max_article_chars=50_000, no_answer_threshold=0.0)


@pytest.fixture
def embedder() -> GatedEmbedder:
    return GatedEmbedder()


@pytest.fixture
def client(settings: Settings, embedder: GatedEmbedder) -> Iterator[TestClient]:
    with start(settings, embedder) as test_client:
        yield test_client


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".qa-lock"}


# One question per format, asked of the uploaded article only; the answer must come out of it verbatim.
CASES = [
    ("html/tramway_brest.html", "tramway_brest", "Combien de stations compte la ligne B du tramway de Brest ?", "html"),
    (
        "pdf/criees_deux_colonnes_desordre.pdf",
        "criees_deux_colonnes_desordre",
        "Combien de tonnes la criée du Guilvinec a-t-elle vendues ?",
        "pdf",
    ),
    ("pdf/tramway_une_colonne.pdf", "tramway_une_colonne", "Combien a coûté le chantier du tramway ?", "pdf"),
    ("docx/secheresse_morbihan.docx", "secheresse_morbihan", "Quel est le montant de l'amende pour une infraction ?", "docx"),
]


def assert_verbatim(client: TestClient, body: dict[str, Any]) -> None:
    """Every span of an /ask answer is the text of its document between its offsets."""
    texts: dict[str, str] = {}

    def text(doc_id: str) -> str:
        if doc_id not in texts:
            texts[doc_id] = client.get(f"/documents/{doc_id}").json()["text"]
        return texts[doc_id]

    answer = body["answer"]
    assert answer is not None, body
    assert text(answer["doc_id"])[answer["start"] : answer["end"]] == answer["text"]
    assert text(answer["doc_id"])[answer["sentence_start"] : answer["sentence_end"]] == answer["sentence"]
    for span in answer["alternatives"] + answer["supporting"]:
        assert text(span["doc_id"])[span["start"] : span["end"]] == span["text"]
    for citation in body["citations"]:
        assert text(citation["doc_id"])[citation["start"] : citation["end"]] == citation["text"]


@pytest.mark.parametrize(("fixture", "doc_id", "question", "fmt"), CASES)
def test_each_format_answers_with_exact_offsets(client: TestClient, fixture: str, doc_id: str, question: str, fmt: str) -> None:
    added = client.post("/documents", files=[part(fixture)], headers=AUTH)
    assert added.status_code == 200, added.text
    assert added.json()["added"] == [doc_id]
    document = client.get(f"/documents/{doc_id}").json()
    assert (document["format"], document["file_name"]) == (fmt, Path(fixture).name)
    body = client.post("/ask", json={"question": question, "doc_ids": [doc_id]}).json()
    assert_verbatim(client, body)
    assert body["answer"]["doc_id"] == doc_id


def test_feed_items_answer_and_keep_their_links(client: TestClient) -> None:
    added = client.post("/documents", files=[part("feeds/bretagne.rss"), part("feeds/lot_culture.atom")], headers=AUTH).json()
    assert len(added["added"]) == 5 and all(i.startswith(("bretagne/", "lot_culture/")) for i in added["added"])
    listed = {d["doc_id"]: d for d in client.get("/documents").json()}
    festival = listed["bretagne/festival-cornouaille-programmation-c39166ae"]
    assert festival["url"] == "https://www.courrier-ouest.fr/quimper/festival-cornouaille-programmation"
    assert (festival["format"], festival["file_name"], festival["site_name"], festival["summary_only"]) == (
        "rss",
        "bretagne.rss",
        "Le Courrier de l'Ouest — Bretagne",
        False,
    )
    assert listed["bretagne/piscine-kercado-fermee-bd46dd0e"]["summary_only"] is True
    body = client.post(
        "/ask", json={"question": "Quel est le prix du pass six jours du festival ?", "doc_ids": [festival["doc_id"]]}
    ).json()
    assert_verbatim(client, body)
    escales = "lot_culture/escales-du-lot-40-artistes-b47d438d"
    body = client.post("/ask", json={"question": "Quel est le budget du festival des Escales du Lot ?", "doc_ids": [escales]}).json()
    assert_verbatim(client, body)


def test_get_document_returns_the_sources_metadata(client: TestClient, settings: Settings) -> None:
    assert client.post("/documents", files=[part("html/tramway_brest.html", "2026/brest/tramway.html")], headers=AUTH).status_code == 200
    document = client.get("/documents/2026/brest/tramway").json()
    assert {k: document[k] for k in ("title", "date", "author", "url", "site_name", "format", "file_name", "summary_only")} == {
        "title": "Brest : la ligne B du tramway transportera ses premiers voyageurs le 12 septembre",
        "date": "2026-03-17",
        "author": "Nolwenn Kervella",
        "url": "https://www.courrier-ouest.fr/brest/tramway-ligne-b-mise-en-service-12-septembre",
        "site_name": "Le Courrier de l'Ouest",
        "format": "html",
        "file_name": "2026/brest/tramway.html",
        "summary_only": False,
    }
    assert document["text"].startswith(document["title"] + "\n\n") and document["length"] == len(document["text"])
    # kept in the articles folder as its text and metadata, the one source of truth: a restart reads the same
    [stored] = [a for a in load_articles(settings.articles_dir) if a.doc_id == "2026/brest/tramway"]
    assert (stored.text, stored.format, stored.file_name, stored.url) == (
        document["text"],
        "html",
        "2026/brest/tramway.html",
        document["url"],
    )
    again = client.post("/documents", files=[part("html/tramway_brest.html", "2026/brest/tramway.html")], headers=AUTH).json()
    assert again["unchanged"] == ["2026/brest/tramway"]


@pytest.mark.parametrize(
    ("parts", "detail"),
    [
        (
            [part("html/criees_finistere.htm"), part("pdf/scan.pdf")],
            "scan.pdf: the PDF has no text layer (a scanned or image-only PDF): OCR",
        ),
        ([part("pdf/chiffre.pdf")], "chiffre.pdf: the PDF is encrypted with a password"),
        ([part("docx/secheresse_morbihan.docx"), part("pdf/tronque.pdf")], "tronque.pdf: the PDF is truncated"),
        ([part("docx/abime.docx")], "abime.docx: not a Word .docx file"),
        ([("files", ("notes.odt", b"PK...", "application/octet-stream"))], "notes.odt: not an article file"),
        ([("files", ("../evil.html", (FIXTURES / "html/tramway_brest.html").read_bytes(), "text/html"))], "'..' part"),
    ],
)
def test_a_bad_file_is_refused_by_name_and_nothing_changes(
    client: TestClient, settings: Settings, parts: list[tuple[str, tuple[str, bytes, str]]], detail: str
) -> None:
    before, listed = folder_files(settings.articles_dir), client.get("/documents").json()
    refused = client.post("/documents", files=parts, headers=AUTH)
    assert refused.status_code == 422, refused.text
    assert detail in refused.json()["detail"]
    assert folder_files(settings.articles_dir) == before and client.get("/documents").json() == listed


def test_a_file_sent_twice_in_one_upload_is_one_article_the_last_one_wins(client: TestClient) -> None:
    """As for the JSON body: an id twice in a batch is no error, the last one is written."""
    both = [part("html/criees_finistere.htm"), part("docx/secheresse_morbihan.docx", "criees_finistere.docx")]
    written = client.post("/documents", files=both, headers=AUTH)
    assert written.status_code == 200, written.text
    assert written.json()["added"] == ["criees_finistere"]
    assert client.get("/documents/criees_finistere").json()["format"] == "docx"


def test_form_mistakes_are_422(client: TestClient) -> None:
    no_name = client.post("/documents", files=[("files", ("", b"texte", "text/plain"))], headers=AUTH)
    assert no_name.status_code == 422
    other = client.post("/documents", data={"id": "x"}, files=[part("html/criees_finistere.htm")], headers=AUTH)
    assert other.status_code == 422 and "form field 'id'" in other.json()["detail"]
    broken = client.post("/documents", content=b"--x\r\nnot a part", headers={**AUTH, "content-type": "multipart/form-data; boundary=x"})
    assert broken.status_code == 422
    too_many = client.post("/documents", files=[part("html/criees_finistere.htm", f"c{n}.htm") for n in range(11)], headers=AUTH)
    assert too_many.status_code == 422
    feed_item = client.post("/documents", files=[part("feeds/bretagne.rss")], headers=AUTH).json()["added"][0]
    assert client.post("/documents", files=[part("feeds/bretagne.rss")], headers=AUTH).json()["unchanged"]
    assert client.delete(f"/documents/{feed_item}", headers=AUTH).status_code == 200  # stored as lines: one goes


def test_uploads_need_the_admin_token_and_fit_the_body_limit(
    client: TestClient, settings: Settings, embedder: GatedEmbedder, tmp_path: Path
) -> None:
    assert client.post("/documents", files=[part("html/criees_finistere.htm")]).status_code == 401
    openapi = client.get("/openapi.json").json()
    assert set(openapi["paths"]["/documents"]["post"]["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    small = settings.model_copy(update={"max_write_body_bytes": 2000})
    with start(small, embedder) as small_client:
        assert small_client.post("/documents", files=[part("html/criees_finistere.htm")], headers=AUTH).status_code == 413


def test_a_feed_item_in_the_folder_cannot_be_replaced_alone(client: TestClient, settings: Settings) -> None:
    shutil.copy(FIXTURES / "feeds" / "bretagne.rss", settings.articles_dir / "bretagne.rss")
    item = "bretagne/ponton-navettes-port-33fec4a3"
    replaced = client.post("/documents", json={"articles": [{"id": item, "text": "Un autre texte pour ce ponton."}]}, headers=AUTH)
    assert replaced.status_code == 422 and "item of the feed file bretagne.rss" in replaced.json()["detail"]
    client.post("/index/rebuild", headers=AUTH)
    assert client.delete(f"/documents/{item}", headers=AUTH).status_code == 409


# ---- the articles folder with every format: qa index build and /health ----


@pytest.fixture
def every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "formats"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("*.py", "*.json", "__pycache__"))
    monkeypatch.setenv("QA_ARTICLES_DIR", str(folder))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "formats-index"))
    monkeypatch.setenv("QA_MODEL", "fake-hash-256")
    monkeypatch.setenv("QA_ANNOTATION", "full")  # served with the evidence reader (the fake embedder)
    embedder = FakeEmbedder()
    monkeypatch.setattr(cli, "load_embedder", lambda settings: embedder)
    monkeypatch.setattr(cli, "unloaded_embedder", lambda settings: embedder)
    return folder


def test_index_build_skips_unreadable_files_and_strict_refuses(every_format: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["index", "build", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert "error: cannot read 4 file(s)" in err and "pdf/scan.pdf: the PDF has no text layer" in err and "Traceback" not in err
    assert not (every_format.parent / "formats-index").exists()
    assert cli.main(["index", "build"]) == 0
    out, _ = capsys.readouterr()
    assert "built" in out and "11 articles" in out
    assert "skipped 4 file(s) that cannot be read" in out
    for line in (
        "    pdf/chiffre.pdf: the PDF is encrypted with a password",
        "    pdf/tronque.pdf: the PDF is truncated",
        "    docx/abime.docx: not a Word .docx file",
    ):
        assert line in out
    assert cli.main(["index", "sync"]) == 0 and "up to date" in capsys.readouterr().out
    assert cli.main(["index", "sync", "--strict"]) == 2


def test_health_lists_the_skipped_files(every_format: Path, tmp_path: Path, embedder: GatedEmbedder) -> None:
    assert cli.main(["index", "build"]) == 0
    settings = make_settings(every_format, tmp_path / "formats-index")
    with start(settings, FakeEmbedder()) as client:
        health = client.get("/health").json()
        assert health["articles_in_sync"] is True and health["articles"] == 11
        assert {s["file"] for s in health["skipped_files"]} == {"pdf/scan.pdf", "pdf/chiffre.pdf", "pdf/tronque.pdf", "docx/abime.docx"}
        assert all(s["reason"] for s in health["skipped_files"])
        formats = {d["format"] for d in client.get("/documents").json()}
        assert formats == {"html", "pdf", "docx", "rss", "atom"}
