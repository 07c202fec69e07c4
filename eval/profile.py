"""Where the time of one question goes, stage by stage, in-process (``make bench`` prints it).

The stages are the pipeline's own, called one after the other as :meth:`Pipeline.ask` calls them:
question encoding, retrieval (dense, BM25, fusion), and the reader. The span reader's share is split
further through a recording stand-in for its model: the passages (chunks widened to sentences), the
windows it cut and the tokens in them, the model's runs (tokenising included), and the rest of ``read``
(the answer's assembly: alternatives, supporting articles, confidence). What it reads is what it really
read: a question settled on its first passage counts that passage's windows only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.metrics import mean, percentile
from qa.pipeline import Pipeline
from qa.readers.span.model import SpanGuess, SpanModel, make_windows
from qa.readers.span.reader import ModelReader

STAGES = ("embed", "retrieve", "passages", "model", "assembly", "total")


@dataclass
class Recording:
    """A span model that counts the windows and tokens it is given and times its runs (then reads them)."""

    inner: SpanModel
    windows: int = 0
    tokens: int = 0
    seconds: float = 0.0

    def read(self, question: str, passages: Sequence[str], **kwargs: Any) -> list[SpanGuess]:
        made = make_windows(self.inner.tokenizer, question, passages, self.inner.windows)
        self.windows += len(made)
        self.tokens += sum(len(w.input_ids) for w in made)
        started = time.perf_counter()
        try:
            return self.inner.read(question, passages, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class Profile:
    """Milliseconds per stage for each question, and what the reader read."""

    ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    passages: list[int] = field(default_factory=list)
    windows: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "questions": len(self.ms["total"]),
            "ms_p50": {s: round(percentile(v, 50), 2) for s, v in self.ms.items() if v},
            "ms_mean": {s: round(mean(v), 2) for s, v in self.ms.items() if v},
            "passages_mean": round(mean(self.passages), 2),
            "windows_mean": round(mean(self.windows), 2),
            "tokens_mean": round(mean(self.tokens), 1),
        }


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def profile(pipeline: Pipeline, questions: Sequence[str], rounds: int = 1) -> Profile:
    """Time each stage of every question (after one untimed pass); the reader's inner stages when it is
    the span reader, else its whole ``read`` counts as ``model``."""
    reader = pipeline.reader
    recording = Recording(reader.model) if isinstance(reader, ModelReader) else None
    if isinstance(reader, ModelReader) and recording is not None:
        reader = ModelReader(pipeline.index, recording, reader.config)  # type: ignore[arg-type]
    for q in questions:
        pipeline.ask(q)
    out = Profile()
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            query = pipeline.embedder.encode_queries([q])[0]
            out.ms["embed"].append(_ms(started))
            started = time.perf_counter()
            hits = pipeline.retriever.retrieve(q, query, max(5, reader.max_chunks))[: reader.max_chunks]  # as ask(top_k=5)
            out.ms["retrieve"].append(_ms(started))
            if isinstance(reader, ModelReader) and recording is not None:
                started = time.perf_counter()
                passages = reader.passages(hits)
                out.ms["passages"].append(_ms(started))
                before = (recording.windows, recording.tokens, recording.seconds)
                started = time.perf_counter()
                reader.read(q, query, hits)
                whole = _ms(started)
                model_ms = (recording.seconds - before[2]) * 1000.0
                out.ms["model"].append(model_ms)
                out.ms["assembly"].append(max(0.0, whole - model_ms - out.ms["passages"][-1]))
                out.passages.append(len(passages))
                out.windows.append(recording.windows - before[0])
                out.tokens.append(recording.tokens - before[1])
            else:
                started = time.perf_counter()
                reader.read(q, query, hits)
                whole = _ms(started)
                out.ms["model"].append(whole)
            out.ms["total"].append(out.ms["embed"][-1] + out.ms["retrieve"][-1] + whole)
    return out
