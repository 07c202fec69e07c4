from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.readers.span.model import (
    ReaderModelError,
    SpanModel,
    WindowConfig,
    best_spans,
    build_model,
    card_path,
    make_windows,
    save_delta,
    trim,
)


def _tokenizer(base: Path):  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base))


TRICKY = "L’entreprise Valdor a versé 900\u00a0000 euros à Jean-Noël d'Arcy le 3 mars 2025 à Lyon."


def test_windows_map_every_passage_token_to_its_characters(tiny_base: Path) -> None:
    tok = _tokenizer(tiny_base)
    windows = make_windows(tok, "Qui a versé l'argent ?", [TRICKY], WindowConfig(max_length=24, stride=4, max_question_tokens=8))
    assert len(windows) > 1  # long passage: several overlapping windows
    covered: set[tuple[int, int]] = set()
    for w in windows:
        assert len(w.input_ids) <= 24 and len(w.input_ids) == len(w.offsets)
        assert w.input_ids[0] == tok.cls_token_id and w.offsets[0] is None
        for o in w.offsets:
            if o is not None:
                covered.add(o)
                assert 0 <= o[0] < o[1] <= len(TRICKY)
    enc = tok(TRICKY, add_special_tokens=False, return_offsets_mapping=True)
    assert covered == {tuple(o) for o in enc["offset_mapping"]}  # nothing skipped between windows


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (TRICKY.index(" 900"), TRICKY.index(" euros"), "900\u00a0000"),  # leading space from the token, NBSP kept inside
        (TRICKY.index("Jean") - 1, TRICKY.index(" le 3"), "Jean-Noël d'Arcy"),
        (TRICKY.index("Lyon"), len(TRICKY), "Lyon"),  # final full stop dropped
        (0, TRICKY.index(" Valdor"), "L’entreprise"),  # typographic apostrophe inside kept
    ],
)
def test_trim_keeps_the_answer_verbatim(start: int, end: int, expected: str) -> None:
    a, b = trim(TRICKY, start, end)
    assert TRICKY[a:b] == expected


def test_trim_keeps_abbreviation_dot_and_closing_quote() -> None:
    text = "selon Jay Y. Lee, « un accord historique » signé"
    a, b = trim(text, text.index("Jay"), text.index(","))
    assert text[a:b] == "Jay Y. Lee"
    a, b = trim(text, text.index("«"), text.index("»"))
    assert text[a:b] == "un accord historique"


def test_best_spans_respect_order_and_maximum_length() -> None:
    offsets = [None, None, (0, 3), (4, 8), (9, 12), None]
    start = np.array([9.0, 0, 1, 5, 0, 0])
    end = np.array([9.0, 0, 0, 1, 4, 0])
    spans = best_spans(start, end, offsets, max_tokens=5, k=2)
    assert spans[0] == (3, 4, 9.0)  # the question/special tokens never win, however high
    assert all(a <= b for a, b, _ in spans)
    assert best_spans(start, end, offsets, max_tokens=1, k=1)[0][:2] == (3, 3)


# "Grégoire Doucet, maire" as e5's tokenizer cuts it: "▁Gré" "go" "ire" "▁Dou" "cet" ","; the offsets of a
# token after a space hold the space.
NAME = "Grégoire Doucet, maire"
NAME_TOKENS = [(0, 3), (3, 5), (5, 8), (8, 12), (12, 15), (15, 16), (16, 22)]


def test_word_edges_say_which_tokens_start_and_end_words() -> None:
    from qa.readers.span.model import word_edges

    starts, ends = word_edges(NAME, NAME_TOKENS)
    assert starts == [True, False, False, True, False, True, True]
    assert ends == [False, False, True, False, True, True, True]
    text = "Cafe\u0301 de l'Oracle, Jae-myung 2026."  # e5 leaves the combining accent out of every token
    tokens = [(0, 4), (5, 8), (8, 10), (10, 11), (11, 12), (12, 14), (14, 17), (17, 18), (18, 21), (21, 22), (22, 23), (23, 28), (28, 31)]
    tokens += [(31, 33), (33, 34)]
    starts, ends = word_edges(text, tokens)
    assert ends[0]  # "Cafe" ends its word: the accent after it belongs to it
    assert starts[4] and not starts[5] and ends[6]  # "Oracle" after the apostrophe, not "racle"
    assert not ends[8] and not starts[13] and not ends[12]  # "Ja|e", "20|26"


def test_best_spans_start_and_end_on_word_edges() -> None:
    """The model's favourite pieces of words ("Gré", "cet") are not offered; the whole name is (issue 21, item 6)."""
    offsets: list[tuple[int, int] | None] = [None, *NAME_TOKENS, None]
    start = np.array([0.0, 9, 1, 0, 2, 8, 0, 0, 0])  # likes starting at "Gré" and at "cet"
    end = np.array([0.0, 9, 0, 1, 0, 8, 0, 0, 0])  # likes ending at "Gré" and at "cet"
    unchecked = best_spans(start, end, offsets, max_tokens=10, k=3)
    assert (1, 1, 18.0) in unchecked and (5, 5, 16.0) in unchecked  # what the model alone would offer
    from qa.readers.span.model import word_edges

    starts, ends = word_edges(NAME, NAME_TOKENS)
    flags = {"may_start": [False, *starts, False], "may_end": [False, *ends, False]}
    spans = best_spans(start, end, offsets, max_tokens=10, k=3, **flags)
    assert spans[0] == (1, 5, 17.0)  # "Grégoire Doucet"
    for a, b, _ in spans:
        first, last = offsets[a], offsets[b]
        assert first is not None and last is not None
        assert NAME[first[0] : last[1]].strip() in {"Grégoire Doucet", "Grégoire", "Doucet", "Grégoire Doucet,", "Doucet,"}


def test_windows_carry_the_word_edges(tiny_base: Path) -> None:
    from qa.readers.span.model import word_edges

    tok = _tokenizer(tiny_base)
    for w in make_windows(tok, "Qui a versé l'argent ?", [TRICKY], WindowConfig(max_length=24, stride=4, max_question_tokens=8)):
        assert len(w.may_start) == len(w.may_end) == len(w.offsets)
        tokens = [(o, s, e) for o, s, e in zip(w.offsets, w.may_start, w.may_end, strict=True) if o is not None]
        assert not any(s or e for o, s, e in zip(w.offsets, w.may_start, w.may_end, strict=True) if o is None)
        assert [(s, e) for _, s, e in tokens] == list(zip(*word_edges(TRICKY, [o for o, _, _ in tokens]), strict=True))


@pytest.mark.parametrize(
    ("text", "piece", "expected"),
    [
        ("Le maire, Grégoire Doucet.", "Gré", "Grégoire"),
        ("Le maire, Grégoire Doucet.", "cet", "Doucet"),
        ("La maison Cartier, place Bellecour.", "tier", "Cartier"),
        ("Au Cafe\u0301 du port.", "Cafe", "Cafe\u0301"),  # the combining accent after the last letter is kept
        ("Au Cafe\u0301 du port.", "afe", "Cafe\u0301"),
        ("Elle a versé 900\u00a0000 euros.", "900\u00a00", "900\u00a0000"),
        ("l'Oracle de Delphes", "Oracle", "Oracle"),  # an elision stays out
        ("Lee Jae-myung, président", "Jae-myung", "Jae-myung"),
    ],
)
def test_trim_widens_a_piece_of_a_word_to_the_whole_word(text: str, piece: str, expected: str) -> None:
    start = text.index(piece)
    a, b = trim(text, start, start + len(piece))
    assert text[a:b] == expected


def _shipped(tiny_base: Path, tmp_path: Path) -> Path:
    model = build_model(tiny_base)
    weights = tmp_path / "span_reader.safetensors"
    save_delta(model, weights, {"note": "test"})
    return weights


def test_missing_weights_are_a_clear_error(tiny_base: Path, tmp_path: Path) -> None:
    with pytest.raises(ReaderModelError, match="missing"):
        SpanModel(tiny_base, tmp_path / "absent.safetensors").load()


def test_corrupted_weights_fail_the_checksum(tiny_base: Path, tmp_path: Path) -> None:
    weights = _shipped(tiny_base, tmp_path)
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ReaderModelError, match="checksum"):
        SpanModel(tiny_base, weights).load()


def test_weights_for_another_base_are_refused(tiny_base: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    weights = _shipped(tiny_base, tmp_path)
    tensors = load_file(str(weights))
    tensors.pop("qa_outputs.bias")
    save_file(tensors, str(weights))
    card = json.loads(card_path(weights).read_text())
    from qa.readers.span.model import sha256

    card["sha256"] = sha256(weights)
    card_path(weights).write_text(json.dumps(card))
    with pytest.raises(ReaderModelError, match="do not fit"):
        SpanModel(tiny_base, weights).load()


def test_loaded_model_reads_spans_inside_the_passage(tiny_base: Path, tmp_path: Path) -> None:
    model = SpanModel(tiny_base, _shipped(tiny_base, tmp_path)).load()
    guesses = model.read("Qui a versé l'argent ?", [TRICKY, "Le maire de Rennes a inauguré le pont."])
    assert guesses and guesses == sorted(guesses, key=lambda g: -g.score)
    for g in guesses:
        passage = [TRICKY, "Le maire de Rennes a inauguré le pont."][g.passage]
        assert 0 <= g.start < g.end <= len(passage)


def test_a_reader_model_error_is_a_service_unavailable() -> None:
    from api.app import status_for

    assert status_for(ReaderModelError("the span reader's weights are missing")) == 503
