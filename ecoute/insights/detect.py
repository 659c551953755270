"""Trend detection: read the marts, turn what is unusual into `Finding`s, store them once.

Detectors (one finding each, with its numbers and example posts):
- volume_spike / negative_surge: hours (`hourly`, `bursts`) and days (`spikes`) whose mentions
  (or negative mentions) sit far above a robust, seasonal baseline of what came before.
- emerging_topic (`emerging`): a topic discussed much more in the last days than before.
- sentiment_shift / share_of_voice_shift (`shifts`): slow weekly moves.

One thing happening is reported once: a launch's jump in volume is part of its emerging
topic's finding, and an outage's new topics are part of its spike's (`stories`); the hourly
and daily rises of a brand over the same days, in mentions and in negative mentions, are one
finding with facets, which names the topics that drove it (`events`).

Detection is pure reading; `store_findings` is the only write, an upsert on the finding's
stable id, so detecting and storing twice leaves the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import duckdb
import polars as pl

from ecoute.core.records import Finding
from ecoute.core.settings import Brand, Detection
from ecoute.insights.emerging import detect_emerging_topics
from ecoute.insights.events import one_finding_per_event
from ecoute.insights.hourly import hourly_bursts
from ecoute.insights.shifts import detect_shifts
from ecoute.insights.spikes import spike_runs
from ecoute.insights.stories import one_finding_per_story
from ecoute.warehouse.load import insert_frame


def detect(
    con: duckdb.DuckDBPyConnection, brands: Sequence[Brand], settings: Detection, *, as_of: date | None = None
) -> list[Finding]:
    """Every finding for these brands up to `as_of` (default: the last day with data)."""
    if not brands:
        return []
    as_of = as_of or last_day(con)
    if as_of is None:
        return []
    topics = detect_emerging_topics(con, brands, settings, as_of=as_of)
    runs, topics = one_finding_per_story(con, spike_runs(con, brands, settings, as_of), topics, brands, settings, as_of)
    spikes, topics = one_finding_per_event(con, runs, hourly_bursts(con, brands, settings, as_of), topics, settings)
    return [*spikes, *topics, *detect_shifts(con, brands, settings, as_of=as_of)]


def store_findings(con: duckdb.DuckDBPyConnection, findings: Sequence[Finding]) -> int:
    """Upsert findings on their stable id; returns how many distinct findings were written."""
    unique = {f.finding_id: f for f in findings}
    now = datetime.now(UTC).replace(tzinfo=None)
    frame = pl.DataFrame(
        [
            {
                "finding_id": finding_id,
                "kind": f.kind,
                "brand": f.brand,
                "scope": f.scope,
                "period_start": f.period_start,
                "period_end": f.period_end,
                "observed": float(f.observed),
                "baseline": float(f.baseline),
                "magnitude": float(f.magnitude),
                "confidence": float(f.confidence),
                "headline": f.headline,
                "grain": f.grain,
                "evidence": json.dumps(f.evidence, ensure_ascii=False, allow_nan=False),
                "detected_at": now,
            }
            for finding_id, f in unique.items()
        ],
        schema={
            "finding_id": pl.String,
            "kind": pl.String,
            "brand": pl.String,
            "scope": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "observed": pl.Float64,
            "baseline": pl.Float64,
            "magnitude": pl.Float64,
            "confidence": pl.Float64,
            "headline": pl.String,
            "grain": pl.String,
            "evidence": pl.String,
            "detected_at": pl.Datetime("us"),
        },
    )
    insert_frame(con, "insert_findings", "incoming_findings", frame)
    return len(unique)


def last_day(con: duckdb.DuckDBPyConnection) -> date | None:
    rows = con.sql("SELECT max(day) FROM daily_brand_metrics").fetchall()
    return rows[0][0] if rows else None
