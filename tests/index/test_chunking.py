from __future__ import annotations

import itertools

import pytest

from index.chunking import Chunker, ChunkingConfig, locate_pieces
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


def test_repeated_sentence_gets_its_own_occurrence() -> None:
    text = "Même phrase. Autre chose ici. Même phrase. Fin."
    spans = locate_pieces(text, ["Même phrase.", "Autre chose ici.", "Même phrase.", "Fin."], overlap=0)
    assert spans == [(0, 12), (13, 29), (30, 42), (43, 47)]


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="overlap must be"):
        ChunkingConfig(100, 100)
    with pytest.raises(ValueError, match="at least 50"):
        ChunkingConfig(10, 0)
