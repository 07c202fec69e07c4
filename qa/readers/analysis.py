"""What a French question asks for: the expected answer types and the content terms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import terms

# Answer types, as labels of the candidate spans made in index/annotate.py.
QUANTITY = frozenset({"NUM", "MONEY", "PERCENT"})
DATE = frozenset({"DATE"})
DURATION = frozenset({"DURATION"})
PLACE = frozenset({"LOC", "NAME", "MISC"})  # the small NER tags some regions MISC ("Moyen-Orient")
# NAME: a run of proper nouns the NER did not label; it and MISC fit a person or an organisation loosely.
PERSON = frozenset({"PER", "NAME", "MISC"})
ORGANISATION = frozenset({"ORG", "NAME", "MISC"})
REASON = frozenset({"REASON"})
MANNER = frozenset({"MANNER"})
THING = frozenset({"NP", "MISC", "ORG", "NAME"})
CLAUSE = frozenset({"CLAUSE", "NP"})

_ORG_NOUNS = (
    r"entreprises?|sociétés?|groupes?|firmes?|fonds|constructeurs?|fabricants?|fondeurs?|opérateurs?|laboratoires?"
    r"|conglomérats?|géants?|partenaires?|acteurs?|banques?|clubs?|équipes?|marques?|organisations?|institutions?"
    r"|ministères?|agences?|start-?ups?|compagnies?|partis?|syndicats?|organismes?|investisseurs?|filiales?|administrations?"
)
_PERSON_NOUNS = (
    r"dirigeants?|patrons?|pdg|président(?:e|s)?|chefs?|ministres?|directeur(?:s|rice)?|responsables?|fondateurs?"
    r"|maires?|entraîneurs?|joueurs?|personnalités?|experts?|porte-parole|candidat(?:e|s)?|élu(?:e|s)?|artistes?|chercheu(?:r|se|rs)"
    r"|co-?dirigeants?|médecins?|syndicalistes?|scientifiques?|ingénieurs?|avocats?|juges?|auteurs?|commissaires?|conseillers?"
)
_PLACE_NOUNS = (
    r"zones?|villes?|pays|régions?|lieux?|sites?|endroits?|continents?|communes?|départements?|quartiers?|états?|capitales?|gares?|ports?"
)

_ONE_WORD = r"(?:[\w-]+ )?"  # "quel grand fondeur", "quel co-dirigeant"

# (pattern, expected types); the first that matches wins, so specific forms come first.
_RULES: list[tuple[re.Pattern[str], frozenset[str]]] = [
    (
        re.compile(
            r"\bpourquoi\b|\bdans quel but\b|\bpour quelles? raisons?\b"
            r"|\bquel(?:le)?s? (?:est|sont|était) (?:l[ae]s?|son|sa|leur) (?:but|objectif|motivation|raison)",
            re.I,
        ),
        REASON,
    ),
    (
        re.compile(
            r"\bcombien de temps\b|\bpendant combien\b|\bsur quelle (?:période|durée)\b|\bquelle durée\b|\bdepuis combien\b"
            r"|\bcombien d['’](?:années|ans)\b|\bcombien de (?:mois|semaines|jours|heures|décennies|siècles)\b",
            re.I,
        ),
        DURATION | DATE,
    ),
    (
        re.compile(
            r"\bcombien\b|\bquel(?:le)? (?:est|sont|était) (?:le|la|les|l['’]) ?"
            r"(?:montant|prix|salaire|valeur|coût|budget|nombre|taux|chiffre|part)\b"
            r"|\bquel(?:le)?s? (?:montant|somme|salaire|nombre|quantité|part|pourcentage|proportion|capacité|puissance"
            r"|volume|chiffre|budget|coût|prix|taux|valeur|superficie|surface|distance|hauteur|population|effectif)\b",
            re.I,
        ),
        QUANTITY,
    ),
    (
        re.compile(
            r"\bquand\b|\ben quelle année\b|\bà quelle (?:date|époque|heure)\b"
            r"|\bquel (?:jour|mois|moment)\b|\bquelle (?:date|année|semaine|saison|échéance|période|époque)\b"
            r"|\bdepuis quand\b|\bà partir de quand\b|\bd['’]ici quand\b",
            re.I,
        ),
        DATE,
    ),
    (
        re.compile(
            rf"\boù\b|\bd['’]où\b|\b(?:dans|en|à|vers) quel(?:le)?s? (?:{_PLACE_NOUNS})\b|\bquel(?:le)?s? (?:{_PLACE_NOUNS})\b", re.I
        ),
        PLACE,
    ),
    (re.compile(rf"\bquel(?:le)?s? {_ONE_WORD}(?:{_PERSON_NOUNS})\b", re.I), PERSON),
    (re.compile(rf"\bquel(?:le)?s? {_ONE_WORD}(?:{_ORG_NOUNS})\b", re.I), ORGANISATION),
    (re.compile(r"\bqui\b", re.I), PERSON | ORGANISATION),
    (re.compile(r"\bcomment\b|\bde quelle (?:manière|façon)\b|\bpar quels? moyens?\b", re.I), MANNER | CLAUSE),
    (re.compile(r"\bquel(?:le)?s? (?:rôle|fonction|poste|titre)\b", re.I), CLAUSE | THING),
]

# Interrogative words that say what is asked but never appear in the answer.
_QUESTION_WORDS = {"quel", "quell", "quels", "quelles", "combien", "quand", "comment", "pourquoi", "qui", "ou"}


# Labels that fit a type only loosely score half.
_LOOSE = frozenset({"NAME", "MISC", "NP", "CLAUSE"})
# Labels of another type that still fit loosely: the small French NER often labels foreign names of
# people as ORG and companies as PER, so a person question takes an ORG span at half, and the reverse.
_CROSS = {PERSON: frozenset({"ORG"}), ORGANISATION: frozenset({"PER"})}


# The noun a "quel ..." question asks about ("quel dirigeant", "quel type de mémoire"), or the
# thing "comment s'appelle ..." names: answers tend to stand right after it ("le dirigeant, X").
_FOCUS = re.compile(
    r"\bquel(?:le)?s?\s+(?:(?:type|genre|sorte|nom|forme)\s+d(?:e\s+|['’]))?([\w-]+)"
    r"|\bcomment\s+s['’]appellen?t?\s+(?:l[ae]s?\s+|l['’]|les\s+)?([\w-]+)",
    re.I,
)


# Which kind of quantity: an amount of money, a share, or else a count or a measure.
_CURRENCY = r"argent|euros?|dollars?|francs?|livres?|yens?|wons?|yuans?"
_ENDING = r"(?:e|es|ent|er|era|eront|erait|eraient|é|ée|és|ées|ait|aient)"  # payer: paie, payé, payera, payait...
# Whole verb forms, so "pays", "vers la frontière", "le rapport" or "versions" are not amounts.
_MONEY_VERBS = (
    rf"co[uû]t{_ENDING}|pa[yi]{_ENDING}|vers{_ENDING}|rapport{_ENDING}|dépens{_ENDING}|débours{_ENDING}|financ{_ENDING}"
    rf"|apport{_ENDING}|l[eè]v{_ENDING}|investi(?:r|s|t|e|es|ssent|ssait|ssaient|ra|ront|rait)?|va(?:ut|lent|lait|laient|udra|udront)"
)
_BARE_COMBIEN = r"\bcombien\b(?!\s+d(?:e\b|['’]))"  # "combien coûte", not "combien de pays": that one counts its noun
_MONEY_QUESTION = re.compile(
    r"\b(?:montant|somme|budget|coût|prix|salaire|valeur|chiffre d['’]affaires|financement|investissement)s?\b"
    rf"|\bcombien\s+d(?:e\s+|['’])(?:[\w-]+\s+d(?:e\s+|['’]))?(?:{_CURRENCY})\b"  # "combien d'euros", "de millions de dollars"
    rf"|{_BARE_COMBIEN}.*\b(?:{_MONEY_VERBS})\b"
    rf"|{_BARE_COMBIEN}.*\bgagn{_ENDING}\b(?!\s+d(?:e\b|['’]))",  # "combien gagne un député", not "combien ... gagné de matchs"
    re.I,
)
_SHARE_QUESTION = re.compile(r"\b(?:part|pourcentage|proportion|taux)\b", re.I)


def _strict_types(question: str, expected: frozenset[str]) -> frozenset[str]:
    """The labels that fit the question exactly; the rest of ``expected`` fits loosely."""
    if expected == QUANTITY:
        if _SHARE_QUESTION.search(question):
            return frozenset({"PERCENT"})
        if _MONEY_QUESTION.search(question):
            return frozenset({"MONEY"})
        return frozenset({"NUM"})
    return expected - _LOOSE


@dataclass(frozen=True)
class QuestionAnalysis:
    question: str
    expected: frozenset[str]  # the labels of the asked type
    terms: frozenset[str]
    focus: frozenset[str] = frozenset()
    strict: frozenset[str] = frozenset()  # the labels that fit exactly (default: ``expected`` minus loose labels)
    number: str = ""  # "plural" ("quels fabricants"), "singular" ("quel fondeur") or "" when the question does not say
    cross: frozenset[str] = frozenset()  # labels of another type that fit loosely (ORG for a person question)

    def type_match(self, label: str) -> float:
        """1 for a span of the asked type, 0.5 for a loose fit, 0 otherwise.

        A "what" question (``THING``) is open: every noun-like span fits it equally."""
        if label not in self.expected:
            return 0.5 if label in self.cross else 0.0
        if self.expected == THING:
            return 0.5
        strict = self.strict or self.expected - _LOOSE
        return 0.5 if strict and label not in strict else 1.0

    @property
    def wants_clause(self) -> bool:
        return bool(self.expected & (REASON | MANNER)) or self.expected == CLAUSE | THING

    @property
    def wants_kind(self) -> bool:
        """The question asks for a definite kind of answer (a date, a quantity, a place, a person or an
        organisation), not for an open "what" or a clause: a span of another kind cannot answer it."""
        return self.expected != THING and not self.wants_clause


# "quels fabricants", "quelles sociétés" ask for several; "quel fondeur", "quelle filiale" for one.
_PLURAL = re.compile(r"\bquel(?:le)?s\b|\blesquel(?:le)?s\b", re.I)
_SINGULAR = re.compile(r"\bquel(?:le)?\b|\blequel\b|\blaquelle\b", re.I)


def _number(question: str) -> str:
    if _PLURAL.search(question):
        return "plural"
    return "singular" if _SINGULAR.search(question) else ""


def analyse(question: str) -> QuestionAnalysis:
    expected = THING
    for pattern, types in _RULES:
        if pattern.search(question):
            expected = types
            break
    content = frozenset(t for t in terms(question) if t not in _QUESTION_WORDS)
    focus: frozenset[str] = frozenset()
    m = _FOCUS.search(question)
    if m:
        focus = frozenset(terms(m.group(1) or m.group(2))) - {"est", "sont", "etait"}
    return QuestionAnalysis(
        question, expected, content, focus, _strict_types(question, expected), _number(question), _CROSS.get(expected, frozenset())
    )
