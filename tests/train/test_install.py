"""``python -m train install``: ships weights only when they beat the shipped ones, with every stage's licences."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import train.__main__ as train_cli
from train.data import LICENCES, SOURCES, card_licences


def _weights(folder: Path, card: dict[str, object], payload: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / "span_reader.safetensors"
    weights.write_bytes(payload)
    (folder / "span_reader.json").write_text(json.dumps({**card, "sha256": hashlib.sha256(payload).hexdigest()}), encoding="utf-8")
    return weights


def test_every_source_has_a_licence_and_the_chain_of_stages_is_followed() -> None:
    assert set(LICENCES) == set(SOURCES)
    multi = {"sources": ["piaf", "news", "squad", "shifts", "unanswerable", "covid"]}
    french = {"sources": ["piaf", "news"], "init_card": multi}
    assert card_licences(french) == {s: LICENCES[s] for s in multi["sources"]}
    assert card_licences({}) == {}


def test_install_only_when_better_and_the_card_names_the_licences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = _weights(tmp_path / "shipped", {"sources": ["piaf"], "dev_open": {"mean_f1": 0.40}}, b"old")
    monkeypatch.setattr(train_cli, "DEFAULT_WEIGHTS", shipped)
    worse = _weights(tmp_path / "worse", {"sources": ["piaf"], "dev_open": {"mean_f1": 0.39}}, b"worse")
    assert train_cli.main(["install", str(worse)]) == 1 and shipped.read_bytes() == b"old"
    card = {"sources": ["piaf", "news"], "init_card": {"sources": ["squad"]}, "dev_open": {"mean_f1": 0.45}}
    better = _weights(tmp_path / "better", card, b"new")
    assert train_cli.main(["install", str(better)]) == 0 and shipped.read_bytes() == b"new"
    installed = json.loads((tmp_path / "shipped" / "span_reader.json").read_text(encoding="utf-8"))
    assert installed["licences"] == {"piaf": LICENCES["piaf"], "news": LICENCES["news"], "squad": LICENCES["squad"]}
    assert installed["sha256"] == hashlib.sha256(b"new").hexdigest()  # the card still checks the weights it ships with
