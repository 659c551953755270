"""Emerging topics: what a brand's audience suddenly talks about.

A topic is emerging when its mentions in the last `emerging_days` days reach both
EMERGING_MIN_MENTIONS and EMERGING_RATIO times its average per window of the same length
before (a topic that did not exist before has an average of 0).

A topic's *signature* is its keywords that at least SIGNATURE_SHARE of its recent posts use,
SIGNATURE_LIFT times as often as the brand's other posts do: words new and specific to the
subject ("metal"), not common words it happens to use ("card", "app"). A topic model splits
one new subject by tone (the launch news, the praise of the product in other words) and
scatters some of its posts among older topics. So two emerging topics of a brand are one
story, reported once, when the smaller one's recent posts use a keyword of the larger one in
the same proportions; and the signature, in the finding's evidence, lets the other detectors
recognise the story's posts wherever the topic model put them (see `detect_stories`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb

from ecoute.core.records import Finding
from ecoute.core.settings import Brand, Detection
from ecoute.insights import evidence
from ecoute.warehouse.connection import run

EMERGING_MIN_MENTIONS = 10  # fewer posts in the window are never a trend
EMERGING_RATIO = 3.0  # times the topic's usual volume per window
MIN_HISTORY_DAYS = 14  # days listened to before the window: on a fresh warehouse every topic is "new"
SIGNATURE_SHARE = 0.5  # of a topic's recent posts use the word ...
SIGNATURE_LIFT = 5.0  # ... this many times as often as the brand's other posts do


@dataclass(frozen=True)
class _Emerging:
    brand: str
    topic_id: int
    label: str | None
    start: date
    recent: int
    before: int
    usual: float
    days_before: int


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
    stories: list[list[_Emerging]] = []  # the largest topic of each story first
    for topic in (_Emerging(*row) for row in run(con, "detect_emerging_topics", params).fetchall()):
        story = next((s for s in stories if _same_story(con, topic, s[0], as_of)), None)
        if story:
            story.append(topic)
        else:
            stories.append([topic])
    return [_topic_finding(con, story, settings, as_of) for story in stories]


def topic_ids(finding: Finding) -> list[int]:
    """The topics an emerging_topic finding stands for: its own and those merged into it."""
    return [finding.evidence["topic_id"], *(t["topic_id"] for t in finding.evidence.get("related_topics", []))]


def _specific_words(
    con: duckdb.DuckDBPyConnection, topic: _Emerging, keywords: list[str], story: list[int], as_of: date
) -> list[str]:
    """Those of `keywords` that `topic`'s recent posts use SIGNATURE_SHARE of the time, and
    SIGNATURE_LIFT times as often as the brand's posts outside `story` do (normalised words)."""
    if not keywords:
        return []
    params = {
        "brand": topic.brand,
        "topic_id": topic.topic_id,
        "pair": story,
        "start": topic.start,
        "as_of": as_of,
        "keywords": keywords,
    }
    return [
        word
        for word, inside, elsewhere in run(con, "detect_keyword_lift", params).fetchall()
        if inside >= SIGNATURE_SHARE and inside >= SIGNATURE_LIFT * elsewhere
    ]


def _keywords(con: duckdb.DuckDBPyConnection, topic_id: int) -> tuple[str | None, list[str]]:
    described = run(con, "detect_topic_keywords", {"topic_id": topic_id}).fetchall()
    return (described[0][0], list(described[0][1] or [])) if described else (None, [])


def _same_story(con: duckdb.DuckDBPyConnection, topic: _Emerging, larger: _Emerging, as_of: date) -> bool:
    """Whether `topic`'s recent posts speak of what is specific to the larger topic."""
    if topic.brand != larger.brand:
        return False
    keywords = _keywords(con, larger.topic_id)[1]
    return bool(_specific_words(con, topic, keywords, [topic.topic_id, larger.topic_id], as_of))


def _topic_finding(con: duckdb.DuckDBPyConnection, story: list[_Emerging], settings: Detection, as_of: date) -> Finding:
    main, related = story[0], story[1:]
    brand, start = main.brand, main.start
    described_label, keywords = _keywords(con, main.topic_id)
    label = described_label or main.label or f"topic {main.topic_id}"
    recent, before = sum(t.recent for t in story), sum(t.before for t in story)
    usual = sum(t.usual for t in story)
    window = settings.emerging_days
    series = run(
        con,
        "detect_topic_series",
        {"brand": brand, "topic_ids": [t.topic_id for t in story], "start": start, "end": as_of},
    ).fetchall()
    negative = sum(n for _, _, n in series)
    if before == 0:
        change = "new, never discussed before"
    else:
        change = evidence.versus_usual(recent, usual, f" per {window} days")
    headline = f"{brand}: emerging topic “{label}”, {recent:,} mentions in the last {window} days ({change})"
    related_topics = []
    for topic in related:
        related_label, related_keywords = _keywords(con, topic.topic_id)
        related_label = related_label or topic.label or f"topic {topic.topic_id}"
        related_topics.append(
            {
                "topic_id": topic.topic_id,
                "label": related_label,
                "keywords": related_keywords or [related_label],
                "recent": topic.recent,
                "before": topic.before,
            }
        )
    if related_topics:
        headline += ", with " + ", ".join(f"“{t['label']}”" for t in related_topics)
    signature = _specific_words(con, main, keywords, [t.topic_id for t in story], as_of)
    # how far above the usual the window is, in Poisson standard deviations
    score = (recent - usual) / max(usual, 1.0) ** 0.5
    return Finding(
        kind="emerging_topic",
        brand=brand,
        scope=f"topic:{main.topic_id}",
        period_start=start,
        period_end=as_of,
        observed=float(recent),
        baseline=float(usual),
        magnitude=round(recent / max(usual, 1.0), 2),
        confidence=evidence.confidence(score, settings.threshold),
        headline=headline,
        evidence={
            "topic_id": main.topic_id,
            "label": label,
            "keywords": keywords or [label],
            "related_topics": related_topics,  # emerging topics telling the same story, merged in
            "signature": signature,  # its words that mark its posts wherever the topic model put them
            "window_days": window,
            "recent": recent,
            "before": before,
            "days_before": main.days_before,
            "usual_per_window": evidence.rounded(usual),
            "negative_share": evidence.rounded(negative / recent if recent else None),
            "daily": [{"day": day.isoformat(), "mentions": m, "negative": n} for day, m, n in series],
            "first_seen": _first_seen(series, start, before),
            "examples": evidence.examples(con, brand, start, as_of, topic_id=main.topic_id),
        },
    )


def _first_seen(series: list[tuple[date, int, int]], start: date, before: int) -> str | None:
    """The first day in the window the topic appeared, when it is new; else None."""
    if before:
        return None
    days = [day for day, mentions, _ in series if mentions]
    return (days[0] if days else start).isoformat()
