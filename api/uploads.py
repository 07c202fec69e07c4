"""Articles sent as files: ``POST /documents`` with a ``multipart/form-data`` body of one or several ``files``.

Each file goes through the converter of its format (``index/converters/``), as it would from the articles
folder: the article's id is the file's name without its extension (a name may hold folders,
``2025/rapport.pdf``: the id ``2025/rapport``; a feed's items are named under it), its text and metadata are
what the converter extracts. A file that cannot be read is a :class:`~index.errors.BadArticle` (422) naming it
and saying why, and nothing of the request is applied: the articles then go to the writer as one batch, with
the JSON body's rules and limits. The writer keeps each as a ``.jsonl`` line of the articles folder with its
metadata (format, file name, author, site name), so the folder stays the one source of truth.

:class:`UploadRoute` serves the multipart requests of a path and lets the JSON ones through to the JSON route
of the same path and method (registered after it)."""

from __future__ import annotations

from email.message import Message
from pathlib import PurePosixPath

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from index.article_files import check_doc_id
from index.converters import SUFFIXES, converter_for
from index.corpus import Article, articles_from_bytes
from index.errors import BadArticle, CorpusError

FIELD = "files"
MULTIPART = "multipart/form-data"


def is_multipart(content_type: str | None) -> bool:
    message = Message()
    message["content-type"] = content_type or ""
    return message.get_content_type() == MULTIPART


class UploadRoute(APIRoute):
    """A route that matches only ``multipart/form-data`` requests (others go on to the next route)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and scope["type"] == "http":
            content_type = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"content-type"), None)
            if not is_multipart(content_type):
                return Match.NONE, {}
        return match, child


def upload_schema(max_files: int) -> dict[str, object]:
    """The OpenAPI request body of an upload, to merge into the JSON route's (``openapi_extra``)."""
    names = ", ".join(SUFFIXES)
    return {
        "requestBody": {
            "content": {
                MULTIPART: {
                    "schema": {
                        "type": "object",
                        "required": [FIELD],
                        "properties": {
                            FIELD: {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "minItems": 1,
                                "maxItems": max_files,
                                "description": f"article files ({names}), each with its file name: the id is the name without "
                                "its extension; a file that cannot be read gets a 422 naming it, and nothing is applied",
                            }
                        },
                    }
                }
            }
        }
    }


def _file_name(upload: UploadFile) -> str:
    name = (upload.filename or "").strip()
    if not name:
        raise BadArticle(f"a '{FIELD}' part has no file name: the article's id is the file's name without its extension")
    if converter_for(name) is None:
        raise BadArticle(f"{name}: not an article file (the formats read are {', '.join(SUFFIXES)})")
    check_doc_id(PurePosixPath(name).with_suffix("").as_posix())  # a name that cannot be an id: a 422 naming it
    return name


async def uploaded_articles(request: Request, max_files: int) -> list[Article]:
    """The articles of a multipart request's files, each converted, or :class:`BadArticle` naming a file."""
    try:
        form = await request.form(max_files=max_files, max_fields=max_files)
    except HTTPException as exc:  # a malformed body, or too many parts
        raise BadArticle(f"the form cannot be read: {exc.detail}") from None
    try:
        uploads = []
        for key, value in form.multi_items():
            if key != FIELD or not isinstance(value, UploadFile):
                raise BadArticle(f"form field {key!r}: send each article file as a '{FIELD}' part with its file name")
            uploads.append(value)
        if not uploads:
            raise BadArticle(f"no file sent: send each article file as a '{FIELD}' part")
        articles: list[Article] = []
        for upload in uploads:
            name = _file_name(upload)
            data = await upload.read()
            try:
                articles += await run_in_threadpool(articles_from_bytes, data, name)
            except CorpusError as exc:
                raise BadArticle(str(exc)) from None
        return articles
    finally:
        await form.close()
