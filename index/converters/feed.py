"""RSS and Atom feeds (``.rss``, ``.atom``, ``.xml``) through feedparser: one article per item.

An item's text is its full content (RSS ``content:encoded``, Atom ``<content>``) through the html converter's
main-text extraction, its headline first; an item that carries only a summary (RSS ``<description>``, Atom
``<summary>``) is indexed as that summary and marked ``summary_only``. Its title, publication date (else its
update date, in the publisher's time zone), link (the article's URL) and author come from the item, the site name from the feed's title.
An item with no text at all is left out.

**Ids.** An item is named under the feed's own id (its path without extension):
``<feed id>/<slug>-<hash>``, where ``slug`` is the last segment of the item's link (else its title) made of
lower-case ASCII letters, digits and dashes (at most 60 characters), and ``hash`` the first 8 hex digits of the
SHA-256 of the item's guid (else its link, else its title). Both come from what stays when a feed is exported
again (the guid and the link), so an item keeps its id from one export to the next, and an edited headline
does not change it; an item with none of guid, link and title is ``item-<n>`` (its place in the feed, from 1).
A second item with the same id gets ``-2``, ``-3``."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from index.converters import Extracted, Unreadable
from index.converters.html import fragment_text

_SLUG_CHARS = 60


def slug(text: str) -> str:
    """Lower-case ASCII letters, digits and single dashes (accents dropped): ``Grève TER`` -> ``greve-ter``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:_SLUG_CHARS].strip("-")


def item_key(entry: Any, number: int) -> str:
    """The item's part of its id (see the module docstring)."""
    guid, link, title = (str(entry.get(k) or "").strip() for k in ("id", "link", "title"))
    stable = guid or link or title
    if not stable:
        return f"item-{number}"
    path = urlsplit(link).path if link else ""
    last = re.sub(r"\.[a-z0-9]{2,5}$", "", path.rstrip("/").rpartition("/")[2], flags=re.IGNORECASE)
    readable = slug(last) or slug(title) or "item"
    return f"{readable}-{hashlib.sha256(stable.encode('utf-8')).hexdigest()[:8]}"


def _date(entry: Any) -> str | None:
    """The item's publication (else update) date as its feed wrote it, in the publisher's time zone."""
    raw = str(entry.get("published") or entry.get("updated") or "").strip()
    for parse in (lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), parsedate_to_datetime):
        try:
            return parse(raw).date().isoformat()
        except (ValueError, TypeError, IndexError):
            continue
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")  # feedparser's, in UTC
    return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}" if parsed else None


def _author(entry: Any) -> str | None:
    """The item's author: the name of ``email (Name)`` when RSS gives both."""
    detail = entry.get("author_detail") or {}
    return _clean(detail.get("name")) or _clean(entry.get("author"))


def _as_text(detail: Any) -> str:
    value = str(detail.get("value") or "")
    if "html" in str(detail.get("type") or ""):
        return fragment_text(value)
    return "\n\n".join(" ".join(p.split()) for p in value.split("\n\n") if p.strip())


def _clean(value: object) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


class FeedConverter:
    format = "rss"
    suffixes = (".rss", ".atom", ".xml")

    def convert(self, data: bytes) -> list[Extracted]:
        import feedparser

        parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
        version = str(parsed.get("version") or "")
        if not version:
            why = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
            raise Unreadable(f"not an RSS or Atom feed{why}")
        fmt = "atom" if version.startswith("atom") else "rss"
        site = _clean(parsed.feed.get("title"))
        found: list[Extracted] = []
        keys: set[str] = set()
        for number, entry in enumerate(parsed.entries, start=1):
            item = self._item(entry, number, fmt, site)
            if item is None:
                continue
            key, n = item.item or "", 2
            while key in keys:
                key, n = f"{item.item}-{n}", n + 1
            keys.add(key)
            found.append(replace(item, item=key))
        if not found:
            raise Unreadable(f"the {fmt.upper()} feed has no item with any text")
        return found

    def _item(self, entry: Any, number: int, fmt: str, site: str | None) -> Extracted | None:
        contents = [c for c in entry.get("content") or [] if str(c.get("value") or "").strip()]
        summary = entry.get("summary_detail") or ({"value": entry.get("summary"), "type": "text/html"} if entry.get("summary") else None)
        if contents:
            body, summary_only = _as_text(max(contents, key=lambda c: len(str(c.get("value"))))), False
        elif summary is not None and str(summary.get("value") or "").strip():
            body, summary_only = _as_text(summary), True
        else:
            return None
        if not body.strip():
            return None
        title = _clean(entry.get("title"))
        if title and not body.startswith(title):
            body = f"{title}\n\n{body}"
        return Extracted(
            body,
            title=title,
            date=_date(entry),
            url=_clean(entry.get("link")),
            author=_author(entry),
            site_name=site,
            summary_only=summary_only,
            item=item_key(entry, number),
            where=f"item {number}",
            format=fmt,
        )
