"""Training the span-reading model: data (PIAF split, the team's news set), validation, the trainer.

Depends on ``index`` and ``qa`` (the model's architecture and windows live in ``qa.readers.span.model``); nothing
below ``train`` imports it. ``eval/`` stays evaluation only: its question sets are never trained on.
"""
