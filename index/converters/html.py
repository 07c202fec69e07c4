"""Web pages (``.html``, ``.htm``) through trafilatura: the article's main text without navigation, ads,
cookie banners, share buttons, related links and comments, and its metadata (title, author, canonical URL,
site name) from meta tags, JSON-LD and the page itself; the publication date through htmldate (trafilatura's
date finder: JSON-LD, meta tags, ``<time>``, the URL, the text), the original date rather than an update.

The text is the headline, then the main text's blocks (paragraphs, intertitles, list items, table rows), one
blank line between them, as a ``.txt`` article reads. A page whose main text has fewer than 8 words is refused:
no article (trafilatura's last resort keeps a menu's words)."""

from __future__ import annotations

import re
from typing import Any

from index.converters import Extracted, Unreadable

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIN_WORDS = 8  # fewer is no article: a menu, a cookie notice


def _run(data: bytes | str, *, recall: bool) -> Any:
    import trafilatura

    return trafilatura.bare_extraction(
        data,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        favor_recall=recall,
        date_extraction_params={"original_date": True, "extensive_search": True},
    )


def _blocks(text: str | None) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def main_text(data: bytes | str) -> tuple[list[str], Any]:
    """The main text's blocks and trafilatura's document (``None`` when it found no text): precision first,
    then, for a page or a fragment too small for it, trafilatura's recall mode."""
    document = _run(data, recall=False)
    if document is None or not _blocks(document.text):
        document = _run(data, recall=True)
    if document is None:
        return [], None
    return _blocks(document.text), document


def fragment_text(html: str) -> str:
    """The text of an HTML fragment (a feed item's content), blocks a blank line apart."""
    blocks, _ = main_text(f"<html><body><article>{html}</article></body></html>")
    if not blocks:  # too little for trafilatura: the fragment's own text
        import lxml.html

        root = lxml.html.fromstring(f"<div>{html}</div>")
        blocks = _blocks(root.text_content())
    return "\n\n".join(blocks)


def _clean(value: object) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


class HtmlConverter:
    format = "html"
    suffixes = (".html", ".htm")

    def convert(self, data: bytes) -> list[Extracted]:
        if not data.strip():
            raise Unreadable("the page is empty")
        blocks, document = main_text(data)
        if sum(len(block.split()) for block in blocks) < _MIN_WORDS:  # trafilatura's last resort keeps a menu's words
            raise Unreadable("no article text found in the page (only navigation, or no text at all)")
        title = _clean(document.title)
        if title and blocks[0] != title:
            blocks.insert(0, title)
        date = document.date if isinstance(document.date, str) and _ISO_DATE.fullmatch(document.date) else None
        return [
            Extracted(
                "\n\n".join(blocks),
                title=title,
                date=date,
                url=_clean(document.url),
                author=_clean(document.author),
                site_name=_clean(document.sitename),
            )
        ]
