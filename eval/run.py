"""``python -m eval`` (or ``qa eval``): run a question set through the pipeline and score it.

The eval builds (or reuses, when up to date) its own index of the given articles under
``data/index-eval/``, so numbers do not depend on what the service currently serves.
Prints a table, writes a JSON report with every question's outcome, lists the failures, and writes
the same report as a page with plots (``latest.html`` and its PNG files beside the JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.metrics import BANDS, band_of, contains_answer, exact_match, first_relevant_rank, mean, percentile, token_f1
from eval.questions import QTYPES, Question, load_questions
from index.corpus import load_articles
from index.errors import QAError
from index.store import build_index, fingerprint, is_up_to_date, load_index
from qa.factory import annotator_for, chunking_config, load_embedder, pipeline_for
from qa.pipeline import Pipeline
from qa.retrieval import Mode
from qa.settings import Settings

HERE = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = HERE / "questions_fr.jsonl"
DEFAULT_REPORT = Path("eval/reports/latest.json")
# What the regression test holds (latency is checked by `make bench`, not by tests).
BASELINE_METRICS = (
    "exact_match",
    "f1",
    "answer_in_sentence",
    "recall_at_1",
    "recall_at_5",
    "mrr",
    "no_answer_accuracy",
    "wrongly_unanswered",
)


@dataclass(frozen=True)
class Outcome:
    """One question's result, before the no-answer threshold is applied."""

    id: str
    qtype: str
    answerable: bool
    prediction: str | None
    sentence: str | None
    doc_id: str | None
    score: float
    ranked_doc_ids: tuple[str, ...]
    gold_doc_ids: tuple[str, ...]
    golds: tuple[str, ...]
    took_ms: float


def run_questions(pipeline: Pipeline, questions: list[Question], top_k: int, *, closed: bool = False) -> list[Outcome]:
    """Ask every question with the no-answer threshold at 0, so thresholds can be swept afterwards.

    ``closed``: each answerable question is asked of its own articles only (``doc_ids``), as a user who
    names the article would; unanswerable ones (no article) are asked of all."""
    open_pipeline = pipeline.with_reader(pipeline.reader.with_threshold(0.0))
    open_pipeline.ask("échauffement", top_k=top_k)  # warm caches before timing
    outcomes = []
    for q in questions:
        result = open_pipeline.ask(q.question, top_k=top_k, doc_ids=q.doc_ids if closed and q.doc_ids else None)
        a = result.answer
        outcomes.append(
            Outcome(
                q.id,
                q.qtype,
                q.answerable,
                a.text if a else None,
                a.sentence if a else None,
                a.doc_id if a else None,
                a.score if a else 0.0,
                tuple(c.doc_id for c in result.citations),
                q.doc_ids,
                q.answers,
                result.took_ms,
            )
        )
    return outcomes


def retrieval_by_mode(pipeline: Pipeline, questions: list[Question], top_k: int) -> dict[str, dict[str, float]]:
    """Document recall@1, recall@k and MRR of each retrieval mode on the answerable questions."""
    answerable = [q for q in questions if q.answerable]
    vectors = pipeline.embedder.encode_queries([q.question for q in answerable])
    table = {}
    for mode in Mode:
        ranks = []
        for q, vector in zip(answerable, vectors, strict=True):
            hits = pipeline.retriever.retrieve(q.question, vector, top_k, mode=mode)
            ranks.append(first_relevant_rank([h.chunk.doc_id for h in hits], q.doc_ids))
        table[mode.value] = {
            "recall_at_1": mean(float(r == 1) for r in ranks),
            f"recall_at_{top_k}": mean(float(r is not None) for r in ranks),
            "mrr": mean(1.0 / r if r else 0.0 for r in ranks),
        }
    return table


def _answered(o: Outcome, threshold: float) -> bool:
    return o.prediction is not None and o.score >= threshold


def _qa_scores(o: Outcome, threshold: float) -> tuple[float, float, bool]:
    """(EM, F1, hit) of an answerable question; a withheld answer scores 0."""
    if not _answered(o, threshold):
        return 0.0, 0.0, False
    assert o.prediction is not None and o.sentence is not None
    return exact_match(o.prediction, o.golds), token_f1(o.prediction, o.golds), contains_answer(o.sentence, o.golds)


def summarize(outcomes: list[Outcome], threshold: float) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    scores = [_qa_scores(o, threshold) for o in answerable]
    ranks = [first_relevant_rank(o.ranked_doc_ids, o.gold_doc_ids) for o in answerable]
    no_answer_ok = [not _answered(o, threshold) for o in unanswerable]
    right = [hit for _, _, hit in scores] + no_answer_ok
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "exact_match": mean(s[0] for s in scores),
        "f1": mean(s[1] for s in scores),
        "answer_in_sentence": mean(float(s[2]) for s in scores),
        "recall_at_1": mean(float(r is not None and r <= 1) for r in ranks),
        "recall_at_5": mean(float(r is not None and r <= 5) for r in ranks),
        "mrr": mean(1.0 / r if r else 0.0 for r in ranks),
        "no_answer_accuracy": mean(float(ok) for ok in no_answer_ok),
        "wrongly_unanswered": mean(float(not _answered(o, threshold)) for o in answerable),
        "overall_accuracy": mean(float(r) for r in right),
        "latency_p50_ms": percentile([o.took_ms for o in outcomes], 50),
        "latency_p95_ms": percentile([o.took_ms for o in outcomes], 95),
    }


def per_type(outcomes: list[Outcome], threshold: float) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for qtype in QTYPES:
        items = [o for o in outcomes if o.qtype == qtype and o.answerable]
        if items:
            scores = [_qa_scores(o, threshold) for o in items]
            table[qtype] = {
                "n": len(items),
                "exact_match": mean(s[0] for s in scores),
                "f1": mean(s[1] for s in scores),
                "answer_in_sentence": mean(float(s[2]) for s in scores),
            }
    return table


def calibration(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """For each score band, how often the top answer (threshold 0) is right."""
    rows = []
    for low, high in BANDS:
        items = [o for o in outcomes if o.prediction is not None and band_of(o.score) == (low, high)]
        answerable = [o for o in items if o.answerable]
        rows.append(
            {
                "band": f"{low:.1f}-{min(high, 1.0):.1f}",
                "n": len(items),
                "answerable_share": mean(float(o.answerable) for o in items),
                "hit_rate": mean(float(_qa_scores(o, 0.0)[2]) for o in answerable) if answerable else float("nan"),
                "f1_ge_0_5_rate": mean(float(_qa_scores(o, 0.0)[1] >= 0.5) for o in answerable) if answerable else float("nan"),
            }
        )
    return rows


def sweep(outcomes: list[Outcome]) -> list[dict[str, float]]:
    rows = []
    for t in [step / 100 for step in range(0, 20)] + [step / 20 for step in range(4, 21)]:  # finer where thresholds sit
        s = summarize(outcomes, t)
        rows.append({"threshold": t, **{k: s[k] for k in ("no_answer_accuracy", "wrongly_unanswered", "overall_accuracy", "f1")}})
    return rows


def failures(outcomes: list[Outcome], threshold: float) -> list[dict[str, Any]]:
    out = []
    for o in outcomes:
        answered = _answered(o, threshold)
        if o.answerable:
            em, f1, hit = _qa_scores(o, threshold)
            if em < 1.0:
                why = "unanswered" if not answered else ("right sentence, span off" if hit else "wrong answer")
                out.append(
                    {
                        "id": o.id,
                        "why": why,
                        "prediction": o.prediction if answered else None,
                        "score": o.score,
                        "golds": list(o.golds),
                        "f1": round(f1, 3),
                    }
                )
        elif answered:
            out.append({"id": o.id, "why": "answered an unanswerable question", "prediction": o.prediction, "score": o.score})
    return out


def _fmt(value: float) -> str:
    return "  -  " if value != value else f"{value:5.3f}"


def print_report(name: str, summary: dict[str, Any], types: dict[str, dict[str, float]], calib: list[dict[str, Any]]) -> None:
    print(f"\n== {name}: {summary['questions']} questions ({summary['answerable']} answerable, {summary['unanswerable']} not)")
    keys = ["exact_match", "f1", "answer_in_sentence", "recall_at_1", "recall_at_5", "mrr", "no_answer_accuracy", "wrongly_unanswered"]
    for key in keys:
        print(f"  {key:<20} {_fmt(summary[key])}")
    print(f"  {'latency p50 / p95':<20} {summary['latency_p50_ms']:.1f} / {summary['latency_p95_ms']:.1f} ms")
    print("\n  type        n    EM     F1   in-sentence")
    for qtype, row in types.items():
        print(f"  {qtype:<9} {int(row['n']):>3}  {_fmt(row['exact_match'])}  {_fmt(row['f1'])}  {_fmt(row['answer_in_sentence'])}")
    print("\n  score band   n   answerable  hit   F1>=0.5")
    for row in calib:
        rates = "  ".join(_fmt(row[k]) for k in ("answerable_share", "hit_rate", "f1_ge_0_5_rate"))
        print(f"  {row['band']:<10} {int(row['n']):>3}  {rates}")


def eval_index_dir(articles_dir: Path) -> Path:
    """Where the eval keeps its index of a folder: named after the folder and its parent, so
    ``data/articles`` and ``eval/heldout/articles`` do not overwrite each other."""
    return Path("data/index-eval") / "-".join(articles_dir.resolve().parts[-2:])


def prepare_index(settings: Settings, articles_dir: Path, index_dir: Path) -> Pipeline:
    embedder = load_embedder(settings)
    articles = load_articles(articles_dir)
    chunking = chunking_config(settings)
    annotator = annotator_for(settings)
    if not is_up_to_date(index_dir, articles, fingerprint(embedder, chunking, annotator)):
        print(f"building eval index of {articles_dir} in {index_dir} ...", file=sys.stderr)
        build_index(articles, embedder, index_dir, chunking, annotator=annotator)
    return pipeline_for(load_index(index_dir, model=embedder.name), embedder, settings)


def load_eval(
    questions_file: Path, articles_dir: Path | None, index_dir: Path | None, settings: Settings | None = None
) -> tuple[list[Question], Pipeline]:
    """The question set and a pipeline over the eval's own index of ``articles_dir`` (default: the configured folder)."""
    settings = settings or Settings()
    articles_dir = articles_dir or settings.articles_dir
    questions = load_questions(questions_file)
    return questions, prepare_index(settings, articles_dir, index_dir or eval_index_dir(articles_dir))


def evaluate(pipeline: Pipeline, questions: list[Question], top_k: int, *, closed: bool = False) -> dict[str, Any]:
    outcomes = run_questions(pipeline, questions, top_k, closed=closed)
    threshold = pipeline.reader.no_answer_threshold
    return {
        "reader": type(pipeline.reader).__name__,
        "closed": closed,
        "model": pipeline.embedder.name,
        "threshold": threshold,
        "top_k": top_k,
        "mode": pipeline.retriever.mode.value,
        "summary": summarize(outcomes, threshold),
        "retrieval_by_mode": retrieval_by_mode(pipeline, questions, top_k),
        "per_type": per_type(outcomes, threshold),
        "calibration": calibration(outcomes),
        "threshold_sweep": sweep(outcomes),
        "failures": failures(outcomes, threshold),
        "outcomes": [asdict(o) for o in outcomes],
    }


def baseline_key(questions_file: Path) -> str:
    """How a question set is named in baseline.json: its path under ``eval/`` (``heldout/questions_fr.jsonl``), else its name."""
    path = questions_file.resolve()
    return path.relative_to(HERE).as_posix() if path.is_relative_to(HERE) else path.name


def write_baseline(path: Path, report: dict[str, Any], questions_file: Path, articles_dir: Path) -> None:
    """Make this set's metrics its floors in ``path``, keeping the other sets' floors when they were
    measured with the same model. ``articles_dir`` is recorded as given (relative to the repository)."""
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    sets = dict(previous.get("sets", {})) if previous.get("model") == report["model"] else {}
    floors = {k: round(v, 4) for k, v in report["summary"].items() if k in BASELINE_METRICS}
    sets[baseline_key(questions_file)] = {"articles": articles_dir.as_posix(), "summary": floors}
    baseline = {"model": report["model"], "sets": dict(sorted(sets.items()))}
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval", description="Score the QA pipeline on a French question set.")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="question file (JSONL)")
    p.add_argument("--articles", type=Path, default=None, help="articles folder (default: the configured one)")
    p.add_argument("--index-dir", type=Path, default=None, help="eval index location (default: data/index-eval/<articles folder>)")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument(
        "--report",
        type=Path,
        nargs="?",
        default=DEFAULT_REPORT,
        const=DEFAULT_REPORT,
        help=f"JSON report path (default {DEFAULT_REPORT}); the HTML report and its plots go beside it, same name",
    )
    p.add_argument("--no-html", action="store_true", help="write only the JSON report (no HTML page, no plots)")
    p.add_argument("--failures", type=int, default=15, help="how many failures to print")
    p.add_argument("--sweep", action="store_true", help="print the no-answer threshold sweep")
    p.add_argument("--closed", action="store_true", help="ask each question of its own articles only (the right article given)")
    p.add_argument("--write-baseline", type=Path, default=None, help="also make these metrics this set's floors (keeps the other sets')")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        questions, pipeline = load_eval(args.questions, args.articles, args.index_dir)
        report = evaluate(pipeline, questions, args.top_k, closed=args.closed)
    except (QAError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report["questions_file"] = str(args.questions)
    print_report(args.questions.name, report["summary"], report["per_type"], report["calibration"])
    print(f"\n  retrieval   R@1    R@{args.top_k}    MRR")
    for mode, row in report["retrieval_by_mode"].items():
        print(f"  {mode:<9} " + "  ".join(_fmt(v) for v in row.values()))
    if args.sweep:
        print("\n  threshold  no-answer-acc  wrongly-unanswered  overall  F1")
        for row in report["threshold_sweep"]:
            print(
                f"  {row['threshold']:.2f}       {_fmt(row['no_answer_accuracy'])}          {_fmt(row['wrongly_unanswered'])}"
                f"              {_fmt(row['overall_accuracy'])}  {_fmt(row['f1'])}"
            )
    shown = report["failures"][: args.failures]
    if shown:
        print(f"\n  failures ({len(report['failures'])}, first {len(shown)}):")
        by_id = {q.id: q for q in questions}
        for f in shown:
            print(f"   {f['id']} [{f['why']}] {by_id[f['id']].question}")
            print(f"      -> {f['prediction']!r} (gold {f.get('golds')})")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=float), encoding="utf-8")
    print(f"\nreport: {args.report}")
    if not args.no_html:
        from eval.report import write_html_report  # matplotlib only when a page is wanted

        page, *plots = write_html_report(report, questions, args.report.with_suffix(".html"))
        print(f"html report: {page} (plots: {', '.join(p.name for p in plots)})")
    if args.write_baseline is not None:
        write_baseline(args.write_baseline, report, args.questions, args.articles or Settings().articles_dir)
        print(f"baseline: {args.write_baseline} ({baseline_key(args.questions)})")
    return 0
