"""Loads into the warehouse. Every load is an upsert on a stable key: loading twice changes nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from ecoute.core.records import Mention, Rejected
from ecoute.warehouse.connection import run

_MENTION_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "mention_id": pl.String,
    "source": pl.String,
    "native_id": pl.String,
    "platform": pl.String,
    "url": pl.String,
    "author_key": pl.String,
    "from_brand": pl.String,
    "text": pl.String,
    "content_hash": pl.String,
    "published_at": pl.Datetime("us"),
    "collected_at": pl.Datetime("us"),
    "brands": pl.List(pl.String),
    "likes": pl.Int64,
    "replies": pl.Int64,
    "shares": pl.Int64,
    "in_reply_to": pl.String,
    "raw": pl.String,
    "source_language": pl.String,
}


@dataclass(frozen=True)
class LoadResult:
    received: int
    inserted: int

    @property
    def already_present(self) -> int:
        return self.received - self.inserted


def _mention_row(m: Mention) -> dict[str, Any]:
    return {
        "mention_id": m.mention_id,
        "source": m.source,
        "native_id": m.native_id,
        "platform": m.platform,
        "url": m.url,
        "author_key": m.author_key,
        "from_brand": m.from_brand,
        "text": m.text,
        "content_hash": m.content_hash,
        "published_at": m.published_at,
        "collected_at": m.collected_at,
        "brands": list(m.brands),
        "likes": m.engagement.likes,
        "replies": m.engagement.replies,
        "shares": m.engagement.shares,
        "in_reply_to": m.in_reply_to,
        "raw": json.dumps(m.raw, ensure_ascii=False, default=str),
        "source_language": m.language,
    }


def upsert_mentions(con: duckdb.DuckDBPyConnection, mentions: Sequence[Mention]) -> LoadResult:
    """Store mentions once per (source, native id); a repeat only refreshes engagement."""
    unique = list({m.mention_id: m for m in mentions}.values())  # one row per key, last seen wins
    if not unique:
        return LoadResult(received=len(mentions), inserted=0)
    incoming_mentions = pl.DataFrame([_mention_row(m) for m in unique], schema=_MENTION_SCHEMA)
    con.register("incoming_mentions", incoming_mentions)
    try:
        existing = len(run(con, "existing_mention_ids").fetchall())
        run(con, "upsert_mentions")
    finally:
        con.unregister("incoming_mentions")
    return LoadResult(received=len(mentions), inserted=len(unique) - existing)


def quarantine(con: duckdb.DuckDBPyConnection, rejected: Sequence[Rejected]) -> int:
    """Keep what could not be parsed, with its reason and payload; returns how many were new or seen again."""
    if not rejected:
        return 0
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = {
        r.rejected_id: {
            "quarantine_id": r.rejected_id,
            "source": r.source,
            "brand": r.brand,
            "reason": r.reason,
            "payload": r.payload,
            "seen_at": now,
        }
        for r in rejected
    }
    incoming_quarantine = pl.DataFrame(list(rows.values()))
    con.register("incoming_quarantine", incoming_quarantine)
    try:
        run(con, "upsert_quarantine")
    finally:
        con.unregister("incoming_quarantine")
    return len(rows)


def insert_frame(con: duckdb.DuckDBPyConnection, sql_name: str, view: str, frame: pl.DataFrame) -> None:
    """Run a named INSERT ... SELECT that reads `view`, bound to `frame` for the statement's duration."""
    if frame.is_empty():
        return
    con.register(view, frame)
    try:
        run(con, sql_name)
    finally:
        con.unregister(view)
