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
