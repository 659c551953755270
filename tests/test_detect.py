"""Trend detection on a small synthetic warehouse (see `synthetic_warehouse`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from synthetic_warehouse import (
    BRANDS,
    DETECTION,
    LAST_DAY,
    SCRIPT_TEXT,
    SPIKE_DAY,
    SPIKE_MENTIONS,
    STEP_DAYS_BEFORE_END,
    Scenario,
    enrichment_row,
    synthetic_warehouse,
)

from ecoute.core.records import SPIKE_KINDS, Engagement, Finding, Mention
from ecoute.insights.detect import detect, store_findings
from ecoute.warehouse.load import insert_frame, upsert_mentions

QUIET = Scenario(spike=False, emerging=False)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario()) as con:
        yield con


def add_posts(
    con: duckdb.DuckDBPyConnection,
    brand: str,
    days: dict[date, int],
    topic: int,
    text: str,
    negative: Callable[[date], float] = lambda day: 0.2,
    at: datetime | None = None,
) -> None:
    """`days[day]` more posts of `topic` about `brand` on each day, a share `negative(day)` of them negative
    (dealt by quota across days, so that shares hold exactly); ten minutes apart from midnight, or within
    the hour from `at`."""
    mentions, enrichments = [], []
    owed = 0.0
    for day, count in sorted(days.items()):
        owed += negative(day) * count
        negatives, owed = int(owed), owed - int(owed)
        for i in range(count):
            published = (
                at + timedelta(minutes=60 * i // count)
                if at
                else datetime.combine(day, datetime.min.time()) + timedelta(minutes=10 * i)
            )
            mention = Mention(
                source="test-extra",
                native_id=f"{brand}-{topic}-{published.isoformat()}-{i}",
                text=f"{text} {day} {i}",
                published_at=published,
                collected_at=published + timedelta(hours=1),
                brands=(brand,),
                url=f"https://example.test/extra/{brand}/{topic}/{day}/{i}",
                engagement=Engagement(likes=1, replies=0, shares=0),
            )
            sentiment = "negative" if i < negatives else "neutral"
            mentions.append(mention)
            probabilities = (0.8, 0.1, 0.1) if sentiment == "negative" else (0.1, 0.8, 0.1)
            enrichments.append(enrichment_row(mention.mention_id, sentiment, probabilities, topic))
    upsert_mentions(con, mentions)
    insert_frame(con, "insert_enrichments", "incoming_enrichments", pl.DataFrame(enrichments))


def last_days(n: int, per_day: int) -> dict[date, int]:
    return {LAST_DAY - timedelta(days=k): per_day for k in range(n)}


def _only(findings: list[Finding], kind: str, brand: str = "Zelia") -> Finding:
    matching = [f for f in findings if f.kind == kind and f.brand == brand]
    assert len(matching) == 1, [f.headline for f in findings]
    return matching[0]


def test_planted_spike_is_found_with_its_period_and_evidence(warehouse: duckdb.DuckDBPyConnection) -> None:
    """A day with several times the usual, mostly negative, mentions becomes one finding: a negative surge with
    its volume, hourly and daily facets, what drove it, and the numbers and posts behind it."""
    findings = detect(warehouse, BRANDS, DETECTION)

    spike = _only(findings, "negative_surge")
    assert not [f.headline for f in findings if f.kind == "volume_spike"]  # the same event, told once
    assert (spike.period_start, spike.period_end) == (SPIKE_DAY, SPIKE_DAY)
    assert spike.observed >= 0.6 * SPIKE_MENTIONS  # ~70 % of the outage's posts are negative
    assert 1 <= spike.baseline <= 10  # Zelia's usual few negative posts a day
    assert spike.magnitude >= DETECTION.threshold
    assert 0.5 <= spike.confidence <= 1
    assert spike.headline.startswith(f"Zelia: {spike.observed:,.0f} negative mentions on 1 Oct 2026")
    assert "driven by “app outage” (100%) of the rise" in spike.headline
    evidence = spike.evidence
    assert {(f["grain"], f["metric"]) for f in evidence["facets"]} >= {
        ("day", "mentions"),
        ("day", "negative"),
        ("hour", "negative"),  # spread over the whole day, the outage's posts are unusual hour by hour too
    }
    assert evidence["drivers"][0]["label"] == "app outage"
    assert evidence["drivers"][0]["share_of_rise"] >= 0.95
    assert evidence["keywords"][0] == "app outage"
    assert evidence["daily"][-1] == {**evidence["daily"][-1], "day": SPIKE_DAY.isoformat(), "unusual": True}
    assert not any(d["unusual"] for d in evidence["daily"][:-1])
    assert 1 <= len(evidence["examples"]) <= 5
    assert evidence["examples"][0]["text"] == SCRIPT_TEXT  # the most engaged post of the day
    assert {"mention_id", "text", "url", "published_at", "sentiment", "engagement"} <= evidence["examples"][0].keys()
    json.dumps(evidence, allow_nan=False)
    assert not [f for f in findings if f.brand == "Norvo" and f.kind in SPIKE_KINDS]


def test_a_burst_is_heard_within_the_hours_it_starts(tmp_path: Path) -> None:
    """Hourly runs hear a burst while it builds: with only its first hours in the warehouse, it is already a
    finding, at the hourly grain, saying the hour it started."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False)) as con:
        start = datetime.combine(SPIKE_DAY, datetime.min.time()) + timedelta(hours=9)
        for hour in range(2):  # 09:00 and 10:00 of the outage, and nothing later yet
            add_posts(
                con, "Zelia", {SPIKE_DAY: 15}, 3, "Zelia app outage", lambda _: 0.9, start + timedelta(hours=hour)
            )
        findings = detect(con, BRANDS, DETECTION, as_of=SPIKE_DAY)

    spike = _only(findings, "negative_surge")
    assert spike.grain == "hour"
    assert spike.evidence["first_unusual_hour"] == "2026-10-01T09:00"
    assert "first unusual at 09:00 UTC on 1 Oct 2026" in spike.headline


def test_a_young_warehouse_hears_a_burst_and_says_how_little_it_knows(tmp_path: Path) -> None:
    """Two days after the first mention, a burst is already a finding, judged on the brand's short history and
    the other brands' hours of the day, and it says that its confidence is low."""
    silent = Scenario(daily={"Zelia": 0.0, "Norvo": 0.0}, spike=False, emerging=False)
    with synthetic_warehouse(tmp_path / "w.duckdb", silent) as con:
        add_posts(con, "Zelia", {LAST_DAY - timedelta(days=2): 20, LAST_DAY - timedelta(days=1): 20}, 0, "Zelia ok")
        burst = datetime.combine(LAST_DAY, datetime.min.time()) + timedelta(hours=9)
        add_posts(con, "Zelia", {LAST_DAY: 40}, 3, "Zelia app outage", lambda _: 0.9, burst)
        findings = detect(con, BRANDS, DETECTION)

    spike = _only(findings, "negative_surge")
    assert spike.grain == "hour"
    assert spike.evidence["history_hours"] == 57  # 48 hours of history, and 9 before the burst that day
    assert "judged on 2 days of history: low confidence" in spike.headline
    assert spike.confidence < 0.75
    assert any(f["cold_start"] for f in spike.evidence["facets"])


def test_consecutive_unusual_days_make_one_finding(tmp_path: Path) -> None:
    """A spike lasting three days is reported once, from its first to its last day, not three times."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike_days=3)) as con:
        spike = _only(detect(con, BRANDS, DETECTION), "negative_surge")

    assert (spike.period_start, spike.period_end) == (SPIKE_DAY, SPIKE_DAY + timedelta(days=2))
    assert "(unusual 1 to 3 Oct 2026)" in spike.headline


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_flat_series_raises_nothing(tmp_path: Path, seed: int) -> None:
    """Ordinary day-to-day noise never produces a finding (no false alarms)."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(seed=seed, spike=False, emerging=False)) as con:
        assert [f.headline for f in detect(con, BRANDS, DETECTION)] == []


def test_a_weekday_that_is_always_busy_is_not_a_spike(tmp_path: Path) -> None:
    """A brand three times as busy every Monday is compared with its Mondays, so Mondays do not alarm."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False, busy_mondays=True)) as con:
        assert [f.headline for f in detect(con, BRANDS, DETECTION)] == []


def test_detection_only_uses_data_up_to_as_of(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Detecting 'as of' the day before the spike does not see the spike."""
    findings = detect(warehouse, BRANDS, DETECTION, as_of=SPIKE_DAY - timedelta(days=1))

    assert not [f for f in findings if f.kind in {"volume_spike", "negative_surge"}]
    assert not [f for f in findings if f.period_end >= SPIKE_DAY]


def test_emerging_topic_is_found_with_its_keywords(warehouse: duckdb.DuckDBPyConnection) -> None:
    """A topic that appears only in the last week is reported as emerging, with its label and keywords."""
    findings = detect(warehouse, BRANDS, DETECTION)

    topic = _only(findings, "emerging_topic")
    assert topic.scope == "topic:2"
    assert (topic.period_start, topic.period_end) == (LAST_DAY - timedelta(days=6), LAST_DAY)
    assert topic.observed == 35  # five a day for seven days
    assert topic.baseline == 0
    assert "battery recall" in topic.headline
    assert topic.evidence["keywords"] == ["battery", "recall", "fire"]
    assert all("battery recall" in e["text"] for e in topic.evidence["examples"])
    assert not [f for f in findings if f.kind == "emerging_topic" and f.brand == "Norvo"]


def test_steadily_rising_negative_share_is_a_sentiment_shift(tmp_path: Path) -> None:
    """A negative share climbing week after week is reported with where it started and where it is now."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False, negative_trend=True)) as con:
        shift = _only(detect(con, BRANDS, DETECTION), "sentiment_shift")

    assert shift.baseline < 0.2 < 0.5 < shift.observed
    assert shift.magnitude >= 30  # points
    assert "rising" in shift.headline


def test_a_negative_share_that_steps_up_and_stays_is_a_shift_with_its_day(tmp_path: Path) -> None:
    """Not a steady line but a step: the change point says the day it changed, and the shares either side."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False, negative_step=True)) as con:
        findings = detect(con, BRANDS, DETECTION)

    shift = _only(findings, "sentiment_shift")
    changed = LAST_DAY - timedelta(days=STEP_DAYS_BEFORE_END - 1)
    assert shift.evidence["shape"] == "step"
    assert abs((date.fromisoformat(shift.evidence["change_point"]) - changed).days) <= 2
    assert 0.15 <= shift.baseline <= 0.25 and 0.35 <= shift.observed <= 0.45
    assert "stepped up" in shift.headline and "and stayed there" in shift.headline
    assert not [f.headline for f in findings if f.brand == "Norvo"]


def test_a_burst_of_complaints_is_not_a_step(tmp_path: Path) -> None:
    """The days after a burst of complaints carry its posts, but the share falls back: no shift."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(emerging=False, spike_days=3)) as con:
        findings = detect(con, BRANDS, DETECTION)

    assert not [f.headline for f in findings if f.kind == "sentiment_shift"]


def test_share_of_voice_shift_is_found_for_both_brands(tmp_path: Path) -> None:
    """When a competitor triples its volume, the brand's share of voice falls and the competitor's rises."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False, norvo_growth=True)) as con:
        findings = detect(con, BRANDS, DETECTION)

    zelia, norvo = _only(findings, "share_of_voice_shift"), _only(findings, "share_of_voice_shift", "Norvo")
    assert zelia.magnitude <= -10 and "fell" in zelia.headline
    assert norvo.magnitude >= 10 and "rose" in norvo.headline


def test_storing_findings_twice_leaves_the_same_rows(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Running detection again (as every scheduled run does) never duplicates findings."""
    first = detect(warehouse, BRANDS, DETECTION)
    store_findings(warehouse, first)
    rows = warehouse.sql("SELECT finding_id, headline, detected_at FROM findings ORDER BY finding_id").fetchall()

    assert store_findings(warehouse, detect(warehouse, BRANDS, DETECTION)) == len(first)
    assert (
        warehouse.sql("SELECT finding_id, headline, detected_at FROM findings ORDER BY finding_id").fetchall() == rows
    )
    assert sorted(r[0] for r in rows) == sorted(f.finding_id for f in first)


def test_a_launch_is_one_emerging_topic_not_also_a_spike(tmp_path: Path) -> None:
    """A new subject that makes the volume jump is reported once, as the topic, with the jump in its evidence."""
    with synthetic_warehouse(tmp_path / "w.duckdb", QUIET) as con:
        add_posts(con, "Zelia", last_days(7, 60), 2, "Zelia battery recall, what now?")
        findings = detect(con, BRANDS, DETECTION)

    assert not [f for f in findings if f.kind in {"volume_spike", "negative_surge"}], [f.headline for f in findings]
    topic = _only(findings, "emerging_topic")
    assert topic.evidence["explains"][0]["kind"] == "volume_spike"
    assert topic.evidence["explains"][0]["period_start"] == (LAST_DAY - timedelta(days=6)).isoformat()
    assert "it explains the jump in mentions" in topic.headline


def test_a_launch_scattered_over_older_topics_is_still_one_finding(tmp_path: Path) -> None:
    """Posts of the new subject that the topic model put in an older topic are recognised by its signature words."""
    with synthetic_warehouse(tmp_path / "w.duckdb", QUIET) as con:
        add_posts(con, "Zelia", last_days(7, 40), 2, "Zelia battery recall, what now?")
        add_posts(con, "Zelia", last_days(7, 15), 0, "Zelia battery recall: my parcel with the new one is late")
        add_posts(con, "Zelia", last_days(7, 15), 1, "Zelia battery recall: support never called back")
        findings = detect(con, BRANDS, DETECTION)

    assert not [f.headline for f in findings if f.kind in {"volume_spike", "negative_surge"}]
    assert {"battery", "recall"} <= set(_only(findings, "emerging_topic").evidence["signature"])


def test_an_outage_that_forms_a_new_topic_stays_a_spike(tmp_path: Path) -> None:
    """A burst of complaints is the alert people wait for: it stays a spike, and its new topic goes in its evidence."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(emerging=False)) as con:
        findings = detect(con, BRANDS, DETECTION, as_of=SPIKE_DAY)  # the outage's topic is new that day

    spike = _only(findings, "negative_surge")
    assert spike.evidence["emerging_topics"][0]["label"] == "app outage"
    assert "driven by “app outage”" in spike.headline
    assert spike.period_start == SPIKE_DAY
    assert not [f for f in findings if f.kind in {"emerging_topic", "volume_spike"}]


def test_two_emerging_topics_of_one_story_are_one_finding(tmp_path: Path) -> None:
    """A second new topic whose posts speak of the first one's keywords is merged into it."""
    with synthetic_warehouse(tmp_path / "w.duckdb", QUIET) as con:
        add_posts(con, "Zelia", last_days(7, 6), 2, "Zelia battery recall, is mine at risk?")
        add_posts(con, "Zelia", last_days(7, 3), 3, "Zelia sent me a new battery in two days, love it")
        findings = detect(con, BRANDS, DETECTION)

    topic = _only(findings, "emerging_topic")
    assert topic.scope == "topic:2"
    assert [t["topic_id"] for t in topic.evidence["related_topics"]] == [3]
    assert topic.observed == 63


def test_unrelated_emerging_topics_stay_apart(tmp_path: Path) -> None:
    """Two new topics that share no specific word are two findings."""
    with synthetic_warehouse(tmp_path / "w.duckdb", QUIET) as con:
        add_posts(con, "Zelia", last_days(7, 6), 2, "Zelia battery recall, is mine at risk?")
        add_posts(con, "Zelia", last_days(7, 3), 3, "Zelia login broken since the update")
        findings = detect(con, BRANDS, DETECTION)

    assert sorted(f.scope for f in findings if f.kind == "emerging_topic") == ["topic:2", "topic:3"]


def rising(start: float, end: float) -> Callable[[date], float]:
    """A negative share climbing in a straight line over the synthetic warehouse's 60 days."""
    first = LAST_DAY - timedelta(days=59)
    return lambda day: start + (end - start) * (day - first).days / 59


def every_day(per_day: int) -> dict[date, int]:
    return {LAST_DAY - timedelta(days=k): per_day for k in range(60)}


def test_a_slow_rise_under_ten_points_in_a_big_brand_is_a_sentiment_shift(tmp_path: Path) -> None:
    """A classifier under-reads sentiment moves, so ~9 points on hundreds of posts a week is reported."""
    with synthetic_warehouse(tmp_path / "w.duckdb", QUIET) as con:
        add_posts(con, "Zelia", every_day(80), 1, "Zelia support", negative=rising(0.15, 0.27))
        shift = _only(detect(con, BRANDS, DETECTION), "sentiment_shift")

    assert 8 <= shift.magnitude < 10
    assert shift.evidence["z"] >= 2.5


def test_a_small_brand_steady_looking_line_is_not_significant(tmp_path: Path) -> None:
    """Twelve points over eight weeks on 35 posts a week is within chance: no sentiment shift."""
    with synthetic_warehouse(
        tmp_path / "w.duckdb", Scenario(spike=False, emerging=False, daily={"Zelia": 20.0})
    ) as con:
        add_posts(con, "Norvo", every_day(5), 1, "Norvo support", negative=rising(0.2, 0.32))
        findings = detect(con, BRANDS, DETECTION)

    assert not [f.headline for f in findings if f.kind == "sentiment_shift"]
