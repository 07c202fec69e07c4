"""What each training source brings: the multilingual stage run once per data variant, at equal compute.

Every variant starts from the same weights (``--init``, the round-1 reader), trains the same number of
steps with the same schedule and seed as ``make train``'s first stage, and is scored the same way on the
same fixed development splits (PIAF v1.1's and the whole news set's, split by article, the paragraph given):
F1 on the answerable questions, and the share of unanswerable examples refused at the null score (the
written unanswerable questions of the news set apart from the non-answering paragraphs of answerable ones).
A variant leaves one source out of the full mix, so its row against the full row is that source's effect.

python -m train.ablation run --init build/train/init/span_reader.safetensors --steps 400 --bf16
python -m train.ablation table                       # the markdown table of build/train/ablation/*/dev.json

Each variant is resumable (its own checkpoint); a finished one (its ``dev.json``) is not run again.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train import base_dir
from train.data import ENGLISH_FILES, NEWS_DIR, PIAF_DIR, build
from train.trainer import TrainConfig

OUT = Path("build/train/ablation")
PIAF_V10_DIR = Path("../shared/datasets/piaf-train")  # PIAF v1.0's part: 1,886 questions on shorter texts
FIRST_NEWS = "*[a-z]_[0-9].jsonl"  # the first 120 news articles (1,440 questions), before the near-miss batches
ENGLISH = tuple(ENGLISH_FILES)
# make train's first stage: a sample of the largest English sets
SHARES = {"squad": 0.6, "shifts": 0.35, "covid": 0.5}
DEFAULT_SEED = 13  # make train's; another seed runs a variant again beside it (the run-to-run spread)


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    sources: tuple[str, ...]
    piaf_dir: Path = PIAF_DIR
    news_files: str = "*.jsonl"
    shares: dict[str, float] = field(default_factory=lambda: dict(SHARES))


VARIANTS = (
    Variant("all", "all sources (make train's first stage)", ("piaf", "news", *ENGLISH)),
    Variant("no-english", "without the English sets", ("piaf", "news")),
    Variant("no-v1.1", "PIAF v1.0's part instead of v1.1", ("piaf", "news", *ENGLISH), piaf_dir=PIAF_V10_DIR),
    Variant("no-new-news", "the first 1,440 news questions only", ("piaf", "news", *ENGLISH), news_files=FIRST_NEWS),
    Variant("round-1", "round 1's data (PIAF v1.0, first news)", ("piaf", "news"), piaf_dir=PIAF_V10_DIR, news_files=FIRST_NEWS),
)
BY_NAME = {v.name: v for v in VARIANTS}


def dev_scores(weights: Path) -> dict[str, Any]:
    """The fixed development splits (PIAF v1.1, the whole news set), scored with the paragraph given."""
    from qa.readers.span.model import SpanModel
    from train.evaluate import score

    model = SpanModel(base_dir(), weights, threads=2).load()
    return score(model, build(["piaf", "news"]).dev).as_dict()


def run_variant(variant: Variant, init: Path, out: Path, config: TrainConfig) -> dict[str, Any]:
    from qa.readers.span.model import read_card
    from train.trainer import train

    folder = out / (variant.name if config.seed == DEFAULT_SEED else f"{variant.name}-seed{config.seed}")
    done = folder / "dev.json"
    if done.exists():
        return dict(json.loads(done.read_text(encoding="utf-8")))
    shares = {s: v for s, v in variant.shares.items() if s in variant.sources}
    split = build(variant.sources, seed=config.seed, negatives=0.3, shares=shares, piaf_dir=variant.piaf_dir, news_files=variant.news_files)
    print(f"{variant.name}: {split.counts['train_examples']} training examples", file=sys.stderr)
    card = {"sources": list(variant.sources), "ablation": variant.name, "counts": split.counts, "init_card": read_card(init)}
    info = train(base_dir(), split.train, folder, config, init=init, card=card, progress=sys.stderr.isatty())
    if info["steps"] < info["planned_steps"]:
        return {}
    row = {
        "variant": variant.name,
        "label": variant.label if config.seed == DEFAULT_SEED else f"{variant.label}, seed {config.seed}",
        "seed": config.seed,
        "train_examples": split.counts["train_examples"],
        "windows": info["windows"],
        "steps": info["steps"],
        "train_seconds": info["train_seconds"],
        "dev": dev_scores(folder / "span_reader.safetensors"),
    }
    done.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    return row


def _value(dev: dict[str, Any], key: str) -> float | None:
    """A source's F1 ("piaf", "news") or a kind's share refused ("news/written", ...); None where not scored."""
    if key in ("piaf", "news"):
        got = dev["by_source"].get(key)
        return None if got is None else float(got["f1"])
    got = dev["refused"].get(key)
    return None if got is None else float(got["share"])


def _cell(dev: dict[str, Any], key: str) -> str:
    value = _value(dev, key)
    if value is None:
        return ""
    return f"{value:.3f}" if key in ("piaf", "news") else f"{value:.1%}"


def table(rows: Sequence[dict[str, Any]]) -> str:
    """A markdown table: one row per variant, its difference to the full mix in brackets."""
    full = next((r for r in rows if r["variant"] == "all" and r.get("seed", DEFAULT_SEED) == DEFAULT_SEED), None)
    keys = ("piaf", "news", "news/written", "news/negative", "piaf/negative")
    head = (
        "| variant | examples | PIAF dev F1 | news dev F1 | news unanswerable refused"
        " | news non-answering ¶ refused | PIAF non-answering ¶ refused |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        cells = []
        for key in keys:
            cell = _cell(r["dev"], key)
            mine, theirs = _value(r["dev"], key), None if full is None or r is full else _value(full["dev"], key)
            if mine is not None and theirs is not None:
                cell += f" ({mine - theirs:+.3f})"
            cells.append(cell)
        lines.append(f"| {r['label']} | {r['train_examples']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.ablation", description="each training source's effect on the dev splits")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train and score the variants (resumable)")
    run.add_argument("--init", type=Path, required=True, help="the weights every variant starts from")
    run.add_argument("--out", type=Path, default=OUT)
    run.add_argument("--steps", type=int, default=400)
    run.add_argument("--lr", type=float, default=1e-4)
    run.add_argument("--bf16", action="store_true")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help="data order, samples and dropout (another seed: the spread)")
    run.add_argument("--variants", nargs="+", default=[v.name for v in VARIANTS], choices=list(BY_NAME))
    run.add_argument("--baseline", type=Path, nargs="*", default=[], help="weights to score as they are (a row each)")
    show = sub.add_parser("table", help="print the table of the finished variants")
    show.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.command == "run":
        if not args.init.exists():
            raise SystemExit(f"no weights at {args.init}")
        if not PIAF_V10_DIR.exists() and any(BY_NAME[n].piaf_dir == PIAF_V10_DIR for n in args.variants):
            raise SystemExit(f"{PIAF_V10_DIR} is missing: the variants without v1.1 need it")
        if not any(NEWS_DIR.glob(FIRST_NEWS)):
            raise SystemExit(f"no {FIRST_NEWS} in {NEWS_DIR}")
        config = TrainConfig(epochs=1, lr=args.lr, max_steps=args.steps, bf16=args.bf16, seed=args.seed)
        for weights in args.baseline:
            target = args.out / f"baseline-{weights.parent.name}" / "dev.json"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                row = {"variant": target.parent.name, "label": f"{weights} as it is", "train_examples": 0, "dev": dev_scores(weights)}
                target.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
        for name in args.variants:
            row = run_variant(BY_NAME[name], args.init, args.out, config)
            if row:
                print(f"{name}: {json.dumps(row['dev'])}", flush=True)
    rows = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(args.out.glob("*/dev.json"))]
    order = {v.name: i for i, v in enumerate(VARIANTS)}
    rows.sort(key=lambda r: order.get(r["variant"], -1))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
