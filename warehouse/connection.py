"""Opening the warehouse's DuckDB file, and running its named SQL files."""

from __future__ import annotations

import re
import time
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


def open_file(path: Path, *, read_only: bool = False, wait_seconds: float = 0) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, waiting up to `wait_seconds` while another process holds it.

    Between ecoute's own processes the writer lock (`ecoute.warehouse.sharing`) already
    decides who writes; a conflict here is a process that opened the file itself (a notebook
    pointed at the warehouse instead of its `.read.duckdb` copy), which the message names.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            holder = _LOCK_HOLDER.search(str(error))
            if holder is None and "lock" not in str(error).lower():
                raise
            if time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            who = f"{holder['program']} (PID {holder['pid']})" if holder else "another process"
            raise WarehouseLocked(
                f"{path} is held open by {who}; waited {wait_seconds:.0f} s. A tool or notebook that opened the "
                f"warehouse file itself locks runs out: have it open {path.stem}.read{path.suffix} instead "
                "(`ecoute.warehouse.sharing.read_connection`), or close it, then retry."
            ) from error


# DuckDB says: Conflicting lock is held in /usr/bin/python3.11 (PID 1234) by user root.
_LOCK_HOLDER = re.compile(r"lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


@contextmanager
def connect(path: Path, *, wait_seconds: float = 0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing (creating its folder), apply pending migrations.

    Hold the writer lock around it (`sharing.hold_writer`); readers use `sharing.reading`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = open_file(path, wait_seconds=wait_seconds)
    try:
        migrate(con)
        yield con
    finally:
        con.close()
