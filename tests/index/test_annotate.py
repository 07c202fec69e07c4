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


def test_a_number_opening_an_amount_is_part_of_the_amount() -> None:
    found = labelled("L'État débloque 3 millions d'euros ; 2 % des adultes ; 620 patients.")
    assert ("3 millions", "MONEY") in found and ("3 millions", "NUM") not in found
    assert ("2", "PERCENT") in found and ("2", "NUM") not in found
    assert ("620", "NUM") in found


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


def annotated_with_labels(text: str) -> set[tuple[str, str]]:
    article = Article("d", text)
    sentences = split_sentences("d", text)
    spans = Annotator().load().annotate([article], sentences)
    return {(text[a:b], label) for found in spans for a, b, label in found}


def annotated(text: str) -> set[str]:
    return {span for span, _ in annotated_with_labels(text)}


def test_names_joined_by_et_and_entre_ranges() -> None:
    found = annotated("Samsung C&T et Samsung Heavy Industries travailleront sur des usines construites entre Pyeongtaek et Yongin.")
    assert "Samsung C&T et Samsung Heavy Industries" in found
    assert "entre Pyeongtaek et Yongin" in found


def test_phrases_without_leading_preposition_and_cut_before_the_rest() -> None:
    found = annotated(
        "Samsung Electronics agira en tant que partenaire mémoire stratégique pour l’initiative Stargate. "
        "Samsung SDS peut fournir des services de conseil et de gestion aux entreprises intégrant les modèles OpenAI."
    )
    assert "partenaire mémoire stratégique" in found
    assert "services de conseil et de gestion" in found


def test_capitalised_runs_and_names_apart_from_their_title() -> None:
    found = annotated_with_labels("Le patron d'OpenAI, Sam Altman, PDG de la firme, rencontrera Masayoshi Son à Tokyo.")
    assert any(span == "Masayoshi Son" for span, _ in found)
    assert any(span == "Sam Altman" for span, _ in found)
    assert not any("," in span for span, label in found if label in {"PER", "ORG", "LOC", "MISC", "NAME"})


def test_every_span_starts_and_ends_on_a_word_boundary() -> None:
    text = "Samsung a évoqué des data centers flottants, censés réduire à la fois les coûts et l’empreinte carbone."
    for span in annotated(text):
        at = text.index(span)
        assert at == 0 or not text[at - 1].isalnum(), span
        end = at + len(span)
        assert end == len(text) or not text[end].isalnum(), span


TWO_SENTENCES = (
    "Sam Altman a rencontré Lee Jae-myung à Séoul le 3 mars 2025.\n"
    "Le projet Stargate, porté par OpenAI et SoftBank, coûtera 500 milliards de dollars afin de bâtir des centres de données."
)


def test_entities_level_keeps_the_kinds_a_question_asks_for_and_drops_the_parse() -> None:
    article = Article("d", TWO_SENTENCES)
    sentences = split_sentences("d", TWO_SENTENCES)
    full = Annotator().load().annotate([article], sentences)
    entities = Annotator(annotation="entities").load().annotate([article], sentences)
    labels = {label for found in entities for _, _, label in found}
    assert not labels & {"NP", "CLAUSE"}  # noun chunks, subtrees and parts of speech need the parser and tagger
    kinds = {"PER", "ORG", "LOC", "MISC", "NAME", "DATE", "NUM", "MONEY", "PERCENT", "DURATION", "REASON", "MANNER"}
    spans = {(TWO_SENTENCES[a:b], label) for found in entities for a, b, label in found}
    assert {("Séoul", "LOC"), ("500 milliards de dollars", "MONEY"), ("3 mars 2025", "DATE")} <= spans
    assert any(t == "Sam Altman" and label in {"PER", "NAME"} for t, label in spans)
    # every span of a kind the full analysis finds by entities, patterns or capitals, the entity level finds too
    wanted = {(a, b, label) for found in full for a, b, label in found if label in kinds - {"NAME"}}
    found_here = {span for found in entities for span in found}
    assert len(wanted - found_here) <= len(wanted) // 10


def test_an_unknown_annotation_level_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="annotation must be one of"):
        Annotator(annotation="parse")  # type: ignore[arg-type]
