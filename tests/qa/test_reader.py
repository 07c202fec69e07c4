from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import load_articles
from index.store import Index, build_index, load_index
from qa.pipeline import Pipeline
from qa.reader import ReaderConfig, answer_key
from tests.conftest import FakeEmbedder

DISAGREE = {
    "un": "Samsung fournira jusqu'à 900 000 puces DRAM par mois à OpenAI, selon le groupe coréen.",
    "deux": "Selon Séoul, SK Hynix et Samsung livreront 900 000 wafers par mois au projet d’OpenAI.",
    "trois": "Le Texas accueillera le premier centre de données du projet, a indiqué Oracle.",
}


@pytest.fixture
def pipeline(built_index: Index, fake_embedder: FakeEmbedder) -> Pipeline:
    return Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=0.0))


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
    assert answer is not None and len(answer.alternatives) <= 3
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
    pipeline = Pipeline(load_index(tmp_path / "idx"), fake_embedder, ReaderConfig(no_answer_threshold=0.0))
    answer = pipeline.ask("Combien de puces par mois pour OpenAI ?").answer
    assert answer is not None and answer.text == "900 000"
    others = {s.doc_id: s for s in answer.supporting}
    assert set(others) | {answer.doc_id} == {"un", "deux"}
    sentences = {answer.sentence, *(s.sentence for s in answer.supporting)}
    assert any("puces" in s for s in sentences) and any("wafers" in s for s in sentences)  # both wordings shown


def test_confidence_is_a_probability_and_gates_the_answer(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    open_answer = Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=0.0)).ask("Combien de puces DRAM ?").answer
    assert open_answer is not None and 0.0 < open_answer.score < 1.0
    strict = Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=min(1.0, open_answer.score + 0.01)))
    assert strict.ask("Combien de puces DRAM ?").answer is None


def test_reader_model_names_every_feature_and_refuses_unknown_ones(tmp_path: Path) -> None:
    from qa.evidence import CONFIDENCE_FEATURES, SPAN_FEATURES
    from qa.reader import ReaderModel, default_model

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


def test_an_answer_of_the_wrong_kind_is_refused(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    question = "En quelle année Masayoshi Son présidera-t-il la structure ?"  # the articles give no such date
    open_answer = Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=0.0)).ask(question).answer
    assert open_answer is not None and open_answer.score == 0.0
    assert Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=0.001)).ask(question).answer is None
    open_pipeline = Pipeline(built_index, fake_embedder, ReaderConfig(no_answer_threshold=0.0))
    dated = open_pipeline.ask("Quel jour Sam Altman s'est-il rendu en Corée du Sud ?").answer
    assert dated is not None and dated.text == "26 janvier" and dated.score > 0.0
