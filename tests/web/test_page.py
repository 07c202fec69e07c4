"""The page in a real browser (headless Chromium): asking, reading answers in their article, errors,
escaping, the address as state. Every wait is on a DOM state, never on time."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.browser import LiveServer, PageWatch, open_page, screenshot
from tests.web.conftest import HTML_ARTICLE, PAGE_ID, UNTITLED_ID

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under `make test`, saying what to install
    expect = None

DRAM = "Combien de puces DRAM par mois ?"
ADHERENTS = "Combien d'adhérents compte la coopérative des pêcheurs de Douarnenez ?"
CORRECTIF = "Quand le correctif du gestionnaire de contenu a-t-il été publié ?"
ESCALES = "Combien d'escales de paquebots le port de Lorient a-t-il accueillies ?"
NOT_SAID = "Quelle est la recette de la ratatouille ?"
ANSWERED = re.compile("^(answer|no-answer)$")  # where the test is about the page, not what the reader picks
VOYAGEURS = "Combien de voyageurs par jour la métropole attend-elle ?"  # answered from the saved web page
PAGE_URL = "https://www.courrier-ouest.fr/brest/tramway-ligne-b-mise-en-service-12-septembre"
UNTITLED_NAME = "Le port de Lorient a accueilli 312 escales de paquebots en 2024, un record selon la…"


def document_text(page: Any, server: LiveServer, doc_id: str) -> str:
    response = page.request.get(f"{server.url}/documents/{quote(doc_id)}")
    assert response.ok, response.text()
    text: str = response.json()["text"]
    return text


def api_ask(page: Any, server: LiveServer, question: str) -> dict[str, Any]:
    """What POST /ask answers: the page must show exactly this (whatever the reader picks)."""
    response = page.request.post(f"{server.url}/ask", data={"question": question})
    assert response.ok, response.text()
    body: dict[str, Any] = response.json()
    return body


def confidence_words(score: float) -> str:
    return "élevée" if score >= 0.8 else "bonne" if score >= 0.6 else "moyenne" if score >= 0.3 else "faible"


def ask_by_address(page: Any, server: LiveServer, question: str, **options: str) -> None:
    query = "&".join(f"{k}={quote(v)}" for k, v in {"q": question, **options}.items())
    page.goto(f"{server.url}/?{query}")


def offsets(locator: Any) -> tuple[str, int, int]:
    return locator.get_attribute("data-doc"), int(locator.get_attribute("data-start")), int(locator.get_attribute("data-end"))


def check_answer_against_document(page: Any, server: LiveServer) -> str:
    """The shown answer, its sentence and its highlight are the document's text at the given offsets."""
    answer = page.locator("#answer")
    doc_id, start, end = offsets(answer)
    text = document_text(page, server, doc_id)
    assert answer.text_content() == text[start:end]
    sentence = page.locator("#answer-sentence")
    sentence_start, sentence_end = int(sentence.get_attribute("data-start")), int(sentence.get_attribute("data-end"))
    assert sentence.text_content() == text[sentence_start:sentence_end]
    mark = sentence.locator("mark")
    expect(mark).to_have_count(1)
    assert mark.text_content() == text[start:end]
    before = sentence.evaluate("(node) => node.firstChild.nodeType === Node.TEXT_NODE ? node.firstChild.textContent : ''")
    assert len(before) == start - sentence_start  # the highlight sits at the answer's offset, not merely on equal text
    return doc_id


def check_citations_against_documents(page: Any, server: LiveServer, answer_doc: str | None) -> None:
    citations = page.locator("#citations > li")
    assert citations.count() >= 1
    marked = 0
    for i in range(citations.count()):
        item = citations.nth(i)
        doc_id, start, end = offsets(item)
        text = document_text(page, server, doc_id)
        assert item.locator(".passage").text_content() == text[start:end]
        if item.get_attribute("data-has-answer") == "true":
            marked += 1
            answer_doc_id, answer_start, answer_end = offsets(page.locator("#answer"))
            assert doc_id == answer_doc_id and start <= answer_start and answer_end <= end
            assert item.locator(".passage mark").text_content() == text[answer_start:answer_end]
        else:
            expect(item.locator(".passage mark")).to_have_count(0)
    if answer_doc is not None:
        assert marked >= 1, "the answer's passage is cited and highlighted"


def test_typing_a_question_and_enter_shows_the_answer_in_its_sentence(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#q")).to_be_focused()
    page.locator("#q").fill(DRAM)
    page.locator("#q").press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    answer = api_ask(page, server, DRAM)["answer"]
    expect(page.locator("#answer")).to_have_text(answer["text"])
    assert parse_qs(urlsplit(page.url).query) == {"q": [DRAM]}
    doc_id = check_answer_against_document(page, server)
    assert offsets(page.locator("#answer")) == (answer["doc_id"], answer["start"], answer["end"])
    check_citations_against_documents(page, server, doc_id)
    score = f"{answer['score']:.2f}".replace(".", ",")
    expect(page.locator("#confidence")).to_contain_text(f"Confiance {confidence_words(answer['score'])} : {score}")
    expect(page.locator("#status")).to_have_text(f"Réponse : {answer['text']}")
    screenshot(page, "page-answer")


def test_question_in_the_address_loads_the_answer(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, CORRECTIF)
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    expect(page.locator("#q")).to_have_value(CORRECTIF)
    expect(page.locator("#answer")).to_have_text(api_ask(page, server, CORRECTIF)["answer"]["text"])
    expect(page).to_have_title(f"{CORRECTIF} — Questions sur articles")
    doc_id = check_answer_against_document(page, server)
    check_citations_against_documents(page, server, doc_id)


def test_back_button_returns_to_the_previous_question(page: Any, server: LiveServer) -> None:
    first, second = (api_ask(page, server, q)["answer"] for q in (DRAM, ADHERENTS))
    assert (first["doc_id"], first["start"]) != (second["doc_id"], second["start"])
    ask_by_address(page, server, DRAM)
    expect(page.locator("#answer")).to_have_attribute("data-start", str(first["start"]))
    page.locator("#q").fill(ADHERENTS)
    page.get_by_role("button", name="Demander").click()
    expect(page.locator("#answer")).to_have_attribute("data-start", str(second["start"]))
    page.go_back()
    expect(page.locator("#answer")).to_have_attribute("data-start", str(first["start"]))
    expect(page.locator("#answer")).to_have_text(first["text"])
    expect(page.locator("#q")).to_have_value(DRAM)
    page.go_forward()
    expect(page.locator("#answer")).to_have_attribute("data-start", str(second["start"]))
    expect(page.locator("#q")).to_have_value(ADHERENTS)


def test_the_answer_opens_in_its_article_at_the_highlighted_span(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, ADHERENTS)
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    doc_id, start, end = offsets(page.locator("#answer"))
    page.get_by_role("link", name="voir la réponse dans l’article").click()
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    text = document_text(page, server, doc_id)
    assert page.locator("#doc-text").text_content() == text
    mark = page.locator("#span")
    expect(mark).to_have_text(text[start:end])
    assert (int(mark.get_attribute("data-start")), int(mark.get_attribute("data-end"))) == (start, end)
    assert page.locator("#doc-text").evaluate("(node) => node.firstChild.textContent.length") == start
    expect(mark).to_be_in_viewport()
    expect(mark).to_be_focused()
    page.go_back()
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    assert offsets(page.locator("#answer")) == (doc_id, start, end)


def test_a_source_far_down_its_article_opens_scrolled_to_it(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, ADHERENTS)
    expect(page.locator("#result")).to_have_attribute("data-state", ANSWERED)
    starts = page.locator('#citations > li[data-doc="long"]').evaluate_all("(items) => items.map((i) => Number(i.dataset.start))")
    last = max(starts)
    assert last > 5000, "the last passage of the long article is cited"
    cited = page.locator(f'#citations > li[data-doc="long"][data-start="{last}"]')
    _, start, end = offsets(cited)
    cited.locator("h3 a").click()
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    mark = page.locator("#span")
    expect(mark).to_have_text(document_text(page, server, "long")[start:end])
    expect(mark).to_be_in_viewport()
    expect(mark).to_be_focused()
    assert page.evaluate("window.scrollY") > 1000, "the passage is far down the article: the page scrolled to it"
    screenshot(page, "page-article", full_page=False)


def test_a_citation_opens_its_passage_with_the_answer_inside(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, DRAM)
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    cited = page.locator('#citations > li[data-has-answer="true"]').first
    doc_id, start, end = offsets(cited)
    answer_doc, answer_start, answer_end = offsets(page.locator("#answer"))
    assert answer_doc == doc_id
    cited.locator("h3 a").click()
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    text = document_text(page, server, doc_id)
    expect(page.locator("#span")).to_have_text(text[start:end])
    expect(page.locator("#span-answer")).to_have_text(text[answer_start:answer_end])
    page.get_by_role("link", name="← Retour aux réponses").click()
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    assert parse_qs(urlsplit(page.url).query) == {"q": [DRAM]}


def test_an_untitled_article_is_named_by_its_opening_words(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, ESCALES)
    expect(page.locator("#result")).to_have_attribute("data-state", ANSWERED)
    cited = page.locator(f'#citations > li[data-doc="{UNTITLED_ID}"]').first
    link = cited.locator("h3 a")
    expect(link).to_have_attribute("data-untitled", "done")
    expect(link).to_have_text(UNTITLED_NAME)
    _, start, end = offsets(cited)
    link.click()  # an id with a slash: /documents/archives/escales
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    expect(page.locator("#doc-title")).to_have_text(UNTITLED_NAME)
    text = document_text(page, server, UNTITLED_ID)
    expect(page.locator("#span")).to_have_text(text[start:end])
    assert page.locator("#doc-text").text_content() == text


def test_keyboard_only(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(ADHERENTS)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-state", ANSWERED)
    for _ in range(40):  # Tab through the page to the first link into an article
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.nav === 'article'"):
            break
    else:
        pytest.fail("no article link reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    expect(page.locator("#span")).to_be_focused()


def test_no_answer_state_keeps_the_closest_passages(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, NOT_SAID)
    expect(page.locator("#result")).to_have_attribute("data-state", "no-answer")
    expect(page.get_by_role("heading", name="Les articles ne le disent pas")).to_be_visible()
    expect(page.locator("#answer")).to_have_count(0)
    expect(page.get_by_role("heading", name="Passages les plus proches")).to_be_visible()
    check_citations_against_documents(page, server, None)
    screenshot(page, "page-no-answer")


def test_a_rejected_question_shows_the_api_message(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    page.locator("#q").fill("trop long " * 101)  # 1,010 characters: the API answers 422
    page.locator("#q").press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-state", "error")
    expect(page.locator("#result")).to_have_attribute("data-status", "422")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("La question n’a pas été acceptée (erreur 422)")
    expect(alert).to_contain_text("1000")  # the service's own reason
    expect(alert).to_contain_text("Référence de la requête")
    ask_by_address(page, server, DRAM, du="hier")  # a bad option is refused the same way
    expect(page.locator("#result")).to_have_attribute("data-status", "422")
    expect(page.get_by_role("alert")).to_contain_text("date_from")
    expect(page.get_by_role("alert")).to_contain_text("À corriger : « Du »")
    screenshot(page, "page-error")


def test_an_unready_service_shows_503(browser: Any, broken_server: LiveServer) -> None:
    watch = PageWatch()
    context, tab = open_page(browser, watch)
    try:
        ask_by_address(tab, broken_server, DRAM)
        expect(tab.locator("#result")).to_have_attribute("data-state", "error")
        expect(tab.locator("#result")).to_have_attribute("data-status", "503")
        expect(tab.get_by_role("alert")).to_contain_text("Le service n’est pas prêt (erreur 503)")
        expect(tab.get_by_role("alert")).to_contain_text("qa index build")
        expect(tab.locator("#article-list")).to_contain_text("Liste des articles indisponible")
    finally:
        context.close()
    watch.check()


def test_html_in_articles_and_questions_shows_as_text(page: Any, server: LiveServer) -> None:
    question = "<script>window.__pwned = 'question'</script> Quand le correctif du gestionnaire de contenu a-t-il été publié ?"
    ask_by_address(page, server, question)
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    expect(page.locator("#asked")).to_have_text(question)
    html_citation = page.locator('#citations > li[data-doc="html"]')
    expect(html_citation.locator("h3")).to_contain_text(HTML_ARTICLE["title"])
    expect(html_citation.locator(".passage")).to_contain_text("<img src=x onerror=")
    expect(html_citation.locator(".passage")).to_contain_text("<b>gras</b>")
    assert page.locator("#result script, #result img, #result b").count() == 0
    html_citation.locator("h3 a").click()
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    expect(page.locator("#doc-title")).to_have_text(HTML_ARTICLE["title"])
    assert page.locator("#doc-text").text_content() == document_text(page, server, "html")
    assert page.locator("#reader script, #reader img, #reader b").count() == 0
    expect(page.get_by_role("link", name="source d’origine")).to_have_count(0)  # a javascript: url is not linked
    assert page.evaluate("window.__pwned") is None


def test_options_filter_and_live_in_the_address(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    options = page.locator("#options")
    expect(options).not_to_have_attribute("open", "")
    page.get_by_text("Options").click()
    page.get_by_label("Mots seulement (BM25)").check()
    page.get_by_label("OpenAI signe avec Samsung et SK Hynix").check()
    page.get_by_label("Du", exact=True).fill("2025")
    page.get_by_label("Nombre de sources").fill("2")
    page.locator("#q").fill("Samsung Séoul")
    page.locator("#q").press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-state", ANSWERED)
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"q": ["Samsung Séoul"], "mode": ["bm25"], "article": ["alpha"], "du": ["2025"], "n": ["2"]}
    docs = page.locator("#citations > li").evaluate_all("(items) => items.map((i) => i.dataset.doc)")
    assert docs and set(docs) == {"alpha"} and len(docs) <= 2
    page.reload()  # a shared link restores the options, shown open
    expect(page.locator("#result")).to_have_attribute("data-state", ANSWERED)
    expect(options).to_have_attribute("open", "")
    expect(page.get_by_label("Mots seulement (BM25)")).to_be_checked()
    expect(page.get_by_label("OpenAI signe avec Samsung et SK Hynix")).to_be_checked()
    expect(page.get_by_label("Du", exact=True)).to_have_value("2025")


def test_reads_on_a_phone(browser: Any, server: LiveServer) -> None:
    watch = PageWatch()
    context, tab = open_page(browser, watch, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        ask_by_address(tab, server, ADHERENTS)
        expect(tab.locator("#result")).to_have_attribute("data-state", ANSWERED)
        width = tab.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
        box = tab.get_by_role("button", name="Demander").bounding_box()
        assert box is not None and box["height"] >= 40 and box["width"] >= 300  # a full-width button a thumb can hit
        screenshot(tab, "page-phone")
    finally:
        context.close()
    watch.check()


def test_an_answer_links_to_its_source_page_and_the_article_shows_its_metadata(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, VOYAGEURS)
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    expect(page.locator("#answer")).to_have_attribute("data-doc", PAGE_ID)
    check_answer_against_document(page, server)
    source = page.locator("#answer-source")
    expect(source).to_have_attribute("href", PAGE_URL)
    expect(source).to_have_attribute("rel", "noopener noreferrer")
    expect(source).to_have_text("source : Le Courrier de l'Ouest")
    cited = page.locator(f'#citations > li[data-doc="{PAGE_ID}"] .source-link').first
    expect(cited).to_have_attribute("href", PAGE_URL)
    screenshot(page, "page-source")
    page.get_by_role("link", name="voir la réponse dans l’article").click()
    expect(page.locator("#reader")).to_have_attribute("data-state", "article")
    expect(page.locator("#doc-origin")).to_have_text(f"Par Nolwenn Kervella · Le Courrier de l'Ouest · page web « {PAGE_ID}.html »")
    expect(page.locator("#doc-source")).to_have_attribute("href", PAGE_URL)
    expect(page.locator("#doc-summary-only")).to_have_count(0)


def test_no_source_link_without_a_web_address(page: Any, server: LiveServer) -> None:
    ask_by_address(page, server, CORRECTIF)  # answered from HTML_ARTICLE, whose url is a javascript: one
    expect(page.locator("#result")).to_have_attribute("data-state", "answer")
    expect(page.locator("#answer")).to_have_attribute("data-doc", HTML_ARTICLE["id"])
    expect(page.locator("#answer-source")).to_have_count(0)
    expect(page.locator(f'#citations > li[data-doc="{HTML_ARTICLE["id"]}"] .source-link')).to_have_count(0)
