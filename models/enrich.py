"""One enrichment pass over a batch of texts: each text goes through the encoder once;
its embedding feeds intent (and later topics and near-duplicates), and the default
sentiment model reads the encoder's hidden states in that same pass (a fine-tuned branch
of its top layers), so no model repeats another's work.

What makes it fast (``ecoute bench enrich`` measures it against calling the same models
one text at a time):

- texts go to the encoder in batches of similar length, ``ENCODE_BATCH_SIZE`` a call, so
  padding is small and the matmuls are large;
- matmuls run in bfloat16 where the CPU supports it natively, on every usable core;
- a text that occurs several times in a batch (a retweet, a copy-paste) is run through
  the models once; its copies get the same results.

The models read each post through a ``BrandMask`` (``models/mask.py``): handles, links and
the brands' names masked, so that embeddings, and the topics built on them, say what a post
is about rather than whom it addresses. Language detection reads the post itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecoute.models.contracts import (
    Encoder,
    EnrichedBatch,
    IntentClassifier,
    LanguageIdentifier,
    SentimentModel,
    SharedPassSentiment,
)
from ecoute.models.encoder import DEFAULT_ENCODER, load_encoder
from ecoute.models.errors import ModelMismatch
from ecoute.models.intent import load_intent
from ecoute.models.language import LanguageDetector
from ecoute.models.mask import BrandMask
from ecoute.models.sentiment import load_sentiment

__all__ = ["ENCODE_BATCH_SIZE", "EnrichedBatch", "Enricher"]

# Texts per encoder call: 16 to 64 gave the same speed here; 32 keeps padding small when
# lengths vary and memory flat on long posts.
ENCODE_BATCH_SIZE = 32


class Enricher:
    """Language, embedding and sentiment for texts, with the identity of every model used."""

    def __init__(
        self,
        encoder: Encoder,
        language: LanguageIdentifier,
        sentiment: SentimentModel,
        intent: IntentClassifier | None = None,
        mask: BrandMask | None = None,
    ) -> None:
        self.encoder = encoder
        self.language = language
        self.sentiment = sentiment
        self.intent = intent
        self.mask = mask if mask is not None else BrandMask()

    @classmethod
    def load(
        cls,
        encoder_spec: str = DEFAULT_ENCODER,
        sentiment_spec: str = "packaged",
        *,
        languages: Sequence[str] = (),
        brand_terms: Sequence[str] = (),
    ) -> Enricher:
        """As ``from_encoder``, the encoder loaded from its spec."""
        encoder = load_encoder(encoder_spec)
        return cls.from_encoder(encoder, sentiment_spec, languages=languages, brand_terms=brand_terms)

    @classmethod
    def from_encoder(
        cls,
        encoder: Encoder,
        sentiment_spec: str = "packaged",
        *,
        languages: Sequence[str] = (),
        brand_terms: Sequence[str] = (),
    ) -> Enricher:
        """The packaged language, sentiment and intent models around an encoder already loaded.

        ``languages``: those the brands listen for, which the language detector falls back to
        when unsure; ``brand_terms``: the brands' names and terms, masked for the models.
        """
        try:
            intent: IntentClassifier | None = load_intent("packaged", encoder)
        except ModelMismatch:  # the packaged intent head reads e5 embeddings; another encoder gets no intent
            intent = None
        sentiment = load_sentiment(sentiment_spec, encoder)
        return cls(encoder, LanguageDetector(preferred=languages), sentiment, intent, BrandMask(brand_terms))

    @property
    def identities(self) -> dict[str, str]:
        return {
            "encoder": self.encoder.identity,
            "language_model": self.language.identity,
            "sentiment_model": self.sentiment.identity,
            **({"intent_model": self.intent.identity} if self.intent is not None else {}),
        }

    def enrich(self, texts: Sequence[str], batch_size: int = ENCODE_BATCH_SIZE) -> EnrichedBatch:
        """Enrich ``texts`` (in order); ``batch_size`` is the number of texts per encoder call."""
        if isinstance(texts, str):
            raise TypeError("enrich() takes a sequence of texts, not a single string")
        texts = list(texts)
        unique, copies = _unique(texts)
        detected = self.language.detect(unique)
        masked = self.mask.apply_all(unique)
        if isinstance(self.sentiment, SharedPassSentiment):  # one encoder pass feeds both
            embeddings, prediction = self.sentiment.encode_and_predict(masked, batch_size=batch_size)
        else:
            embeddings = self.encoder.encode(masked, batch_size=batch_size)
            prediction = self.sentiment.predict(masked, embeddings if self.sentiment.needs_embeddings else None)
        labels = list(prediction.labels)
        intents = self.intent.predict(masked, embeddings) if self.intent is not None else None
        return EnrichedBatch(
            languages=[detected[i][0] for i in copies],
            language_confidences=[float(detected[i][1]) for i in copies],
            sentiments=[labels[i] for i in copies],
            probabilities=np.asarray(prediction.probabilities, dtype=np.float64)[copies],
            embeddings=embeddings[copies],
            intents=[intents[i] for i in copies] if intents is not None else None,
        )


def _unique(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in order of first appearance, and for each text its index among them."""
    first: dict[str, int] = {}
    copies = np.fromiter((first.setdefault(text, len(first)) for text in texts), dtype=np.intp, count=len(texts))
    return list(first), copies
