"""Trend detection: read the marts, turn what is unusual into `Finding`s, store them once.

Detectors (one finding each, with its numbers and example posts):
- volume_spike / negative_surge (here): a day whose mentions (or negative mentions) sit far
  above a robust baseline of the days before; consecutive unusual days make one finding.
- emerging_topic (`detect_topics`): a topic discussed much more in the last days than before.
- sentiment_shift / share_of_voice_shift (`detect_shifts`): slow weekly moves.

One thing happening is reported once (`detect_stories`): a launch's jump in volume is part
of its emerging topic's finding, and an outage's new topics are part of its spike's.

Detection is pure reading; `store_findings` is the only write, an upsert on the finding's
stable id, so detecting and storing twice leaves the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import polars as pl

from ecoute.records import Finding
from ecoute.settings import Brand, Detection
from warehouse import evidence
from warehouse.connection import run
from warehouse.load import insert_frame

# A day is judged once the brand has three weeks of history: every weekday then has three
# earlier same weekdays, whose median a single unusual one cannot move.
MIN_HISTORY_DAYS = 21
WEEKDAY_MIN_WEEKS = 3  # a same-weekday baseline once this many same weekdays precede a day,
WEEKDAY_WEEKS = 8  # over up to this many of them
CONTEXT_DAYS = 7  # days of normal activity shown before a spike in its evidence

_SPIKE_KINDS = {"mentions": "volume_spike", "negative": "negative_surge"}


def detect(
    con: duckdb.DuckDBPyConnection, brands: Sequence[Brand], settings: Detection, *, as_of: date | None = None
) -> list[Finding]:
    """Every finding for these brands up to `as_of` (default: the last day with data)."""
    from warehouse.detect_shifts import detect_shifts
    from warehouse.detect_stories import one_finding_per_story
    from warehouse.detect_topics import detect_emerging_topics

    if not brands:
        return []
    as_of = as_of or last_day(con)
    if as_of is None:
        return []
    topics = detect_emerging_topics(con, brands, settings, as_of=as_of)
    runs, topics = one_finding_per_story(con, spike_runs(con, brands, settings, as_of), topics, brands, settings, as_of)
    return [
        *(spike_finding(con, r, settings) for r in runs),
        *topics,
        *detect_shifts(con, brands, settings, as_of=as_of),
    ]


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
            "evidence": pl.String,
            "detected_at": pl.Datetime("us"),
        },
    )
    insert_frame(con, "insert_findings", "incoming_findings", frame)
    return len(unique)


def last_day(con: duckdb.DuckDBPyConnection) -> date | None:
    rows = con.sql("SELECT max(day) FROM daily_brand_metrics").fetchall()
    return rows[0][0] if rows else None


def comparison_set(brand: Brand, all_brands: Sequence[Brand]) -> list[str]:
    """The brand and whom it is compared with: its competitors, or every other brand if none."""
    others = brand.competitors or [b.name for b in all_brands if b.name != brand.name]
    return [brand.name, *(name for name in others if name != brand.name)]


# --- volume spikes and negative surges ---------------------------------------------------


@dataclass(frozen=True)
class _Day:
    day: date
    value: int
    mentions: int
    negative: int
    baseline: float
    by_weekday: bool  # baseline from the same weekdays (else from every recent day)
    z: float
    history_days: int
    flagged: bool


@dataclass(frozen=True)
class SpikeRun:
    """Consecutive unusual days of one brand and metric, with the days before (for context)."""

    brand: str
    metric: str  # "mentions" or "negative"
    days: list[_Day]
    before: list[_Day]
    topics: tuple[dict[str, Any], ...] = ()  # emerging topics this spike made (see detect_stories)

    @property
    def kind(self) -> str:
        return _SPIKE_KINDS[self.metric]


def detect_spikes(
    con: duckdb.DuckDBPyConnection, brands: Sequence[Brand], settings: Detection, *, as_of: date
) -> list[Finding]:
    """Runs of consecutive unusual days, in all mentions and in negative mentions."""
    return [spike_finding(con, r, settings) for r in spike_runs(con, brands, settings, as_of)]


def spike_runs(
    con: duckdb.DuckDBPyConnection,
    brands: Sequence[Brand],
    settings: Detection,
    as_of: date,
    set_aside: Sequence[dict[str, object]] = (),
    signatures: Sequence[dict[str, object]] = (),
) -> list[SpikeRun]:
    """The runs of unusual days; with `set_aside` ({brand, topic_id}) and `signatures` ({brand,
    word}), in what is left once those topics' posts and the posts using those words are out."""
    params = {
        "brands": [b.name for b in brands],
        "as_of": as_of,
        "baseline_days": settings.baseline_days,
        "weekday_weeks": WEEKDAY_WEEKS,
        "min_weeks": WEEKDAY_MIN_WEEKS,
        "min_history_days": MIN_HISTORY_DAYS,
        "min_volume": settings.min_daily_volume,
        "threshold": settings.threshold,
        "set_aside": list(set_aside),
        "signatures": list(signatures),
    }
    rows = run(con, "detect_daily_anomalies", params).fetchall()
    series: dict[tuple[str, str], list[_Day]] = {}
    for brand, metric, *values in rows:
        series.setdefault((brand, metric), []).append(_Day(*values))
    return [
        SpikeRun(brand, metric, run_days, before)
        for (brand, metric), days in series.items()
        for run_days, before in _flagged_runs(days)
    ]


def _flagged_runs(days: list[_Day]) -> list[tuple[list[_Day], list[_Day]]]:
    """Consecutive flagged days, each run with the few days that preceded it (for context)."""
    runs: list[tuple[list[_Day], list[_Day]]] = []
    for i, day in enumerate(days):
        if not day.flagged:
            continue
        if runs and (day.day - runs[-1][0][-1].day).days == 1:
            runs[-1][0].append(day)
        else:
            runs.append(([day], days[max(0, i - CONTEXT_DAYS) : i]))
    return runs


def spike_finding(con: duckdb.DuckDBPyConnection, spike: SpikeRun, settings: Detection) -> Finding:
    brand, kind, days, before = spike.brand, spike.kind, spike.days, spike.before
    start, end = days[0].day, days[-1].day
    peak = max(days, key=lambda d: (d.value, d.z))
    usual = days[0].baseline  # the level before the surge began
    z = max(d.z for d in days)
    when = f"on {peak.day}" if start == end else f"on {peak.day} (unusual from {start} to {end})"
    negative_share = peak.negative / peak.mentions if peak.mentions else None
    if kind == "volume_spike":
        headline = (
            f"{brand}: {peak.value:,} mentions {when}, {evidence.versus_usual(peak.value, usual)} "
            f"(negative: {evidence.percent(negative_share)})"
        )
    else:
        headline = (
            f"{brand}: {peak.value:,} negative mentions {when}, {evidence.versus_usual(peak.value, usual)} "
            f"({evidence.percent(negative_share)} of {peak.mentions:,} mentions)"
        )
    if spike.topics:  # the new topics the spike made say what it is about
        more = len(spike.topics) - 1
        headline += f", about “{spike.topics[0]['label']}”" + (f" and {more} related topic(s)" if more else "")
    history = min(days[0].history_days / settings.baseline_days, 1.0)
    return Finding(
        kind=kind,
        brand=brand,
        scope="brand",
        period_start=start,
        period_end=end,
        observed=float(peak.value),
        baseline=float(usual),
        magnitude=round(z, 2),
        # a spike judged on a short history is less certain than one judged on a full baseline
        confidence=round(evidence.confidence(z, settings.threshold) * (0.5 + 0.5 * history), 3),
        headline=headline,
        evidence={
            "metric": "mentions" if kind == "volume_spike" else "negative mentions",
            "peak_day": peak.day.isoformat(),
            "peak": peak.value,
            "baseline": evidence.rounded(usual),
            "baseline_days": settings.baseline_days,
            "z": evidence.rounded(z, 2),
            "threshold": settings.threshold,
            "total": sum(d.value for d in days),
            "negative_share": evidence.rounded(negative_share),
            "daily": [
                {
                    "day": d.day.isoformat(),
                    "value": d.value,
                    "mentions": d.mentions,
                    "negative": d.negative,
                    "baseline": evidence.rounded(d.baseline),
                    "same_weekday_baseline": d.by_weekday,
                    "z": evidence.rounded(d.z, 2),
                    "unusual": d.day >= start,
                }
                for d in [*before, *days]
            ],
            "keywords": evidence.dominant_topics(con, brand, start, end),
            "emerging_topics": list(spike.topics),  # topics that emerged with this spike, reported here
            "examples": evidence.examples(con, brand, start, end),
        },
    )
