"""The HTML eval report: the page, its plots as PNG files beside it, and `qa eval --report`."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from api import cli
from eval import run as eval_run
from eval.questions import Question
from eval.report import calibration_rows, write_html_report
from tests.conftest import FakeEmbedder

PNG = b"\x89PNG\r\n\x1a\n"


def outcome(
    id: str, score: float, prediction: str | None, golds: tuple[str, ...], qtype: str = "who", took_ms: float = 30.0
) -> dict[str, Any]:
    return {
        "id": id,
        "qtype": qtype,
        "answerable": bool(golds),
        "prediction": prediction,
        "sentence": prediction,
        "doc_id": "a" if prediction else None,
        "score": score,
        "ranked_doc_ids": ["a"],
        "gold_doc_ids": ["a"] if golds else [],
        "golds": list(golds),
        "took_ms": took_ms,
    }


@pytest.fixture
def report() -> dict[str, Any]:
    outcomes = [
        outcome("q1", 0.9, "Séoul", ("Séoul",)),
        outcome("q2", 0.85, "Oracle", ("Masayoshi Son",), took_ms=45.0),
        outcome("q3", 0.3, "<script>alert(1)</script>", ("900 000",), qtype="how_many"),
        outcome("u1", 0.5, "deux", ()),
        outcome("u2", 0.0, None, (), qtype="what"),
    ]
    return {
        "model": "fake",
        "threshold": 0.11,
        "top_k": 5,
        "mode": "hybrid",
        "questions_file": "/somewhere/questions_fr.jsonl",
        "summary": {
            "questions": 5,
            "answerable": 3,
            "unanswerable": 2,
            "exact_match": 1 / 3,
            "f1": 1 / 3,
            "answer_in_sentence": 1 / 3,
            "recall_at_1": 1.0,
            "recall_at_5": 1.0,
            "mrr": 1.0,
            "no_answer_accuracy": 0.5,
            "wrongly_unanswered": 0.0,
            "overall_accuracy": 0.4,
            "latency_p50_ms": 30.0,
            "latency_p95_ms": 42.0,
        },
        "retrieval_by_mode": {m: {"recall_at_1": 0.9, "recall_at_5": 1.0, "mrr": 0.95} for m in ("hybrid", "dense", "bm25")},
        "per_type": {
            "who": {"n": 2, "exact_match": 0.5, "f1": 0.5, "answer_in_sentence": 0.5},
            "how_many": {"n": 1, "exact_match": 0.0, "f1": math.nan, "answer_in_sentence": 0.0},
        },
        "failures": [
            {"id": "q2", "why": "wrong answer", "prediction": "Oracle", "score": 0.85, "golds": ["Masayoshi Son"], "f1": 0.0},
            {"id": "q3", "why": "wrong answer", "prediction": "<script>alert(1)</script>", "score": 0.3, "golds": ["900 000"], "f1": 0.0},
            {"id": "u1", "why": "answered an unanswerable question", "prediction": "deux", "score": 0.5},
        ],
        "outcomes": outcomes,
    }


QUESTIONS = [
    Question("q1", "Où ?", "who", ("Séoul",), ("a",)),
    Question("q2", "Qui présidera <b>Stargate</b> ?", "who", ("Masayoshi Son",), ("a",)),
    Question("q3", "Combien ?", "how_many", ("900 000",), ("a",)),
    Question("u1", "Combien de fois ?", "how_many", (), ()),
    Question("u2", "Quoi ?", "what", (), ()),
]


def test_calibration_counts_answers_and_correct_ones_by_band(report: dict[str, Any]) -> None:
    rows = {r["band"]: r for r in calibration_rows(report["outcomes"])}
    assert rows["0.8-1.0"]["n"] == 2 and rows["0.8-1.0"]["correct"] == 1 and rows["0.8-1.0"]["share_correct"] == 0.5
    assert rows["0.4-0.6"]["n"] == 1 and rows["0.4-0.6"]["correct"] == 0  # an answer to an unanswerable question is wrong
    assert rows["0.2-0.4"]["n"] == 1 and rows["0.0-0.2"]["n"] == 0  # a null answer is in no band
    assert math.isnan(rows["0.0-0.2"]["share_correct"])


def test_html_report_with_its_plots(report: dict[str, Any], tmp_path: Path) -> None:
    page, *plots = write_html_report(report, QUESTIONS, tmp_path / "out" / "latest.html")
    assert page == tmp_path / "out" / "latest.html"
    assert [p.name for p in plots] == ["latest-calibration.png", "latest-per-type.png", "latest-retrieval.png", "latest-latency.png"]
    for plot in plots:
        assert plot.read_bytes().startswith(PNG) and plot.stat().st_size > 5000
    html = page.read_text(encoding="utf-8")
    assert sorted(re.findall(r'<img src="([^"]+)"', html)) == sorted(p.name for p in plots)  # relative: the folder can move
    for heading in ("Summary", "Calibration", "By question type", "Retrieval by mode", "Latency", "Failures (3)"):
        assert f">{heading}</h2>" in html
    assert "questions_fr.jsonl" in html and "/somewhere" not in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # escaped
    assert "Qui présidera &lt;b&gt;Stargate&lt;/b&gt; ?" in html
    assert "(not in the articles)" in html and "0.333" in html and "–" in html  # NaN shown as a dash
    assert not re.search(r'(?:src|href)="https?://', html)


def test_qa_eval_report_writes_the_html_beside_the_json(
    articles_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_ARTICLES_DIR", str(articles_dir))
    monkeypatch.setenv("QA_NO_ANSWER_THRESHOLD", "0.001")
    monkeypatch.setattr(eval_run, "load_embedder", lambda settings: FakeEmbedder())
    questions = tmp_path / "questions.jsonl"
    records = [
        {"id": "a1", "question": "Combien de puces DRAM par mois ?", "qtype": "how_many", "answers": ["900 000"], "doc_ids": ["alpha"]},
        {"id": "u1", "question": "Quelle est la recette de la ratatouille ?", "qtype": "what", "answers": [], "doc_ids": []},
    ]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    common = ["eval", "--questions", str(questions), "--index-dir", str(tmp_path / "ev")]

    assert cli.main([*common, "--report"]) == 0  # the default place
    reports = tmp_path / "eval" / "reports"
    assert {p.name for p in reports.iterdir()} == {
        "latest.json",
        "latest.html",
        "latest-calibration.png",
        "latest-per-type.png",
        "latest-retrieval.png",
        "latest-latency.png",
    }
    assert "html report: eval/reports/latest.html" in capsys.readouterr().out

    assert cli.main([*common, "--report", str(tmp_path / "other" / "run.json"), "--no-html"]) == 0
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["run.json"]
