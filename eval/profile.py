"""Where the time of one question goes, stage by stage, in-process (``make bench`` prints it).

The stages are the pipeline's own, called one after the other as :meth:`Pipeline.ask` calls them:
question encoding, retrieval (dense, BM25, fusion), and the reader. The span reader's share is split
further: its passages (chunks widened to sentences), tokenising them into windows, the model's run
over those windows, and the answer's assembly (alternatives, supporting articles, confidence). Token
and window counts say what the reader read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from eval.metrics import mean, percentile
from qa.pipeline import Pipeline
from qa.readers.span.model import make_windows
from qa.readers.span.reader import ModelReader

STAGES = ("embed", "retrieve", "passages", "windows", "model", "assembly", "total")


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
    for q in questions:
        pipeline.ask(q)
    out = Profile()
    for _ in range(rounds):
        for q in questions:
            begun = time.perf_counter()
            started = time.perf_counter()
            query = pipeline.embedder.encode_queries([q])[0]
            out.ms["embed"].append(_ms(started))
            started = time.perf_counter()
            hits = pipeline.retriever.retrieve(q, query, max(5, reader.max_chunks))[: reader.max_chunks]  # as ask(top_k=5)
            out.ms["retrieve"].append(_ms(started))
            if isinstance(reader, ModelReader):
                started = time.perf_counter()
                passages = reader.passages(hits)
                texts = [pipeline.index.articles[p.doc_id].text[p.start : p.end] for p in passages]
                out.ms["passages"].append(_ms(started))
                started = time.perf_counter()
                windows = make_windows(reader.model.tokenizer, q, texts, reader.model.windows)
                out.ms["windows"].append(_ms(started))
                started = time.perf_counter()
                reader.model.read(q, texts)
                # the model's run alone: its read tokenises again, so the windows' time is taken off
                out.ms["model"].append(max(0.0, _ms(started) - out.ms["windows"][-1]))
                started = time.perf_counter()
                reader.read(q, query, hits)
                whole = _ms(started)
                inner = out.ms["passages"][-1] + out.ms["windows"][-1] + out.ms["model"][-1]
                out.ms["assembly"].append(max(0.0, whole - inner))
                out.passages.append(len(passages))
                out.windows.append(len(windows))
                out.tokens.append(sum(len(w.input_ids) for w in windows))
                out.ms["total"].append(out.ms["embed"][-1] + out.ms["retrieve"][-1] + whole)
            else:
                started = time.perf_counter()
                reader.read(q, query, hits)
                out.ms["model"].append(_ms(started))
                out.ms["total"].append(_ms(begun))
    return out
