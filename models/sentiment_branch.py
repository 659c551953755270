"""Sentiment from a fine-tuned branch of the e5 encoder: the default sentiment model.

A logistic head on frozen e5-small embeddings tops out near 67-68 macro-F1 on tweets.
Fine-tuning the encoder does better, but a fine-tuned encoder would also move the
embeddings that topics, intent and near-duplicates read. So the encoder is split: the
bottom ``branch_layer`` layers are shared, and a copy of the layers above them, adapted
with low-rank (LoRA) updates, feeds a linear sentiment head. ``TorchE5Encoder.run`` runs
the shared layers once and hands their output to the branch, so sentiment costs the top
layers again, not a second encoder.

The artifact (``models/artifacts/sentiment-branch/``) holds only the LoRA factors, the
branch's LayerNorms and the head (about 1.5 MB); the rest comes from the encoder itself.
``models/train_branch.py`` builds it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ecoute.models.contracts import (
    LABELS,
    BranchingEncoder,
    Encoder,
    SentimentPrediction,
    prediction_from_probabilities,
)
from ecoute.models.e5 import BERT_LAYER_NAMES, attention_mask, layer_module, mean_pool, run_layers
from ecoute.models.errors import ModelError, ModelMismatch, ModelNotFound

if TYPE_CHECKING:
    import torch

PACKAGED_BRANCH = Path(__file__).parent / "artifacts" / "sentiment-branch"
WEIGHTS_FILE = "branch.safetensors"
METADATA_FILE = "branch.json"
# Modules of each BertLayer by their short names (``models/e5.py``), which the artifact's keys use.
ADAPTED = ("query", "key", "value", "attn_out", "ffn_in", "ffn_out")  # the Linear layers LoRA adapts
NORMS = ("attn_norm", "ffn_norm")


def lora_linear(linear: torch.nn.Linear, rank: int, scale: float) -> torch.nn.Module:
    """``linear`` plus a trainable low-rank update ``scale * B @ A`` (B starts at zero)."""
    import torch  # heavy: torch loads only when a branch is trained

    class LoRALinear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = linear
            self.scale = scale
            self.lora_a = torch.nn.Parameter(torch.randn(rank, linear.in_features) * 0.01)
            self.lora_b = torch.nn.Parameter(torch.zeros(linear.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    return LoRALinear()


def adapt_with_lora(layer: torch.nn.Module, rank: int, scale: float) -> None:
    """Wrap each ``ADAPTED`` Linear of a ``BertLayer`` in place; its ``NORMS`` become trainable."""
    for name in ADAPTED:
        layer.set_submodule(BERT_LAYER_NAMES[name], lora_linear(layer_module(layer, name), rank, scale))
    for name in NORMS:
        layer_module(layer, name).requires_grad_(True)


class SentimentBranch:
    """negative / neutral / positive from the top layers of a ``TorchE5Encoder``, fine-tuned.

    A ``SharedPassSentiment`` (``models/contracts.py``): ``encode_and_predict`` gives the
    embeddings and the sentiment from one pass of the encoder's shared layers.
    """

    needs_embeddings = False

    def __init__(
        self,
        encoder: BranchingEncoder,
        branch_layer: int,
        layers: torch.nn.ModuleList,
        head: torch.nn.Linear,
        metadata: Mapping[str, Any],
    ) -> None:
        self.encoder = encoder
        self.branch_layer = branch_layer
        self.layers = layers.eval()
        self.head = head.eval()
        self.metadata = dict(metadata)
        self.identity: str = f"{self.metadata.get('name', 'e5-branch')}@{self.metadata['weights_sha256'][:12]}"

    def on_states(self, hidden: torch.Tensor, padding_mask: torch.Tensor) -> np.ndarray:
        """Class probabilities (n, 3) from the encoder's hidden states after ``branch_layer``."""
        import torch  # heavy: torch loads only when the branch runs

        hidden = run_layers(self.layers, hidden, attention_mask(padding_mask))
        logits = self.head(mean_pool(hidden, padding_mask)).float()
        return torch.softmax(logits, dim=-1).numpy()

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> SentimentPrediction:
        """Classify texts (runs the encoder; ``embeddings`` is ignored)."""
        return self.encode_and_predict(texts)[1]

    def encode_and_predict(self, texts: Sequence[str], batch_size: int = 64) -> tuple[np.ndarray, SentimentPrediction]:
        """The encoder's embeddings and this branch's sentiment, from one pass of the shared layers."""
        embeddings, probabilities = self.encoder.run(texts, batch_size=batch_size, branch=self)
        if probabilities is None:  # no texts: the branch never ran
            probabilities = np.empty((0, len(LABELS)), np.float32)
        return embeddings, prediction_from_probabilities(probabilities)

    @classmethod
    def load(cls, path: str | Path, encoder: Encoder) -> SentimentBranch:
        """Load a saved branch on top of ``encoder``; refuse an encoder it was not trained on."""
        import torch  # heavy: torch loads only when a branch is loaded
        from safetensors.torch import load_file  # heavy, as torch

        path = Path(path)
        if not (path / WEIGHTS_FILE).is_file() or not (path / METADATA_FILE).is_file():
            raise ModelNotFound(f"no sentiment branch in {path} (expected {WEIGHTS_FILE} and {METADATA_FILE})")
        metadata = json.loads((path / METADATA_FILE).read_text())
        if not isinstance(encoder, BranchingEncoder) or encoder.identity != metadata["encoder_identity"]:
            raise ModelMismatch(
                f"sentiment branch {path} extends encoder {metadata['encoder_identity']!r}, "
                f"not {getattr(encoder, 'identity', encoder)!r}"
            )
        tensors = load_file(str(path / WEIGHTS_FILE))
        if weights_sha256(tensors) != metadata["weights_sha256"]:
            raise ModelError(f"branch {path}: weights do not match the hash recorded in {METADATA_FILE}")
        start = int(metadata["branch_layer"])
        layers = copy.deepcopy(encoder.layers[start:])
        scale = float(metadata["lora_scale"])
        with torch.no_grad():
            for i, layer in enumerate(layers):
                for name in ADAPTED:
                    update = tensors[f"layers.{i}.{name}.lora_b"].float() @ tensors[f"layers.{i}.{name}.lora_a"].float()
                    layer_module(layer, name).weight += scale * update
                for name in NORMS:
                    layer_module(layer, name).weight.copy_(tensors[f"layers.{i}.{name}.weight"])
                    layer_module(layer, name).bias.copy_(tensors[f"layers.{i}.{name}.bias"])
            head = torch.nn.Linear(encoder.dim, len(LABELS))
            head.weight.copy_(tensors["head.weight"])
            head.bias.copy_(tensors["head.bias"])
        return cls(encoder, start, layers, head, metadata)

    def __repr__(self) -> str:
        return f"SentimentBranch({self.identity!r}, from layer {self.branch_layer})"


def weights_sha256(tensors: Mapping[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        digest.update(key.encode() + tensors[key].detach().float().numpy().tobytes())
    return digest.hexdigest()


def save_branch(
    path: str | Path,
    layers: torch.nn.ModuleList,
    head: torch.nn.Linear,
    *,
    encoder_identity: str,
    branch_layer: int,
    rank: int,
    scale: float,
    metadata: Mapping[str, Any],
) -> Path:
    """Write the LoRA factors, LayerNorms and head of a trained branch, with provenance."""
    from safetensors.torch import save_file  # heavy: safetensors loads only when a branch is saved

    tensors = {}
    for i, layer in enumerate(layers):
        for name in ADAPTED:
            adapted = layer_module(layer, name)
            # half precision halves the file; the factors are small corrections, so it costs nothing
            tensors[f"layers.{i}.{name}.lora_a"] = adapted.lora_a.detach().half().contiguous()
            tensors[f"layers.{i}.{name}.lora_b"] = adapted.lora_b.detach().half().contiguous()
        for name in NORMS:
            norm = layer_module(layer, name)
            tensors[f"layers.{i}.{name}.weight"] = norm.weight.detach().float().contiguous()
            tensors[f"layers.{i}.{name}.bias"] = norm.bias.detach().float().contiguous()
    tensors["head.weight"] = head.weight.detach().float().contiguous()
    tensors["head.bias"] = head.bias.detach().float().contiguous()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path / WEIGHTS_FILE))
    record = {
        "name": "e5-branch",
        **metadata,
        "labels": list(LABELS),
        "encoder_identity": encoder_identity,
        "branch_layer": branch_layer,
        "lora_rank": rank,
        "lora_scale": scale,
        "weights_sha256": weights_sha256(tensors),
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (path / METADATA_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return path
