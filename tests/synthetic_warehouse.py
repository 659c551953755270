"""A small synthetic warehouse for the detection and report tests.

Two brands over 60 days (2026-08-17 to 2026-10-15) with Poisson daily volumes, enriched
directly (model identity "test"), so tests exercise the real marts without any model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ecoute.core.records import Engagement, Mention
from ecoute.core.settings import Brand, Detection
from ecoute.warehouse.connection import connect
from ecoute.warehouse.load import insert_frame, upsert_mentions

FIRST_DAY = date(2026, 8, 17)
DAYS = 60
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
SPIKE_DAY = date(2026, 10, 1)
SPIKE_MENTIONS = 120
STEP_DAYS_BEFORE_END = 21
SCRIPT_TEXT = "<script>alert(1)</script> Zelia app is down again"

BRANDS = [Brand(name="Zelia", competitors=["Norvo"]), Brand(name="Norvo", competitors=["Zelia"])]
DETECTION = Detection()

# topic id -> (label, keywords)
TOPICS = {
    0: ("delivery delays", ["delivery", "late", "parcel"]),
    1: ("customer service", ["support", "agent", "call"]),
    2: ("battery recall", ["battery", "recall", "fire"]),
    3: ("app outage", ["app", "down", "login"]),
}


@dataclass(frozen=True)
class Scenario:
    """What the synthetic data contains beyond flat noise."""

    seed: int = 7
    daily: dict[str, float] = field(default_factory=lambda: {"Zelia": 20.0, "Norvo": 15.0})
    spike: bool = True  # SPIKE_MENTIONS extra, mostly negative, "app outage" posts for Zelia on SPIKE_DAY
    spike_days: int = 1  # ... and on the days after it
    emerging: bool = True  # "battery recall" appears for Zelia in the last 7 days only
    negative_trend: bool = False  # Zelia's negative share climbs from 10% to 60% over the last 8 weeks
    negative_step: bool = False  # Zelia's negative share steps from 20% to 40% three weeks before the end
    busy_mondays: bool = False  # Zelia always gets three times its usual volume on Mondays
    norvo_growth: bool = False  # Norvo's volume triples over the last two weeks


def enrichment_row(
    mention_id: str, sentiment: str, probabilities: tuple[float, float, float], topic: int, language: str = "en"
) -> dict[str, object]:
    """One ``enrichments`` row as the pipeline writes it, with "test" as every model's name."""
    p_negative, p_neutral, p_positive = probabilities
    return {
        "mention_id": mention_id,
        "language": language,
        "language_confidence": 0.99,
        "sentiment": sentiment,
        "sentiment_score": p_positive - p_negative,
        "p_negative": p_negative,
        "p_neutral": p_neutral,
        "p_positive": p_positive,
        "topic_id": topic,
        "topic_probability": 0.9,
        "language_model": "test",
        "sentiment_model": "test",
        "encoder": "test",
        "topic_model": "test",
        "enriched_at": datetime(2026, 10, 16),
    }


def _sentiment(rng: np.random.Generator, p_negative: float) -> tuple[str, float, float, float]:
    label = rng.choice(["negative", "neutral", "positive"], p=[p_negative, (1 - p_negative) / 2, (1 - p_negative) / 2])
    probabilities = {"negative": (0.8, 0.1, 0.1), "neutral": (0.1, 0.8, 0.1), "positive": (0.1, 0.1, 0.8)}[str(label)]
    return (str(label), *probabilities)


def build(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> None:
    rng = np.random.default_rng(scenario.seed)
    mentions: list[Mention] = []
    enrichments: list[dict[str, object]] = []

    def add(brand: str, day: date, text: str, topic: int, p_negative: float, likes: int) -> None:
        n = len(mentions)
        published = datetime.combine(day, datetime.min.time()) + timedelta(minutes=int(rng.integers(0, 24 * 60)))
        mention = Mention(
            source="test",
            native_id=str(n),
            text=text,
            published_at=published,
            collected_at=published + timedelta(hours=1),
            brands=(brand,),
            url=f"https://example.test/{n}",
            engagement=Engagement(likes=likes, replies=0, shares=0),
        )
        label, p_neg, p_neu, p_pos = _sentiment(rng, p_negative)
        mentions.append(mention)
        enrichments.append(enrichment_row(mention.mention_id, label, (p_neg, p_neu, p_pos), topic))

    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        for brand, usual in scenario.daily.items():
            rate = usual
            if scenario.busy_mondays and brand == "Zelia" and day.weekday() == 0:
                rate = 3 * usual
            if scenario.norvo_growth and brand == "Norvo" and offset >= DAYS - 14:
                rate = 3 * usual
            p_negative = 0.2
            if scenario.negative_trend and brand == "Zelia" and offset >= DAYS - 56:
                p_negative = 0.1 + 0.5 * (offset - (DAYS - 56)) / 55
            if scenario.negative_step and brand == "Zelia" and offset >= DAYS - STEP_DAYS_BEFORE_END:
                p_negative = 0.4
            for i in range(int(rng.poisson(rate))):
                topic = i % 2
                add(
                    brand,
                    day,
                    f"{brand} {TOPICS[topic][0]} post {offset}-{i}",
                    topic,
                    p_negative,
                    int(rng.integers(0, 20)),
                )
        if scenario.emerging and offset >= DAYS - 7:
            for i in range(5):
                add("Zelia", day, f"Zelia battery recall worry {offset}-{i}", 2, 0.5, int(rng.integers(0, 20)))
        if scenario.spike and SPIKE_DAY <= day < SPIKE_DAY + timedelta(days=scenario.spike_days):
            if day == SPIKE_DAY:
                add("Zelia", day, SCRIPT_TEXT, 3, 1.0, 5000)
            for i in range(SPIKE_MENTIONS - (day == SPIKE_DAY)):
                add("Zelia", day, f"Zelia app outage, cannot log in {offset}-{i}", 3, 0.7, int(rng.integers(0, 50)))

    upsert_mentions(con, mentions)
    insert_frame(con, "insert_enrichments", "incoming_enrichments", pl.DataFrame(enrichments))
    topics = pl.DataFrame(
        [
            {
                "topic_model": "test",
                "topic_id": topic_id,
                "label": label,
                "keywords": keywords,
                "size": 100,
                "representative": [],
                "fitted_at": datetime(2026, 10, 16),
            }
            for topic_id, (label, keywords) in TOPICS.items()
        ],
        schema_overrides={"representative": pl.List(pl.String)},
    )
    insert_frame(con, "upsert_topics", "incoming_topic_info", topics)


@contextmanager
def synthetic_warehouse(path: Path, scenario: Scenario | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh warehouse at `path` filled with the scenario (default: spike and emerging topic)."""
    with connect(path) as con:
        build(con, scenario or Scenario())
        yield con
