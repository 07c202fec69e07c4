"""The page with the real model over the seed articles: what a first-time user sees (the README's screenshot)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from api.app import create_app
from qa.pipeline import Pipeline
from tests.browser import LiveServer, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under `make test`, saying what to install
    expect = None

pytestmark = pytest.mark.browser

QUESTION = "Combien de puces mémoire OpenAI veut-il recevoir par mois ?"


@pytest.fixture(scope="module")
def real_server(real_pipeline: Pipeline) -> Iterator[LiveServer]:
    live = LiveServer(create_app(pipeline=real_pipeline)).start()
    yield live
    live.stop()


def test_first_visit_then_a_real_answer_in_its_article(page: Any, real_server: LiveServer) -> None:
    page.goto(real_server.url + "/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#corpus-note")).to_contain_text("5 articles")
    screenshot(page, "real-first-visit", full_page=False)

    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    expect(page.locator("#citations")).to_contain_text("900 000")  # as tests/integration/test_service_real.py
    answer = page.locator("#answer")
    doc_id, start, end = answer.get_attribute("data-doc"), int(answer.get_attribute("data-start")), int(answer.get_attribute("data-end"))
    text = page.request.get(f"{real_server.url}/documents/{quote(doc_id)}").json()["text"]
    assert answer.text_content() == text[start:end]
    assert page.locator("#answer-sentence mark").text_content() == text[start:end]
    expect(page.locator("#citations > li").first).to_be_visible()
    expect(page.locator('#citations a[data-untitled="pending"]')).to_have_count(0)  # untitled articles named by their opening words
    screenshot(page, "real-answer", full_page=False)
    screenshot(page, "real-answer-full")

    page.get_by_role("link", name="voir la réponse dans l’article").click()
    expect(page.locator("#span")).to_be_in_viewport()
    expect(page.locator("#span")).to_have_text(text[start:end])
    screenshot(page, "real-article", full_page=False)


def test_unanswerable_question_with_the_real_model(page: Any, real_server: LiveServer) -> None:
    page.goto(f"{real_server.url}/?q={quote('Quelle est la recette de la ratatouille ?')}")
    expect(page.locator("#result")).to_have_attribute("data-state", "no-answer")
    expect(page.get_by_role("heading", name="Les articles ne le disent pas")).to_be_visible()
    expect(page.locator("#citations > li").first).to_be_visible()
    screenshot(page, "real-no-answer", full_page=False)
