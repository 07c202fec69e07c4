from __future__ import annotations

import numpy as np
import pytest

from index.lexical import terms
from index.store import Index
from qa.readers.analysis import analyse
from qa.readers.evidence.features import CONFIDENCE_FEATURES, SPAN_FEATURES, EvidenceBuilder, confidence_features, feature_row, term_keys
from qa.readers.evidence.sentence_vectors import SentenceVectors
from qa.retrieval import Retriever
from tests.conftest import FakeEmbedder


def test_word_families_meet_through_their_first_letters() -> None:
    (presidence,), (president,) = terms("présidera"), terms("président")
    assert presidence != president and term_keys(presidence) & term_keys(president)
    assert not term_keys(terms("Texas")[0]) & term_keys(terms("Séoul")[0])


def evidence_for(index: Index, embedder: FakeEmbedder, question: str):  # type: ignore[no-untyped-def]
    query = embedder.encode_queries([question])[0]
    hits = Retriever(index).retrieve(question, query, 5)
    return EvidenceBuilder(index, SentenceVectors(index, embedder)).build(analyse(question), query, hits, max_chunks=6, max_sentences=8)


def test_one_named_row_per_candidate_with_the_span_in_its_sentence(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    evidence = evidence_for(built_index, fake_embedder, "Qui présidera la structure Stargate ?")
    assert evidence.features.shape == (len(evidence.candidates), len(SPAN_FEATURES))
    for c in evidence.candidates:
        sentence = built_index.sentences[c.row]
        assert sentence.start <= c.start < c.end <= sentence.end
    texts = {built_index.articles[c.doc_id].text[c.start : c.end]: i for i, c in enumerate(evidence.candidates)}
    row = evidence.features[texts["Masayoshi Son"]]
    assert row[SPAN_FEATURES.index("type_strict")] + row[SPAN_FEATURES.index("type_loose")] > 0
    assert "structure" not in texts  # a span made only of question words is never a candidate


def test_focus_noun_marks_the_span_after_it(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    evidence = evidence_for(built_index, fake_embedder, "Quel président sud-coréen assistait à la signature ?")
    texts = {built_index.articles[c.doc_id].text[c.start : c.end]: i for i, c in enumerate(evidence.candidates)}
    assert evidence.features[texts["Lee Jae-myung"], SPAN_FEATURES.index("focus")] == 1.0


def test_confidence_features_describe_the_best_candidate(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    evidence = evidence_for(built_index, fake_embedder, "Combien de puces DRAM par mois ?")
    scores = np.zeros(len(evidence.candidates))
    row = confidence_features(evidence, scores, 0, lead=0.5)
    assert row.shape == (len(CONFIDENCE_FEATURES),)
    assert row[CONFIDENCE_FEATURES.index("margin")] == 0.5
    assert 0.0 < row[CONFIDENCE_FEATURES.index("probability")] <= 1.0


def test_a_plural_question_marks_spans_that_list_names(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    plural, singular = SPAN_FEATURES.index("plural_list"), SPAN_FEATURES.index("singular_list")
    for question, on, off in [
        ("Quels fabricants ont signé des lettres d'intention avec OpenAI ?", plural, singular),
        ("Quel fabricant a signé des lettres d'intention avec OpenAI ?", singular, plural),
    ]:
        evidence = evidence_for(built_index, fake_embedder, question)
        texts = {built_index.articles[c.doc_id].text[c.start : c.end]: i for i, c in enumerate(evidence.candidates)}
        listed = evidence.features[texts["Samsung Electronics et SK Hynix"]]
        assert listed[on] == 1.0 and listed[off] == 0.0, question
        assert evidence.features[texts["SK Hynix"], [plural, singular]].tolist() == [0.0, 0.0]


def test_a_place_question_marks_spans_after_a_locative_preposition(built_index: Index, fake_embedder: FakeEmbedder) -> None:
    at = SPAN_FEATURES.index("place_preposition")
    evidence = evidence_for(built_index, fake_embedder, "Dans quelle ville OpenAI a-t-il signé les lettres d'intention ?")
    rows = {(built_index.articles[c.doc_id].text[c.start : c.end], c.doc_id): i for i, c in enumerate(evidence.candidates)}
    assert evidence.features[rows["Séoul", "alpha"], at] == 1.0  # "signé mercredi à Séoul"
    assert evidence.features[rows["Samsung Electronics", "alpha"], at] == 0.0
    other = evidence_for(built_index, fake_embedder, "Qui a signé les lettres d'intention à Séoul ?")
    assert not other.features[:, at].any()  # only place questions


def test_feature_rows_are_assembled_by_name_not_position(
    built_index: Index, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reordering the feature names must not misalign the fitted weights: same scores, same confidence."""
    import qa.readers.evidence.features
    import qa.readers.evidence.reader
    from qa.readers.evidence.reader import SentenceReader

    question = "Combien de puces DRAM par mois pour Stargate ?"
    query = fake_embedder.encode_queries([question])[0]
    hits = Retriever(built_index).retrieve(question, query, 5)

    def scores_and_confidence() -> tuple[dict[tuple[str, int, int, str], float], float]:
        reader = SentenceReader(built_index, fake_embedder)
        scored = reader.score(question, query, hits)
        assert scored is not None
        by_span = {(c.doc_id, c.start, c.end, c.label): float(s) for c, s in zip(scored.evidence.candidates, scored.scores, strict=True)}
        return by_span, reader.confidence(scored, scored.order[0])

    before, confidence = scores_and_confidence()
    rng = np.random.default_rng(0)
    span_names, confidence_names = tuple(rng.permutation(SPAN_FEATURES).tolist()), tuple(rng.permutation(CONFIDENCE_FEATURES).tolist())
    assert span_names != SPAN_FEATURES and confidence_names != CONFIDENCE_FEATURES
    for module in (qa.readers.evidence.features, qa.readers.evidence.reader):
        monkeypatch.setattr(module, "SPAN_FEATURES", span_names)
        monkeypatch.setattr(module, "CONFIDENCE_FEATURES", confidence_names)
    after, permuted_confidence = scores_and_confidence()
    assert after.keys() == before.keys()
    for span, score in before.items():
        assert after[span] == pytest.approx(score, abs=1e-9), span
    assert permuted_confidence == pytest.approx(confidence, abs=1e-9)


def test_a_feature_row_needs_every_name_and_no_other() -> None:
    assert feature_row({"b": 2.0, "a": 1.0}, ("a", "b")) == [1.0, 2.0]
    with pytest.raises(ValueError, match="no value for feature 'b'"):
        feature_row({"a": 1.0}, ("a", "b"))
    with pytest.raises(ValueError, match="unknown features: c"):
        feature_row({"a": 1.0, "b": 2.0, "c": 3.0}, ("a", "b"))
