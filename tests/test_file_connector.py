"""The file connector: exports become Mentions; bad rows are kept with their reason."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from ecoute.connectors import SourceUnavailable
from ecoute.connectors.base import CollectContext, assign_brands
from ecoute.connectors.files import FileConnector
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import Batch
from ecoute.core.settings import Brand
from ecoute.core.source_settings import FileSource

BRANDS = [Brand(name="Zelia", handles=["zelia_help"]), Brand(name="Norvo", terms=["norvo bank"])]
GOOD = [
    {
        "id": "1",
        "platform": "twitter",
        "author": "alice",
        "text": "Ma carte @Zelia refusée 😡 #zelia",
        "created_at": "2026-10-13T08:00:00Z",
        "likes": 3,
        "replies": 1,
        "shares": 0,
        "url": "https://x.example/1",
    },
    {
        "id": "2",
        "platform": "twitter",
        "author": "zelia_help",
        "text": "Bonjour, écrivez-nous en MP !",
        "created_at": "2026-10-13T08:05:00+02:00",
        "in_reply_to": "1",
    },
    {"id": "3", "platform": "reddit", "author": "bob", "text": "norvo bank vs ZELIA?", "created_at": 1760342400},
    {
        "id": "4",
        "platform": "reddit",
        "author": "carol",
        "text": "nothing about banks here",
        "created_at": "2026-10-13T09:00:00Z",
    },
]


def context(collected_at: datetime) -> CollectContext:
    return CollectContext(brands=BRANDS, pseudonymizer=Pseudonymizer(b"k" * 32), collected_at=collected_at)


def collect(source: FileSource, collected_at: datetime) -> Batch:
    """What the pipeline does: read the file, then apply the brand queries locally."""
    ctx = context(collected_at)
    batch, _ = assign_brands(asyncio.run(FileConnector(source).collect(ctx)), ctx, by_query=source.filters_by_query)
    return batch


def Source(**fields):
    return FileSource(**fields)


def write_jsonl(path: Path, rows: list, extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_rows_become_mentions_with_brands_replies_and_utc(tmp_path: Path, collected_at: datetime) -> None:
    """Brands are matched in the text, brand accounts are recognised, times are UTC."""
    path = write_jsonl(tmp_path / "m.jsonl", GOOD)
    batch = collect(Source(name="export", kind="file", path=path), collected_at)
    by_id = {m.native_id: m for m in batch.mentions}
    assert set(by_id) == {"1", "2", "3"}  # row 4 mentions no brand
    assert by_id["1"].brands == ("Zelia",) and by_id["1"].engagement.likes == 3
    assert by_id["2"].from_brand == "Zelia" and by_id["2"].in_reply_to == "export:1"
    assert by_id["2"].published_at == datetime(2026, 10, 13, 6, 5)  # +02:00 converted to UTC
    assert by_id["3"].brands == ("Zelia", "Norvo")
    assert by_id["3"].published_at == datetime(2025, 10, 13, 8, 0)  # Unix seconds
    assert batch.rejected == []


def test_no_handle_reaches_the_record(tmp_path: Path, collected_at: datetime) -> None:
    """Authors are pseudonymised: the handle is in neither the key nor the raw payload."""
    path = write_jsonl(tmp_path / "m.jsonl", GOOD[:1])
    mention = collect(Source(name="export", kind="file", path=path), collected_at).mentions[0]
    assert mention.author_key and "alice" not in mention.author_key
    assert "alice" not in json.dumps(mention.raw)
    assert mention.raw["author"] == mention.author_key


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not valid JSON"),  # a truncated export line
        ('["a list"]', "expected a JSON object"),  # valid JSON of the wrong shape
        ('{"id": "9", "text": "Zelia ok"}', "timestamp is missing"),  # no date
        ('{"id": "9", "text": "Zelia ok", "created_at": "yesterday"}', "not ISO 8601"),  # unparseable date
        ('{"id": "9", "text": "", "created_at": "2026-10-13T09:00:00Z"}', "(text) is missing or empty"),  # empty post
        ('{"text": "Zelia ok", "created_at": "2026-10-13T09:00:00Z"}', "(id) is missing"),  # no id
        (
            '{"id": "9", "text": "Zelia ok", "created_at": "2026-10-13T09:00:00Z", "likes": "many"}',
            "likes should be a whole number",
        ),
    ],
)
def test_malformed_rows_are_quarantined_with_reason(
    tmp_path: Path, collected_at: datetime, line: str, reason: str
) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", GOOD[:1], extra_lines=(line,))
    batch = collect(Source(name="export", kind="file", path=path), collected_at)
    assert len(batch.mentions) == 1
    assert len(batch.rejected) == 1 and reason in batch.rejected[0].reason
    assert batch.rejected[0].payload  # kept for audit


def test_csv_and_parquet_with_a_column_mapping(tmp_path: Path, collected_at: datetime) -> None:
    """Exports from other tools use their own column names; the mapping reads them."""
    frame = pl.DataFrame(
        {
            "Ticket": ["t1", "t2"],
            "Body": ["Zelia support was great", "Norvo bank app down"],
            "Date": ["2026-10-01T10:00:00Z", "2026-10-02T10:00:00Z"],
        }
    )
    mapping = {
        "id": "Ticket",
        "text": "Body",
        "published_at": "Date",
        "author": None,
        "url": None,
        "platform": None,
        "likes": None,
        "replies": None,
        "shares": None,
        "in_reply_to": None,
    }
    frame.write_csv(tmp_path / "t.csv")
    frame.write_parquet(tmp_path / "t.parquet")
    for name in ("t.csv", "t.parquet"):
        source = Source(name="helpdesk", kind="file", path=tmp_path / name, mapping=mapping)
        batch = collect(source, collected_at)
        assert [m.native_id for m in batch.mentions] == ["t1", "t2"], name
        assert batch.mentions[1].brands == ("Norvo",)


def test_missing_file_is_a_source_failure(tmp_path: Path, collected_at: datetime) -> None:
    """A dead source raises SourceUnavailable naming the path (the flow records it and goes on)."""
    with pytest.raises(SourceUnavailable, match="no file at"):
        collect(Source(name="x", kind="file", path=tmp_path / "gone.jsonl"), collected_at)
