from __future__ import annotations

import pytest

from qa.analysis import DATE, DURATION, MANNER, ORGANISATION, PERSON, PLACE, QUANTITY, REASON, THING, analyse


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Combien de wafers par mois ?", QUANTITY),
        ("Quel montant Nvidia investira-t-il ?", QUANTITY),
        ("Quelle part du marché détient-il ?", QUANTITY),
        ("Quel est le salaire de la présidente ?", QUANTITY),
        ("Quand l'accord a-t-il été signé ?", DATE),
        ("En quelle année OpenAI a-t-il été fondé ?", DATE),
        ("Pendant combien de temps durera le chantier ?", DURATION | DATE),
        ("Sur combien d'années s'étale le contrat ?", DURATION | DATE),
        ("Où l'accord a-t-il été annoncé ?", PLACE),
        ("Dans quelle ville se trouve l'usine ?", PLACE),
        ("Quel pays accueille les centres ?", PLACE),
        ("Quel grand fondeur est cité ?", ORGANISATION),
        ("Quelle entreprise fournit la mémoire ?", ORGANISATION),
        ("Quel fonds finance le projet ?", ORGANISATION),
        ("Avec quels partenaires travaille-t-il ?", ORGANISATION),
        ("Quel co-dirigeant a-t-il rencontré ?", PERSON),
        ("Qui dirige OpenAI ?", PERSON | ORGANISATION),
        ("Pourquoi Samsung s'engage-t-il ?", REASON),
        ("Dans quel but construit-on ces usines ?", REASON),
        ("Qu'apporteront Arm et Nvidia ?", THING),
    ],
)
def test_expected_answer_type(question: str, expected: frozenset[str]) -> None:
    assert analyse(question).expected == expected


def test_how_questions_want_a_manner_clause() -> None:
    analysis = analyse("Comment OpenAI va-t-il fabriquer ses puces ?")
    assert analysis.expected >= MANNER and analysis.wants_clause


def test_content_terms_drop_interrogatives_and_fold_elisions() -> None:
    analysis = analyse("Combien de puces l’entreprise d'OpenAI veut-elle ?")
    assert "combien" not in analysis.terms and "puc" in analysis.terms and "open" in analysis.terms


def test_person_and_organisation_are_different_types() -> None:
    assert PERSON != ORGANISATION
    assert analyse("Quel dirigeant a signé ?").expected != analyse("Quelle entreprise a signé ?").expected


@pytest.mark.parametrize(
    ("question", "grades"),
    [
        # the small NER labels foreign people ORG and companies PER: the other one still fits, loosely
        ("Quel dirigeant a signé ?", {"PER": 1.0, "ORG": 0.5, "NAME": 0.5, "MISC": 0.5, "LOC": 0.0, "DATE": 0.0}),
        ("Quelle entreprise fournit la mémoire ?", {"ORG": 1.0, "PER": 0.5, "NAME": 0.5, "MISC": 0.5, "LOC": 0.0, "NUM": 0.0}),
        ("Qui dirige OpenAI ?", {"PER": 1.0, "ORG": 1.0, "NAME": 0.5, "MISC": 0.5, "DATE": 0.0}),
    ],
)
def test_person_and_organisation_questions_grade_labels_apart(question: str, grades: dict[str, float]) -> None:
    analysis = analyse(question)
    assert {label: analysis.type_match(label) for label in grades} == grades


def test_type_match_grades_loose_labels() -> None:
    who = analyse("Quel dirigeant a signé ?")
    assert who.type_match("PER") == 1.0 and who.type_match("NAME") == 0.5 and who.type_match("DATE") == 0.0
    what = analyse("Qu'a-t-il signé ?")
    assert what.type_match("NP") == what.type_match("ORG") == 0.5


@pytest.mark.parametrize(
    ("question", "exact", "loose"),
    [
        ("Combien de malades participeront à l'essai ?", "NUM", "PERCENT"),
        ("Quelle superficie a brûlé ?", "NUM", "MONEY"),
        ("Quel montant Nvidia investira-t-il ?", "MONEY", "NUM"),
        ("Combien l'État a-t-il versé aux agriculteurs ?", "MONEY", "NUM"),
        ("Quelle part du marché détient-il ?", "PERCENT", "NUM"),
    ],
)
def test_quantity_questions_say_which_quantity(question: str, exact: str, loose: str) -> None:
    analysis = analyse(question)
    assert analysis.type_match(exact) == 1.0
    assert analysis.type_match(loose) == 0.5


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("Quels fabricants fournissent la mémoire ?", "plural"),
        ("Avec quelles sociétés OpenAI a-t-il signé ?", "plural"),
        ("Quel grand fondeur est cité ?", "singular"),
        ("Quelle filiale vendra ChatGPT ?", "singular"),
        ("Qui dirige OpenAI ?", ""),
    ],
)
def test_questions_say_whether_they_ask_for_one_or_several(question: str, number: str) -> None:
    assert analyse(question).number == number


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("En quelle année OpenAI a-t-il été fondé ?", True),
        ("Combien de wafers par mois ?", True),
        ("Où l'accord a-t-il été annoncé ?", True),
        ("Qui dirige OpenAI ?", True),
        ("Pourquoi Samsung s'engage-t-il ?", False),
        ("Comment OpenAI va-t-il fabriquer ses puces ?", False),
        ("Quel rôle Microsoft joue-t-il ?", False),
        ("Qu'apporteront Arm et Nvidia ?", False),
    ],
)
def test_definite_kinds_of_answer(question: str, kind: bool) -> None:
    assert analyse(question).wants_kind is kind
