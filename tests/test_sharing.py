"""Sharing the warehouse (issue 10, item 2): readers never break the writer, a second writer
waits a bounded time and then names the holder, a killed run blocks nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoute.cli import app
from ecoute.warehouse.connection import connect
from ecoute.warehouse.errors import WarehouseBusy, WarehouseLocked
from ecoute.warehouse.sharing import current_writer, hold_writer, read_connection, reading, snapshot_of

HOLD_WRITER = """
import sys, time
from pathlib import Path
from ecoute.warehouse.sharing import hold_writer
from ecoute.warehouse.connection import connect
path = Path(sys.argv[1])
with hold_writer(path, what="listen held-by-test", wait_seconds=0):
    with connect(path) as con:
        con.execute("INSERT INTO runs VALUES ('held', 'listen', now()::TIMESTAMP, NULL, 'running', NULL)")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""

OPEN_FILE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", con.sql("SELECT count(*) FROM runs").fetchall()[0][0], flush=True)
time.sleep(float(sys.argv[2]))
print("still reads", con.sql("SELECT count(*) FROM runs").fetchall()[0][0], flush=True)
"""


@contextmanager
def process(script: str, *args: object) -> Iterator[subprocess.Popen[str]]:
    """Run `script` in another process and wait until it says it holds what it holds."""
    child = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("held")
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def add_run(path: Path, run_id: str) -> None:
    with hold_writer(path, what="test", wait_seconds=30), connect(path) as con:
        con.execute(
            "INSERT INTO runs VALUES ($id, 'listen', now()::TIMESTAMP, NULL, 'completed', NULL)", {"id": run_id}
        )


def run_ids(con) -> set[str]:
    return {row[0] for row in con.sql("SELECT run_id FROM runs").fetchall()}


def test_a_second_writer_waits_its_bound_then_names_the_holder(warehouse_path: Path) -> None:
    with process(HOLD_WRITER, warehouse_path, 30) as holder:
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as caught, hold_writer(warehouse_path, what="second", wait_seconds=1.5):
            pass
        waited = time.monotonic() - started
        assert current_writer(warehouse_path).pid == holder.pid
    assert 1.5 <= waited < 10
    message = str(caught.value)
    assert f"`listen held-by-test` (PID {holder.pid} on " in message and "waited 2 s" in message


def test_a_second_writer_goes_on_when_the_first_finishes(warehouse_path: Path) -> None:
    with process(HOLD_WRITER, warehouse_path, 1.5):
        started = time.monotonic()
        add_run(warehouse_path, "second")  # waits, then writes
        assert time.monotonic() - started >= 0.5
    with reading(warehouse_path) as con:
        assert run_ids(con) == {"held", "second"}


def test_a_killed_writer_blocks_nothing_and_its_run_is_marked_interrupted(warehouse_path: Path) -> None:
    from ecoute.pipeline import start_run

    with process(HOLD_WRITER, warehouse_path, 30) as holder:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert current_writer(warehouse_path) is None  # the OS dropped the lock with the process
    shown = CliRunner().invoke(app, ["status", "--settings", str(settings_for(warehouse_path))], terminal_width=200)
    assert shown.exit_code == 0 and "interrupted" in shown.output and "running now" not in shown.output
    with hold_writer(warehouse_path, what="next run", wait_seconds=0), connect(warehouse_path) as con:
        start_run(con, "next", "listen")
        statuses = dict(con.sql("SELECT run_id, status FROM runs").fetchall())
    assert statuses == {"held": "interrupted", "next": "running"}


def settings_for(warehouse_path: Path) -> Path:
    settings = warehouse_path.parent / "ecoute.toml"
    settings.write_text(
        f'[[brands]]\nname = "Zelia"\n\n[[sources]]\nname = "export"\nkind = "file"\npath = "export.jsonl"\n\n'
        f'[warehouse]\npath = "{warehouse_path}"\n'
    )
    return settings


def test_readers_read_the_last_published_copy_while_a_run_writes(warehouse_path: Path) -> None:
    add_run(warehouse_path, "earlier")
    with process(HOLD_WRITER, warehouse_path, 30) as holder:
        with reading(warehouse_path) as con:
            assert run_ids(con) == {"earlier"}  # not the run writing now, and no wait for it
        shown = CliRunner().invoke(app, ["status", "--settings", str(settings_for(warehouse_path))], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert f"running now: `listen held-by-test` (PID {holder.pid}" in shown.output and "completed" in shown.output


def test_a_reader_held_open_never_blocks_the_writer_and_keeps_its_copy(warehouse_path: Path) -> None:
    add_run(warehouse_path, "first")
    with process(OPEN_FILE, snapshot_of(warehouse_path), 3) as reader:
        add_run(warehouse_path, "second")  # no wait: the reader holds the copy, not the warehouse
        with reading(warehouse_path) as con:
            assert run_ids(con) == {"first", "second"}
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "still reads 1"  # its copy stayed whole


def test_a_tool_holding_the_warehouse_file_is_waited_for_then_named(warehouse_path: Path) -> None:
    add_run(warehouse_path, "first")
    with process(OPEN_FILE, warehouse_path, 30) as tool:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as caught, connect(warehouse_path, wait_seconds=1):
            pass
        assert time.monotonic() - started >= 1
    assert f"(PID {tool.pid})" in str(caught.value) and "ecoute.read.duckdb" in str(caught.value)
    # this one lets go after a second: the writer waits, then writes
    with process(OPEN_FILE, warehouse_path, 1), connect(warehouse_path, wait_seconds=30) as con:
        assert run_ids(con) == {"first"}


def test_a_stale_copy_is_refreshed_by_the_next_reader(warehouse_path: Path) -> None:
    add_run(warehouse_path, "first")
    with connect(warehouse_path) as con:  # written outside the lock, as an older ecoute or a killed run leaves it
        con.execute("INSERT INTO runs VALUES ('later', 'listen', now()::TIMESTAMP, NULL, 'completed', NULL)")
    con = read_connection(warehouse_path)
    try:
        assert run_ids(con) == {"first", "later"}
    finally:
        con.close()


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    path = tmp_path / "wh" / "ecoute.duckdb"
    with hold_writer(path, what="create", wait_seconds=0), connect(path):
        pass
    return path
