"""File imports: CSV, JSONL and Parquet exports from other tools, with a column mapping.

`parse_records` is pure (records in, Mentions and rejections out) so tests can feed it
rows directly; `FileConnector.collect` only reads the file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from ecoute.connectors.base import BrandMatcher, CollectContext, parse_items
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import Fetcher
from ecoute.core.records import Batch, Engagement, Mention, Rejected, mention_id
from ecoute.core.source_settings import FileMapping, FileSource

Record = dict[str, Any]


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 (with Z or an offset; naive is UTC) or Unix seconds, as naive UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ParseError(f"timestamp {value!r} is not ISO 8601") from None
    else:
        raise ParseError(f"timestamp is missing (got {value!r})")
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _count(value: Any, column: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ParseError(f"{column} should be a whole number, got {value!r}") from None
    if number < 0:
        raise ParseError(f"{column} should not be negative, got {number}")
    return number


def _text(record: Record, column: str | None) -> str | None:
    if column is None:
        return None
    value = record.get(column)
    return None if value is None or value == "" else str(value)


def _scrubbed(record: Record, mapping: FileMapping, author_key: str | None) -> Record:
    """The payload as received, except the handle, which never reaches the warehouse."""
    if mapping.author and mapping.author in record:
        return {**record, mapping.author: author_key}
    return dict(record)


def parse_record(record: Record, source: FileSource, context: CollectContext, matcher: BrandMatcher) -> Mention:
    """One export row as a Mention (brands are assigned later by the brand queries); ParseError when malformed."""
    mapping = source.mapping
    native_id = _text(record, mapping.id)
    if native_id is None:
        raise ParseError(f"column {mapping.id!r} (id) is missing or empty")
    text = _text(record, mapping.text)
    if text is None or not text.strip():
        raise ParseError(f"column {mapping.text!r} (text) is missing or empty")
    published_at = parse_timestamp(record.get(mapping.published_at))
    platform = _text(record, mapping.platform) or source.name
    handle = _text(record, mapping.author)
    from_brand = matcher.official_brand(handle)
    author_key = context.pseudonymizer.author_key(platform, handle) if handle else None
    parent = _text(record, mapping.in_reply_to)
    return Mention(
        source=source.name,
        native_id=native_id,
        text=text,
        published_at=published_at,
        collected_at=context.collected_at,
        brands=(from_brand,) if from_brand else (),
        url=_text(record, mapping.url),
        author_key=author_key,
        from_brand=from_brand,
        in_reply_to=mention_id(source.name, parent) if parent else None,
        language=_text(record, mapping.language),
        platform=platform,
        engagement=Engagement(
            likes=_count(record.get(mapping.likes), "likes") if mapping.likes else None,
            replies=_count(record.get(mapping.replies), "replies") if mapping.replies else None,
            shares=_count(record.get(mapping.shares), "shares") if mapping.shares else None,
        ),
        raw=_scrubbed(record, mapping, author_key),
    )


def parse_records(records: Iterable[Record | Rejected], source: FileSource, context: CollectContext) -> Batch:
    """Mentions and rejections from rows, in order."""
    matcher = context.matcher()
    author = source.mapping.author

    def scrub(record: Record, removed: str) -> Record:
        return _scrubbed(record, source.mapping, removed) if author and record.get(author) else record

    return parse_items(
        records, lambda record: parse_record(record, source, context, matcher), scrub, source=source.name
    )


def _jsonl_records(path: Path, source_name: str) -> Iterator[Record | Rejected]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield Rejected(
                    source_name,
                    f"line {number}: not valid JSON ({error.msg} at column {error.colno})",
                    line.rstrip("\n"),
                )
                continue
            if not isinstance(value, dict):
                yield Rejected(
                    source_name, f"line {number}: expected a JSON object, got {type(value).__name__}", line.rstrip("\n")
                )
                continue
            yield value


def _csv_records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _parquet_records(path: Path) -> Iterator[Record]:
    yield from pl.read_parquet(path).iter_rows(named=True)


def read_records(path: Path, file_format: str | None, source_name: str) -> Iterator[Record | Rejected]:
    if not path.exists():
        raise SourceUnavailable(f"{source_name}: no file at {path}")
    file_format = file_format or path.suffix.lstrip(".").lower()
    if file_format in {"jsonl", "ndjson"}:
        return _jsonl_records(path, source_name)
    if file_format == "csv":
        return _csv_records(path)
    if file_format == "parquet":
        return _parquet_records(path)
    raise SourceUnavailable(
        f"{source_name}: cannot tell the format of {path.name}; set `format` to jsonl, csv or parquet"
    )


class FileConnector:
    """Reads an export file; every row becomes a Mention or a quarantined record."""

    kind = "file"

    def __init__(self, source: FileSource) -> None:
        self.source = source
        self.name = source.name

    async def collect(self, context: CollectContext, fetcher: Fetcher | None = None) -> Batch:
        return parse_records(read_records(self.source.path, self.source.format, self.name), self.source, context)
