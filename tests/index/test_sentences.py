from __future__ import annotations

from index.sentences import split_sentences


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
