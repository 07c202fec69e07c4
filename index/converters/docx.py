"""Word files (``.docx``) through python-docx: the body's paragraphs in order, headings kept as paragraphs,
a table's rows as lines (cells a tab apart), one blank line between blocks; the title, author and date from
the core properties (the title otherwise from a Title-styled paragraph or the first line)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from index.converters import Extracted, Unreadable


def _blocks(document: Any) -> list[str]:
    from docx.table import Table

    blocks = []
    for part in document.iter_inner_content():
        if isinstance(part, Table):
            rows = ["\t".join(" ".join(cell.text.split()) for cell in row.cells) for row in part.rows]
            rows = [row for row in rows if row.strip()]
            if rows:
                blocks.append("\n".join(rows))
        else:
            text = " ".join(part.text.split())
            if text:
                blocks.append(text)
    return blocks


def _title(document: Any) -> str | None:
    title = (document.core_properties.title or "").strip()
    if title:
        return " ".join(title.split())
    for paragraph in document.paragraphs:
        if paragraph.style is not None and paragraph.style.name == "Title" and paragraph.text.strip():
            return " ".join(paragraph.text.split())
    return None


class DocxConverter:
    format = "docx"
    suffixes = (".docx",)

    def convert(self, data: bytes) -> list[Extracted]:
        from docx import Document
        from docx.opc.exceptions import PackageNotFoundError

        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise Unreadable("not a Word .docx file (damaged, or another format: an old .doc must be saved as .docx)")
        try:
            document = Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:  # lxml: SyntaxError
            raise Unreadable(f"not a readable Word .docx file ({exc})") from None
        blocks = _blocks(document)
        if not blocks:
            raise Unreadable("the document holds no text")
        props = document.core_properties
        created = props.created
        return [
            Extracted(
                "\n\n".join(blocks),
                title=_title(document),
                date=created.date().isoformat() if created is not None else None,
                author=(props.author or "").strip() or None,
            )
        ]
