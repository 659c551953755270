"""Ordered, recorded schema migrations (`migrations/NNN_name.sql`) and the marts views.

An applied migration is never run again; editing one after it was applied is an error,
because the warehouse would no longer match the files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from ecoute.warehouse.errors import MigrationError
from ecoute.warehouse.transaction import transaction

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

# Marts are views over the raw and enrichment tables; order matters when one builds on another.
MARTS = (
    "mentions_enriched",
    "brand_mentions",
    "off_topic_matches",
    "counted_mentions",
    "daily_brand_metrics",
    "topic_daily",
    "responsiveness",
    "responsiveness_weekly",
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def available() -> list[Migration]:
    found = []
    for entry in (resources.files("ecoute.warehouse") / "migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply what is pending, each in its own transaction; (re)create the marts. Returns what ran."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    applied = dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    ran = []
    for migration in available():
        if migration.version in applied:
            if applied[migration.version] != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version:03d}_{migration.name} changed after it was applied; "
                    "add a new migration instead of editing an old one"
                )
            continue
        try:
            with transaction(con):
                con.execute(migration.text)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?, now()::TIMESTAMP)",
                    [migration.version, migration.name, migration.checksum],
                )
        except duckdb.Error as error:
            raise MigrationError(f"migration {migration.version:03d}_{migration.name} failed: {error}") from error
        ran.append(migration)
    for mart in MARTS:
        con.execute((resources.files("ecoute.warehouse") / "marts" / f"{mart}.sql").read_text(encoding="utf-8"))
    return ran
