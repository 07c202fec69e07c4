"""``python -m eval.bench_writes``: how long writes take with the real model, on a copy of the seed articles.

1. a full build of the index (models loaded), as ``qa index build`` does;
2. ``qa index sync``'s work after one article changed (incremental: only it is embedded again);
3. adding one article through the service's writer (``qa/writer.py``, what ``POST /documents`` runs):
   the folder write, the incremental build, loading the new index and the new pipeline, read-your-writes.

Models load once before timing. Bounded: ``--repeats`` of each (3 by default), the median printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from index.corpus import Article, load_articles
from index.store import build_index, load_index
from index.update import sync_index
from qa.factory import annotator_for, chunking_config, load_embedder, pipeline_for, writer_for
from qa.pipeline import Pipeline
from qa.settings import Settings


def _article(number: int) -> Article:
    text = (
        f"Le volcan numéro {number} est entré en éruption\n"
        f"Le volcan Piton-{number} est entré en éruption mardi à La Réunion, selon l'observatoire. "
        f"La coulée de lave a parcouru {number + 2} kilomètres avant de s'arrêter près de la route des Laves."
    )
    return Article(f"bench/{number:03d}", text, date="2025-11-18")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_writes", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    base = Settings()
    embedder = load_embedder(base)
    with tempfile.TemporaryDirectory(prefix="qa-bench-writes-") as tmp:
        articles_dir, index_dir = Path(tmp) / "articles", Path(tmp) / "index"
        shutil.copytree(base.articles_dir, articles_dir)
        settings = base.model_copy(update={"articles_dir": articles_dir, "index_dir": index_dir})
        chunking = chunking_config(settings)
        annotator = annotator_for(settings)
        articles = load_articles(articles_dir)
        build_index(articles, embedder, index_dir, chunking, annotator=annotator)  # loads spaCy outside the timings
        full, sync, add = [], [], []
        for repeat in range(args.repeats):
            started = time.perf_counter()
            build_index(articles, embedder, index_dir, chunking, annotator=annotator)
            full.append(time.perf_counter() - started)
            changed = [*articles[:-1], Article(**{**articles[-1].__dict__, "text": articles[-1].text + f"\n\nMise à jour {repeat}."})]
            started = time.perf_counter()
            report = sync_index(index_dir, changed, embedder, chunking, annotator=annotator)
            sync.append(time.perf_counter() - started)
            assert report.replaced == (articles[-1].doc_id,) and report.full_build is None
        build_index(articles, embedder, index_dir, chunking, annotator=annotator)
        serving = pipeline_for(load_index(index_dir, model=embedder.name), embedder, settings)
        published: list[Pipeline] = []
        writer = writer_for(settings, serving, published.append)
        for number in range(args.repeats):
            started = time.perf_counter()
            result = writer.upsert([_article(number)])
            add.append(time.perf_counter() - started)
            assert result.added == (f"bench/{number:03d}",) and f"bench/{number:03d}" in published[-1].index.articles
        summary = {
            "articles": len(articles),
            "model": embedder.name,
            "full_build_s": round(statistics.median(full), 2),
            "sync_one_changed_article_s": round(statistics.median(sync), 2),
            "add_one_article_s": round(statistics.median(add), 2),
            "repeats": args.repeats,
        }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
