from __future__ import annotations

import pytest

from qa.readers.analysis import DATE, DURATION, MANNER, ORGANISATION, PERSON, PLACE, QUANTITY, REASON, THING, analyse


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


@pytest.mark.parametrize(
    "question",
    [
        "Combien de pays accueilleront les centres de données ?",  # "pays" is not "payer"
        "Combien de migrants se dirigent vers la frontière ?",  # "vers" is not "verser"
        "Combien de matchs le club a-t-il gagnés cette saison ?",  # won matches are counted, not paid
        "Combien le club a-t-il gagné de matchs cette saison ?",
        "Combien de pages compte le rapport ?",  # the noun "rapport", not "rapporter"
        "Combien d'élèves la commune compte-t-elle ?",
        "Combien de versions du logiciel existent ?",
        "Combien de paysans vivent dans la vallée ?",
        "Combien d'appartements le promoteur a-t-il financés en tout ?",  # a count of financed things
    ],
)
def test_count_questions_are_not_money_questions(question: str) -> None:
    analysis = analyse(question)
    assert analysis.type_match("NUM") == 1.0 and analysis.type_match("MONEY") == 0.5


@pytest.mark.parametrize(
    "question",
    [
        "Combien le club a-t-il payé pour le transfert ?",
        "Combien l'entreprise paie-t-elle ses salariés ?",
        "Combien l'État a-t-il versé aux agriculteurs ?",
        "Combien la région verse-t-elle chaque année ?",
        "Combien coûte le nouveau stade ?",
        "Combien gagne un député ?",
        "Combien l'opération a-t-elle rapporté à la ville ?",
        "Combien la start-up a-t-elle levé ?",
        "Combien vaut la société aujourd'hui ?",
        "Combien l'État a-t-il investi dans le projet ?",
        "Combien d'euros par habitant la commune dépense-t-elle ?",
        "Combien de dollars Nvidia pourrait-il investir ?",
        "Quel montant Nvidia investira-t-il ?",
    ],
)
def test_money_questions_want_an_amount(question: str) -> None:
    analysis = analyse(question)
    assert analysis.type_match("MONEY") == 1.0 and analysis.type_match("NUM") == 0.5
