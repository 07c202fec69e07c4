"""The reader's logic on explicit weights (tests/conftest.py: ``chosen_model``), so a refit of
qa/reader_model.json cannot break these tests; answers of the fitted weights are checked in
tests/integration/test_answers_real.py."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from index.corpus import load_articles
from index.store import Index, build_index, load_index
from qa.pipeline import Pipeline
from qa.readers import answer_key
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from tests.conftest import FakeEmbedder, chosen_model

DISAGREE = {
    "un": "Samsung fournira jusqu'à 900 000 puces DRAM par mois à OpenAI, selon le groupe coréen.",
    "deux": "Selon Séoul, SK Hynix et Samsung livreront 900 000 wafers par mois au projet d’OpenAI.",
    "trois": "Le Texas accueillera le premier centre de données du projet, a indiqué Oracle.",
}
DEFAULT_THRESHOLD = ReaderConfig().no_answer_threshold


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@pytest.fixture
def pipeline(built_index: Index, fake_embedder: FakeEmbedder) -> Pipeline:
    return Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=chosen_model())))


def test_short_answers_by_question_type(pipeline: Pipeline) -> None:
    cases = {
        "Combien de puces DRAM par mois pour Stargate ?": "900 000",
        "En quelle ville les lettres d'intention ont-elles été signées ?": "Séoul",
        "Quel jour Sam Altman s'est-il rendu en Corée du Sud ?": "26 janvier",
    }
    for question, expected in cases.items():
        answer = pipeline.ask(question).answer
        assert answer is not None, question
        assert answer.text == expected, (question, answer.text)
        assert pipeline.index.articles[answer.doc_id].text[answer.start : answer.end] == answer.text
        assert answer.text in answer.sentence


def test_alternatives_are_distinct_and_verbatim(pipeline: Pipeline) -> None:
    answer = pipeline.ask("Combien d'investissements pour le projet Stargate ?").answer
    assert answer is not None and len(answer.alternatives) == 3
    keys = [answer_key(answer.text)] + [answer_key(a.text) for a in answer.alternatives]
    assert len(set(keys)) == len(keys)
    for alt in answer.alternatives:
        assert pipeline.index.articles[alt.doc_id].text[alt.start : alt.end] == alt.text
        assert alt.score <= answer.score + 1e-9


def test_corroboration_lists_other_articles_and_their_wording(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in DISAGREE.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    build_index(load_articles(folder), fake_embedder, tmp_path / "idx")
    index = load_index(tmp_path / "idx")
    pipeline = Pipeline(index, fake_embedder, SentenceReader(index, fake_embedder, ReaderConfig(model=chosen_model())))
    answer = pipeline.ask("Combien de puces par mois pour OpenAI ?").answer
    assert answer is not None and answer.text == "900 000"
    others = {s.doc_id: s for s in answer.supporting}
    assert set(others) | {answer.doc_id} == {"un", "deux"}
    sentences = {answer.sentence, *(s.sentence for s in answer.supporting)}
    assert any("puces" in s for s in sentences) and any("wafers" in s for s in sentences)  # both wordings shown


def test_the_default_threshold_is_the_documented_one() -> None:
    assert DEFAULT_THRESHOLD == Settings.model_fields["no_answer_threshold"].default == 0.11


@pytest.mark.parametrize("confidence", [0.02, DEFAULT_THRESHOLD - 0.01, DEFAULT_THRESHOLD + 0.01, 0.9])
def test_the_default_threshold_gates_the_answer_on_its_confidence(
    built_index: Index, fake_embedder: FakeEmbedder, confidence: float
) -> None:
    """A constant confidence (no feature weighs in, only the bias) on either side of the real threshold."""
    pipeline = Pipeline(
        built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=chosen_model(logit(confidence), {})))
    )
    answer = pipeline.ask("Combien de puces DRAM par mois pour Stargate ?").answer
    if confidence < DEFAULT_THRESHOLD:
        assert answer is None
    else:
        assert answer is not None and answer.text == "900 000" and answer.score == pytest.approx(confidence, abs=1e-4)


def test_confidence_falls_when_the_articles_lack_the_question_terms(pipeline: Pipeline) -> None:
    """Chosen confidence weights: the question terms no retrieved chunk holds push it under the threshold."""
    matched = pipeline.ask("Combien de puces DRAM par mois pour Stargate ?").answer
    assert matched is not None and matched.score > 0.5
    assert pipeline.ask("Quelle est la recette de la ratatouille provençale ?").answer is None
    open_pipeline = Pipeline(
        pipeline.index,
        pipeline.embedder,
        SentenceReader(pipeline.index, pipeline.embedder, ReaderConfig(model=chosen_model(), no_answer_threshold=0.0)),
    )
    unmatched = open_pipeline.ask("Quelle est la recette de la ratatouille provençale ?").answer
    assert unmatched is not None and unmatched.score < 0.01


def test_reader_model_names_every_feature_and_refuses_unknown_ones(tmp_path: Path) -> None:
    from qa.readers.evidence.features import CONFIDENCE_FEATURES, SPAN_FEATURES
    from qa.readers.evidence.reader import ReaderModel, default_model

    shipped = default_model()
    assert set(shipped.span_weights) == set(SPAN_FEATURES)
    assert set(shipped.confidence_weights) == set(CONFIDENCE_FEATURES)
    with pytest.raises(ValueError, match="unknown span features"):
        ReaderModel({"no_such_feature": 1.0}, {}, 0.0)
    broken = tmp_path / "model.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read the reader model"):
        ReaderModel.from_json(broken)
    shipped.to_json(tmp_path / "copy.json")
    assert ReaderModel.from_json(tmp_path / "copy.json").span_vector() == pytest.approx(shipped.span_vector(), abs=1e-4)


def test_an_answer_of_the_wrong_kind_is_refused_whatever_its_confidence(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    """Span weights that ignore the asked type pick a name for a date question: refused (confidence 0) although
    the confidence model would give any answer 0.99; a date for the same kind of question is given at 0.99."""
    names_first = chosen_model(logit(0.99), {}, {"sent_cover": 5.0, "is_name": 1.0})
    question = "En quelle année Masayoshi Son présidera-t-il la structure ?"  # the articles give no such date
    open_answer = (
        Pipeline(
            built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=names_first, no_answer_threshold=0.0))
        )
        .ask(question)
        .answer
    )
    assert open_answer is not None and open_answer.score == 0.0 and not open_answer.text[0].isdigit()
    assert (
        Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=names_first)))
        .ask(question)
        .answer
        is None
    )
    type_aware = Pipeline(
        built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=chosen_model(logit(0.99), {})))
    )
    dated = type_aware.ask("Quel jour Sam Altman s'est-il rendu en Corée du Sud ?").answer
    assert dated is not None and dated.text == "26 janvier" and dated.score == pytest.approx(0.99, abs=1e-4)
