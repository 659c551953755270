"""Enrich: every mention without an enrichment, batch by batch, each batch stored in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

import duckdb
import numpy as np
import polars as pl

from ecoute.core.settings import Brand, Settings
from ecoute.models.brand_sentiment import BrandSentiment, BrandTerms
from ecoute.models.contracts import sentiment_scores
from ecoute.models.duplicates import INDEX_WINDOW, DuplicateGrouper
from ecoute.models.enrich import EnrichedBatch, Enricher
from ecoute.models.relevance import BrandProfile, RelevanceScorer
from ecoute.warehouse.connection import run
from ecoute.warehouse.load import insert_frame
from ecoute.warehouse.transaction import transaction

Progress = Callable[[int], None]


class BatchEnricher(Protocol):
    """What enrichment needs of its models: `models.enrich.Enricher`, or a stand-in in a benchmark."""

    @property
    def identities(self) -> dict[str, str]: ...

    def enrich(self, texts: Sequence[str]) -> EnrichedBatch: ...


def preferred_languages(brands: Sequence[Brand]) -> tuple[str, ...]:
    """The languages the brands listen for, all brands together, first seen first: those the
    language detector falls back to when it is unsure (``LanguageDetector(preferred=...)``), so
    that a short post in one of them is not tagged with another and left out of the marts."""
    return tuple(dict.fromkeys(code.lower() for brand in brands for code in brand.languages))


def load_enricher(settings: Settings) -> Enricher:
    """The enricher the settings name, told the brands' languages and the words that name them."""
    return Enricher.load(
        settings.models.encoder,
        settings.models.sentiment,
        languages=preferred_languages(settings.brands),
        brand_terms=settings.brand_terms,
    )


class PerBrandSentiment:
    """Sentiment toward each brand of the posts that name several (``brand_sentiments``).

    ``terms``: every configured brand's name and terms, so that a comparison is read whole;
    rows are kept only for the brands the mention was matched to. A post naming one brand
    has no row: its sentiment toward it is the post's own.
    """

    def __init__(self, model: BrandSentiment, terms: BrandTerms) -> None:
        self.model = model
        self.terms = terms

    def frame(
        self, ids: Sequence[str], texts: Sequence[str], brands: Sequence[Sequence[str]], result: EnrichedBatch
    ) -> pl.DataFrame:
        several = [i for i, named in enumerate(brands) if len(named) >= 2]
        rows: dict[str, list[object]] = {k: [] for k in ("mention_id", "brand", "sentiment", "sentiment_score")}
        if several:
            predictions = self.model.predict_many(
                [(texts[i], self.terms) for i in several], post_probabilities=result.probabilities[several]
            )
            for i, per_brand in zip(several, predictions, strict=True):
                for brand in brands[i]:
                    if brand in per_brand:
                        label, probabilities = per_brand[brand]
                        rows["mention_id"].append(ids[i])
                        rows["brand"].append(brand)
                        rows["sentiment"].append(label)
                        rows["sentiment_score"].append(float(sentiment_scores(probabilities)))
        return pl.DataFrame(
            {**rows, "model": self.model.identity, "enriched_at": _now()},
            schema={
                "mention_id": pl.String,
                "brand": pl.String,
                "sentiment": pl.String,
                "sentiment_score": pl.Float64,
                "model": pl.String,
                "enriched_at": pl.Datetime("us"),
            },
        )


class MatchRelevance:
    """Whether each (mention, brand) keyword match is about the brand (``brand_relevance``).

    Scored on the embeddings enrichment just made (brand words masked): no second encoder
    pass. One row per mention matched to one brand (a post naming several is a comparison,
    kept); the marts set aside the matches under their brand's ``relevance_threshold``.
    """

    def __init__(self, scorer: RelevanceScorer, profiles: Mapping[str, BrandProfile]) -> None:
        self.scorer = scorer
        self.profiles = profiles

    def frame(
        self, ids: Sequence[str], texts: Sequence[str], brands: Sequence[Sequence[str]], result: EnrichedBatch
    ) -> pl.DataFrame:
        # a post naming two configured brands compares them (they are rivals by configuration): it
        # is about them, and with both names masked the scorer could not tell, so it is not scored
        pairs = [(i, named[0]) for i, named in enumerate(brands) if len(named) == 1 and named[0] in self.profiles]
        rows = [i for i, _ in pairs]
        scores = (
            self.scorer.score_pairs(
                [texts[i] for i in rows], [self.profiles[b] for _, b in pairs], result.embeddings[rows]
            )
            if pairs
            else np.zeros(0, dtype=np.float32)
        )
        return pl.DataFrame(
            {
                "mention_id": [ids[i] for i in rows],
                "brand": [b for _, b in pairs],
                "score": scores.astype(np.float64),
                "model": self.scorer.identity,
                "scored_at": _now(),
            },
            schema={
                "mention_id": pl.String,
                "brand": pl.String,
                "score": pl.Float64,
                "model": pl.String,
                "scored_at": pl.Datetime("us"),
            },
        )


def load_match_relevance(settings: Settings, enricher: Enricher) -> MatchRelevance:
    """The relevance scorer on the enricher's own encoder, told what each brand is and how it is named."""
    profiles = {
        b.name: BrandProfile(b.name, about=b.about, terms=tuple(b.all_terms), handles=tuple(b.handles))
        for b in settings.brands
    }
    return MatchRelevance(RelevanceScorer.for_stored_embeddings(enricher.encoder), profiles)


def load_per_brand_sentiment(settings: Settings, enricher: Enricher) -> PerBrandSentiment:
    """Per-brand sentiment on the enricher's own sentiment model, told every brand's terms."""
    return PerBrandSentiment(BrandSentiment(enricher.sentiment), {b.name: b.all_terms for b in settings.brands})


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def pending_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.sql("SELECT count(*) FROM mentions ANTI JOIN enrichments USING (mention_id)").fetchall()[0][0]


def enrichment_frames(
    ids: list[str], result: EnrichedBatch, identities: Mapping[str, str], groups: Sequence[str], enriched_at: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``enrichments`` and ``embeddings`` rows of one enriched batch (an ``EnrichedBatch``)."""
    enrichments = pl.DataFrame(
        {
            "mention_id": ids,
            "language": result.languages,
            "language_confidence": result.language_confidences,
            "sentiment": result.sentiments,
            "sentiment_score": result.sentiment_scores,
            "p_negative": result.probabilities[:, 0],
            "p_neutral": result.probabilities[:, 1],
            "p_positive": result.probabilities[:, 2],
            "language_model": identities["language_model"],
            "sentiment_model": identities["sentiment_model"],
            "encoder": identities["encoder"],
            "duplicate_group": groups,
            "intent": result.intents,
            "intent_model": identities.get("intent_model"),
            "enriched_at": enriched_at,
        }
    )
    embeddings = pl.DataFrame(
        {
            "mention_id": ids,
            "encoder": identities["encoder"],
            # from the 2-D array directly: no Python list per vector
            "vector": pl.Series(result.embeddings.astype(np.float32)).cast(pl.List(pl.Float32)),
        },
        schema={"mention_id": pl.String, "encoder": pl.String, "vector": pl.List(pl.Float32)},
    )
    return enrichments, embeddings


def enrich_pending(
    con: duckdb.DuckDBPyConnection,
    enricher: BatchEnricher,
    *,
    batch_size: int,
    progress: Progress | None = None,
    per_brand: PerBrandSentiment | None = None,
    relevance: MatchRelevance | None = None,
) -> int:
    """Enrich every mention that has no enrichment yet, batch by batch; returns how many.
    With ``per_brand``, posts naming several brands also get the sentiment toward each; with
    ``relevance``, each (mention, brand) match gets its relevance score."""
    done = 0
    identities = enricher.identities
    grouper = DuplicateGrouper()
    # the recent groups, rebuilt once: each batch is then matched against a bounded index
    index = grouper.build_index(run(con, "dup_recent", {"seconds": int(INDEX_WINDOW.total_seconds())}).fetchall())
    while rows := run(con, "pending_enrichment", {"limit": batch_size}).fetchall():
        ids = [r[0] for r in rows]
        result = enricher.enrich([r[1] for r in rows])
        groups = grouper.assign([(r[0], r[2], r[1]) for r in rows], index)
        enrichments, embeddings = enrichment_frames(ids, result, identities, groups, _now())
        texts, brands = [r[1] for r in rows], [r[3] for r in rows]
        brand_rows = per_brand.frame(ids, texts, brands, result) if per_brand else None
        relevance_rows = relevance.frame(ids, texts, brands, result) if relevance else None
        with transaction(con):
            insert_frame(con, "insert_embeddings", "incoming_embeddings", embeddings)
            if brand_rows is not None and len(brand_rows):
                insert_frame(con, "insert_brand_sentiments", "incoming_brand_sentiments", brand_rows)
            if relevance_rows is not None and len(relevance_rows):
                insert_frame(con, "insert_brand_relevance", "incoming_brand_relevance", relevance_rows)
            insert_frame(con, "insert_enrichments", "incoming_enrichments", enrichments)
        done += len(ids)
        if progress:
            progress(len(ids))
    return done
