from __future__ import annotations

import pytest

from index.chunking import Chunk
from index.errors import BadQuestion, UnknownDocument
from index.store import Index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.retrieval import Filters, Mode, overlaps
from tests.conftest import FakeEmbedder, chosen_model


@pytest.fixture
def pipeline(built_index: Index, fake_embedder: FakeEmbedder) -> Pipeline:
    """Explicit weights and the default no-answer threshold (the shipped weights are fitted on e5's
    cosines, which the hash embedder does not reproduce)."""
    return Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=chosen_model())))


def test_answer_is_a_verbatim_sentence_with_offsets(pipeline: Pipeline) -> None:
    result = pipeline.ask("  Combien de puces DRAM par mois pour Stargate ?  ")
    assert result.question == "Combien de puces DRAM par mois pour Stargate ?"
    answer = result.answer
    assert answer is not None
    text = pipeline.index.articles[answer.doc_id].text
    assert text[answer.start : answer.end] == answer.text
    assert text[answer.sentence_start : answer.sentence_end] == answer.sentence
    assert "900 000" in answer.text and answer.doc_id == "alpha"
    assert 0.0 <= answer.score <= 1.0
    assert result.took_ms > 0


def test_citations_are_ranked_verbatim_and_bounded(pipeline: Pipeline) -> None:
    result = pipeline.ask("Qui finance le projet Stargate ?", top_k=2)
    assert 1 <= len(result.citations) <= 2
    scores = [c.score for c in result.citations]
    assert scores == sorted(scores, reverse=True)
    for c in result.citations:
        assert pipeline.index.articles[c.doc_id].text[c.start : c.end] == c.text


def test_no_answer_when_nothing_matches(pipeline: Pipeline) -> None:
    assert pipeline.ask("Quelle est la recette de la ratatouille provençale ?").answer is None


@pytest.mark.parametrize(
    ("question", "top_k", "message"),
    [
        ("   ", 5, "empty"),
        ("x" * 1001, 5, "limit is 1000"),
        ("Qui ?", 0, "top_k"),
        ("Qui ?", 21, "top_k"),
    ],
)
def test_bad_questions(pipeline: Pipeline, question: str, top_k: int, message: str) -> None:
    with pytest.raises(BadQuestion, match=message):
        pipeline.ask(question, top_k=top_k)


def test_filters(pipeline: Pipeline) -> None:
    only_beta = pipeline.ask("Samsung Séoul puces", doc_ids=["beta"])
    assert {c.doc_id for c in only_beta.citations} <= {"beta"}
    dated = pipeline.ask("Samsung Séoul puces", date_from="2025-01-01", keep_undated=False)
    assert {c.doc_id for c in dated.citations} == {"alpha"}
    with pytest.raises(UnknownDocument, match="unknown doc_ids: nope"):
        pipeline.ask("Samsung", doc_ids=["nope"])
    with pytest.raises(BadQuestion, match="after"):
        pipeline.ask("Samsung", date_from="2026", date_to="2025")


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["2025-13", "2025-02-30", "2023-02-29", "2025-00", "0000", "2025-1-05", "hier", "2025-10-02T10:00"])
def test_impossible_or_malformed_dates_are_bad_questions(pipeline: Pipeline, field: str, value: str) -> None:
    with pytest.raises(BadQuestion, match=f"{field}.*{value}"):
        pipeline.ask("Samsung", **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["2024-02-29", "2025", "2025-12", "2025-12-31"])
def test_real_dates_are_accepted(pipeline: Pipeline, value: str) -> None:
    assert pipeline.ask("Samsung", date_from=value, date_to=value).question == "Samsung"


def test_date_filter_compares_on_shared_precision() -> None:
    f = Filters(date_from="2024-01-15", date_to="2024-12-31")
    assert f.allows("d", "2024-01") and f.allows("d", "2024") and not f.allows("d", "2023-12-31")
    assert f.allows("d", None) and not Filters(date_to="2024", keep_undated=False).allows("d", None)


def test_overlapping_windows_are_duplicates() -> None:
    a, b = Chunk("d", "d#0", "x" * 100, 0, 100), Chunk("d", "d#1", "x" * 100, 40, 140)
    c = Chunk("d", "d#2", "x" * 100, 90, 190)
    assert overlaps(a, b) and not overlaps(a, c) and not overlaps(a, Chunk("e", "e#0", "x" * 100, 0, 100))


def test_no_answer_when_bm25_finds_no_passage(pipeline: Pipeline) -> None:
    result = pipeline.ask("zzzz qqqq", mode=Mode.BM25)  # no term of the question is indexed: nothing retrieved
    assert result.answer is None and result.citations == ()


@pytest.mark.parametrize(
    "question", ["Qui préside la structure du projet Stargate ?", "Qui dirige OpenAI ?", "Combien de puces DRAM par mois ?"]
)
def test_top_k_sets_the_citations_not_the_answer(built_index: Index, fake_embedder: FakeEmbedder, question: str) -> None:
    pipeline = Pipeline(
        built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=chosen_model(), no_answer_threshold=0.0))
    )
    results = {k: pipeline.ask(question, top_k=k) for k in (1, 2, 5, 20)}
    for k, result in results.items():
        assert result.answer == results[1].answer, k  # same text, offsets, score, alternatives
        assert len(result.citations) == min(k, len(built_index.chunks))
        assert result.citations == results[20].citations[:k]


@pytest.mark.parametrize(("reader_chunks", "top_k"), [(3, 1), (2, 1), (2, 3), (1, 3)])
def test_the_reader_reads_its_configured_chunks_whatever_top_k(
    built_index: Index, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, reader_chunks: int, top_k: int
) -> None:
    pipeline = Pipeline(
        built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(model=chosen_model(), max_chunks=reader_chunks))
    )
    read: list[list[str]] = []
    build = pipeline.reader.evidence.build

    def spy(analysis, query, hits, max_chunks, max_sentences):  # type: ignore[no-untyped-def]
        read.append([h.chunk.chunk_id for h in hits])
        return build(analysis, query, hits, max_chunks, max_sentences)

    monkeypatch.setattr(pipeline.reader.evidence, "build", spy)
    question = "Qui préside la structure du projet Stargate ?"
    result = pipeline.ask(question, top_k=top_k)
    ranked = [h.chunk.chunk_id for h in pipeline.retriever.retrieve(question, fake_embedder.encode_queries([question])[0], 20)]
    assert read == [ranked[:reader_chunks]]
    assert [c.chunk_id for c in result.citations] == ranked[:top_k]
