"""Volume spikes and negative surges: days far above a robust, weekday-aware baseline of the days before.

Consecutive unusual days make one `SpikeRun`, and one finding with its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from ecoute.core.dates import day_text, span_text
from ecoute.core.records import Finding
from ecoute.core.settings import Brand, Detection
from ecoute.insights import evidence
from ecoute.warehouse.connection import run

# A day is judged once the brand has three weeks of history: every weekday then has three
# earlier same weekdays, whose median a single unusual one cannot move.
MIN_HISTORY_DAYS = 21
WEEKDAY_MIN_WEEKS = 3  # a same-weekday baseline once this many same weekdays precede a day,
WEEKDAY_WEEKS = 8  # over up to this many of them
CONTEXT_DAYS = 7  # days of normal activity shown before a spike in its evidence

SPIKE_KIND = {"mentions": "volume_spike", "negative": "negative_surge"}  # of a metric's rise


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
        return SPIKE_KIND[self.metric]

    @property
    def start(self) -> date:
        return self.days[0].day

    @property
    def end(self) -> date:
        return self.days[-1].day

    @property
    def peak(self) -> _Day:
        """The day with the most posts (the most unusual among equals)."""
        return max(self.days, key=lambda d: (d.value, d.z))

    @property
    def z(self) -> float:
        """How unusual its most unusual day is."""
        return max(d.z for d in self.days)


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
    start, end, peak = spike.start, spike.end, spike.peak
    usual = days[0].baseline  # the level before the surge began
    z = spike.z
    when = f"on {day_text(peak.day)}" if start == end else f"on {day_text(peak.day)} (unusual {span_text(start, end)})"
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
