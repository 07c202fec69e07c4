"""The exception tree shared by every layer.

Each error carries a message meant for a person; the HTTP edge maps the classes
to status codes in one place (``api/app.py``) and the CLI prints the message
and exits non-zero.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this project raises on purpose."""


class CorpusError(QAError):
    """An article file cannot be read: bad encoding, empty, duplicate id, bad JSON line."""


class IndexNotBuilt(QAError):
    """No index exists at the configured location."""


class IndexIncompatible(QAError):
    """The index on disk was built by another model or another format version."""


class ModelUnavailable(QAError):
    """The embedding model (or a language model) cannot be found or built offline."""


class BadQuestion(QAError):
    """The question or its options are unusable (empty, too long, bad filter)."""


class UnknownDocument(QAError):
    """A document id that the index does not hold."""


class BadArticle(QAError):
    """An article sent to be added is unusable (bad id, empty text, bad date, too long)."""


class WriteConflict(QAError):
    """A write cannot run now: another one holds the writer, or the articles folder must be fixed first."""


class ClusterError(QAError):
    """A distributed build cannot run: no Ray cluster at the address, Ray not installed, or its workers failed."""


class WriteUnavailable(QAError):
    """A write cannot run now for a reason that passes: the line of writes waiting for the writer is full, or
    the articles folder or the index cannot be written (a full disk). ``retry_after``: seconds to wait, when known."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
