"""The warehouse: recorded migrations, idempotent loads, the brands' languages (sharing: test_sharing.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from synthetic_warehouse import enrichment_row

from ecoute.core.records import Engagement, Finding, Mention, Rejected
from ecoute.core.settings import Brand
from ecoute.pipeline import sync_brands
from ecoute.warehouse.connection import connect, run
from ecoute.warehouse.dictionary import undocumented
from ecoute.warehouse.errors import MigrationError
from ecoute.warehouse.load import insert_frame, quarantine, upsert_mentions
from ecoute.warehouse.migrate import Migration, migrate


def mention(native_id: str, *, likes: int = 1, text: str = "Zelia is great") -> Mention:
    moment = datetime(2026, 10, 1, 12) + timedelta(minutes=int(native_id))
    return Mention(
        source="export",
        native_id=native_id,
        text=text,
        published_at=moment,
        collected_at=moment,
        brands=("Zelia",),
        engagement=Engagement(likes=likes),
        raw={"id": native_id},
    )


def counts(con) -> dict[str, int]:
    tables = ("mentions", "quarantine", "enrichments", "topics", "findings", "schema_migrations")
    return {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def test_migrations_are_recorded_and_run_once(warehouse_path: Path) -> None:
    """Opening the warehouse twice applies each migration once."""
    with connect(warehouse_path) as con:
        first = con.sql("SELECT version, name FROM schema_migrations").fetchall()
        assert first[0] == (1, "init")
        assert migrate(con) == []
    with connect(warehouse_path) as con:
        assert con.sql("SELECT version, name FROM schema_migrations").fetchall() == first


def test_an_edited_migration_is_refused(warehouse_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing an applied migration would silently diverge the schema: it is an error."""
    import ecoute.warehouse.migrate as module

    with connect(warehouse_path) as con:
        edited = [Migration(m.version, m.name, m.text + "\n-- edited") for m in module.available()]
        monkeypatch.setattr(module, "available", lambda: edited)
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(con)


def test_upgrading_to_one_finding_per_event_keeps_the_alerts_already_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 007 gives a spike's two kinds one id: alerts sent under either old id count for the event,
    so upgrading re-sends nothing; the old spike rows go (detection writes them again)."""
    import duckdb

    import ecoute.warehouse.migrate as module

    every = module.available()
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    marts = module.MARTS
    monkeypatch.setattr(module, "available", lambda: [m for m in every if m.version < 7])
    monkeypatch.setattr(module, "MARTS", ())  # today's views read tables later migrations add
    migrate(con)
    old_ids = {kind: f"old-{kind}" for kind in ("volume_spike", "negative_surge", "emerging_topic")}
    for kind, finding_id in old_ids.items():
        con.execute(
            "INSERT INTO findings VALUES (?, ?, 'Zelia', 'brand', DATE '2026-10-13', DATE '2026-10-14', 1, 1, 1, 1,"
            " 'h', '{}', TIMESTAMP '2026-10-14 06:00')",
            [finding_id, kind],
        )
        con.execute("INSERT INTO sent_alerts VALUES (?, 'email', TIMESTAMP '2026-10-14 06:01')", [finding_id])
    monkeypatch.setattr(module, "available", lambda: every)
    monkeypatch.setattr(module, "MARTS", marts)
    migrate(con)

    event = Finding("negative_surge", "Zelia", "brand", date(2026, 10, 13), date(2026, 10, 14), 1, 1, 1, 1, "h")
    assert replace(event, kind="volume_spike").finding_id == event.finding_id
    alerted = {row[0] for row in con.execute("SELECT finding_id FROM sent_alerts WHERE channel = 'email'").fetchall()}
    assert alerted == {event.finding_id, *old_ids.values()}
    kept = con.execute("SELECT kind, grain FROM findings").fetchall()
    assert kept == [("emerging_topic", "day")]
    con.close()


def test_loading_the_same_mentions_twice_changes_nothing(warehouse_path: Path) -> None:
    """Upserts on (source, native id): a second load adds no row; engagement is refreshed."""
    with connect(warehouse_path) as con:
        first = upsert_mentions(con, [mention("1"), mention("2"), mention("2")])
        assert (first.received, first.inserted) == (3, 2)
        before = counts(con)
        second = upsert_mentions(con, [mention("1", likes=9), mention("2")])
        assert second.inserted == 0 and second.already_present == 2
        assert counts(con) == before
        assert con.sql("SELECT likes FROM mentions WHERE native_id = '1'").fetchall() == [(9,)]


def test_quarantine_keeps_a_bad_record_once_and_counts_returns(warehouse_path: Path) -> None:
    """A malformed record is kept with its reason; seeing it again does not duplicate it."""
    bad = Rejected(source="export", reason="line 3: not valid JSON", payload="{oops")
    with connect(warehouse_path) as con:
        quarantine(con, [bad])
        quarantine(con, [bad])
        assert con.sql("SELECT reason, payload, times_seen FROM quarantine").fetchall() == [
            ("line 3: not valid JSON", "{oops", 2)
        ]


def test_every_column_analysts_see_is_documented(warehouse_path: Path) -> None:
    """The data dictionary covers every table and view column."""
    with connect(warehouse_path) as con:
        assert undocumented(con) == []


def test_undetermined_language_counts_for_a_brand_with_languages(warehouse_path: Path) -> None:
    """A post with no language to read ('und') is counted by a fr/en brand; one in German is not."""
    languages = {"1": "en", "2": "und", "3": "de"}
    with connect(warehouse_path) as con:
        sync_brands(con, [Brand(name="Zelia")])  # languages: the default fr, en
        posts = [mention(native_id, text=f"Zelia post {native_id}") for native_id in languages]
        upsert_mentions(con, posts)
        rows = [
            enrichment_row(post.mention_id, "negative", (0.8, 0.1, 0.1), topic=0, language=languages[post.native_id])
            for post in posts
        ]
        insert_frame(con, "insert_enrichments", "incoming_enrichments", pl.DataFrame(rows))

        assert con.sql("SELECT brand, mentions, negative FROM daily_brand_metrics").fetchall() == [("Zelia", 2, 2)]
        day = date(2026, 10, 1)
        slices = run(con, "report_volume_by", {"brand": "Zelia", "start": day, "end": day, "limit": 8}).fetchall()
        assert {(dimension, value, count) for dimension, value, count, *_ in slices if dimension == "language"} == {
            ("language", "en", 1),
            ("language", "und", 1),
        }
