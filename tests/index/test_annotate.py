from __future__ import annotations

from index.annotate import Annotator, pattern_spans
from index.corpus import Article
from index.sentences import split_sentences


def labelled(text: str) -> set[tuple[str, str]]:
    return {(text[a:b], label) for a, b, label in pattern_spans(text)}


def test_numbers_amounts_and_percentages() -> None:
    found = labelled("Il prévoit 900 000 puces, 470 milliards de dollars, 19% du marché et treize usines.")
    assert ("900 000", "NUM") in found
    assert ("470 milliards de dollars", "MONEY") in found
    assert ("19%", "PERCENT") in found
    assert ("treize", "NUM") in found


def test_dates_and_durations() -> None:
    found = labelled("Le 26 janvier, puis dès 2026 et jusqu'en 2047, pendant quatre ans ; mercredi dernier.")
    assert {("26 janvier", "DATE"), ("dès 2026", "DATE"), ("2047", "DATE"), ("quatre ans", "DURATION")} <= found
    assert ("mercredi dernier", "DATE") in found


def test_reason_and_manner_clauses_with_and_without_marker() -> None:
    found = labelled("Il investit afin de réduire sa dépendance aux GPU, en s’appuyant sur Samsung.")
    assert ("réduire sa dépendance aux GPU", "REASON") in found
    assert ("afin de réduire sa dépendance aux GPU", "REASON") in found


def test_spacy_spans_are_trimmed_and_inside_their_sentence() -> None:
    text = "Sam Altman a rencontré Lee Jae-myung à Séoul.\nLe projet Stargate coûtera 500 milliards de dollars."
    article = Article("d", text)
    sentences = split_sentences("d", text)
    spans = Annotator().load().annotate([article], sentences)
    for sentence, found in zip(sentences, spans, strict=True):
        for start, end, _ in found:
            assert sentence.start <= start < end <= sentence.end
            assert text[start:end] == text[start:end].strip(" ,.;:")
    first = {(text[a:b], label) for a, b, label in spans[0]}
    assert ("Séoul", "LOC") in first and any(t == "Sam Altman" for t, _ in first)
