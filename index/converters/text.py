"""Plain text and Markdown: one article a file, UTF-8, taken as written."""

from __future__ import annotations

from index.converters import Extracted, Unreadable


def decode_utf8(data: bytes) -> str:
    """``data`` as UTF-8, or :class:`Unreadable` naming the line and byte where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Unreadable(f"line {line}: not valid UTF-8 (byte {exc.start})") from None


class TextConverter:
    """A ``.txt`` or ``.md`` file is the article's text (the loader reads a leading date marker and the title)."""

    def __init__(self, format: str, suffixes: tuple[str, ...]) -> None:
        self.format = format
        self.suffixes = suffixes

    def convert(self, data: bytes) -> list[Extracted]:
        return [Extracted(decode_utf8(data))]
