"""One event, one finding: the daily runs and hourly bursts of a brand over the same days.

An outage makes a brand's mentions jump within the hour, then its day, and its negative
mentions with them. Each detector sees a facet of it: an hourly burst in mentions, another
in negative mentions, a daily spike, a daily negative surge. Reported apart, that is four
findings of one event. Here the facets of a brand whose days overlap (or touch) make one
finding:

- its kind is `negative_surge` when negative mentions rose, else `volume_spike`;
- its headline leads with the day's numbers (a day reads better than an hour) and says when
  it was first unusual, to the hour;
- it says what drove the rise: the topics whose posts grew most against their usual rate
  over the same days, each with its share of the rise (`drivers` in its evidence);
- its confidence is that of its surest facet, lowered when the brand's history was short.

An hourly burst alone, whose rise is mostly the posts of an emerging topic the report tells
already (a launch), is not a finding of its own: it joins that topic's `explains`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import duckdb

from ecoute.core.dates import day_text, hour_text
from ecoute.core.records import Finding
from ecoute.core.settings import Detection
from ecoute.insights import evidence
from ecoute.insights.emerging import topic_ids
from ecoute.insights.hourly import RULES, HourlyBurst
from ecoute.insights.spikes import SPIKE_KIND, SpikeRun, spike_finding
from ecoute.warehouse.connection import run

DRIVERS = 5  # topics named in the evidence as what drove a rise
HEADLINE_DRIVERS = 3  # at most this many named in the headline, ...
HEADLINE_DRIVER_SHARE = 0.1  # ... each explaining at least this much of the rise, ...
HEADLINE_DRIVERS_ENOUGH = 0.5  # ... until those named explain this much
TOLD_BY_TOPIC = 0.5  # of an hourly burst's rise from one emerging topic's posts: the topic tells it
DRIVER_BASELINE_DAYS = 28
FULL_HISTORY_HOURS = 7 * 24  # a brand heard for a week is judged at full confidence


@dataclass
class _Event:
    brand: str
    runs: list[SpikeRun]
    bursts: list[HourlyBurst]
    start: date
    end: date

    @property
    def negative(self) -> bool:
        return any(r.metric == "negative" for r in self.runs) or any(b.metric == "negative" for b in self.bursts)


def one_finding_per_event(
    con: duckdb.DuckDBPyConnection,
    runs: Sequence[SpikeRun],
    hourly: Sequence[HourlyBurst],
    topics: list[Finding],
    settings: Detection,
) -> tuple[list[Finding], list[Finding]]:
    """The spike findings (one per event) and the emerging topics, some now telling an hourly burst."""
    findings: list[Finding] = []
    for event in _events(runs, hourly):
        drivers = rise_drivers(con, event)
        if not event.runs:
            teller = _telling_topic(topics, event, drivers)
            if teller is not None:
                topics[teller] = _with_burst(topics[teller], event)
                continue
        findings.append(_finding(con, event, drivers, settings))
    return findings, topics


def _events(runs: Sequence[SpikeRun], hourly: Sequence[HourlyBurst]) -> list[_Event]:
    """Facets of a brand whose days overlap or touch, grouped."""
    items: list[tuple[str, date, date, SpikeRun | HourlyBurst]] = [
        *((r.brand, r.start, r.end, r) for r in runs),
        *((b.brand, *b.days, b) for b in hourly),
    ]
    events: list[_Event] = []
    for brand, start, end, item in sorted(items, key=lambda i: (i[0], i[1], i[2])):
        last = events[-1] if events else None
        if last is None or last.brand != brand or start > last.end + timedelta(days=1):
            last = _Event(brand, [], [], start, end)
            events.append(last)
        last.end = max(last.end, end)
        if isinstance(item, SpikeRun):
            last.runs.append(item)
        else:
            last.bursts.append(item)
    return events


def rise_drivers(con: duckdb.DuckDBPyConnection, event: _Event) -> list[dict[str, Any]]:
    """The topics whose posts grew most over the event's days, with their share of the rise."""
    params = {
        "brand": event.brand,
        "start": event.start,
        "end": event.end,
        "baseline_days": max(1, min(DRIVER_BASELINE_DAYS, _history_hours(event) // 24)),
        "negative_only": event.negative,
    }
    rows = run(con, "detect_rise_drivers", params).fetchall()
    rises = [(topic_id, label, during, during - usual) for topic_id, label, during, usual in rows]
    total = sum(max(rise, 0.0) for *_, rise in rises)
    if total <= 0:
        return []
    return [
        {
            "topic_id": topic_id,
            "label": label if topic_id >= 0 else None,
            "posts": during,
            "rise": evidence.rounded(rise, 1),
            "share_of_rise": evidence.rounded(rise / total),
        }
        for topic_id, label, during, rise in rises[:DRIVERS]
        if rise > 0
    ]


def headline_drivers(drivers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The drivers worth naming: the largest, until they explain most of the rise."""
    named: list[dict[str, Any]] = []
    for d in drivers:
        share = d["share_of_rise"] or 0.0
        if len(named) == HEADLINE_DRIVERS or share < HEADLINE_DRIVER_SHARE:
            break
        if sum(n["share_of_rise"] for n in named) >= HEADLINE_DRIVERS_ENOUGH:
            break
        if d["label"]:
            named.append(d)
    return named


def _telling_topic(topics: Sequence[Finding], event: _Event, drivers: list[dict[str, Any]]) -> int | None:
    """The emerging topic of the brand whose posts make most of this rise, if one does."""
    for i, topic in enumerate(topics):
        if topic.brand != event.brand or topic.kind != "emerging_topic":
            continue
        ids = set(topic_ids(topic))
        share = sum(d["share_of_rise"] or 0.0 for d in drivers if d["topic_id"] in ids)
        if share >= TOLD_BY_TOPIC:
            return i
    return None


def _with_burst(topic: Finding, event: _Event) -> Finding:
    told = [
        {
            "kind": b.kind,
            "grain": "hour",
            "period_start": b.start.isoformat(timespec="minutes"),
            "period_end": b.end.isoformat(timespec="minutes"),
            "peak": b.value,
            "baseline": evidence.rounded(b.expected, 2),
        }
        for b in event.bursts
    ]
    return replace(topic, evidence={**topic.evidence, "explains": [*topic.evidence.get("explains", []), *told]})


def _finding(
    con: duckdb.DuckDBPyConnection, event: _Event, drivers: list[dict[str, Any]], settings: Detection
) -> Finding:
    metric = "negative" if event.negative else "mentions"
    first_hour = min((b.start for b in event.bursts), default=None)
    daily = [r for r in event.runs if r.metric == metric] or event.runs
    if daily:
        base = spike_finding(con, max(daily, key=lambda r: r.z), settings)
    else:
        burst = max((b for b in event.bursts if b.metric == metric), key=lambda b: b.z)
        base = _hourly_base(con, event, burst)
    # heard by the hour first: no daily run, or the first unusual hour is on or before its first day
    hourly_first = first_hour is not None and (not daily or first_hour.date() <= base.period_start)
    parts = [base.headline]
    if named := headline_drivers(drivers):
        shares = [f"“{d['label']}” ({evidence.percent(d['share_of_rise'])})" for d in named]
        listed = shares[0] if len(shares) == 1 else ", ".join(shares[:-1]) + " and " + shares[-1]
        parts.append(f"driven by {listed} of the rise")
    if hourly_first and first_hour is not None:
        parts.append(f"first unusual at {first_hour:%H:%M} UTC on {day_text(first_hour.date())}")
    history = _history_hours(event)
    if history < FULL_HISTORY_HOURS:
        parts.append(f"judged on {_history_words(history)} of history: low confidence")
    facets = [*(_run_facet(r) for r in event.runs), *(_burst_facet(b) for b in event.bursts)]
    confidence = max([base.confidence, *(_burst_confidence(b) for b in event.bursts)])
    return replace(
        base,
        kind=SPIKE_KIND[metric],
        grain="hour" if hourly_first else "day",
        period_start=min(event.start, base.period_start),
        period_end=max(event.end, base.period_end),
        confidence=round(confidence * _history_factor(history), 3),
        headline=", ".join(parts),
        evidence={
            **base.evidence,
            "facets": facets,
            "drivers": drivers,
            "first_unusual_hour": first_hour.isoformat(timespec="minutes") if first_hour else None,
            "history_hours": history,
            "hourly": [h for b in event.bursts if b.metric == metric for h in b.hours],
        },
    )


def _hourly_base(con: duckdb.DuckDBPyConnection, event: _Event, burst: HourlyBurst) -> Finding:
    what = "negative mentions" if burst.metric == "negative" else "mentions"
    headline = (
        f"{burst.brand}: {burst.value:,} {what} in the hour from {hour_text(burst.peak)}, "
        f"{evidence.versus_usual(burst.value, burst.expected)}"
    )
    return Finding(
        kind=burst.kind,
        brand=burst.brand,
        scope="brand",
        period_start=event.start,
        period_end=event.end,
        observed=float(burst.value),
        baseline=float(burst.expected),
        magnitude=round(burst.z, 2),
        confidence=_burst_confidence(burst),
        headline=headline,
        grain="hour",
        evidence={
            "metric": what,
            "peak_hour": burst.peak.isoformat(timespec="minutes"),
            "peak": burst.value,
            "baseline": evidence.rounded(burst.expected, 2),
            "z": evidence.rounded(burst.z, 2),
            "total": burst.total,
            "keywords": evidence.dominant_topics(con, burst.brand, event.start, event.end),
            "examples": evidence.examples(con, burst.brand, event.start, event.end),
        },
    )


def _run_facet(r: SpikeRun) -> dict[str, Any]:
    peak = r.peak
    return {
        "grain": "day",
        "metric": r.metric,
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "peak_at": peak.day.isoformat(),
        "peak": peak.value,
        "usual": evidence.rounded(r.days[0].baseline),
        "z": evidence.rounded(r.z, 2),
    }


def _burst_facet(b: HourlyBurst) -> dict[str, Any]:
    return {
        "grain": "hour",
        "metric": b.metric,
        "start": b.start.isoformat(timespec="minutes"),
        "end": b.end.isoformat(timespec="minutes"),
        "peak_at": b.peak.isoformat(timespec="minutes"),
        "peak": b.value,
        "usual": evidence.rounded(b.expected, 2),
        "z": evidence.rounded(b.z, 2),
        "cold_start": b.cold,
    }


def _burst_confidence(b: HourlyBurst) -> float:
    return evidence.confidence(b.z, RULES.sustained_threshold)


def _history_hours(event: _Event) -> int:
    """Hours the brand had been heard before the event's first facet."""
    hours = [b.history_hours for b in event.bursts] + [r.days[0].history_days * 24 for r in event.runs]
    return max(hours) if hours else 0


def _history_factor(history_hours: int) -> float:
    return 0.5 + 0.5 * min(history_hours / FULL_HISTORY_HOURS, 1.0)


def _history_words(hours: int) -> str:
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"
