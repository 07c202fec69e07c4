"""Score a span-reader model on development examples, the passage given: EM, F1, no-answer accuracy.

This measures the model alone (for choices during training); the service's numbers come from ``qa eval``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.metrics import exact_match, token_f1
from qa.readers.span.model import SpanModel, trim
from train.data import Example


@dataclass(frozen=True)
class DevScores:
    em: float
    f1: float
    n: int
    no_answer_accuracy: float | None
    n_unanswerable: int
    by_source: dict[str, tuple[float, float, int]]
    # share refused per kind of unanswerable example: "<source>/written" (a question written unanswerable) and
    # "<source>/negative" (an answerable question over a paragraph that does not answer it), with their counts
    refused: dict[str, tuple[float, int]] = field(default_factory=dict)

    def line(self) -> str:
        parts = [f"EM {self.em:.3f} F1 {self.f1:.3f} (n={self.n})"]
        if self.no_answer_accuracy is not None:
            parts.append(f"no-answer {self.no_answer_accuracy:.3f} (n={self.n_unanswerable})")
        parts += [f"{s}: EM {em:.3f} F1 {f1:.3f} (n={n})" for s, (em, f1, n) in sorted(self.by_source.items())]
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "em": round(self.em, 4),
            "f1": round(self.f1, 4),
            "n": self.n,
            "no_answer_accuracy": None if self.no_answer_accuracy is None else round(self.no_answer_accuracy, 4),
            "n_unanswerable": self.n_unanswerable,
            "by_source": {s: {"em": round(em, 4), "f1": round(f1, 4), "n": n} for s, (em, f1, n) in self.by_source.items()},
            "refused": {k: {"share": round(v, 4), "n": n} for k, (v, n) in self.refused.items()},
        }


def score(model: SpanModel, examples: Sequence[Example], threshold: float = 0.0) -> DevScores:
    """Answerable examples: the best span, whatever its score (reading given the right passage).
    Unanswerable ones: right when the best span scores under ``threshold`` against the null."""
    ems: dict[str, list[float]] = defaultdict(list)
    f1s: dict[str, list[float]] = defaultdict(list)
    abstained: list[bool] = []
    kinds: dict[str, list[bool]] = defaultdict(list)
    for ex in examples:
        guesses = model.read(ex.question, [ex.passage], k=1)
        if ex.answer is None:
            abstained.append(not guesses or guesses[0].score < threshold)
            kinds[f"{ex.source}/{'negative' if ex.id.endswith('~neg') else 'written'}"].append(abstained[-1])
            continue
        text = ""
        if guesses:
            a, b = trim(ex.passage, guesses[0].start, guesses[0].end)
            text = ex.passage[a:b]
        ems[ex.source].append(exact_match(text, [ex.answer]))
        f1s[ex.source].append(token_f1(text, [ex.answer]))
    all_em = [x for v in ems.values() for x in v]
    all_f1 = [x for v in f1s.values() for x in v]
    return DevScores(
        sum(all_em) / max(1, len(all_em)),
        sum(all_f1) / max(1, len(all_f1)),
        len(all_em),
        sum(abstained) / len(abstained) if abstained else None,
        len(abstained),
        {s: (sum(ems[s]) / len(ems[s]), sum(f1s[s]) / len(f1s[s]), len(ems[s])) for s in ems},
        {k: (sum(v) / len(v), len(v)) for k, v in sorted(kinds.items())},
    )
