"""What a report shows, read from the warehouse into plain frozen dataclasses.

Templates and charts only ever see these, never a connection or a query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import duckdb

from ecoute.core.records import Finding
from ecoute.core.settings import Brand, Detection, comparison_set
from ecoute.insights.readiness import Readiness, readiness
from ecoute.warehouse.connection import run

TOP_TOPICS = 8
EXAMPLES_PER_TOPIC = 3
TOP_SLICES = 8  # values shown per breakdown (source, language); the rest is "other"
DAILY_UP_TO_DAYS = 21  # periods up to three weeks show share of voice and answering per day, not per week

Grain = Literal["day", "week"]


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
class SharePoint:
    """A brand's share of its comparison set's mentions over one day or week (`ReportData.grain`)."""

    brand: str
    start: date  # the day, or the Monday of the week (the first and last weeks may be partial)
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
class AnsweringPoint:
    """How a brand answered the complaints of one day or week (`ReportData.grain`); those
    without a complaint are absent."""

    brand: str
    start: date  # the day, or the Monday of the week
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
class Previous:
    """The same numbers over as many days just before the report period, to compare with.

    Only when the warehouse holds mentions from all of those days (`coverage` "full"): a
    half-collected period would make any change look dramatic.
    """

    start: date
    end: date
    coverage: Literal["full", "partial", "none"]  # how much of it the warehouse collected
    summary: Summary | None  # None unless coverage is "full"
    responsiveness: Responsiveness | None  # the brand's; None unless coverage is "full"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class SetAside:
    """Keyword matches left out of the report as not about the brand (``off_topic_matches``)."""

    matches: int
    example: str | None


@dataclass(frozen=True)
class ReportData:
    summary: Summary
    daily: tuple[DayCounts, ...]  # every brand of the comparison set, every day
    grain: Grain  # of share_of_voice and answering: "day" for short periods, else "week"
    share_of_voice: tuple[SharePoint, ...]
    topics: tuple[Topic, ...]
    findings: tuple[Finding, ...]
    previous: Previous
    by_source: tuple[Slice, ...]
    by_language: tuple[Slice, ...]
    responsiveness: tuple[Responsiveness, ...]  # the brand first, then its competitors
    answering: tuple[AnsweringPoint, ...]
    readiness: tuple[Readiness, ...] = ()  # from when each detector judges the brand
    set_aside: SetAside = SetAside(0, None)

    @property
    def not_judged(self) -> tuple[Readiness, ...]:
        """The detectors that could not judge the whole period: not enough history before its end."""
        return tuple(r for r in self.readiness if r.judged_from > self.summary.period_start)

    @property
    def brand_responsiveness(self) -> Responsiveness:
        return self.responsiveness[0]

    @property
    def days(self) -> int:
        return (self.summary.period_end - self.summary.period_start).days + 1

    @property
    def previous_mentions(self) -> int | None:
        """The brand's mentions over as many days just before; None when not all collected."""
        return None if self.previous.summary is None else self.previous.summary.mentions


def load_report_data(
    con: duckdb.DuckDBPyConnection,
    brand: Brand,
    all_brands: Sequence[Brand],
    *,
    period_start: date,
    period_end: date,
    detection: Detection | None = None,
) -> ReportData:
    peers = comparison_set(brand, all_brands)
    period = {"start": period_start, "end": period_end}
    days = (period_end - period_start).days + 1
    grain: Grain = "day" if days <= DAILY_UP_TO_DAYS else "week"
    daily = tuple(DayCounts(*row) for row in run(con, "report_daily", {"peers": peers, **period}).fetchall())
    shares = run(con, "report_share_of_voice", {"peers": peers, "grain": grain, **period}).fetchall()
    slices = run(con, "report_volume_by", {"brand": brand.name, "limit": TOP_SLICES, **period}).fetchall()
    answering = run(con, "report_answering", {"peers": peers, "grain": grain, **period}).fetchall()
    return ReportData(
        summary=_summary(con, brand.name, peers, period_start, period_end),
        daily=daily,
        grain=grain,
        share_of_voice=tuple(SharePoint(*row) for row in shares),
        topics=_topics(con, brand.name, period_start, period_end),
        findings=_findings(con, brand.name, period_start, period_end),
        previous=_previous(con, brand.name, peers, period_start, period_end),
        by_source=tuple(Slice(*row[1:]) for row in slices if row[0] == "source"),
        by_language=tuple(Slice(*row[1:]) for row in slices if row[0] == "language"),
        responsiveness=_responsiveness(con, brand.name, peers, period_start, period_end),
        answering=tuple(AnsweringPoint(*row) for row in answering),
        readiness=tuple(readiness(con, [brand.name], detection or Detection()).get(brand.name, [])),
        set_aside=SetAside(*run(con, "report_set_aside", {"brand": brand.name, **period}).fetchall()[0]),
    )


def _summary(con: duckdb.DuckDBPyConnection, brand: str, peers: list[str], start: date, end: date) -> Summary:
    totals = run(con, "report_summary", {"brand": brand, "peers": peers, "start": start, "end": end}).fetchall()[0]
    return Summary(brand, tuple(peers), start, end, *totals)


def _responsiveness(
    con: duckdb.DuckDBPyConnection, brand: str, peers: list[str], start: date, end: date
) -> tuple[Responsiveness, ...]:
    params = {"brand": brand, "peers": peers, "start": start, "end": end}
    return tuple(Responsiveness(*row) for row in run(con, "report_responsiveness", params).fetchall())


def _previous(con: duckdb.DuckDBPyConnection, brand: str, peers: list[str], start: date, end: date) -> Previous:
    """The period of as many days just before, measured the same way when it was collected."""
    days = end - start + timedelta(days=1)
    before_start, before_end = start - days, start - timedelta(days=1)
    first_day = run(con, "report_span").fetchall()[0][0]
    if first_day is None or first_day > before_end:
        return Previous(before_start, before_end, "none", None, None)
    if first_day > before_start:
        return Previous(before_start, before_end, "partial", None, None)
    summary = _summary(con, brand, peers, before_start, before_end)
    answering = _responsiveness(con, brand, peers, before_start, before_end)[0]
    return Previous(before_start, before_end, "full", summary, answering)


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
        kind, name, scope, period_start, period_end, observed, baseline, magnitude, confidence, headline, *rest = row
        grain, evidence = rest
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
                grain=grain,
                evidence=json.loads(evidence),
            )
        )
    return tuple(findings)
