"""Emerging topics: what a brand's audience suddenly talks about.

A topic is emerging when its mentions in the last `emerging_days` days reach both
EMERGING_MIN_MENTIONS and EMERGING_RATIO times its average per window of the same length
before (a topic that did not exist before has an average of 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from ecoute.records import Finding
from ecoute.settings import Brand, Detection
from warehouse import evidence
from warehouse.connection import run

EMERGING_MIN_MENTIONS = 10  # fewer posts in the window are never a trend
EMERGING_RATIO = 3.0  # times the topic's usual volume per window
MIN_HISTORY_DAYS = 14  # days listened to before the window: on a fresh warehouse every topic is "new"


def detect_emerging_topics(
    con: duckdb.DuckDBPyConnection, brands: Sequence[Brand], settings: Detection, *, as_of: date
) -> list[Finding]:
    params = {
        "brands": [b.name for b in brands],
        "as_of": as_of,
        "window_days": settings.emerging_days,
        "min_history_days": MIN_HISTORY_DAYS,
        "min_mentions": EMERGING_MIN_MENTIONS,
        "ratio": EMERGING_RATIO,
    }
    rows = run(con, "detect_emerging_topics", params).fetchall()
    return [
        _topic_finding(con, brand, topic_id, label, start, recent, before, usual, days_before, settings, as_of)
        for brand, topic_id, label, start, recent, before, usual, days_before in rows
    ]


def _topic_finding(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    topic_id: int,
    label: str | None,
    start: date,
    recent: int,
    before: int,
    usual: float,
    days_before: int,
    settings: Detection,
    as_of: date,
) -> Finding:
    described = run(con, "detect_topic_keywords", {"topic_id": topic_id}).fetchall()
    label = (described[0][0] if described else None) or label or f"topic {topic_id}"
    keywords = list(described[0][1]) if described else []
    window = settings.emerging_days
    series = run(
        con, "detect_topic_series", {"brand": brand, "topic_id": topic_id, "start": start, "end": as_of}
    ).fetchall()
    negative = sum(n for _, _, n in series)
    if before == 0:
        change = "new, never discussed before"
    else:
        change = evidence.versus_usual(recent, usual, f" per {window} days")
    headline = f"{brand}: emerging topic “{label}”, {recent:,} mentions in the last {window} days ({change})"
    # how far above the usual the window is, in Poisson standard deviations
    score = (recent - usual) / max(usual, 1.0) ** 0.5
    return Finding(
        kind="emerging_topic",
        brand=brand,
        scope=f"topic:{topic_id}",
        period_start=start,
        period_end=as_of,
        observed=float(recent),
        baseline=float(usual),
        magnitude=round(recent / max(usual, 1.0), 2),
        confidence=evidence.confidence(score, settings.threshold),
        headline=headline,
        evidence={
            "topic_id": topic_id,
            "label": label,
            "keywords": keywords or [label],
            "window_days": window,
            "recent": recent,
            "before": before,
            "days_before": days_before,
            "usual_per_window": evidence.rounded(usual),
            "negative_share": evidence.rounded(negative / recent if recent else None),
            "daily": [{"day": day.isoformat(), "mentions": m, "negative": n} for day, m, n in series],
            "first_seen": _first_seen(series, start, before),
            "examples": evidence.examples(con, brand, start, as_of, topic_id=topic_id),
        },
    )


def _first_seen(series: list[tuple[date, int, int]], start: date, before: int) -> str | None:
    """The first day in the window the topic appeared, when it is new; else None."""
    if before:
        return None
    days = [day for day, mentions, _ in series if mentions]
    return (days[0] if days else start).isoformat()
