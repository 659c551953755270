"""Collection: brand queries applied locally, watermarks per (source, brand), dead sources reported."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from ecoute import pipeline
from ecoute.core.records import Batch, Mention
from ecoute.core.settings import parse_settings
from ecoute.warehouse.connection import connect

ROWS = [
    {"id": "1", "author": "ann", "text": "Zelia card declined again 😡", "created_at": "2026-10-13T08:00:00Z"},
    {"id": "2", "author": "bob", "text": "Zelia is hiring: recrutement ouvert", "created_at": "2026-10-13T09:00:00Z"},
    {
        "id": "3",
        "author": "zelia_help",
        "text": "Sorry Ann, DM us",
        "created_at": "2026-10-13T09:05:00Z",
        "in_reply_to": "1",
    },
    {"id": "4", "author": "cy", "text": "Norvo > Zelia", "created_at": "2026-10-14T10:00:00Z"},
    {"id": "5", "author": "dee", "text": "nothing to see", "created_at": "2026-10-14T11:00:00Z"},
]


def settings_for(tmp_path: Path, path: str = "m.jsonl"):
    return parse_settings(
        {
            "brands": [
                {"name": "Zelia", "query": "zelia NOT recrutement", "handles": ["zelia_help"]},
                {"name": "Norvo"},
            ],
            "sources": [{"name": "export", "kind": "file", "path": path}],
            "warehouse": {"path": "w/ecoute.duckdb"},
        },
        base_dir=tmp_path,
    )


def test_brand_queries_decide_which_posts_are_kept(tmp_path: Path) -> None:
    """Exclusions work, brand answers are kept, unrelated posts are counted, not stored."""
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS))
    settings = settings_for(tmp_path)
    collected = pipeline.collect_source(settings, settings.sources[0])
    brands = {m.native_id: m.brands for m in collected.batch.mentions}
    assert brands == {"1": ("Zelia",), "3": ("Zelia",), "4": ("Zelia", "Norvo")}
    assert collected.off_query == 2 and collected.error is None


def test_a_dead_source_is_reported_not_raised(tmp_path: Path) -> None:
    """A missing export is an error message for that source; the caller goes on."""
    settings = settings_for(tmp_path, "absent.jsonl")
    collected = pipeline.collect_source(settings, settings.sources[0])
    assert collected.error and "no file at" in collected.error and collected.batch.mentions == []


def mention(native_id: str, brand: str, at: datetime) -> Mention:
    return Mention(
        source="export", native_id=native_id, text=f"{brand} ok", published_at=at, collected_at=at, brands=(brand,)
    )


def test_watermarks_move_forward_per_brand(tmp_path: Path) -> None:
    """Each brand resumes from its own newest post, minus a safety overlap; never backwards."""
    t0 = datetime(2026, 10, 1, 12)
    settings = settings_for(tmp_path)
    with connect(settings.warehouse.path) as con:
        assert pipeline.read_watermarks(con, "export", settings.brands) == {"Zelia": None, "Norvo": None}
        pipeline.save_watermarks(
            con, "export", Batch([mention("1", "Zelia", t0), mention("2", "Norvo", t0 + timedelta(days=1))])
        )
        pipeline.save_watermarks(
            con, "export", Batch([mention("0", "Zelia", t0 - timedelta(days=3))])
        )  # older: ignored
        marks = pipeline.read_watermarks(con, "export", settings.brands)
    assert marks == {
        "Zelia": t0 - pipeline.WATERMARK_OVERLAP,
        "Norvo": t0 + timedelta(days=1) - pipeline.WATERMARK_OVERLAP,
    }


def test_collecting_twice_adds_nothing(tmp_path: Path) -> None:
    """The second collection of the same source stores no new row."""
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    settings = settings_for(tmp_path)
    results = []
    for _ in range(2):
        with connect(settings.warehouse.path) as con:
            since = pipeline.read_watermarks(con, "export", settings.brands)
        collected = pipeline.collect_source(settings, settings.sources[0], since=since)
        with connect(settings.warehouse.path) as con:
            results.append(pipeline.load_batch(con, collected)[0].inserted)
            count = con.sql("SELECT count(*) FROM mentions").fetchall()[0][0]
    assert results == [3, 0] and count == 3
