"""Each format's converter on real files (tests/fixtures/, made by tests/fixtures/make_fixtures.py with
reportlab, python-docx and hand-shaped news pages and feeds): text, metadata, refusals, ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from eval.render_formats import similarity
from index.article_files import check_doc_id
from index.converters import SUFFIXES, Extracted, converter_for
from index.converters.feed import FeedConverter, item_key
from index.converters.pdf import Line, _join, clean_text, drop_furniture
from index.corpus import articles_from_bytes, load_articles, read_article_file, scan_articles
from index.errors import CorpusError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
BOILERPLATE = (
    "cookies",
    "Publicité",
    "À lire aussi",
    "Sur le même sujet",
    "Réactions",
    "Enfin ! On l'attendait",
    "Partager sur",
    "newsletter",
    "Mentions légales",
    "Je m’abonne",
    "Météo",
)
FURNITURE = ("LE COURRIER DE L'OUEST", "Reproduction interdite", "Page 1 /", "Page 2 /")


def read(name: str) -> list[Any]:
    return read_article_file(FIXTURES / name, FIXTURES)


def test_every_format_has_one_converter_by_suffix() -> None:
    assert set(SUFFIXES) == {".txt", ".md", ".jsonl", ".html", ".htm", ".pdf", ".docx", ".rss", ".atom", ".xml"}
    assert converter_for("Une.PDF") is converter_for("x.pdf") and converter_for("x.doc") is None
    assert {converter_for(f"x{s}").format for s in SUFFIXES} == {"txt", "md", "jsonl", "html", "pdf", "docx", "rss"}  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["html/tramway_brest.html", "html/criees_finistere.htm"])
def test_html_main_text_and_metadata(name: str) -> None:
    want = EXPECTED["readable"][name]
    [article] = read(name)
    assert article.doc_id == name.rsplit(".", 1)[0] and article.format == "html" and article.file_name == name
    assert (article.title, article.date, article.author, article.url, article.site_name) == (
        want["title"],
        want["date"],  # the publication date (the JSON-LD's dateModified is the evening's update)
        want["author"],
        want["url"],
        want["site_name"],
    )
    assert article.text.startswith(want["title"] + "\n\n")
    for paragraph in want["text"].split("\n\n")[2:]:  # every paragraph of the body, whole, in order
        assert f"\n\n{paragraph}" in article.text
    assert similarity(article.text, want["text"]) > 0.97  # tramway's standfirst sits outside the body: left out
    for furniture in BOILERPLATE:
        assert furniture not in article.text, furniture


@pytest.mark.parametrize("name", ["pdf/tramway_une_colonne.pdf", "pdf/criees_deux_colonnes.pdf", "pdf/criees_deux_colonnes_desordre.pdf"])
def test_pdf_reading_order_hyphens_and_furniture(name: str) -> None:
    want = EXPECTED["readable"][name]
    [article] = read(name)
    assert (article.title, article.date, article.author, article.format) == (want["title"], want["date"], want["author"], "pdf")
    blocks = article.text.split("\n\n")
    assert blocks[0] == want["title"]  # the headline's lines, one paragraph
    # every paragraph whole: columns read in order (even drawn row by row across the page), words cut at the
    # end of a line joined, running headers and footers gone
    expected_blocks = want["text"].split("\n\n")
    assert [b for b in blocks if b in expected_blocks] == expected_blocks
    assert [b for b in blocks if b not in expected_blocks] == [f"Par {want['author']} — {byline_date(want['date'])}"]
    for furniture in FURNITURE:
        assert furniture not in article.text


def byline_date(iso: str) -> str:
    from eval.render_formats import french_date

    return french_date(iso)


def test_docx_paragraphs_headings_table_and_core_properties() -> None:
    want = EXPECTED["readable"]["docx/secheresse_morbihan.docx"]
    [article] = read("docx/secheresse_morbihan.docx")
    assert article.text == want["text"]  # Title, paragraphs, intertitles as paragraphs, the table's rows: in order
    assert (article.title, article.date, article.author, article.format) == (want["title"], want["date"], want["author"], "docx")
    assert "Alerte renforcée\t48\t1,9 m³/s" in article.text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pdf/scan.pdf", "the PDF has no text layer (a scanned or image-only PDF): OCR is not supported"),
        ("pdf/chiffre.pdf", "the PDF is encrypted with a password"),
        ("pdf/tronque.pdf", "the PDF is truncated (no end-of-file marker)"),
        ("docx/abime.docx", "not a Word .docx file"),
    ],
)
def test_unreadable_files_are_refused_with_their_reason(name: str, reason: str) -> None:
    assert EXPECTED["refused"][name] in reason
    with pytest.raises(CorpusError) as refused:
        read(name)
    assert str(refused.value).startswith(f"{FIXTURES / name}: {reason}")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.pdf", b"<html>not a pdf</html>", "not a PDF file"),
        ("a.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\nxref garbage\n%%EOF", "damaged PDF"),
        ("a.html", b"  ", "the page is empty"),
        ("a.html", b"<html><body><nav><a href='/'>Accueil</a></nav></body></html>", "no article text found"),
        ("a.xml", b"<?xml version='1.0'?><sitemap><url>x</url></sitemap>", "not an RSS or Atom feed"),
        (
            "a.rss",
            b"<rss version='2.0'><channel><title>Vide</title><item><title></title></item></channel></rss>",
            "the RSS feed has no item with any text",
        ),
        ("a.docx", b"PK\x03\x04 not really a zip", "not a Word .docx file"),
        ("a.txt", "é".encode("latin-1"), "line 1: not valid UTF-8"),
        ("a.doc", b"\xd0\xcf\x11\xe0", "not an article file"),
    ],
)
def test_bad_bytes_are_refused_naming_the_file(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(CorpusError, match=f"^{name}: {reason}"):
        articles_from_bytes(data, name)


def test_feeds_give_one_article_per_item() -> None:
    rss = {a.doc_id.rpartition("/")[2]: a for a in read("feeds/bretagne.rss")}
    assert set(rss) == {
        "festival-cornouaille-programmation-c39166ae",
        "ponton-navettes-port-33fec4a3",
        "piscine-kercado-fermee-bd46dd0e",
    }
    festival = rss["festival-cornouaille-programmation-c39166ae"]
    assert festival.doc_id == "feeds/bretagne/festival-cornouaille-programmation-c39166ae"
    assert festival.text.startswith(
        "Quimper : le festival de Cornouaille annonce sa programmation\n\nLe festival de Cornouaille se tiendra du 21 au"
    )
    assert "<p>" not in festival.text and "<strong>" not in festival.text and not festival.summary_only
    assert "La billetterie ouvre le lundi 15 juin à 10 heures" in festival.text  # content:encoded, not the description
    assert (festival.date, festival.url, festival.author, festival.site_name, festival.format, festival.file_name) == (
        "2026-06-12",
        "https://www.courrier-ouest.fr/quimper/festival-cornouaille-programmation",
        "Gwenola Rivoal",
        "Le Courrier de l'Ouest — Bretagne",
        "rss",
        "feeds/bretagne.rss",
    )
    piscine = rss["piscine-kercado-fermee-bd46dd0e"]
    assert piscine.summary_only and "sera fermée du 15 au 28 juin" in piscine.text
    atom = {a.doc_id: a for a in read("feeds/lot_culture.atom")}
    escales = atom["feeds/lot_culture/escales-du-lot-40-artistes-b47d438d"]
    assert (escales.format, escales.date, escales.author, escales.site_name, escales.summary_only) == (
        "atom",
        "2026-05-28",
        "Camille Bessières",
        "Lot Infos — Culture",
        False,
    )
    assert "\n\nUne édition élargie\n\nLe festival des Escales du Lot se déroulera du 6 au 9 août" in escales.text
    assert atom["feeds/lot_culture/champollion-prolongation-95f87ba5"].summary_only
    for doc_id in [*atom, *(a.doc_id for a in rss.values())]:
        assert check_doc_id(doc_id) == doc_id


def test_a_feed_item_keeps_its_id_when_its_headline_changes() -> None:
    entry = {"id": "guid-1", "link": "https://ex.fr/2026/06/le-port-s-agrandit.html", "title": "Le port s’agrandit"}
    edited = {**entry, "title": "MISE À JOUR : le port s’agrandit encore"}
    assert item_key(entry, 1) == item_key(edited, 7) == "le-port-s-agrandit-" + item_key(entry, 1)[-8:]
    assert item_key({"title": "Grève à la SNCF"}, 1).startswith("greve-a-la-sncf-")
    assert item_key({}, 4) == "item-4"


def test_items_with_the_same_id_get_a_suffix() -> None:
    item = "<item><title>Même</title><guid>g</guid><description>Texte de l'article.</description></item>"
    feed = f"<rss version='2.0'><channel><title>T</title>{item}{item}</channel></rss>".encode()
    first, second = FeedConverter().convert(feed)
    assert second.item == f"{first.item}-2"


def test_hyphens_at_line_ends() -> None:
    seen = {"porte-parole"}
    assert _join("la circula-", "tion reprend", seen) == "la circulation reprend"
    assert _join("à Saint-", "Gildas-des-Prés", seen) == "à Saint-Gildas-des-Prés"
    assert _join("le porte-", "parole a dit", seen) == "le porte-parole a dit"
    assert _join("a-t-", "il dit", set()) == "a-t-il dit"
    assert _join("vingt-", "trois membres", set()) == "vingt-trois membres"
    assert _join("de la cul\u00ad", "ture", set()) == "de la culture"
    assert _join("Paris —", "Lyon", set()) == "Paris — Lyon"


def test_furniture_needs_repetition_or_a_page_number() -> None:
    page = [Line("Le Journal", 10), Line("Un titre", 60), Line("Le corps du texte.", 80), Line("Page 3 sur 9", 800)]
    other = [Line("Le Journal", 10), Line("Suite du texte.", 60), Line("Fin.", 80), Line("- 4 -", 800)]
    assert drop_furniture([page, other]) == [page[1:3], other[1:3]]
    assert drop_furniture([page]) == [page[:3]]  # one page: a header cannot be told from a headline
    assert clean_text([[Line("Un titre", 60, size=17), Line("Le corps.", 90, size=10, starts=True)]]) == "Un titre\n\nLe corps."


def test_a_folder_of_every_format_skips_what_it_cannot_read(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("*.py", "*.json", "__pycache__"))
    (folder / "notes.txt").write_text("Une brève du jour sur le port de Brest.", encoding="utf-8")
    (folder / "html" / "tramway_brest.txt").write_text("Le même id qu'une page.", encoding="utf-8")
    scan = scan_articles(folder)
    assert {(s.file, s.reason.split(":")[0]) for s in scan.skipped} == {
        ("pdf/scan.pdf", "the PDF has no text layer (a scanned or image-only PDF)"),
        ("pdf/chiffre.pdf", "the PDF is encrypted with a password"),
        ("pdf/tronque.pdf", "the PDF is truncated (no end-of-file marker)"),
        ("docx/abime.docx", "not a Word .docx file (damaged, or another format"),
        (
            "html/tramway_brest.txt",
            "duplicate document id 'html/tramway_brest' (also in " + str(folder / "html" / "tramway_brest.html") + ")",
        ),
    }
    formats = sorted({a.format or "" for a in scan.articles})
    assert formats == ["atom", "docx", "html", "pdf", "rss", "txt"]
    assert len(scan.articles) == 2 + 3 + 1 + 3 + 2 + 1
    with pytest.raises(CorpusError, match=r"(?s)cannot read the articles:\n  docx/abime.docx: not a Word .docx file.*pdf/scan.pdf"):
        load_articles(folder)


def test_a_jsonl_line_keeps_a_converted_files_metadata(tmp_path: Path) -> None:
    line = {
        "id": "rapport",
        "text": "Le rapport annuel.",
        "format": "pdf",
        "file_name": "rapport.pdf",
        "author": "A. Auteur",
        "site_name": "Le Site",
        "summary_only": True,
    }
    (tmp_path / "rapport.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    [article] = load_articles(tmp_path)
    assert (article.format, article.file_name, article.author, article.site_name, article.summary_only) == (
        "pdf",
        "rapport.pdf",
        "A. Auteur",
        "Le Site",
        True,
    )
    (tmp_path / "rapport.jsonl").write_text(json.dumps({**line, "summary_only": "oui"}) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="'summary_only' must be true or false"):
        load_articles(tmp_path)


def test_plain_files_say_their_format(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Un article de test.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Titre\nTexte.", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "c", "text": "Une ligne."}\n', encoding="utf-8")
    found = {a.doc_id: (a.format, a.file_name) for a in load_articles(tmp_path)}
    assert found == {"a": ("txt", "a.txt"), "b": ("md", "b.md"), "c": ("jsonl", None)}


def test_extracted_defaults() -> None:
    assert Extracted("x") == Extracted("x", None, None, None, None, None, False, None, None, None, None, None)
