"""The ``qa`` command: subcommands, exit codes and one-line errors, with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import uvicorn

from api import cli
from eval import run as eval_run
from index import store
from index.article_files import apply_changes, as_loaded, plan_changes
from index.chunking import ChunkingConfig
from index.corpus import Article, load_articles
from index.store import FORMAT_VERSION, Index, corpus_hash, read_manifest
from index.update import sync_index
from qa.pipeline import Pipeline
from qa.readers.evidence.reader import ReaderConfig, SentenceReader
from qa.settings import Settings
from tests.conftest import FakeEmbedder

THRESHOLD = 0.001  # see tests/qa/test_pipeline.py


@pytest.fixture
def pipeline(built_index: Index, fake_embedder: FakeEmbedder, env: Path, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    pipeline = Pipeline(built_index, fake_embedder, SentenceReader(built_index, fake_embedder, ReaderConfig(no_answer_threshold=THRESHOLD)))

    def load_pipeline(settings: Settings) -> Pipeline:
        return pipeline

    monkeypatch.setattr(cli, "load_pipeline", load_pipeline)
    return pipeline


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(("option", "value"), [("--date-from", "2025-13"), ("--date-to", "2025-02-30")])
def test_ask_refuses_an_impossible_date(pipeline: Pipeline, capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    assert cli.main(["ask", "Qui finance Stargate ?", option, value]) == 2
    out, err = capsys.readouterr()
    assert f"'{value}' is not a real date" in one_error_line(err)
    assert out == ""


def test_ask_with_date_filters(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["ask", "Samsung Séoul puces", "--date-from", "2024-02-29", "--date-to", "2025-12", "--exclude-undated", "--json"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert '"doc_id": "alpha"' in out and '"doc_id": "beta"' not in out


@pytest.fixture
def fake_model(env: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    """`qa index` and `qa models` get the fake embedder instead of loading weights."""
    embedder = FakeEmbedder()

    def load_embedder(settings: Settings) -> FakeEmbedder:
        assert settings.model == embedder.name
        return embedder

    monkeypatch.setattr(cli, "load_embedder", load_embedder)
    monkeypatch.setattr(cli, "unloaded_embedder", load_embedder)
    return embedder


def test_index_build_sync_and_status(
    fake_model: FakeEmbedder, env: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["index", "sync"]) == 0  # nothing built yet: builds
    out, err = capsys.readouterr()
    assert "(full build (no index yet)): 3 added" in out and "3 articles" in out and "no index yet" in err
    loads = []

    class CountingLoads(FakeEmbedder):
        def load(self, *, queries: bool = True) -> FakeEmbedder:
            loads.append(1)
            return self

    monkeypatch.setattr(cli, "unloaded_embedder", lambda settings: CountingLoads())
    assert cli.main(["index", "sync"]) == 0
    assert "is up to date" in capsys.readouterr().out and not loads  # the fingerprint needs no weights
    (articles_dir / "delta.txt").write_text("Un nouvel article\nLa mairie ouvre une piscine en juin.", encoding="utf-8")
    (articles_dir / "gamma.txt").unlink()
    (articles_dir / "beta.txt").write_text("Le fonds change\nOracle reprend le projet seul.", encoding="utf-8")
    assert cli.main(["index", "sync"]) == 0
    out, err = capsys.readouterr()
    assert "the articles" in err and loads  # stale: the model is loaded to embed
    assert "(incremental): 1 added, 1 replaced, 1 removed, 1 unchanged; 2 chunks embedded; now 3 articles" in out
    assert cli.main(["index", "build"]) == 0  # always rebuilds
    out = capsys.readouterr().out
    assert "built" in out and "spaCy in its own process, beside the embedder's loading: load_spacy" in out
    assert cli.main(["index", "status"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["articles"] == 3 and manifest["model"] == fake_model.name and manifest["format_version"] == FORMAT_VERSION
    # the build's stages, from reading the folder to writing, and the level spaCy ran at (QA_ANNOTATION=full here)
    assert list(manifest["stage_seconds"])[:2] == ["extract", "load_embedder"] and "write" in manifest["stage_seconds"]
    assert manifest["annotation"] == "full"


DELTA = Article("delta", "Un article écrit par le serveur\nLa mairie de Lyon ouvre une piscine en juin.")


def server_write(articles_dir: Path, index_dir: Path) -> None:
    """What a serving process does for ``POST /documents`` before it answers 200: the folder, then the index."""
    apply_changes(articles_dir, plan_changes(articles_dir, [as_loaded(DELTA)]))
    sync_index(index_dir, load_articles(articles_dir), FakeEmbedder(), ChunkingConfig(400, 80))


def test_index_build_keeps_a_write_acknowledged_during_its_analysis(
    fake_model: FakeEmbedder, env: Path, articles_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21, item 5: a write the server acknowledged while `qa index build` analysed the articles is in the
    build the command swaps in (it compares the folder with what it analysed, under the build lock)."""
    real, writes = store.analyse_articles, []

    def analyse_then_write(*args: Any, **kwargs: Any) -> store.BuildParts:
        parts = real(*args, **kwargs)
        if not writes:
            writes.append(1)
            server_write(articles_dir, env)  # acknowledged after the command read the folder, before it writes
            assert "delta" in read_manifest_articles(env)
        return parts

    monkeypatch.setattr(store, "analyse_articles", analyse_then_write)
    assert cli.main(["index", "build"]) == 0 and writes
    assert "delta" in read_manifest_articles(env)
    assert read_manifest(env).corpus_hash == corpus_hash(load_articles(articles_dir))


def test_index_sync_keeps_a_write_acknowledged_while_it_compared(
    fake_model: FakeEmbedder, env: Path, articles_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["index", "build"]) == 0
    (articles_dir / "gamma.txt").write_text("Sam Altman en Corée\nIl a visité une autre usine.", encoding="utf-8")
    real = cli.why_stale

    def write_then_compare(*args: Any, **kwargs: Any) -> list[str]:
        server_write(articles_dir, env)  # acknowledged after the command read the folder
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "why_stale", write_then_compare)
    assert cli.main(["index", "sync"]) == 0
    assert "delta" in read_manifest_articles(env)
    assert read_manifest(env).corpus_hash == corpus_hash(load_articles(articles_dir))


def read_manifest_articles(index_dir: Path) -> set[str]:
    return set(store.load_index(index_dir).articles.doc_ids)


def test_ask_prints_the_answer_and_sources(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "Combien de puces DRAM par mois ?", "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Réponse : ") and "900 000" in out and "Sources :" in out and "2. " in out and "3. " not in out


def test_ask_json(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "Qui finance le projet Stargate ?", "--json", "--mode", "bm25"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["question"] == "Qui finance le projet Stargate ?" and result["citations"]
    for citation in result["citations"]:
        assert pipeline.index.articles[citation["doc_id"]].text[citation["start"] : citation["end"]] == citation["text"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "   "], "error: the question is empty"),
        (["ask", "Qui ?", "--doc-id", "nope"], "error: unknown doc_ids: nope"),
        (["ask", "Qui ?", "--top-k", "0"], "error: top_k must be between 1 and 20"),
    ],
)
def test_ask_bad_input_is_one_error_line(pipeline: Pipeline, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert one_error_line(err).startswith(message) and out == ""


def test_an_empty_question_is_refused_before_anything_loads(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def load_pipeline(settings: Settings) -> Pipeline:
        raise AssertionError("loaded the model for an empty question")

    monkeypatch.setattr(cli, "load_pipeline", load_pipeline)
    assert cli.main(["ask", ""]) == 2
    assert one_error_line(capsys.readouterr().err) == "error: the question is empty"


def test_missing_index(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["ask", "Qui ?"], ["index", "status"]):
        assert cli.main(argv) == 2
        assert "qa index build" in one_error_line(capsys.readouterr().err)


def test_missing_articles_folder(
    fake_model: FakeEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_ARTICLES_DIR", str(tmp_path / "nowhere"))
    for action in ("build", "sync"):
        assert cli.main(["index", action]) == 2
        assert one_error_line(capsys.readouterr().err) == f"error: articles folder not found: {tmp_path / 'nowhere'}"


@pytest.mark.parametrize(
    ("variables", "name"),
    [({"QA_TOP_K": "0"}, "QA_TOP_K"), ({"QA_CHUNK_SIZE": "400", "QA_CHUNK_OVERLAP": "400"}, "QA_CHUNK_OVERLAP")],
)
def test_bad_configuration_is_one_error_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variables: dict[str, str], name: str
) -> None:
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    assert cli.main(["index", "status"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: bad configuration") and name.removeprefix("QA_").casefold() in line.casefold()


def test_models(fake_model: FakeEmbedder, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []

    def load_span_model(settings: Settings) -> SimpleNamespace:
        loaded.append(settings.reader_backend)
        return SimpleNamespace(backend=settings.reader_backend)

    monkeypatch.setattr(cli, "load_span_model", load_span_model)
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"model {fake_model.name} ready (dimension 256")
    assert loaded == [Settings().reader_backend] and f"span reader ready ({loaded[0]}," in out  # its graph exported now, not at first serve
    monkeypatch.setenv("QA_READER", "evidence")
    assert cli.main(["models"]) == 0
    assert len(loaded) == 1  # the evidence reader needs no span model


def test_serve_arguments(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "9001"]) == 0
    monkeypatch.setenv("QA_PORT", "8123")
    assert cli.main(["serve"]) == 0
    assert [(c["app"], c["factory"], c["host"], c["port"]) for c in calls] == [
        ("api.app:create_app", True, "127.0.0.1", 8000),
        ("api.app:create_app", True, "0.0.0.0", 9001),
        ("api.app:create_app", True, "127.0.0.1", 8123),
    ]


@pytest.mark.parametrize("argv", [["serve", "--port", "huit"], ["ask"], ["index"], ["frobnicate"], []])
def test_usage_errors_exit_2(env: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: qa") and "Traceback" not in err


def test_eval(env: Path, articles_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(eval_run, "load_embedder", lambda settings: FakeEmbedder())
    monkeypatch.setenv("QA_NO_ANSWER_THRESHOLD", str(THRESHOLD))
    questions = tmp_path / "questions.jsonl"
    records = [
        {"id": "a1", "question": "Combien de puces DRAM par mois ?", "qtype": "how_many", "answers": ["900 000"], "doc_ids": ["alpha"]},
        {"id": "u1", "question": "Quelle est la recette de la ratatouille ?", "qtype": "what", "answers": [], "doc_ids": []},
    ]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    report = tmp_path / "report.json"
    argv = [
        "eval",
        "--questions",
        str(questions),
        "--articles",
        str(articles_dir),
        "--index-dir",
        str(tmp_path / "ev"),
        "--report",
        str(report),
    ]
    assert cli.main(argv) == 0
    assert "questions.jsonl: 2 questions (1 answerable, 1 not)" in capsys.readouterr().out
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["questions"] == 2
    assert cli.main(["eval", "--", "--questions", str(tmp_path / "none.jsonl")]) == 2
    assert "none.jsonl" in one_error_line(capsys.readouterr().err)
