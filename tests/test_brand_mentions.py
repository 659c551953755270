"""Per-brand sentiment in the warehouse: a comparison counts for one brand and against the other."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ecoute import pipeline
from ecoute.core.records import Mention
from ecoute.core.settings import parse_settings
from ecoute.warehouse.connection import connect
from ecoute.warehouse.load import upsert_mentions

POSTS = {
    "switch": ("Passé de Norvo à Zelia, tellement mieux !", ("Zelia", "Norvo")),
    "compare": ("Norvo is way better than Zelia, Zelia blocked my card again", ("Zelia", "Norvo")),
    "single": ("Zelia a encore bloqué ma carte, inadmissible", ("Zelia",)),
}


def test_each_brand_gets_the_sentiment_toward_it(tmp_path: Path, enricher) -> None:
    settings = parse_settings(
        {
            "brands": [{"name": "Zelia", "terms": ["zelia"]}, {"name": "Norvo", "terms": ["norvo"]}],
            "sources": [{"name": "export", "kind": "file", "path": "m.jsonl"}],
        },
        base_dir=tmp_path,
    )
    at = datetime(2026, 10, 1, 12)
    mentions = [
        Mention(source="export", native_id=key, text=text, published_at=at, collected_at=at, brands=brands)
        for key, (text, brands) in POSTS.items()
    ]
    per_brand = pipeline.load_per_brand_sentiment(settings, enricher)
    with connect(settings.warehouse.path) as con:
        pipeline.sync_brands(con, settings.brands)
        upsert_mentions(con, mentions)
        assert pipeline.enrich_pending(con, enricher, batch_size=8, per_brand=per_brand) == 3
        stored = dict(
            ((m.split(":")[1], b), s)
            for m, b, s in con.sql("SELECT mention_id, brand, sentiment FROM brand_sentiments").fetchall()
        )
        toward = dict(
            ((m.split(":")[1], b), s)
            for m, b, s in con.sql("SELECT mention_id, brand, sentiment FROM brand_mentions").fetchall()
        )
        metrics = dict(
            ((b, "negative"), n) for b, n in con.sql("SELECT brand, negative FROM daily_brand_metrics").fetchall()
        )
        # enriching again changes nothing
        assert pipeline.enrich_pending(con, enricher, batch_size=8, per_brand=per_brand) == 0
        assert con.sql("SELECT count(*) FROM brand_sentiments").fetchall()[0][0] == len(stored)
    assert stored[("switch", "Zelia")] == "positive" and stored[("switch", "Norvo")] == "negative"
    assert stored[("compare", "Norvo")] == "positive" and stored[("compare", "Zelia")] == "negative"
    assert not any(key == "single" for key, _ in stored)  # one brand: the post's own sentiment
    assert toward[("single", "Zelia")] == "negative"
    assert toward[("switch", "Zelia")] == "positive"  # the view reads the per-brand rows
    # Zelia: the complaint and the comparison it loses; Norvo: only the switch away from it
    assert metrics[("Zelia", "negative")] == 2 and metrics[("Norvo", "negative")] == 1


RELEVANCE_POSTS = {
    "complaint": "Zelia a encore bloqué ma carte bancaire, impossible de payer mes courses",
    "app": "The Zelia app keeps logging me out before I can send a transfer",
    "niece": "Zelia is also my niece's name lol, she turns five today",
    "cat": "Just realised my cat has the same name as Zelia 😂",
}


def test_matches_not_about_the_brand_are_set_aside_and_listed(tmp_path: Path, enricher) -> None:
    """The niece and the cat are scored off-topic: counted nowhere, listed in off_topic_matches; a comparison
    of two configured brands is kept unscored; a threshold of 0 counts every match again; enriching twice
    scores nothing twice."""
    about = "neobank: mobile banking app, payment card, current and savings accounts"
    data = {
        "brands": [{"name": "Zelia", "terms": ["zelia"], "about": about}, {"name": "Norvo", "terms": ["norvo"]}],
        "sources": [{"name": "export", "kind": "file", "path": "m.jsonl"}],
    }
    settings = parse_settings(data, base_dir=tmp_path)
    at = datetime(2026, 10, 1, 12)
    mentions = [
        Mention(source="export", native_id=key, text=text, published_at=at, collected_at=at, brands=("Zelia",))
        for key, text in RELEVANCE_POSTS.items()
    ]
    compare = "Tried both Zelia and Norvo, keeping Norvo without hesitation"
    mentions.append(
        Mention(
            source="export", native_id="both", text=compare, published_at=at, collected_at=at, brands=("Zelia", "Norvo")
        )
    )
    relevance = pipeline.load_match_relevance(settings, enricher)
    with connect(settings.warehouse.path) as con:
        pipeline.sync_brands(con, settings.brands)
        upsert_mentions(con, mentions)
        assert pipeline.enrich_pending(con, enricher, batch_size=8, relevance=relevance) == 5
        scores = {m.split(":")[1]: s for m, s in con.sql("SELECT mention_id, score FROM brand_relevance").fetchall()}
        counted = {
            m.split(":")[1]
            for (m,) in con.sql("SELECT mention_id FROM brand_mentions WHERE brand = 'Zelia'").fetchall()
        }
        aside = {m.split(":")[1] for (m,) in con.sql("SELECT mention_id FROM off_topic_matches").fetchall()}
        daily = con.sql("SELECT mentions FROM daily_brand_metrics WHERE brand = 'Zelia'").fetchall()
        assert pipeline.enrich_pending(con, enricher, batch_size=8, relevance=relevance) == 0
        assert con.sql("SELECT count(*) FROM brand_relevance").fetchall()[0][0] == 4
        every = parse_settings(
            {**data, "brands": [{**data["brands"][0], "relevance_threshold": 0}, data["brands"][1]]}, base_dir=tmp_path
        )
        pipeline.sync_brands(con, every.brands)
        counted_again = con.sql("SELECT count(*) FROM brand_mentions WHERE brand = 'Zelia'").fetchall()[0][0]
    assert set(scores) == {"complaint", "app", "niece", "cat"}  # the comparison is not scored
    assert counted == {"complaint", "app", "both"} and aside == {"niece", "cat"}, scores
    assert daily == [(3,)]
    assert counted_again == 5


def test_the_settings_default_threshold_is_the_tuned_one() -> None:
    from ecoute.core.settings import Brand
    from ecoute.models.relevance import STORED_THRESHOLD

    assert Brand(name="Zelia").relevance_threshold == STORED_THRESHOLD


def test_a_warehouse_from_before_relevance_counts_as_before(tmp_path: Path, monkeypatch) -> None:
    """Migration 008 on a warehouse with brands and mentions: no relevance rows, a threshold of 0 until the next
    sync, every mention still counted."""
    import duckdb

    import ecoute.warehouse.migrate as module

    every, marts = module.available(), module.MARTS
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    monkeypatch.setattr(module, "available", lambda: [m for m in every if m.version < 8])
    monkeypatch.setattr(module, "MARTS", ())  # today's views read the table migration 008 adds
    module.migrate(con)
    con.execute("INSERT INTO brand_settings VALUES ('Zelia', ['zelia'], [], ['fr', 'en'], now()::TIMESTAMP)")
    at = datetime(2026, 10, 1, 12)
    upsert_mentions(
        con, [Mention(source="x", native_id="1", text="Zelia", published_at=at, collected_at=at, brands=("Zelia",))]
    )
    monkeypatch.setattr(module, "available", lambda: every)
    monkeypatch.setattr(module, "MARTS", marts)
    module.migrate(con)
    assert con.sql("SELECT relevance_threshold FROM brand_settings").fetchall() == [(0.0,)]
    assert con.sql("SELECT brand, relevance FROM brand_mentions").fetchall() == [("Zelia", None)]
    con.close()
