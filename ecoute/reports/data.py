"""What a report shows, read from the warehouse into plain frozen dataclasses.

Templates and charts only ever see these, never a connection or a query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from ecoute.core.records import Finding
from ecoute.core.settings import Brand, comparison_set
from ecoute.warehouse.connection import run

TOP_TOPICS = 8
EXAMPLES_PER_TOPIC = 3
TOP_SLICES = 8  # values shown per breakdown (source, language); the rest is "other"


@dataclass(frozen=True)
class Example:
    mention_id: str
    source: str
    text: str
    url: str | None
    published_at: datetime
    sentiment: str | None
    engagement: int


@dataclass(frozen=True)
class Summary:
    brand: str
    peers: tuple[str, ...]  # the brand and whom it is compared with
    period_start: date
    period_end: date
    mentions: int
    negative: int
    neutral: int
    positive: int
    negative_share: float | None
    health: float | None  # positive / (positive + negative)
    share_of_voice: float | None  # of the comparison set's mentions

    @property
    def competitors(self) -> tuple[str, ...]:
        return self.peers[1:]


@dataclass(frozen=True)
class DayCounts:
    brand: str
    day: date
    mentions: int
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True)
class WeeklyShare:
    brand: str
    week: date  # the Monday
    mentions: int
    share: float | None


@dataclass(frozen=True)
class Slice:
    """The brand's mentions from one source or in one language."""

    value: str
    mentions: int
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True)
class Responsiveness:
    """How a brand answered public complaints (see the `responsiveness` mart)."""

    brand: str
    complaints: int
    answered: int
    answered_share: float | None
    median_minutes: float | None  # to the first answer, over answered complaints
    p90_minutes: float | None
    badge_minutes: int | None  # a plain step ("within 2 hours") covering 90% of first answers
    answered_within_badge_share: float | None  # of all complaints, answered within that step


@dataclass(frozen=True)
class WeeklyResponsiveness:
    brand: str
    week: date  # the Monday
    complaints: int
    answered: int
    answered_share: float
    median_minutes: float | None


@dataclass(frozen=True)
class Topic:
    topic_id: int
    label: str
    keywords: tuple[str, ...]
    mentions: int
    negative: int
    examples: tuple[Example, ...]

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None


@dataclass(frozen=True)
class ReportData:
    summary: Summary
    daily: tuple[DayCounts, ...]  # every brand of the comparison set, every day
    share_of_voice: tuple[WeeklyShare, ...]
    topics: tuple[Topic, ...]
    findings: tuple[Finding, ...]
    previous_mentions: int | None  # over as many days just before; None when not all collected
    by_source: tuple[Slice, ...]
    by_language: tuple[Slice, ...]
    responsiveness: tuple[Responsiveness, ...]  # the brand first, then its competitors
    responsiveness_weekly: tuple[WeeklyResponsiveness, ...]

    @property
    def brand_responsiveness(self) -> Responsiveness:
        return self.responsiveness[0]


def load_report_data(
    con: duckdb.DuckDBPyConnection, brand: Brand, all_brands: Sequence[Brand], *, period_start: date, period_end: date
) -> ReportData:
    peers = comparison_set(brand, all_brands)
    period = {"start": period_start, "end": period_end}
    totals = run(con, "report_summary", {"brand": brand.name, "peers": peers, **period}).fetchall()[0]
    summary = Summary(brand.name, tuple(peers), period_start, period_end, *totals)
    daily = tuple(DayCounts(*row) for row in run(con, "report_daily", {"peers": peers, **period}).fetchall())
    shares = tuple(
        WeeklyShare(*row) for row in run(con, "report_share_of_voice", {"peers": peers, **period}).fetchall()
    )
    days = period_end - period_start + timedelta(days=1)
    before = {"start": period_start - days, "end": period_start - timedelta(days=1)}
    previous = run(con, "report_previous_mentions", {"brand": brand.name, **before}).fetchall()[0][0]
    slices = run(con, "report_volume_by", {"brand": brand.name, "limit": TOP_SLICES, **period}).fetchall()
    answering = run(con, "report_responsiveness", {"brand": brand.name, "peers": peers, **period}).fetchall()
    weekly_answering = run(con, "report_responsiveness_weekly", {"peers": peers, **period}).fetchall()
    return ReportData(
        summary=summary,
        daily=daily,
        share_of_voice=shares,
        topics=_topics(con, brand.name, period_start, period_end),
        findings=_findings(con, brand.name, period_start, period_end),
        previous_mentions=previous,
        by_source=tuple(Slice(*row[1:]) for row in slices if row[0] == "source"),
        by_language=tuple(Slice(*row[1:]) for row in slices if row[0] == "language"),
        responsiveness=tuple(Responsiveness(*row) for row in answering),
        responsiveness_weekly=tuple(WeeklyResponsiveness(*row) for row in weekly_answering),
    )


def _topics(con: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> tuple[Topic, ...]:
    period = {"brand": brand, "start": start, "end": end}
    rows = run(con, "report_top_topics", {**period, "limit": TOP_TOPICS}).fetchall()
    if not rows:
        return ()
    examples: dict[int, list[Example]] = {}
    params = {**period, "topic_ids": [r[0] for r in rows], "per_topic": EXAMPLES_PER_TOPIC}
    for topic_id, *example in run(con, "report_topic_examples", params).fetchall():
        examples.setdefault(topic_id, []).append(Example(*example))
    return tuple(
        Topic(topic_id, label, tuple(keywords), mentions, negative, tuple(examples.get(topic_id, [])))
        for topic_id, label, keywords, mentions, negative in rows
    )


def _findings(con: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> tuple[Finding, ...]:
    findings = []
    for row in run(con, "report_findings", {"brand": brand, "start": start, "end": end}).fetchall():
        kind, name, scope, period_start, period_end, observed, baseline, magnitude, confidence, headline, evidence = row
        findings.append(
            Finding(
                kind=kind,
                brand=name,
                scope=scope,
                period_start=period_start,
                period_end=period_end,
                observed=observed,
                baseline=baseline,
                magnitude=magnitude,
                confidence=confidence,
                headline=headline,
                evidence=json.loads(evidence),
            )
        )
    return tuple(findings)
