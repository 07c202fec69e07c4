from __future__ import annotations

import itertools
import random

import pytest

from index.chunking import FRENCH_SEPARATORS, Chunker, ChunkingConfig
from index.corpus import Article

REPEATED = (
    "L’accord a été signé à Séoul. Les équipes d'OpenAI étaient présentes. " * 6
    + "\n\nUn dernier paragraphe, différent, évoque l’usine de Pyeongtaek et les 900 000 puces. "
    + "L’accord a été signé à Séoul. "
    + "Élan, œuvre, ça, déjà : « guillemets » et espaces\u00a0insécables."
)


@pytest.mark.parametrize(("size", "overlap"), [(80, 20), (120, 40), (200, 0), (60, 59)])
def test_offsets_match_text_on_repeated_french_text(size: int, overlap: int) -> None:
    article = Article("doc", REPEATED)
    chunks = Chunker(ChunkingConfig(size, overlap)).split(article)
    assert len(chunks) > 3
    for i, chunk in enumerate(chunks):
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert chunk.chunk_id == f"doc#{i}"
        assert len(chunk.text) <= size
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    # Chunks cover the text: no gap bigger than the blank space between pieces.
    assert chunks[0].start == 0 and chunks[-1].end == len(article.text)
    for prev, nxt in itertools.pairwise(chunks):
        assert article.text[prev.end : nxt.start].strip() == "" or nxt.start <= prev.end


def test_a_closing_byline_seen_in_the_chunk_before_gets_its_own_chunk() -> None:
    text = "Par Jean Dupont.\n\nOui. Oui. Par Jean Dupont. Oui.\n\nPar Jean Dupont."
    chunks = Chunker(ChunkingConfig(60, 30)).split(Article("doc", text))
    assert [(c.start, c.end) for c in chunks] == [(0, 49), (51, 67)]  # the first match was (28, 44), inside the first chunk


# Sentences that news articles repeat: quotes, bylines, links, one-word answers.
REPEATS = [
    "Le maire a parlé.",
    "« C'est une bonne nouvelle », a-t-il dit.",
    "Par Jean Dupont.",
    "https://exemple.fr/article/12",
    "Lire aussi : la suite.",
    "L’accord a été signé à Séoul le 26 janvier 2025 par les deux parties.",
    "Oui.",
    "Les équipes d'OpenAI étaient présentes dans la salle de conférence.",
    "La biscuiterie Le Goff emploie 340 personnes à Saint-Gildas-des-Prés.",
    "Non, a répondu la ministre.",
    "Selon l'AFP.",
]


def repetitive_articles(seed: int, count: int) -> list[Article]:
    """Articles of a few sentences each repeated many times, in paragraphs (seeded: the same every run)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        pool = rng.sample(REPEATS, rng.randint(2, 6))
        paragraphs = [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 6))]
        out.append(Article(f"a{i}", "\n\n".join(paragraphs)))
    return out


def uncovered(text: str, spans: list[tuple[int, int]]) -> list[int]:
    covered = [False] * len(text)
    for start, end in spans:
        covered[start:end] = [True] * (end - start)
    return [i for i, (ch, seen) in enumerate(zip(text, covered, strict=True)) if not seen and not ch.isspace()]


@pytest.mark.parametrize(("size", "overlap"), [(400, 80), (120, 40), (60, 30)])
def test_chunks_cover_every_visible_character_of_repetitive_articles(size: int, overlap: int) -> None:
    """A piece whose text also occurs in the chunk before it is placed where it really is (issue 21, item 4:
    the first match after the overlap left the article's end in no chunk, 12 of 1,000 at the default size)."""
    chunker = Chunker(ChunkingConfig(size, overlap))
    for article in repetitive_articles(21, 1000):
        chunks = chunker.split(article)
        assert all(article.text[c.start : c.end] == c.text for c in chunks)
        assert [c.start for c in chunks] == sorted({c.start for c in chunks})
        missed = uncovered(article.text, [(c.start, c.end) for c in chunks])
        assert not missed, f"{article.doc_id}: {article.text[missed[0] : missed[0] + 40]!r} is in no chunk"


def test_the_cuts_are_langchains() -> None:
    """The chunker makes langchain's pieces, on offsets: the same texts on repetitive, spaced and real articles."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    rng = random.Random(4)
    texts = ["a" * 3000, "ha " * 900, "x. " * 600 + "fin", REPEATED, *(a.text for a in repetitive_articles(7, 200))]
    for alphabet in ["ab ", "a b.\n", "xy, z. ", "a\u00a0b »!\n\n ;:,…"] * 100:
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 700))))
    for text in texts:
        size = rng.randint(50, 500)
        for config in (ChunkingConfig(), ChunkingConfig(size, rng.randint(0, size - 1))):
            splitter = RecursiveCharacterTextSplitter(
                separators=FRENCH_SEPARATORS,
                is_separator_regex=True,
                keep_separator="end",
                chunk_size=config.size,
                chunk_overlap=config.overlap,
                strip_whitespace=True,
            )
            spans = Chunker(config).spans(text)
            assert [text[a:b] for a, b in spans] == splitter.split_text(text)
            assert not uncovered(text, spans)


def test_a_chunk_that_misses_text_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    chunker = Chunker(ChunkingConfig(50, 0))
    monkeypatch.setattr(chunker, "spans", lambda text: [(0, 5)])
    with pytest.raises(ValueError, match="character 6 is in no chunk"):
        chunker.split(Article("doc", "Début fin."))


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="overlap must be"):
        ChunkingConfig(100, 100)
    with pytest.raises(ValueError, match="at least 50"):
        ChunkingConfig(10, 0)
