"""``python -m train``: fine-tune the span reader, score it on the development split, install it.

python -m train fit --sources piaf --out build/train/piaf            # stage 1: PIAF
python -m train fit --sources piaf news --init build/train/piaf/span_reader.safetensors --out build/train/mix
python -m train dev build/train/mix/span_reader.safetensors          # dev EM / F1
python -m train install build/train/mix/span_reader.safetensors      # into qa/readers/span/weights/, if it beats the shipped one
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from qa.readers.span.model import DEFAULT_WEIGHTS, SpanModel, card_path, read_card
from train import base_dir
from train.data import ENGLISH_DIR, ENGLISH_FILES, NEWS_DIR, PIAF_DIR, SOURCES, build, card_licences, files_digest
from train.evaluate import score
from train.trainer import TrainConfig, train


def _dev(weights: Path, sources: list[str]) -> dict[str, object]:
    split = build(sources)
    model = SpanModel(base_dir(), weights, threads=2).load()
    scores = score(model, split.dev)
    print(f"{weights}: dev {scores.line()}")
    return scores.as_dict()


def _share(text: str) -> tuple[str, float]:
    source, _, value = text.partition("=")
    try:
        share = float(value)
    except ValueError:
        raise SystemExit(f"--share takes SOURCE=FRACTION, got {text!r}") from None
    if source not in SOURCES or not 0.0 < share <= 1.0:
        raise SystemExit(f"--share takes SOURCE=FRACTION with SOURCE one of {', '.join(SOURCES)} and FRACTION in (0, 1], got {text!r}")
    return source, share


def _fit(args: argparse.Namespace) -> int:
    shares = dict(_share(s) for s in args.share)
    split = build(args.sources, seed=args.seed, negatives=args.negatives, shares=shares, piaf_dir=args.piaf_dir, news_files=args.news_files)
    print(json.dumps(split.counts), file=sys.stderr)
    config = TrainConfig(
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        max_length=args.max_length,
        stride=args.stride,
        max_steps=args.max_steps,
        stop_at=args.stop_at,
        bf16=args.bf16,
    )
    data = {"piaf": files_digest(args.piaf_dir.glob("*.jsonl")), "news": files_digest(NEWS_DIR.glob(args.news_files))}
    data |= {source: files_digest(ENGLISH_DIR / name for name in names) for source, names in ENGLISH_FILES.items()}
    card = {
        "sources": args.sources,
        "data_sha256_16": {s: data[s] for s in args.sources},
        "counts": split.counts,
        "negatives": args.negatives,
        "shares": shares,
    }
    if args.piaf_dir != PIAF_DIR or args.news_files != "*.jsonl":
        card["french_data"] = {"piaf_dir": str(args.piaf_dir), "news_files": args.news_files}
    if args.init is not None:
        card["init_card"] = read_card(args.init)
    result = train(base_dir(), split.train, args.out, config, init=args.init, card=card, progress=sys.stderr.isatty())
    weights = args.out / "span_reader.safetensors"
    if not args.no_dev:
        result["dev"] = _dev(weights, ["piaf", "news"])
        card_path(weights).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {weights} ({result['bytes'] / 1e6:.1f} MB, {result['train_seconds']:.0f} s)")
    return 0


def _dev_f1(card: dict[str, Any]) -> float:
    """The development score weights are compared on: the mean F1 over the dev splits with open retrieval,
    the evidence joined (``python -m train tune``)."""
    return float(card.get("dev_open", {}).get("mean_f1", 0.0))


def _install(args: argparse.Namespace) -> int:
    new = read_card(args.weights)
    old = read_card(DEFAULT_WEIGHTS) if DEFAULT_WEIGHTS.exists() else None
    new_f1, old_f1 = _dev_f1(new), _dev_f1(old) if old else -1.0
    if old is not None and new_f1 <= old_f1 and not args.force:
        print(f"not installed: dev mean F1 {new_f1:.3f} does not beat the shipped model's {old_f1:.3f}", file=sys.stderr)
        return 1
    DEFAULT_WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.weights, DEFAULT_WEIGHTS)
    new["licences"] = card_licences(new)  # every stage's sources, so that the shipped card says what it was trained on
    card_path(DEFAULT_WEIGHTS).write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"installed {args.weights} as {DEFAULT_WEIGHTS} (dev mean F1 {new_f1:.3f}, was {old_f1:.3f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train", description="fine-tune, score and install the span reader")
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="train (resumes from OUT/checkpoint.pt if present)")
    fit.add_argument("--sources", nargs="+", default=["piaf", "news"], choices=SOURCES)
    fit.add_argument("--out", type=Path, required=True)
    fit.add_argument("--init", type=Path, default=None, help="start from these weights (a previous stage)")
    fit.add_argument("--epochs", type=float, default=2.0)
    fit.add_argument("--lr", type=float, default=2e-4)
    fit.add_argument("--batch-size", type=int, default=16)
    fit.add_argument("--max-length", type=int, default=256)
    fit.add_argument("--stride", type=int, default=96)
    fit.add_argument("--negatives", type=float, default=0.3, help="share of answerable questions that also get a non-answering paragraph")
    fit.add_argument("--share", nargs="*", default=[], metavar="SOURCE=FRACTION", help="keep part of a source (shifts=0.4)")
    fit.add_argument("--seed", type=int, default=13)
    fit.add_argument("--max-steps", type=int, default=None, help="plan a schedule of at most this many steps")
    fit.add_argument("--stop-at", type=int, default=None, help="stop at this step of the planned schedule (resumable)")
    fit.add_argument("--no-dev", action="store_true", help="skip scoring on the development split")
    fit.add_argument("--bf16", action="store_true", help="train under bfloat16 autocast (about 3x faster on a CPU with AMX)")
    fit.add_argument("--piaf-dir", type=Path, default=PIAF_DIR, help="the PIAF folder (../shared/datasets/piaf-train: the v1.0 part)")
    fit.add_argument("--news-files", default="*.jsonl", help=f"a glob of the news files in {NEWS_DIR} to train on")
    dev = sub.add_parser("dev", help="score weights on the development split")
    dev.add_argument("weights", type=Path)
    dev.add_argument("--sources", nargs="+", default=["piaf", "news"], choices=SOURCES)
    tune = sub.add_parser(
        "tune", help="tune passage penalty and kind weight on the dev splits, then calibrate (python -m train.export first)"
    )
    tune.add_argument("weights", type=Path)
    tune.add_argument("--chunks", type=int, default=3)
    tune.add_argument("--eval-dir", type=Path, default=Path("build/eval"))
    install = sub.add_parser("install", help="ship weights in qa/readers/span/weights/ if they beat the shipped ones on dev F1")
    install.add_argument("weights", type=Path)
    install.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "fit":
        return _fit(args)
    if args.command == "tune":
        from train.tune import tune as run_tune

        sets = {name: (args.eval_dir / name / "dev.jsonl", args.eval_dir / name / "articles") for name in ("news", "piaf")}
        result = run_tune(args.weights, sets, args.chunks)
        for row in result["grid"]:  # type: ignore[attr-defined]
            print("  " + "  ".join(f"{k} {v}" for k, v in row.items()))
        print(f"best {result['best']}; calibration {result['calibration']}; threshold {result['threshold']}")
        for row in result["sweep"]:  # type: ignore[attr-defined]
            print("  " + "  ".join(f"{k} {v}" for k, v in row.items()))
        print("unanswerable refused at a given share of answerable questions refused (news dev, as served; head out of fold):")
        for row in result["matched"]:  # type: ignore[attr-defined]
            print("  " + "  ".join(f"{k} {v}" for k, v in row.items()))
        print(f"answerable questions refused at the threshold, out of fold: {result['answerable_refused']}")
        return 0
    if args.command == "dev":
        _dev(args.weights, args.sources)
        return 0
    return _install(args)


if __name__ == "__main__":
    sys.exit(main())
