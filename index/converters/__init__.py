"""Converters: one module per input format, one small interface: a file's bytes in, the documents it holds out
(their text and what the file says about them), or a clear refusal.

A converter knows nothing of document ids or the articles folder: :mod:`index.corpus` names each document
(the file's path without extension; a feed's item under it, a ``.jsonl`` line by its own ``id``), normalises
its text and makes it an :class:`~index.corpus.Article`. The text a converter returns is the article's text:
every offset of an answer points into it. Libraries are imported inside ``convert``, so that importing the
registry costs nothing.

==========  ======================  =====================================================================
format      suffixes                library
==========  ======================  =====================================================================
txt, md     ``.txt``, ``.md``       none (UTF-8)
jsonl       ``.jsonl``              none (one JSON object a line, with its own ``id``)
html        ``.html``, ``.htm``     trafilatura (main text, metadata; htmldate for the date)
pdf         ``.pdf``                pdfplumber (pdfminer.six), reading order and clean-up of our own
docx        ``.docx``               python-docx
rss, atom   ``.rss``, ``.atom``,    feedparser; each item's HTML through the html converter
            ``.xml``
==========  ======================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

from index.errors import CorpusError


class Unreadable(CorpusError):
    """A converter cannot read a file; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class Extracted:
    """One document a file holds: its text and what the file says about it (``None``: not said).

    ``doc_id``: an id the document gives itself (a ``.jsonl`` line); ``item``: for a file of several documents
    named after it (a feed), the part of the id after the file's own. ``where`` places it in the file for
    messages (``line 3``, ``item 2``). ``format`` and ``file_name`` override the converter's format and the
    file's name (a ``.jsonl`` line that records an uploaded file). ``summary_only``: a feed item that carried
    only its summary, which is then its text."""

    text: str
    title: str | None = None
    date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    url: str | None = None
    author: str | None = None
    site_name: str | None = None
    summary_only: bool = False
    doc_id: str | None = None
    item: str | None = None
    where: str | None = None
    format: str | None = None
    file_name: str | None = None


class Converter(Protocol):
    """Turns the bytes of a file into the documents it holds, or raises :class:`Unreadable` saying why."""

    @property
    def format(self) -> str:
        """The format's short name (``html``), recorded with every article read through it."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The file name endings it reads, lower case with the dot (``.html``, ``.htm``)."""
        ...

    def convert(self, data: bytes) -> list[Extracted]: ...


def _registry() -> dict[str, Converter]:
    from index.converters.docx import DocxConverter
    from index.converters.feed import FeedConverter
    from index.converters.html import HtmlConverter
    from index.converters.jsonl import JsonlConverter
    from index.converters.pdf import PdfConverter
    from index.converters.text import TextConverter

    converters: list[Converter] = [
        TextConverter("txt", (".txt",)),
        TextConverter("md", (".md",)),
        JsonlConverter(),
        HtmlConverter(),
        PdfConverter(),
        DocxConverter(),
        FeedConverter(),
    ]
    return {suffix: converter for converter in converters for suffix in converter.suffixes}


CONVERTERS: dict[str, Converter] = _registry()
SUFFIXES: tuple[str, ...] = tuple(CONVERTERS)


def converter_for(name: str | PurePath) -> Converter | None:
    """The converter of a file name by its suffix (any case), ``None`` for a format no converter reads."""
    return CONVERTERS.get(PurePath(name).suffix.lower())
