"""The cost of one pipeline batch as the warehouse grows (part of ``ecoute bench enrich``).

For each warehouse size a DuckDB warehouse is filled with that many stored mentions
(synthetic rows in ``mentions``, ``enrichments`` and ``embeddings``: texts of random words,
random unit vectors, 1,000 mentions a day, each its own duplicate group), ``batch_size`` new
mentions are added and ``enrich_pending`` enriches them; the same with the models' answers
replayed; with topics, ``update_topics`` then assigns the new mentions.
"""

from __future__ import annotations

import statistics
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ecoute import pipeline
from ecoute.core.records import content_hash
from ecoute.core.settings import parse_settings
from ecoute.models.enrich import EnrichedBatch, Enricher
from ecoute.pipeline import enrichment_frames
from ecoute.pipeline import topics as topic_steps
from ecoute.warehouse.connection import connect
from ecoute.warehouse.load import insert_frame

_FILL_CHUNK = 20_000  # synthetic rows inserted per statement
_FIRST_MENTION = datetime(2026, 1, 1)  # mention number i is published i * _SPACING later
_SPACING = timedelta(days=1) / 1000  # a warehouse receiving 1,000 mentions a day
_WORDS_PER_TEXT = (6, 24)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _mention_frame(ids: list[str], texts: list[str], first_number: int) -> Any:
    """Mentions numbered from ``first_number``, each published ``_SPACING`` after the last."""
    n = len(ids)
    return pl.DataFrame(
        {
            "mention_id": ids,
            "source": ["bench"] * n,
            "native_id": ids,
            "platform": ["twitter"] * n,
            "url": [None] * n,
            "author_key": [None] * n,
            "from_brand": [None] * n,
            "text": texts,
            "content_hash": [content_hash(t) for t in texts],
            "published_at": [_FIRST_MENTION + (first_number + i) * _SPACING for i in range(n)],
            "collected_at": [_FIRST_MENTION + (first_number + i) * _SPACING for i in range(n)],
            "brands": [["Zelia"]] * n,
            "likes": [0] * n,
            "replies": [0] * n,
            "shares": [0] * n,
            "in_reply_to": [None] * n,
            "raw": ["{}"] * n,
            "source_language": [None] * n,
        },
        schema_overrides={
            "url": pl.String,
            "author_key": pl.String,
            "from_brand": pl.String,
            "in_reply_to": pl.String,
            "source_language": pl.String,
            "brands": pl.List(pl.String),
        },
    )


def _store_results(
    con: Any, ids: list[str], result: EnrichedBatch, identities: dict[str, str], topic_model: str | None
) -> None:
    n = len(ids)
    enrichments, embeddings = enrichment_frames(ids, result, identities, ids, _FIRST_MENTION)  # each its own group
    enrichments = enrichments.with_columns(
        pl.Series("topic_id", [0 if topic_model else None] * n, dtype=pl.Int32),
        pl.Series("topic_probability", [1.0 if topic_model else None] * n, dtype=pl.Float64),
        pl.Series("topic_model", [topic_model] * n, dtype=pl.String),
    )
    insert_frame(con, "insert_embeddings", "incoming_embeddings", embeddings)
    insert_frame(con, "insert_enrichments", "incoming_enrichments", enrichments)


def _random_results(n: int, dim: int, rng: np.random.Generator) -> EnrichedBatch:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    probabilities = rng.dirichlet(np.ones(3), size=n)
    return EnrichedBatch(
        languages=list(rng.choice(["en", "fr"], size=n)),
        language_confidences=[0.9] * n,
        sentiments=[("negative", "neutral", "positive")[i] for i in probabilities.argmax(axis=1)],
        probabilities=probabilities,
        embeddings=vectors,
    )


def _random_texts(n: int, vocabulary: Sequence[str], rng: np.random.Generator) -> list[str]:
    """Texts of random words: distinct, so that they are not near-duplicates of each other."""
    words = np.asarray(vocabulary, dtype=object)[rng.integers(0, len(vocabulary), size=(n, _WORDS_PER_TEXT[1]))]
    lengths = rng.integers(*_WORDS_PER_TEXT, size=n)
    return [" ".join(row[:k]) for row, k in zip(words, lengths, strict=True)]


def fill(
    con: Any,
    start: int,
    stop: int,
    *,
    vocabulary: Sequence[str],
    identities: dict[str, str],
    dim: int,
    topic_model: str | None,
) -> None:
    """Store synthetic, already enriched mentions number ``start`` to ``stop - 1``: texts of
    random words from ``vocabulary``, random unit vectors, each mention its own duplicate group."""
    rng = np.random.default_rng(start)
    for first in range(start, stop, _FILL_CHUNK):
        last = min(first + _FILL_CHUNK, stop)
        ids = [f"bench:{i:08d}" for i in range(first, last)]
        mentions = _mention_frame(ids, _random_texts(len(ids), vocabulary, rng), first)
        con.execute("BEGIN TRANSACTION")
        insert_frame(con, "upsert_mentions", "incoming_mentions", mentions)
        _store_results(con, ids, _random_results(len(ids), dim, rng), identities, topic_model)
        con.execute("COMMIT")


class _Replay:
    """An enricher that answers with stored results: what is left to time is the warehouse."""

    def __init__(self, enricher: Enricher, result: EnrichedBatch) -> None:
        self.identities = enricher.identities
        self._result = result

    def enrich(self, texts: Sequence[str], batch_size: int = 0) -> EnrichedBatch:
        n, r = len(texts), self._result
        return replace(r, **{f.name: getattr(r, f.name)[:n] for f in fields(r) if getattr(r, f.name) is not None})


def _add_new(con: Any, label: str, texts: list[str], first_number: int) -> None:
    ids = [f"new:{label}:{i:06d}" for i in range(len(texts))]
    insert_frame(con, "upsert_mentions", "incoming_mentions", _mention_frame(ids, texts, first_number))


def bench_settings(work_dir: Path) -> Any:
    """The demo's settings, with the warehouse (and so the topic model) under ``work_dir``."""
    data = tomllib.loads((resources.files("ecoute") / "templates" / "demo.toml").read_text(encoding="utf-8"))
    return parse_settings(data, base_dir=work_dir, origin="demo.toml")


def per_batch(
    enricher: Enricher,
    texts: list[str],
    *,
    sizes: Sequence[int],
    batch_size: int,
    batches: int,
    work_dir: Path,
    fitted_topics: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Median seconds of one pipeline batch at each warehouse size (see the module docstring)."""
    settings = bench_settings(work_dir)
    identities = enricher.identities
    topic_model = None
    if fitted_topics is not None:
        fitted_topics.save(topic_steps.topic_model_dir(settings))
        topic_model = fitted_topics.identity
    dim = int(enricher.encoder.dim)
    vocabulary = sorted({word for text in texts for word in text.split()})
    replay = _Replay(enricher, enricher.enrich(texts[:batch_size]))
    out: dict[str, dict[str, float]] = {"per_batch_seconds": {}, "warehouse_seconds_per_batch": {}}
    if fitted_topics is not None:
        out["topics_seconds_per_batch"] = {}
    stored = 0  # mentions in the warehouse; also the number of the next one
    batch_number = 0

    def add_batch() -> None:  # batch_size new mentions, published after all others, texts not seen before
        nonlocal stored, batch_number
        new = [texts[(batch_number * batch_size + i) % len(texts)] for i in range(batch_size)]
        _add_new(con, str(batch_number), new, stored)
        stored += batch_size
        batch_number += 1

    def assign_topics() -> None:
        topic_steps.update_topics(con, settings, enricher.encoder)

    with connect(settings.warehouse.path) as con:
        for size in sorted(sizes):
            if progress:
                progress(f"warehouse: storing {size:,} synthetic mentions")
            if size > stored:
                fill(con, stored, size, vocabulary=vocabulary, identities=identities, dim=dim, topic_model=topic_model)
                stored = size
            full, bare, topics = [], [], []
            for _ in range(batches):
                add_batch()
                full.append(timed(partial(pipeline.enrich_pending, con, enricher, batch_size=batch_size))[0])
                if fitted_topics is not None:
                    topics.append(timed(assign_topics)[0])
                add_batch()
                bare.append(timed(partial(pipeline.enrich_pending, con, replay, batch_size=batch_size))[0])
                if fitted_topics is not None:  # untimed: the next timed call sees only its own batch
                    assign_topics()
            out["per_batch_seconds"][str(size)] = round(statistics.median(full), 3)
            out["warehouse_seconds_per_batch"][str(size)] = round(statistics.median(bare), 4)
            if fitted_topics is not None:
                out["topics_seconds_per_batch"][str(size)] = round(statistics.median(topics), 4)
    return out
