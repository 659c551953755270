"""What every detector attaches to a finding: example posts, dominant topics, a confidence,
and the small wording helpers that keep headlines consistent across kinds."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import duckdb

from ecoute.warehouse.connection import run

EXAMPLES = 5  # example posts per finding: the most engaged first, then the most negative
MOST_ENGAGED = 3
KEYWORDS = 5  # dominant topic labels per finding


def examples(
    con: duckdb.DuckDBPyConnection, brand: str, start: date, end: date, *, topic_id: int | None = None
) -> list[dict[str, Any]]:
    """Up to five posts of the period: the three most engaged, then the most negative ones."""
    params = {"brand": brand, "start": start, "end": end, "topic_id": topic_id, "per_reason": EXAMPLES}
    rows = run(con, "detect_examples", params).fetchall()
    engaged = [r for r in rows if r[-1] == "most engaged"]
    negative = [r for r in rows if r[-1] == "most negative"]
    chosen: dict[str, tuple[Any, ...]] = {}
    for row in [*engaged[:MOST_ENGAGED], *negative, *engaged[MOST_ENGAGED:]]:
        if len(chosen) == EXAMPLES:
            break
        chosen.setdefault(row[0], row)
    return [
        {
            "mention_id": mention_id,
            "source": source,
            "text": text,
            "url": url,
            "published_at": published_at.isoformat(),
            "sentiment": sentiment,
            "engagement": int(engagement),
            "reason": reason,
        }
        for mention_id, source, text, url, published_at, sentiment, engagement, reason in chosen.values()
    ]


def dominant_topics(con: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> list[str]:
    """The labels of the topics most discussed about the brand in the period."""
    params = {"brand": brand, "start": start, "end": end, "limit": KEYWORDS}
    return [label for _, label, _ in run(con, "detect_period_topics", params).fetchall()]


def confidence(score: float, threshold: float) -> float:
    """0..1 from a z-like score: 0.5 at the alarm threshold, towards 1 far above it."""
    if score <= 0:
        return 0.0
    return round(score / (score + threshold), 3)


def rounded(value: float | None, digits: int = 3) -> float | None:
    """A JSON-friendly number: no NaN or infinity, a readable number of decimals."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def versus_usual(observed: float, usual: float, unit: str = "") -> str:
    """'5.1x the usual ~80' or, when there was almost nothing before, 'against a usual ~0'."""
    if usual >= 1:
        return f"{observed / usual:.1f}x the usual ~{usual:,.0f}{unit}"
    return f"against a usual ~{usual:,.0f}{unit}"


def percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"
