"""One event, one finding: spikes and emerging topics that tell the same story.

A launch, a viral post or an outage makes a brand's volume jump and new topics emerge at
once. Reported apart, one event would read as three or more findings (volume spike, negative
surge, emerging topics), each saying less than they say together. So:

- a launch: a spike is *explained* by the brand's emerging topics when, their posts taken
  out (those of the topics, and those elsewhere using a topic's signature words: a topic
  model scatters some of a launch's posts among older topics), none of its days is unusual
  any more. It is then no finding of its own but part of the finding of the topic that had
  the most posts in it (`explains` in its evidence). A spike still unusual without them (an
  outage on launch day) stays a spike.
- an outage: a topic whose recent posts are COMPLAINT_MARGIN more negative than the brand's
  usual posts before the spike is a wave of complaints (judged on its whole window: a spike
  of a day or two holds too few of its posts). Its spike stays a spike (the alert people
  wait for), and the complaint topics born in it (at least BORN_IN_SPIKE of their recent
  posts fell in it) are part of the spike's finding (`emerging_topics` in its evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import duckdb

from ecoute.core.dates import span_text
from ecoute.core.records import Finding
from ecoute.core.settings import Brand, Detection
from ecoute.insights import evidence
from ecoute.insights.emerging import topic_ids
from ecoute.insights.spikes import SpikeRun, spike_runs
from ecoute.warehouse.connection import run

# Points of negative share above the brand's usual that make a topic a wave of complaints: an
# outage's topics read ~95 % negative against a usual ~30 %, while a launch's topics, which the
# topic model splits by tone, can read 55-60 % negative against a usual ~40 %.
COMPLAINT_MARGIN = 0.30
BORN_IN_SPIKE = 0.5  # of a topic's recent posts fell in the spike: the spike made the topic


def set_aside(topics: Sequence[Finding]) -> list[dict[str, object]]:
    """The {brand, topic_id} pairs of emerging topic findings, for the detectors to leave out."""
    return [{"brand": t.brand, "topic_id": topic_id} for t in topics for topic_id in topic_ids(t)]


def signatures(topics: Sequence[Finding]) -> list[dict[str, object]]:
    """The {brand, word} pairs of emerging topics' signature words, for the detectors to leave out."""
    return [{"brand": t.brand, "word": word} for t in topics for word in t.evidence.get("signature", [])]


def one_finding_per_story(
    con: duckdb.DuckDBPyConnection,
    runs: list[SpikeRun],
    topics: list[Finding],
    brands: Sequence[Brand],
    settings: Detection,
    as_of: date,
) -> tuple[list[SpikeRun], list[Finding]]:
    """The spikes and emerging topics left to report, each carrying what it absorbed."""
    if not runs or not topics:
        return runs, topics
    unusual_without = {
        (r.brand, r.metric, d.day)
        for r in spike_runs(con, brands, settings, as_of, set_aside(topics), signatures(topics))
        for d in r.days
    }
    kept: list[SpikeRun] = []
    explains: dict[int, list[SpikeRun]] = {}
    absorbed: set[int] = set()
    for spike in runs:
        start, end = spike.start, spike.end
        counts = {i: _topic_posts(con, t, start, end) for i, t in enumerate(topics) if t.brand == spike.brand}
        counts = {i: c for i, c in counts.items() if c[0]}
        if not counts:
            kept.append(spike)
            continue
        usual = sum(d.negative for d in spike.before) / max(sum(d.mentions for d in spike.before), 1)
        complaints = {i for i in counts if (topics[i].evidence["negative_share"] or 0) >= usual + COMPLAINT_MARGIN}
        best = max(counts, key=lambda i: (counts[i][0], -i))
        unusual = any((spike.brand, spike.metric, d.day) in unusual_without for d in spike.days)
        if not unusual and best not in complaints and spike.before:
            explains.setdefault(best, []).append(spike)
            continue
        born = sorted(
            (i for i in complaints if counts[i][0] >= BORN_IN_SPIKE * topics[i].observed),
            key=lambda i: -counts[i][0],
        )
        absorbed.update(born)
        kept.append(replace(spike, topics=tuple(_absorbed(topics[i], *counts[i]) for i in born)))
    kept += [spike for i in absorbed & explains.keys() for spike in explains.pop(i)]  # its topic went to a spike
    reported = [
        _with_explained(con, t, explains[i]) if i in explains else t for i, t in enumerate(topics) if i not in absorbed
    ]
    return kept, reported


def _topic_posts(con: duckdb.DuckDBPyConnection, topic: Finding, start: date, end: date) -> tuple[int, int]:
    """Mentions and negative mentions of an emerging topic (with its merged topics), start to end."""
    params = {"brand": topic.brand, "topic_ids": topic_ids(topic), "start": start, "end": end}
    rows = run(con, "detect_topic_series", params).fetchall()
    return sum(m for _, m, _ in rows), sum(n for _, _, n in rows)


def _explained(con: duckdb.DuckDBPyConnection, topic: Finding, spike: SpikeRun) -> dict[str, Any]:
    """What the topic's evidence says of a spike it explains."""
    peak = spike.peak
    mentions, negative = _topic_posts(con, topic, spike.start, spike.end)
    usual = sum(d.negative for d in spike.before) / max(sum(d.mentions for d in spike.before), 1)
    return {
        "kind": spike.kind,
        "period_start": spike.start.isoformat(),
        "period_end": spike.end.isoformat(),
        "peak_day": peak.day.isoformat(),
        "peak": peak.value,
        "baseline": evidence.rounded(spike.days[0].baseline),
        "total": sum(d.value for d in spike.days),
        "topic_posts": negative if spike.metric == "negative" else mentions,
        "topic_negative_share": evidence.rounded(negative / mentions),
        "usual_negative_share": evidence.rounded(usual),
    }


def _with_explained(con: duckdb.DuckDBPyConnection, topic: Finding, spikes: list[SpikeRun]) -> Finding:
    explained = [_explained(con, topic, spike) for spike in spikes]
    what = {"volume_spike": "mentions", "negative_surge": "negative mentions"}
    parts = [
        f"{what[e['kind']]} ({span_text(date.fromisoformat(e['period_start']), date.fromisoformat(e['period_end']))})"
        for e in explained
    ]
    headline = f"{topic.headline}; it explains the jump in {' and in '.join(parts)}"
    return replace(topic, headline=headline, evidence={**topic.evidence, "explains": explained})


def _absorbed(topic: Finding, mentions: int, negative: int) -> dict[str, Any]:
    return {
        "topic_ids": topic_ids(topic),
        "label": topic.evidence["label"],
        "keywords": topic.evidence["keywords"],
        "recent": int(topic.observed),
        "in_spike": mentions,
        "negative_share": evidence.rounded(negative / mentions),
    }
