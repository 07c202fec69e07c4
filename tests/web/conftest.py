"""Browser tests of the page over a tiny corpus with the fake embedder (no model): the real app served on
127.0.0.1, driven by headless Chromium (the machinery is in tests/browser.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from index.corpus import load_articles
from index.store import build_index, load_index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from tests.browser import LiveServer
from tests.conftest import ARTICLES, FakeEmbedder

THRESHOLD = 0.001  # the hash embedder's confidences are tiny (see tests/api/test_api.py)

# Articles added to the tiny corpus for the page: HTML that must show as text, and a long article
# whose answer sits far down, so opening it must scroll.
HTML_ARTICLE = {
    "id": "html",
    "title": "La balise <script>alert('titre')</script> du rédacteur",
    "date": "2025-03-03",
    "url": "javascript:window.__pwned = 'url'",
    "text": (
        "La balise <script>window.__pwned = 'texte'</script> du rédacteur\n"
        "Le rédacteur Kermadec a collé une balise <img src=x onerror=\"window.__pwned = 'img'\"> et du <b>gras</b> "
        "dans le gestionnaire de contenu du journal. "
        "Le correctif du gestionnaire de contenu a été publié le 3 mars à Brest."
    ),
}
FILLER = (
    "Paragraphe {n}. La météo reste changeante sur la côte bretonne, avec des averses passagères et du vent "
    "soufflant de l'ouest ; les marins attendent une accalmie avant de reprendre la mer."
)
LONG_ARTICLE = (
    "La coopérative des pêcheurs de Douarnenez\n"
    + "\n\n".join(FILLER.format(n=n) for n in range(1, 41))
    + "\n\nLa coopérative des pêcheurs de Douarnenez compte 4 200 adhérents depuis sa fusion avec celle de Concarneau."
)

# A real web page (tests/fixtures): the page links its answers to the page's canonical address.
PAGE_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "html" / "tramway_brest.html"
PAGE_ID = "web/tramway"

# No title (its first line ends a sentence) and an id with a slash (a subfolder): named by its opening words.
UNTITLED_ID = "archives/escales"
UNTITLED_ARTICLE = (
    "Le port de Lorient a accueilli 312 escales de paquebots en 2024, un record selon la chambre de commerce.\n"
    "Les commerçants du centre-ville disent avoir vu la différence dès le printemps."
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web" in str(item.path):
            item.add_marker(pytest.mark.browser)


def web_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / "long.txt").write_text(LONG_ARTICLE, encoding="utf-8")
    (folder / "archives").mkdir(exist_ok=True)
    (folder / f"{UNTITLED_ID}.txt").write_text(UNTITLED_ARTICLE, encoding="utf-8")
    (folder / "html.jsonl").write_text(json.dumps(HTML_ARTICLE, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "web").mkdir(exist_ok=True)  # a news site's page as saved, with its canonical address and byline
    shutil.copy(PAGE_FIXTURE, folder / f"{PAGE_ID}.html")
    return folder


@pytest.fixture(scope="session")
def web_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root = tmp_path_factory.mktemp("web")
    embedder = FakeEmbedder()
    build_index(load_articles(web_corpus(root / "articles")), embedder, root / "index")
    index = load_index(root / "index", model=embedder.name)
    return Pipeline(index, embedder, SentenceReader(index, embedder, ReaderConfig(no_answer_threshold=THRESHOLD)))


@pytest.fixture(scope="session")
def server(web_pipeline: Pipeline) -> Iterator[LiveServer]:
    """The app over the tiny corpus with the fake embedder (no model)."""
    live = LiveServer(create_app(pipeline=web_pipeline)).start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def broken_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with no index to load: every API route answers 503, the page itself is still served."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("no-index") / "none", model="all-MiniLM-L6-v2")
    live = LiveServer(create_app(settings)).start()
    yield live
    live.stop()
