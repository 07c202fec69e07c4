"""The Ray build's pieces that need no Ray: shards as plain files, their assembly in article order, and the
checks that stop a build (the whole build on a local Ray is in tests/integration/test_ray_build_real.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.annotate import Annotator
from index.chunking import Chunker
from index.corpus import Article
from index.distributed import RayConfig, _assemble, article_rows, batch_size_for, load_parts, save_parts
from index.errors import ClusterError
from index.store import BuildParts, Fingerprint, analyse_articles, concat_parts, fingerprint
from tests.conftest import FakeEmbedder


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator().load()


def analyse(articles: list[Article], annotator: Annotator) -> BuildParts:
    return analyse_articles(articles, FakeEmbedder(), Chunker(), annotator)


def assert_same_parts(got: BuildParts, want: BuildParts) -> None:
    for f in fields(BuildParts):
        if f.name == "stage_seconds":
            assert got.stage_seconds.keys() == want.stage_seconds.keys()
        elif isinstance(getattr(want, f.name), np.ndarray):
            np.testing.assert_array_equal(getattr(got, f.name), getattr(want, f.name))
            assert getattr(got, f.name).dtype == getattr(want, f.name).dtype
        else:
            assert getattr(got, f.name) == getattr(want, f.name), f.name


def test_concatenated_shards_are_the_parts_of_all_the_articles(articles: list[Article], annotator: Annotator) -> None:
    whole = analyse(articles, annotator)
    shards = [analyse(articles[:1], annotator), analyse(articles[1:], annotator)]
    joined = concat_parts(shards)
    assert_same_parts(joined, whole)
    assert joined.stage_seconds["annotate"] == pytest.approx(sum(s.stage_seconds["annotate"] for s in shards), abs=0.002)
    with pytest.raises(ValueError, match="no parts"):
        concat_parts([])


def test_a_shard_reads_back_as_it_was_written(articles: list[Article], annotator: Annotator, tmp_path: Path) -> None:
    parts = analyse([replace(a, source=f"folder/{a.doc_id}.txt") for a in articles], annotator)
    assert any(parts.spans), "the corpus must give candidate spans for the round trip to mean something"
    save_parts(tmp_path / "shard", parts)
    back = load_parts(tmp_path / "shard")
    assert_same_parts(back, parts)
    assert back.stage_seconds == parts.stage_seconds
    assert all(isinstance(span, tuple) for spans in back.spans for span in spans)
    assert not list((tmp_path / "shard").glob("*.pkl"))


def shard_row(folder: Path, positions: list[int], built_with: Fingerprint) -> dict[str, Any]:
    return {"shard": str(folder), "positions": json.dumps(positions), "fingerprint": json.dumps(asdict(built_with)), "worker": "w:1"}


def test_shards_are_assembled_in_article_order_whatever_order_they_finish(
    articles: list[Article], annotator: Annotator, tmp_path: Path
) -> None:
    built_with = fingerprint(FakeEmbedder())
    rows = []
    for first, batch in ((0, articles[:2]), (2, articles[2:])):
        save_parts(tmp_path / str(first), analyse(batch, annotator))
        rows.append(shard_row(tmp_path / str(first), list(range(first, first + len(batch))), built_with))
    assert_same_parts(_assemble(rows[::-1], len(articles), built_with), analyse(articles, annotator))
    with pytest.raises(ClusterError, match="do not cover"):
        _assemble(rows[:1], len(articles), built_with)


def test_a_worker_with_other_code_or_models_stops_the_build(articles: list[Article], annotator: Annotator, tmp_path: Path) -> None:
    here = fingerprint(FakeEmbedder())
    save_parts(tmp_path / "0", analyse(articles, annotator))
    there = replace(here, code_hash="0" * 64, spacy_model_version="3.7.0")
    with pytest.raises(ClusterError, match=r"another index \(code_hash, spacy_model_version differ"):
        _assemble([shard_row(tmp_path / "0", list(range(len(articles))), there)], len(articles), here)


@pytest.mark.parametrize(("option", "value"), [("workers", 0), ("batch_size", 0), ("local_cpus", 0)])
def test_ray_config_refuses_nonsense(option: str, value: int) -> None:
    with pytest.raises(ValueError, match=option):
        RayConfig(**{option: value})


@pytest.mark.parametrize(("count", "workers", "batch_size", "expected"), [(5, 2, 8, 3), (115, 2, 8, 8), (1, 4, 8, 1), (9, 3, 2, 2)])
def test_every_worker_gets_a_batch_when_there_are_enough_articles(count: int, workers: int, batch_size: int, expected: int) -> None:
    assert batch_size_for(count, RayConfig(workers=workers, batch_size=batch_size)) == expected


def test_articles_cross_to_ray_workers_with_their_sources_metadata() -> None:
    """The rows a Ray build sends its actors (through Arrow) give back the same articles, metadata included."""
    pyarrow = pytest.importorskip("pyarrow")
    sent = [
        Article("web/a", "Un texte.", "Titre", "2026-03-17", "https://ex.fr/a", "", "Auteur", "Le Site", "html", "web/a.html", False),
        Article("flux/b", "Un résumé.", None, None, None, "", None, None, "rss", "flux.rss", True),
        Article("c", "Texte brut.", format="txt", file_name="c.txt"),
    ]
    rows = pyarrow.Table.from_pylist(article_rows(sent)).to_pylist()
    assert [row.pop("position") for row in rows] == [0, 1, 2]
    assert [Article(**row) for row in rows] == sent
