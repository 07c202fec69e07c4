"""Training the span-reading model: data (PIAF split, the team's news set), validation, the trainer.

Depends on ``index`` and ``qa`` (the model's architecture and windows live in ``qa.readers.span.model``); nothing
below ``train`` imports it. ``eval/`` stays evaluation only: its question sets are never trained on.
"""

from __future__ import annotations

from pathlib import Path

MODEL_CACHE = Path("data/models")


def base_dir() -> Path:
    """The folder of the encoder the span reader is trained from (rebuilt offline into ``data/models``)."""
    from index.models import DEFAULT_MODEL, resolve_model

    return Path(resolve_model(DEFAULT_MODEL, MODEL_CACHE).location)
