"""Topics in the pipeline: fit once, then only transform; refit on a schedule and map old
topics to new ones (`topic_map`) so that history stays comparable."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from ecoute.core.settings import Settings
from ecoute.models.contracts import Encoder
from ecoute.models.topics import TopicModel, map_topics
from ecoute.warehouse.connection import run
from ecoute.warehouse.load import insert_frame

SAVED_MARKER = "ecoute_topics.json"  # written by TopicModel.save
MAP_MIN_SIMILARITY = 0.6  # cosine of topic centres; below it an old topic has no heir


def topic_model_dir(settings: Settings) -> Path:
    return settings.warehouse.path.parent / "topic-model"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _vectors(rows: list[tuple[Any, ...]]) -> np.ndarray:
    return np.asarray([r[2] for r in rows], dtype=np.float32)


def _languages(rows: list[tuple[Any, ...]]) -> list[str | None]:
    """The language stored at enrichment (``enrichments.language``), one per row."""
    return [r[3] for r in rows]


def _fit(con: duckdb.DuckDBPyConnection, settings: Settings, encoder: Encoder) -> TopicModel | str:
    """A model fitted on the latest capped window, or why none could be fitted; the encoder of
    the stored embeddings also embeds the candidate phrases that name the topics."""
    limit = settings.models.topic_fit_window
    window = run(con, "topic_fit_window", {"encoder": encoder.identity, "limit": limit}).fetchall()
    if len(window) < settings.models.min_topic_size * 2:
        return f"only {len(window)} mentions; too few to fit topics"
    model = TopicModel(
        min_topic_size=settings.models.min_topic_size,
        extra_stop_words=settings.brand_terms,
        max_fit_docs=limit,
        phrase_encoder=encoder,
    )
    model.fit([r[1] for r in window], _vectors(window), languages=_languages(window))
    return model


def _save(model: TopicModel, path: Path) -> TopicModel:
    """Save beside the current model, then swap, so a crash never leaves half a model; the
    model is reloaded so that assignments always go through what later runs will load."""
    fresh = path.with_name(path.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    model.save(fresh)
    if path.exists():
        shutil.rmtree(path)
    fresh.rename(path)
    return TopicModel.load(path)


def _assign(con: duckdb.DuckDBPyConnection, model: TopicModel, encoder_identity: str) -> dict[str, Any]:
    """Topic for every mention not yet assigned by `model`; the topics table described."""
    rows = run(con, "untopiced", {"encoder": encoder_identity, "topic_model": model.identity}).fetchall()
    if rows:
        assignment = model.transform([r[1] for r in rows], _vectors(rows), languages=_languages(rows))
        frame = pl.DataFrame(
            {
                "mention_id": [r[0] for r in rows],
                "topic_id": assignment.topic_ids,
                "topic_probability": assignment.probabilities,
                "topic_model": model.identity,
            },
            schema={
                "mention_id": pl.String,
                "topic_id": pl.Int32,
                "topic_probability": pl.Float64,
                "topic_model": pl.String,
            },
        )
        insert_frame(con, "assign_topics", "incoming_topics", frame)
    infos = model.topics()
    if infos:
        topics = pl.DataFrame(
            {
                "topic_model": model.identity,
                "topic_id": [t.topic_id for t in infos],
                "label": [t.label for t in infos],
                "keywords": [list(t.keywords) for t in infos],
                "size": [t.size for t in infos],
                "representative": [list(t.representative_docs) for t in infos],
                "fitted_at": _now(),
            },
            schema={
                "topic_model": pl.String,
                "topic_id": pl.Int32,
                "label": pl.String,
                "keywords": pl.List(pl.String),
                "size": pl.Int32,
                "representative": pl.List(pl.String),
                "fitted_at": pl.Datetime("us"),
            },
        )
        insert_frame(con, "upsert_topics", "incoming_topic_info", topics)
    return {"assigned": len(rows), "topics": len(infos), "topic_model": model.identity}


def update_topics(con: duckdb.DuckDBPyConnection, settings: Settings, encoder: Encoder) -> dict[str, Any]:
    """Give every enriched mention a topic. The first run fits BERTopic on a capped window and
    saves it; later runs load it and only `transform` new mentions, so topic ids stay put.
    ``encoder``: the one whose embeddings are stored (only its identity is read on later runs)."""
    path = topic_model_dir(settings)
    if (path / SAVED_MARKER).exists():
        return {"fitted": False, **_assign(con, TopicModel.load(path), encoder.identity)}
    fitted = _fit(con, settings, encoder)
    if isinstance(fitted, str):
        return {"fitted": False, "assigned": 0, "reason": fitted}
    return {"fitted": True, **_assign(con, _save(fitted, path), encoder.identity)}


def refit_topics(con: duckdb.DuckDBPyConnection, settings: Settings, encoder: Encoder) -> dict[str, Any]:
    """Fit a new model on the latest window, record how old topics map to new ones, and
    reassign every mention with the new model. Refitting the same data changes nothing."""
    path = topic_model_dir(settings)
    old = TopicModel.load(path) if (path / SAVED_MARKER).exists() else None
    fitted = _fit(con, settings, encoder)
    if isinstance(fitted, str):
        return {"refitted": False, "reason": fitted}
    if old is not None and fitted.identity == old.identity:
        return {"refitted": False, "reason": "the window gives the same model", "topic_model": old.identity}
    new = _save(fitted, path)
    mapped = 0
    if old is not None:
        mapping = map_topics(old, new, min_similarity=MAP_MIN_SIMILARITY)
        similarity = old.topic_embeddings @ new.topic_embeddings.T
        frame = pl.DataFrame(
            {
                "old_model": old.identity,
                "old_topic_id": list(mapping),
                "new_model": new.identity,
                "new_topic_id": list(mapping.values()),
                "similarity": [float(similarity[o].max()) for o in mapping],
                "mapped_at": _now(),
            },
            schema={
                "old_model": pl.String,
                "old_topic_id": pl.Int32,
                "new_model": pl.String,
                "new_topic_id": pl.Int32,
                "similarity": pl.Float64,
                "mapped_at": pl.Datetime("us"),
            },
        )
        insert_frame(con, "insert_topic_map", "incoming_topic_map", frame)
        mapped = sum(v is not None for v in mapping.values())
    return {"refitted": True, "mapped_topics": mapped, **_assign(con, new, encoder.identity)}
