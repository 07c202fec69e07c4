from __future__ import annotations

from index.sentences import split_sentences
from qa.readers.locate import SentenceRows


def test_an_offset_finds_its_sentence_in_each_article() -> None:
    a = "Première phrase. Deuxième phrase ici. Troisième."
    b = "Autre article. Fin."
    sentences = [*split_sentences("b", b), *split_sentences("a", a)]  # rows not in text order across articles
    located = SentenceRows.of(sentences)
    for doc, text in (("a", a), ("b", b)):
        for s in (s for s in sentences if s.doc_id == doc):
            for offset in (s.start, s.end - 1):
                row = located.at(doc, offset)
                assert row is not None and sentences[row] == s, (doc, offset, text[offset])
    assert located.at("unknown", 0) is None
