"""The steps of listening, as plain functions the Prefect flows compose.

collect -> load -> enrich -> topics -> detect -> report. Each step reads what it needs
from the warehouse, so any step can be re-run alone and running one twice changes nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import numpy as np
import polars as pl

from connectors import CollectContext, ConnectorError, connector_for
from ecoute.privacy import Pseudonymizer
from ecoute.records import Batch
from ecoute.settings import Brand, Settings
from ecoute.source_settings import Source
from warehouse.connection import run
from warehouse.load import LoadResult, insert_frame, quarantine, upsert_mentions

Progress = Callable[[int], None]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def key_file(settings: Settings) -> Path:
    return settings.warehouse.path.parent / "pseudonym.key"


# --- collect -------------------------------------------------------------------------

# Re-read this much before each watermark: late posts and clock skew are caught, and the
# upsert makes the overlap free of duplicates.
WATERMARK_OVERLAP = timedelta(hours=1)


@dataclass(frozen=True)
class Collected:
    source: str
    batch: Batch = field(default_factory=Batch)
    error: str | None = None  # set when the whole source failed; the others still run
    off_query: int = 0  # posts the API returned that no brand query matched
    requests: int = 0


def read_watermarks(con: duckdb.DuckDBPyConnection, source: str, brands: Sequence[Brand]) -> dict[str, datetime | None]:
    """Per brand, the publication time to collect from (the watermark minus the overlap)."""
    marks: dict[str, datetime | None] = {}
    for brand in brands:
        rows = run(con, "get_watermark", {"source": source, "brand": brand.name}).fetchall()
        marks[brand.name] = datetime.fromisoformat(rows[0][0]) - WATERMARK_OVERLAP if rows else None
    return marks


def save_watermarks(con: duckdb.DuckDBPyConnection, source: str, batch: Batch) -> dict[str, str]:
    """Move each brand's watermark to the newest post collected for it (never backwards)."""
    newest: dict[str, datetime] = {}
    for mention in batch.mentions:
        for brand in mention.brands:
            if brand not in newest or mention.published_at > newest[brand]:
                newest[brand] = mention.published_at
    moved = {}
    for brand, moment in newest.items():
        rows = run(con, "get_watermark", {"source": source, "brand": brand}).fetchall()
        if rows and datetime.fromisoformat(rows[0][0]) >= moment:
            continue
        run(con, "set_watermark", {"source": source, "brand": brand, "position": moment.isoformat()})
        moved[brand] = moment.isoformat()
    return moved


def collect_source(
    settings: Settings,
    source: Source,
    *,
    since: Mapping[str, datetime | None] | None = None,
    brands: Sequence[Brand] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Collected:
    """Run one connector for its brands; apply the brand queries locally.

    A dead source is reported in `error`, not raised, so one failure stops nothing else.
    """
    from connectors.base import assign_brands
    from connectors.http import Fetcher, make_client

    context = CollectContext(
        brands=list(brands) if brands is not None else settings.brands_for(source),
        pseudonymizer=Pseudonymizer.from_environment(key_file(settings)),
        collected_at=_now(),
        since=dict(since or {}),
        max_pages=source.max_pages,
    )
    connector = connector_for(source)

    async def fetch() -> tuple[Batch, int]:
        async with make_client(transport=transport) as client:
            fetcher = Fetcher(
                client,
                min_interval=source.min_interval_seconds,
                max_retries=settings.collection.retries,
                backoff=settings.collection.retry_delay_seconds,
            )
            return await connector.collect(context, fetcher), fetcher.requests

    try:
        batch, requests = asyncio.run(fetch())
    except ConnectorError as error:
        return Collected(source.name, error=str(error))
    kept, dropped = assign_brands(batch, context, by_query=source.filters_by_query)
    return Collected(source.name, kept, off_query=dropped, requests=requests)


# --- load ----------------------------------------------------------------------------


def sync_brands(con: duckdb.DuckDBPyConnection, brands: Sequence[Brand]) -> None:
    frame = pl.DataFrame(
        {
            "brand": [b.name for b in brands],
            "terms": [b.all_terms for b in brands],
            "competitors": [b.competitors for b in brands],
            "languages": [b.languages for b in brands],
        },
        schema={
            "brand": pl.String,
            "terms": pl.List(pl.String),
            "competitors": pl.List(pl.String),
            "languages": pl.List(pl.String),
        },
    )
    insert_frame(con, "sync_brand_settings", "incoming_brands", frame)


def load_batch(con: duckdb.DuckDBPyConnection, collected: Collected) -> tuple[LoadResult, int]:
    """Upsert mentions, quarantine rejections and move watermarks, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        loaded = upsert_mentions(con, collected.batch.mentions)
        quarantined = quarantine(con, collected.batch.rejected)
        save_watermarks(con, collected.source, collected.batch)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return loaded, quarantined


# --- enrich --------------------------------------------------------------------------


def pending_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.sql("SELECT count(*) FROM mentions ANTI JOIN enrichments USING (mention_id)").fetchall()[0][0]


def enrichment_frames(
    ids: list[str], result: Any, identities: Mapping[str, str], groups: Sequence[str], enriched_at: datetime
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
    con: duckdb.DuckDBPyConnection, enricher: Any, *, batch_size: int, progress: Progress | None = None
) -> int:
    """Enrich every mention that has no enrichment yet, batch by batch; returns how many."""
    from models.duplicates import INDEX_WINDOW, DuplicateGrouper

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
        con.execute("BEGIN TRANSACTION")
        try:
            insert_frame(con, "insert_embeddings", "incoming_embeddings", embeddings)
            insert_frame(con, "insert_enrichments", "incoming_enrichments", enrichments)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        done += len(ids)
        if progress:
            progress(len(ids))
    return done


# --- runs ----------------------------------------------------------------------------


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str) -> None:
    run(con, "start_run", {"run_id": run_id, "flow": flow})


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, stats: dict[str, Any]) -> None:
    run(con, "finish_run", {"run_id": run_id, "status": status, "stats": json.dumps(stats, default=str)})


def report_period(con: duckdb.DuckDBPyConnection, days: int) -> tuple[date, date] | None:
    """The last `days` days that have mentions, ending at the latest mention."""
    last = con.sql("SELECT max(published_at)::DATE FROM mentions").fetchall()[0][0]
    if last is None:
        return None
    return last - timedelta(days=days - 1), last
