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
    return [f"{t}.{c}" for t, c in columns if not known.get(t, {}).get(c, "").strip()]
