"""Typed errors shared across layers. The CLI turns them into friendly messages."""

from __future__ import annotations

import errno


class EcouteError(Exception):
    """Base of every error ecoute raises on purpose."""


class SettingsError(EcouteError):
    """The settings file is missing or invalid; the message names the key and the problem."""


class ConnectorError(EcouteError):
    """Base of connector failures (the tree is in `ecoute.connectors.errors`); a query that does
    not parse is one too, since connectors parse the queries they are given."""


class RunFailed(EcouteError):
    """A run that went to the end but not whole: some sources or deliveries failed.

    Its message has one line per failure; `stats` is what the run did (`runs.stats`).
    """

    def __init__(self, message: str, stats: dict[str, object]) -> None:
        super().__init__(message)
        self.stats = stats

    def __reduce__(self) -> tuple[type[RunFailed], tuple[str, dict[str, object]]]:
        return RunFailed, (str(self), self.stats)  # results may be pickled: keep both arguments


class StorageError(EcouteError):
    """The disk refused a write: full, read-only, or not ours to write. Its message says what to do."""


_FULL = {errno.ENOSPC, errno.EDQUOT}
CANNOT_WRITE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})  # a read-only place, or not ours to write


def storage_problem(error: BaseException) -> StorageError | None:
    """What a failed write really was, found anywhere in the exception's chain, said as one line.

    DuckDB reports a full disk as whatever failed next ("cannot rollback - no transaction is
    active"), with the real cause only in the chain or in its own message text.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _storage_problem_in(current)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _storage_problem_in(error: BaseException) -> StorageError | None:
    text = str(error)
    code = error.errno if isinstance(error, OSError) else None
    where = f" at {error.filename}" if isinstance(error, OSError) and error.filename else ""
    what = f" {error.filename}" if isinstance(error, OSError) and error.filename else " there"
    if code in _FULL or "No space left on device" in text or "Disk quota exceeded" in text:
        return StorageError(
            f"the disk is full{where} (No space left on device): free some space, or move the warehouse "
            "([warehouse] path) and the reports ([reports] dir) to a bigger disk, then run again; "
            "the step that failed was rolled back, so running again does not double anything"
        )
    if code in CANNOT_WRITE or "Read-only file system" in text or "Permission denied" in text:
        cause = error.strerror if isinstance(error, OSError) and error.strerror else "not writable"
        return StorageError(
            f"cannot write{what} ({cause}): make that folder writable by this user, or point "
            "[warehouse] path and [reports] dir to one it can write; `ecoute status` and "
            "`ecoute report` still read a read-only warehouse"
        )
    return None
