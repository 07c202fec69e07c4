from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.readers.span.model import SpanModel, read_card
from train.data import Example, examples, is_dev, paragraphs
from train.trainer import TrainConfig, features, train
from train.validate import validate

TEXT = "Le maire de Rennes, Claire Martin, a inauguré le pont mardi.\n\nLes travaux ont coûté 12 millions d'euros."


def test_paragraphs_have_offsets() -> None:
    spans = paragraphs(TEXT)
    assert [TEXT[a:b] for a, b in spans] == TEXT.split("\n\n")


def test_examples_point_into_their_paragraph_and_add_negatives() -> None:
    import random

    from train.data import Article, Item

    articles = {"a": Article("a", "t", TEXT)}
    items = [
        Item("q1", "a", "Combien ont coûté les travaux ?", "12 millions d'euros", TEXT.index("12 millions"), "how_many"),
        Item("q2", "a", "Qui a financé le pont ?", None, None, "who"),
    ]
    out = examples(articles, items, "news", random.Random(0), negatives=1.0)
    answer = next(e for e in out if e.id == "q1")
    assert answer.start is not None and answer.passage[answer.start :].startswith("12 millions")
    negative = next(e for e in out if e.id == "q1~neg")
    assert negative.answer is None and "12 millions" not in negative.passage
    unanswerable = next(e for e in out if e.id == "q2")
    assert unanswerable.answer is None and "pont" in unanswerable.passage  # the paragraph closest to the question


def test_dev_split_is_by_article_and_fixed() -> None:
    assert is_dev("x") == is_dev("x")
    shares = sum(is_dev(f"doc{i}") for i in range(1000)) / 1000
    assert 0.12 < shares < 0.24


def test_answer_labels_fall_on_the_answer_tokens(tiny_base: Path) -> None:
    from transformers import AutoTokenizer

    from qa.readers.span.model import WindowConfig

    tok = AutoTokenizer.from_pretrained(str(tiny_base))
    ex = Example("q", "Combien ont coûté les travaux ?", TEXT, TEXT.index("12 millions"), "12 millions", "news")
    cfg = WindowConfig(max_length=48, stride=8, max_question_tokens=20)
    from qa.readers.span.model import make_windows

    feats, windows = features(tok, [ex], cfg), make_windows(tok, ex.question, [ex.passage], cfg)
    assert len(feats) == len(windows) > 1
    labelled = [(f, w) for f, w in zip(feats, windows, strict=True) if f.start]
    assert labelled  # the window holding the answer points at it, the others at the null position
    for feat, w in labelled:
        first, last = w.offsets[feat.start], w.offsets[feat.end]
        assert first is not None and last is not None
        assert TEXT[first[0] : last[1]].strip() == "12 millions"
    null = Example("n", "Qui ?", TEXT, None, None, "news")
    assert all(f.start == f.end == 0 for f in features(tok, [null], cfg))


def test_two_training_steps_run_resume_and_ship(tiny_base: Path, tmp_path: Path) -> None:
    exs = [
        Example("q1", "Combien ont coûté les travaux ?", TEXT, TEXT.index("12 millions"), "12 millions", "news"),
        Example("q2", "Qui a inauguré le pont ?", TEXT, TEXT.index("Claire Martin"), "Claire Martin", "news"),
        Example("q3", "Quand ?", TEXT, None, None, "news"),
    ]
    config = TrainConfig(epochs=2, batch_size=2, max_length=64, stride=8, save_every=1, threads=1, max_steps=2)
    out = tmp_path / "run"
    card = train(tiny_base, exs, out, config, card={"note": "test"}, progress=False)
    assert card["steps"] == 2 and card["note"] == "test"
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 2
    weights = out / "span_reader.safetensors"
    assert read_card(weights)["sha256"] == card["sha256"]
    SpanModel(tiny_base, weights).load()  # the shipped delta loads on the base
    # a finished run resumes at its last step and trains no more
    again = train(tiny_base, exs, out, config, card={"note": "test"}, progress=False)
    assert again["steps"] == 2


@pytest.mark.parametrize("broken", ["offset", "english", "type"])
def test_validator_catches_bad_rows(tmp_path: Path, broken: str) -> None:
    text = ("La médiathèque de Valbrune a ouvert le 14 mai 2024 après deux ans de travaux. " * 10).strip()
    q = {
        "id": "a_q1",
        "question": "Quand la médiathèque a-t-elle ouvert ?",
        "answer": "14 mai 2024",
        "start": text.index("14 mai"),
        "type": "when",
    }
    if broken == "offset":
        q["start"] = 3
    elif broken == "english":
        q["question"] = "When did it open?"
    else:
        q["type"] = "who"
    others = [
        {"id": f"a_q{i}", "question": f"Combien de {w} la médiathèque a-t-elle ?", "answer": None, "start": None, "type": "how_many"}
        for i, w in enumerate(["livres", "salles", "lecteurs", "employés"], start=2)
    ]
    row = {"id": "a", "title": "t", "date": "2024-05-14", "text": text, "questions": [q, *others]}
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n")
    problems, _ = validate([path])
    assert len(problems) == 1 and "a_q1" in str(problems[0])
    q.update({"start": text.index("14 mai"), "question": "Quand la médiathèque a-t-elle ouvert ?", "type": "when"})
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n")
    assert validate([path])[0] == []


def test_validator_tells_a_number_from_its_unit() -> None:
    from train.validate import _restates

    assert not _restates("410 000 exemplaires", "Combien d'exemplaires ont été vendus ?")
    assert not _restates("52 s 71", "En combien de secondes a-t-il couru ?")
    assert _restates("Lyon", "Pourquoi Lyon a-t-elle gagné ?")
