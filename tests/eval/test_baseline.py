"""eval/baseline.json holds floors for every question set; ``--write-baseline`` updates one set."""

from __future__ import annotations

import json
from pathlib import Path

from eval.run import BASELINE_METRICS, HERE, baseline_key, write_baseline

ROOT = Path(__file__).resolve().parents[2]


def test_committed_baseline_guards_the_seed_and_held_out_sets() -> None:
    baseline = json.loads((ROOT / "eval" / "baseline.json").read_text(encoding="utf-8"))
    assert baseline["model"] == "multilingual-e5-small"
    assert set(baseline["sets"]) == {"questions_fr.jsonl", "heldout/questions_fr.jsonl"}
    for key, entry in baseline["sets"].items():
        assert (HERE / key).is_file() and (ROOT / entry["articles"]).is_dir()
        assert set(entry["summary"]) == set(BASELINE_METRICS), key


def test_baseline_key_is_the_path_under_eval(tmp_path: Path) -> None:
    assert baseline_key(HERE / "questions_fr.jsonl") == "questions_fr.jsonl"
    assert baseline_key(HERE / "heldout" / "questions_fr.jsonl") == "heldout/questions_fr.jsonl"
    assert baseline_key(tmp_path / "mine.jsonl") == "mine.jsonl"


def report(model: str, value: float) -> dict[str, object]:
    return {"model": model, "summary": {**dict.fromkeys(BASELINE_METRICS, value), "latency_p50_ms": 30.0}}


def test_write_baseline_updates_one_set_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, report("m", 0.5), HERE / "questions_fr.jsonl", Path("data/articles"))
    write_baseline(path, report("m", 0.4), HERE / "heldout" / "questions_fr.jsonl", Path("eval/heldout/articles"))
    write_baseline(path, report("m", 0.6), HERE / "questions_fr.jsonl", Path("data/articles"))
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["model"] == "m"
    assert written["sets"]["questions_fr.jsonl"] == {"articles": "data/articles", "summary": dict.fromkeys(BASELINE_METRICS, 0.6)}
    assert written["sets"]["heldout/questions_fr.jsonl"]["summary"]["f1"] == 0.4
    write_baseline(path, report("other", 0.1), HERE / "questions_fr.jsonl", Path("data/articles"))  # floors of another model
    assert set(json.loads(path.read_text(encoding="utf-8"))["sets"]) == {"questions_fr.jsonl"}
