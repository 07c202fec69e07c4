"""``.jsonl``: one article a line, ``{"id", "text", "title"?, "date"?, "url"?, ...}``.

Besides ``id`` and ``text`` a line may carry the metadata a converted file had (``author``, ``site_name``,
``format``, ``file_name``, ``summary_only``): that is how an uploaded file is kept in the articles folder."""

from __future__ import annotations

import json
import re

from index.converters import Extracted, Unreadable
from index.converters.text import decode_utf8

ISO_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_STRINGS = ("title", "url", "author", "site_name", "format", "file_name")


def _optional_str(record: dict[str, object], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{where}: '{key}' must be a string")
    return value.strip() or None


def jsonl_lines(text: str) -> list[str]:
    """The lines of a ``.jsonl`` file's text, split on ``\\n`` only (``\\r\\n`` leaves a ``\\r`` that JSON reads as blank
    space): ``str.splitlines`` also splits on U+2028, U+2029, U+0085 and other separators that a JSON string may
    hold raw. A final newline ends the last line and opens none."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


class JsonlConverter:
    format = "jsonl"
    suffixes = (".jsonl",)

    def convert(self, data: bytes) -> list[Extracted]:
        found = []
        for number, line in enumerate(jsonl_lines(decode_utf8(data)), start=1):
            if line.strip():
                found.append(self._line(line, f"line {number}"))
        return found

    def _line(self, line: str, where: str) -> Extracted:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Unreadable(f"{where}: malformed JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise Unreadable(f"{where}: expected a JSON object")
        doc_id, text = record.get("id"), record.get("text")
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise Unreadable(f"{where}: missing or empty string 'id'")
        if not isinstance(text, str):
            raise Unreadable(f"{where}: missing string 'text'")
        date = _optional_str(record, "date", where)
        if date is not None and not ISO_DATE.fullmatch(date):
            raise Unreadable(f"{where}: 'date' must be YYYY, YYYY-MM or YYYY-MM-DD, got {date!r}")
        summary_only = record.get("summary_only", False)
        if not isinstance(summary_only, bool):
            raise Unreadable(f"{where}: 'summary_only' must be true or false")
        title, url, author, site_name, format, file_name = (_optional_str(record, key, where) for key in _STRINGS)
        return Extracted(
            text,
            title=title,
            date=date,
            url=url,
            author=author,
            site_name=site_name,
            summary_only=summary_only,
            doc_id=doc_id.strip(),
            where=where,
            format=format,
            file_name=file_name,
        )
