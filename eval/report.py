"""The eval report as a page people can look at: ``latest.html`` beside ``latest.json``, with its plots
drawn by matplotlib as PNG files next to it (``latest-calibration.png``, ...). Self-contained: no
script, no external asset; every text goes through Jinja2's autoescape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from matplotlib.figure import Figure

from eval.metrics import BANDS, band_of, mean, percentile, token_f1
from eval.questions import QTYPES, Question

TEMPLATES = Path(__file__).resolve().parent / "templates"
CORRECT_F1 = 0.5  # an answer counts as correct at token F1 >= 0.5 (what the confidence model is fitted to predict)

SUMMARY_ROWS = (
    ("exact_match", "Exact match", "answerable questions whose answer equals a gold answer (French normalisation)"),
    ("f1", "Token F1", "word overlap with the best gold answer, answerable questions"),
    ("answer_in_sentence", "Answer in sentence", "the answer's sentence holds a gold answer"),
    ("recall_at_1", "Document recall@1", "the first citation is from a gold article"),
    ("recall_at_5", "Document recall@5", "a gold article is among the first five citations"),
    ("mrr", "MRR", "mean reciprocal rank of the first gold article"),
    ("no_answer_accuracy", "No-answer accuracy", "unanswerable questions answered null"),
    ("wrongly_unanswered", "Answerable left unanswered", "answerable questions answered null (lower is better)"),
    ("overall_accuracy", "Overall accuracy", "answer in sentence, or a right null"),
)

# Colours that read in greyscale too.
BLUE, ORANGE, GREY, GREEN = "#1d4e89", "#e08a00", "#8a929c", "#2e7d4f"


@dataclass(frozen=True)
class Plot:
    name: str  # file name, beside the HTML
    alt: str


def calibration_rows(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each confidence band, the top answers (threshold 0) in it and the share that is correct:
    an answerable question answered at token F1 >= 0.5 (an answer to an unanswerable one is wrong)."""
    rows = []
    for low, high in BANDS:
        items = [o for o in outcomes if o["prediction"] is not None and band_of(o["score"]) == (low, high)]
        correct = [bool(o["answerable"]) and token_f1(o["prediction"], o["golds"]) >= CORRECT_F1 for o in items]
        rows.append(
            {
                "band": f"{low:.1f}-{min(high, 1.0):.1f}",
                "low": low,
                "high": min(high, 1.0),
                "n": len(items),
                "mean_score": mean(o["score"] for o in items),
                "correct": sum(correct),
                "share_correct": mean(float(c) for c in correct),
            }
        )
    return rows


def metric_label(key: str) -> str:
    """``recall_at_5`` -> ``recall@5``, ``mrr`` -> ``MRR``."""
    return "MRR" if key == "mrr" else key.replace("_at_", "@").replace("_", " ")


def _figure(width: float = 6.4, height: float = 3.8) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return figure


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png")


def plot_calibration(rows: list[dict[str, Any]], threshold: float, path: Path) -> None:
    figure = _figure()
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, linewidth=1, label="perfectly calibrated")
    shown = [r for r in rows if r["n"]]
    xs = [r["mean_score"] for r in shown]
    ys = [r["share_correct"] for r in shown]
    ax.plot(xs, ys, marker="o", color=BLUE, linewidth=2, label="share correct (F1 >= 0.5)")
    for r, x, y in zip(shown, xs, ys, strict=True):
        ax.annotate(f"n={r['n']}", (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=9)
    for low, _high in BANDS[1:]:
        ax.axvline(low, color="#e3e6ea", linewidth=0.8, zorder=0)
    ax.axvline(threshold, color=ORANGE, linewidth=1.5, label=f"no-answer threshold ({threshold:g})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("confidence (mean score in each 0.2 band)")
    ax.set_ylabel("share of answers correct")
    ax.set_title("Calibration: how often answers are right, by confidence")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    _save(figure, path)


def plot_per_type(per_type: dict[str, dict[str, float]], path: Path) -> None:
    types = [t for t in QTYPES if t in per_type] + [t for t in per_type if t not in QTYPES]
    figure = _figure()
    ax = figure.add_subplot()
    positions = list(range(len(types)))
    width = 0.38
    em = [per_type[t]["exact_match"] for t in types]
    f1 = [per_type[t]["f1"] for t in types]
    ax.bar([p - width / 2 for p in positions], em, width, label="exact match", color=GREY)
    bars = ax.bar([p + width / 2 for p in positions], f1, width, label="F1", color=BLUE)
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in f1], fontsize=8, padding=2)
    ax.set_xticks(positions, [f"{t}\n(n={int(per_type[t]['n'])})" for t in types])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score")
    ax.set_title("Answer quality by question type")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    _save(figure, path)


def plot_retrieval(by_mode: dict[str, dict[str, float]], path: Path) -> None:
    modes = list(by_mode)
    metrics = list(next(iter(by_mode.values())).keys()) if by_mode else []
    figure = _figure()
    ax = figure.add_subplot()
    width = 0.8 / max(len(metrics), 1)
    colours = [BLUE, GREEN, ORANGE, GREY]
    for i, metric in enumerate(metrics):
        values = [by_mode[m][metric] for m in modes]
        offset = (i - (len(metrics) - 1) / 2) * width
        bars = ax.bar([p + offset for p in range(len(modes))], values, width, label=metric_label(metric), color=colours[i % 4])
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=8, padding=2)
    ax.set_xticks(list(range(len(modes))), modes)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("document recall / MRR")
    ax.set_title("Retrieval by mode (answerable questions)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _save(figure, path)


def plot_latency(latencies: list[float], path: Path) -> None:
    figure = _figure()
    ax = figure.add_subplot()
    if latencies:
        ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color=BLUE, edgecolor="white")
        for q, colour in ((50, GREEN), (95, ORANGE)):
            value = percentile(latencies, q)
            ax.axvline(value, color=colour, linewidth=1.5, label=f"p{q} {value:.1f} ms")
        ax.legend(fontsize=8, frameon=False)
    ax.set_xlabel("time to answer one question, in process (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    _save(figure, path)


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def write_html_report(report: dict[str, Any], questions: list[Question], path: Path) -> list[Path]:
    """Write ``path`` (HTML) and its plots beside it; returns every file written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = path.stem
    plots = {
        "calibration": Plot(f"{stem}-calibration.png", "Share of answers correct in each confidence band, against the diagonal"),
        "per_type": Plot(f"{stem}-per-type.png", "Exact match and F1 for each question type"),
        "retrieval": Plot(f"{stem}-retrieval.png", "Document recall@1, recall@k and MRR of the hybrid, dense and BM25 modes"),
        "latency": Plot(f"{stem}-latency.png", "Histogram of the time to answer each question"),
    }
    outcomes: list[dict[str, Any]] = report["outcomes"]
    calibration = calibration_rows(outcomes)
    plot_calibration(calibration, report["threshold"], path.parent / plots["calibration"].name)
    plot_per_type(report["per_type"], path.parent / plots["per_type"].name)
    plot_retrieval(report["retrieval_by_mode"], path.parent / plots["retrieval"].name)
    plot_latency([o["took_ms"] for o in outcomes], path.parent / plots["latency"].name)

    by_id = {q.id: q for q in questions}
    qtype = {o["id"]: o["qtype"] for o in outcomes}
    failures = [
        {
            **f,
            "question": by_id[f["id"]].question if f["id"] in by_id else "",
            "qtype": qtype.get(f["id"], ""),
            "golds": " | ".join(f.get("golds") or []) or "(not in the articles)",
        }
        for f in report["failures"]
    ]
    summary = report["summary"]
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), keep_trailing_newline=True)
    environment.filters["num"] = _number
    environment.filters["metric"] = metric_label
    html = environment.get_template("report.html.j2").render(
        report=report,
        questions_name=Path(str(report.get("questions_file") or "questions")).name,
        summary=summary,
        summary_rows=[(label, summary.get(key), help) for key, label, help in SUMMARY_ROWS],
        calibration=calibration,
        correct_f1=CORRECT_F1,
        per_type=report["per_type"],
        retrieval=report["retrieval_by_mode"],
        failures=failures,
        plots=plots,
        written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    path.write_text(html, encoding="utf-8")
    return [path, *(path.parent / p.name for p in plots.values())]
