"""Hourly bursts of a brand's mentions and negative mentions, read from the warehouse.

Each brand's hourly counts, laid on a full grid from its first post to the warehouse's last
hour, go through `ecoute.insights.bursts`: a burst is raised from the hour it starts (a
peak) or within `sustained_hours` (a sustained rise), so a flow that runs hourly hears a
crisis while it builds rather than the next day.

Cold start: until a brand has `min_season_days` days, an hour is judged against the
brand's own mean so far, shaped by the hour-of-day profile of every brand in the warehouse
(the prior), from `min_cold_hours` of history; such a burst says how little history it had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np

from ecoute.core.settings import Brand, Detection
from ecoute.insights.bursts import HOURS_PER_DAY, BurstRules, Scored, bursts, score_series
from ecoute.insights.spikes import SPIKE_KIND
from ecoute.warehouse.connection import run

METRICS = ("mentions", "negative")
CONTEXT_HOURS = 24  # hours shown before a burst in its evidence
RULES = BurstRules()


@dataclass(frozen=True)
class HourlyBurst:
    """Unusual hours of one brand and metric, close together."""

    brand: str
    metric: str  # "mentions" or "negative"
    start: datetime  # first unusual hour
    end: datetime  # last unusual hour
    peak: datetime
    value: int  # at the peak hour
    expected: float  # what the peak hour usually holds
    z: float
    total: int  # posts in the burst's hours
    history_hours: int  # the brand's hours of history before the burst
    cold: bool  # judged by the cold-start rule (short history)
    hours: tuple[dict[str, object], ...]  # the burst's hours, with CONTEXT_HOURS before

    @property
    def days(self) -> tuple[date, date]:
        return self.start.date(), self.end.date()

    @property
    def kind(self) -> str:
        return SPIKE_KIND[self.metric]


def hourly_bursts(
    con: duckdb.DuckDBPyConnection,
    brands: Sequence[Brand],
    settings: Detection,
    as_of: date,
    rules: BurstRules = RULES,
) -> list[HourlyBurst]:
    """Every hourly burst of these brands up to the end of `as_of`."""
    rows = run(con, "detect_hourly_counts", {"brands": [b.name for b in brands], "as_of": as_of}).fetchall()
    if not rows:
        return []
    last_hour = max(hour for _, hour, _, _ in rows)
    weights = prior_weights(rows)
    counts: dict[str, dict[datetime, tuple[int, int]]] = {}
    for brand, hour, mentions, negative in rows:
        counts.setdefault(brand, {})[hour] = (mentions, negative)
    found: list[HourlyBurst] = []
    for brand, by_hour in counts.items():
        first = min(by_hour)
        hours = [first + timedelta(hours=i) for i in range(int((last_hour - first) / timedelta(hours=1)) + 1)]
        for m, metric in enumerate(METRICS):
            values = np.array([by_hour.get(h, (0, 0))[m] for h in hours], dtype=float)
            prior = np.array([weights.get(h, 1.0) for h in hours])
            scored = score_series(values, rules, counts=True, direction="up", prior_weights=prior)
            strength = np.nan_to_num(scored.z, nan=0.0)
            for b in bursts(scored.flagged, strength, rules.merge_hours):
                if values[b.peak] < settings.min_hourly_volume:
                    continue
                found.append(_burst(brand, metric, hours, values, scored, b.start, b.end, b.peak))
    return found


def prior_weights(rows: Sequence[tuple[str, datetime, int, int]]) -> dict[datetime, float]:
    """Per hour, how busy its hour of the day is (mean 1) in every brand's mentions *before* that day:
    the prior a brand with a short history is judged with. Flat on the first day."""
    per_day: dict[date, np.ndarray] = {}
    for _, hour, mentions, _ in rows:
        per_day.setdefault(hour.date(), np.zeros(HOURS_PER_DAY))[hour.hour] += mentions
    first, last = min(per_day), max(per_day)
    totals = np.ones(HOURS_PER_DAY)  # one pseudo-mention an hour: no hour is ever expected empty
    weights: dict[datetime, float] = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        profile = totals / totals.mean()
        midnight = datetime.combine(day, datetime.min.time())
        weights.update({midnight + timedelta(hours=h): float(profile[h]) for h in range(HOURS_PER_DAY)})
        totals = totals + per_day.get(day, 0)
    return weights


def _burst(
    brand: str,
    metric: str,
    hours: list[datetime],
    values: np.ndarray,
    scored: Scored,
    start: int,
    end: int,
    peak: int,
) -> HourlyBurst:
    shown = range(max(0, start - CONTEXT_HOURS), end + 1)
    return HourlyBurst(
        brand=brand,
        metric=metric,
        start=hours[start],
        end=hours[end],
        peak=hours[peak],
        value=int(values[peak]),
        expected=float(scored.expected[peak]) if np.isfinite(scored.expected[peak]) else 0.0,
        z=float(np.nan_to_num(scored.z[peak], nan=0.0)),
        total=int(values[start : end + 1].sum()),
        history_hours=start,
        cold=bool(scored.cold[start : end + 1].any()),
        hours=tuple(
            {
                "hour": hours[i].isoformat(timespec="minutes"),
                "value": int(values[i]),
                "expected": round(float(scored.expected[i]), 2) if np.isfinite(scored.expected[i]) else None,
                "unusual": bool(scored.flagged[i]),
            }
            for i in shown
        ),
    )
