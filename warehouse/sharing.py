"""Sharing the warehouse: one writer at a time, readers on a published snapshot.

DuckDB lets one process hold a file for writing, and any other process that opens it, even
read-only, locks the writer out. So readers never open the file a run writes:

- A run (or any command that writes) holds `<warehouse>.writer`, an OS lock (`flock`) whose
  file also says who holds it. A second writer waits up to `wait_seconds`, then fails naming
  the holder. The OS drops the lock when its process dies, so a killed run never blocks the
  next one.
- When the writer lets go, it copies the closed DuckDB file to `<stem>.read.duckdb` and
  renames it into place. Readers (`ecoute status`, `ecoute report`, notebooks) open that copy
  read-only: a reader that already has the old copy open keeps reading it, a new one gets
  the new copy, and the writer never waits for either.

A copy of the whole file per run is the price: 25 ms for the demo's 19.7 MB warehouse (5,722
mentions, about 3.4 KB each with embeddings), so seconds at a million mentions, against runs
of minutes. It buys readers the full SQL surface (views, marts, dictionary) exactly as the
writer left it, which a Parquet export would not, and no reader ever waits.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import duckdb

from ecoute.core.errors import CANNOT_WRITE
from ecoute.warehouse.connection import open_file
from ecoute.warehouse.errors import WarehouseBusy, WarehouseMissing

POLL_SECONDS = 0.25


def snapshot_of(path: Path) -> Path:
    """The read-only copy readers open: `ecoute.duckdb` -> `ecoute.read.duckdb`."""
    return path.with_name(f"{path.stem}.read{path.suffix}")


def _lock_file(path: Path) -> Path:
    return path.with_name(f"{path.name}.writer")


@dataclass(frozen=True)
class Writer:
    """Who holds the warehouse for writing, as the holder wrote it down."""

    what: str
    pid: int
    host: str
    since: datetime

    def __str__(self) -> str:
        return f"`{self.what}` (PID {self.pid} on {self.host}, since {self.since:%Y-%m-%d %H:%M:%S} UTC)"


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(lock: Path) -> Writer | None:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
        return Writer(data["what"], int(data["pid"]), data["host"], datetime.fromisoformat(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):  # written half-way, or by an older ecoute
        return None


def current_writer(path: Path) -> Writer | None:
    """The process writing the warehouse now, or None when nobody is."""
    lock = _lock_file(path)
    if not lock.exists():
        return None
    try:
        with lock.open("r+", encoding="utf-8") as handle:
            if _try_lock(handle):  # nobody holds it: the file is what a finished writer left
                return None
    except OSError as error:
        if error.errno not in CANNOT_WRITE:
            raise
        return None  # a read-only folder: nobody can be writing there
    return _read_holder(lock) or Writer("another ecoute process", 0, "?", datetime.now(UTC))


@contextmanager
def hold_writer(path: Path, *, what: str, wait_seconds: float) -> Iterator[None]:
    """Be the warehouse's only writer for the block, then publish the snapshot readers open.

    Waits up to `wait_seconds` for a writer already there; then `WarehouseBusy` names it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_file(path)
    with lock.open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                holder = _read_holder(lock)
                raise WarehouseBusy(
                    f"{path} is being written by {holder or 'another ecoute process'}; waited {wait_seconds:.0f} s. "
                    "Let that run finish (or stop it), then retry; `[warehouse] wait_seconds` sets the wait."
                )
            time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).replace(tzinfo=None)
        json.dump({"what": what, "pid": os.getpid(), "host": socket.gethostname(), "since": since.isoformat()}, handle)
        handle.flush()
        try:
            yield
        except BaseException:
            with suppress(OSError):  # publish what is there, but the block's own error is the one to tell
                _publish_if_any(path)
            raise
        else:
            _publish_if_any(path)
        finally:
            handle.seek(0)
            handle.truncate()  # released: the file no longer names a holder
            # the lock itself goes with the handle's close


def _publish_if_any(path: Path) -> None:
    # nothing to publish when the writer failed before creating the file; and a write-ahead log
    # left behind (DuckDB could not checkpoint: a full disk) means the file alone is not the
    # data, so readers keep the last whole copy
    if path.exists() and not path.with_name(f"{path.name}.wal").exists():
        publish_snapshot(path)


def publish_snapshot(path: Path) -> Path:
    """Copy the (closed) warehouse to its snapshot, atomically: readers see the old or the new copy, whole.

    Call it only while holding the writer lock, with no connection writing the file.
    """
    target = snapshot_of(path)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(path, staging)
        os.replace(staging, target)
    finally:
        with suppress(FileNotFoundError):
            staging.unlink()
    return target


def _snapshot_is_current(path: Path, snapshot: Path) -> bool:
    return snapshot.exists() and snapshot.stat().st_mtime >= path.stat().st_mtime


def read_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection for analysts and reports; the caller closes it.

    It opens the snapshot. A snapshot older than the warehouse (a writer was killed before it
    published, or the file came from an older ecoute) is refreshed first when no run is
    writing; in a folder this process cannot write, the warehouse itself is opened read-only.
    """
    snapshot = snapshot_of(path)
    if not path.exists():
        if snapshot.exists():  # the warehouse was moved away but its copy is here: read what there is
            return open_file(snapshot, read_only=True)
        raise WarehouseMissing(f"no warehouse at {path} yet; `ecoute run` creates it")
    if not _snapshot_is_current(path, snapshot) and current_writer(path) is None:
        try:
            with hold_writer(path, what="refresh the read-only copy", wait_seconds=0):
                pass  # publishing on the way out is the point
        except WarehouseBusy:
            pass  # a run started meanwhile: it will publish when it is done
        except OSError as error:
            if error.errno not in CANNOT_WRITE:
                raise
            return open_file(path, read_only=True)  # cannot write here, so nobody writes here either
    if not snapshot.exists():  # the very first run is still writing
        raise WarehouseMissing(
            f"{path} is being written by {current_writer(path)} for the first time; "
            "readers can open it once that run ends"
        )
    return open_file(snapshot, read_only=True)


@contextmanager
def reading(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """`read_connection` as a context manager, for commands."""
    con = read_connection(path)
    try:
        yield con
    finally:
        con.close()
