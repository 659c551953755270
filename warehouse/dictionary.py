"""The data dictionary, read from `dictionary.toml`, and a check that it covers the schema."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

import duckdb


@cache
def dictionary() -> dict[str, dict[str, str]]:
    text = (resources.files("ecoute.warehouse") / "dictionary.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def undocumented(con: duckdb.DuckDBPyConnection) -> list[str]:
    """`table.column` for every column of the warehouse that the dictionary does not describe."""
    columns = con.sql(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    known = dictionary()
    return [f"{t}.{c}" for t, c in columns if not describe(known, t, c)]


def describe(known: dict[str, dict[str, str]], table: str, column: str) -> str:
    """A column's description; a view whose `_columns_as` names another table takes that table's
    description for the columns it does not describe itself."""
    entry = known.get(table, {})
    text = entry.get(column, "").strip()
    if not text and entry.get("_columns_as"):
        return describe(known, entry["_columns_as"], column)  # which may take them from another
    return text
