"""Opening the warehouse: one writer per DuckDB file, a clear error when it is held."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from ecoute.warehouse.errors import WarehouseLocked
from ecoute.warehouse.migrate import migrate


@cache
def sql(name: str) -> str:
    """The text of `warehouse/sql/<name>.sql` (or `marts/<name>.sql` when prefixed `marts/`)."""
    folder, _, stem = name.rpartition("/")
    return (resources.files("ecoute.warehouse") / (folder or "sql") / f"{stem}.sql").read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute a named SQL file with bound parameters; returns the cursor for fetching."""
    return con.execute(sql(name), params or {})


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file (creating its folder), apply pending migrations, build the marts.

    DuckDB lets one process write a file at a time; a second process gets an IOException
    that we turn into `WarehouseLocked`, which says which file and what to do.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if re.search(r"lock", str(error), re.IGNORECASE):
            raise WarehouseLocked(
                f"{path} is in use by another process (DuckDB allows one writer). "
                "Wait for the running flow to finish, or stop it, then retry."
            ) from error
        raise
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()
