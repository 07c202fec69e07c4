"""spaCy in a process of its own (``qa index build``): the same spans as in this process, and clear failures."""

from __future__ import annotations

import pytest

from index.annotate import Annotator
from index.annotate_process import AnnotatorProcess
from index.corpus import Article
from index.errors import ModelUnavailable
from index.sentences import split_sentences

ARTICLES = [
    Article("a", "Sam Altman a rencontré Lee Jae-myung à Séoul le 3 mars 2025.\nIls ont parlé de puces pendant deux heures."),
    Article("b", "Le projet Stargate coûtera 500 milliards de dollars.\nOracle et SoftBank en financent 40 %."),
]


def test_the_child_annotates_as_this_process_does() -> None:
    sentences = [s for a in ARTICLES for s in split_sentences(a.doc_id, a.text)]
    here = Annotator(annotation="entities").load().annotate(ARTICLES, sentences)
    with AnnotatorProcess(annotation="entities") as beside:
        beside.start(ARTICLES)  # begun early, collected by annotate
        assert beside.annotate(ARTICLES, sentences) == here
        assert set(beside.child_seconds) == {"load_spacy", "annotate"}
        # other articles than the ones started (a build's refresh): asked of the same child
        assert beside.annotate(ARTICLES[1:], sentences[2:]) == here[2:]


def test_a_missing_spacy_model_is_a_clear_error() -> None:
    with AnnotatorProcess("fr_no_such_model") as beside, pytest.raises(ModelUnavailable, match="fr_no_such_model"):
        beside.annotate(ARTICLES, [s for a in ARTICLES for s in split_sentences(a.doc_id, a.text)])


def test_a_child_that_cannot_start_falls_back_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import index.annotate_process as module

    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(module, "ProcessPoolExecutor", no_processes)
    sentences = [s for a in ARTICLES for s in split_sentences(a.doc_id, a.text)]
    with AnnotatorProcess(annotation="entities") as beside:
        beside.start(ARTICLES)
        assert beside.annotate(ARTICLES, sentences) == Annotator(annotation="entities").load().annotate(ARTICLES, sentences)
