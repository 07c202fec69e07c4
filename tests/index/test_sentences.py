from __future__ import annotations

from index.sentences import sentence_spans, split_sentences


def texts(text: str) -> list[str]:
    sentences = split_sentences("d", text)
    for s in sentences:
        assert text[s.start : s.end] == s.text
    return [s.text for s in sentences]


def test_splits_on_end_punctuation_and_lines() -> None:
    text = "Titre de l’article\nPremière phrase. Deuxième phrase ! Et une question ? 2025 commence."
    assert texts(text) == ["Titre de l’article", "Première phrase.", "Deuxième phrase !", "Et une question ?", "2025 commence."]


def test_abbreviations_and_initials_do_not_split() -> None:
    text = "M. Dupont et Jay Y. Lee ont signé, etc. Puis ils sont partis."
    assert texts(text) == ["M. Dupont et Jay Y. Lee ont signé, etc. Puis ils sont partis."]


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = "« C’est un tournant. » Il a ajouté : « Nous verrons. » La suite."
    assert texts(text) == ["« C’est un tournant. »", "Il a ajouté : « Nous verrons. »", "La suite."]


def test_lowercase_after_dot_does_not_split() -> None:
    assert texts("Il y a 3.5 millions. environ.") == ["Il y a 3.5 millions. environ."]


def test_the_word_before_a_dot_is_found_by_walking_back() -> None:
    from index.sentences import _word_before

    assert _word_before("Rendez-vous avec M.", 18) == "M"
    assert _word_before("le n°", 5) == "n°"
    assert _word_before("J.-C.", 4) == "J.-C"
    assert _word_before("chez Dr\n", 8) == "Dr"  # as the regex's `$` did: the word before a final line break
    assert _word_before("fin !", 5) == ""


def test_a_long_article_splits_like_its_parts() -> None:
    part = "M. Dupont arrive. Il repart vers 10 h, etc. Puis il revient ! Pourquoi ? Nul ne sait… "
    text = part * 2000  # 180,000 characters: each dot used to search the text from its start
    one = sentence_spans(part)
    assert len(one) == 4 and [part[a:b] for a, b in one][1] == "Il repart vers 10 h, etc. Puis il revient !"
    assert sentence_spans(text) == [(a + i * len(part), b + i * len(part)) for i in range(2000) for a, b in one]
