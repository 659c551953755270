"""Collect and load: run a connector for its brands, then store what it found in one transaction.

A dead source is reported in `Collected.error`, not raised, so one failure stops nothing else.
Watermarks move forward only, and the upserts make a re-read free of duplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import polars as pl

from ecoute.connectors import CollectContext, ConnectorError, connector_for
from ecoute.connectors.base import assign_brands
from ecoute.connectors.http import Fetcher, make_client
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import Batch
from ecoute.core.settings import Brand, Settings
from ecoute.core.source_settings import Source
from ecoute.warehouse.connection import run
from ecoute.warehouse.load import LoadResult, insert_frame, quarantine, upsert_mentions
from ecoute.warehouse.transaction import transaction


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def key_file(settings: Settings) -> Path:
    return settings.warehouse.path.parent / "pseudonym.key"


# Re-read this much before each watermark: late posts and clock skew are caught, and the
# upsert makes the overlap free of duplicates.
WATERMARK_OVERLAP = timedelta(hours=1)


@dataclass(frozen=True)
class Collected:
    source: str
    batch: Batch = field(default_factory=Batch)
    off_query: int = 0  # posts the API returned that no brand query matched
    requests: int = 0  # sent, retries included (also when the source failed)
    failure: ConnectorError | None = field(default=None, compare=False)  # the whole source failed; others still run

    @property
    def error(self) -> str | None:
        """What failed the source, as said to people (None when it did not fail)."""
        return None if self.failure is None else str(self.failure)

    def raise_failure(self) -> None:
        """Raise the typed error (SourceUnavailable, RateLimited, ParseError...) that failed the source, if any."""
        if self.failure is not None:
            raise self.failure


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

    A dead source is reported in `error` (and `failure`, the typed error), not raised, so one
    failure stops nothing else.
    """
    context = CollectContext(
        brands=list(brands) if brands is not None else settings.brands_for(source),
        pseudonymizer=Pseudonymizer.from_environment(key_file(settings)),
        collected_at=_now(),
        since=dict(since or {}),
        max_pages=source.max_pages,
    )
    connector = connector_for(source)

    fetchers: list[Fetcher] = []

    async def fetch() -> Batch:
        async with make_client(transport=transport) as client:
            # The Fetcher is the one retry layer: an outage is retried there, and not again by the flow.
            fetcher = Fetcher(
                client,
                min_interval=source.min_interval_seconds,
                max_retries=settings.collection.retries,
                backoff=settings.collection.retry_delay_seconds,
            )
            fetchers.append(fetcher)
            return await connector.collect(context, fetcher)

    try:
        batch = asyncio.run(fetch())
    except ConnectorError as error:
        sent = sum(f.requests for f in fetchers)
        return Collected(source.name, requests=sent, failure=error)
    requests = sum(f.requests for f in fetchers)
    kept, dropped = assign_brands(batch, context, by_query=source.filters_by_query)
    return Collected(source.name, kept, off_query=dropped, requests=requests)


def sync_brands(con: duckdb.DuckDBPyConnection, brands: Sequence[Brand]) -> None:
    frame = pl.DataFrame(
        {
            "brand": [b.name for b in brands],
            "terms": [b.all_terms for b in brands],
            "competitors": [b.competitors for b in brands],
            "languages": [b.languages for b in brands],
            "relevance_threshold": [b.relevance_threshold for b in brands],
        },
        schema={
            "brand": pl.String,
            "terms": pl.List(pl.String),
            "competitors": pl.List(pl.String),
            "languages": pl.List(pl.String),
            "relevance_threshold": pl.Float64,
        },
    )
    insert_frame(con, "sync_brand_settings", "incoming_brands", frame)


def load_batch(con: duckdb.DuckDBPyConnection, collected: Collected) -> tuple[LoadResult, int]:
    """Upsert mentions, quarantine rejections and move watermarks (unless a part of the source
    failed), in one transaction."""
    with transaction(con):
        loaded = upsert_mentions(con, collected.batch.mentions)
        quarantined = quarantine(con, collected.batch.rejected)
        # a dead feed's posts are older than what its live neighbours moved the watermark to: the
        # watermark stays, so the next run reads them again (what it already has is not doubled)
        if not collected.batch.failed_parts:
            save_watermarks(con, collected.source, collected.batch)
    return loaded, quarantined
