"""What every flow run does around its work: hold the warehouse, log itself in `runs`, catch up.

A flow run holds the writer lock for its whole length (another run waits up to
`[warehouse] wait_seconds`), logs itself as running, and at the end as completed, partial or
failed. A scheduled run whose slot a later run of the same flow already covered (a worker back
from downtime starts every late run in turn) does nothing and is logged `skipped`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast

import duckdb
from prefect import Task, get_run_logger
from prefect.runtime import deployment, flow_run
from prefect.states import Failed, State

from ecoute import pipeline
from ecoute.core.errors import EcouteError, storage_problem
from ecoute.core.settings import Settings
from ecoute.warehouse.connection import connect
from ecoute.warehouse.sharing import hold_writer

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class RunLog:
    """The run being logged: its stats and final status are filled in by the flow."""

    run_id: str
    stats: dict[str, Any]
    status: str = "failed"  # until the flow says otherwise: an exception leaves it so
    skipped: str | None = None  # why, when a later run already covered this run's slot


def failed_in_one_line(error: Exception) -> State | None:
    """A run that broke on something a person can act on (the warehouse busy, a full disk, a bad
    settings file) ends Failed with that one line, and no traceback in the log but at debug level.
    None for anything else: a bug keeps its traceback."""
    known = error if isinstance(error, EcouteError) else storage_problem(error)
    if known is None:
        return None
    get_run_logger().debug("the run failed on", exc_info=error)
    return Failed(message=f"{type(known).__name__}: {known}", data=known)


def said_in_one_line(body: Callable[P, R]) -> Callable[P, R | State]:
    """A task or flow body whose failures a person can act on end it Failed in one line (see above).

    Put under `@task`/`@flow`. A task so failed raises its error in the flow that called it,
    which ends in that same line.
    """

    @wraps(body)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | State:
        try:
            return body(*args, **kwargs)
        except Exception as error:
            if (failed := failed_in_one_line(error)) is None:
                raise
            return failed

    return wrapper


def step(task: Task[..., Any], *args: Any) -> Any:
    """Run one step of a flow; a step that failed raises its error here, and the flow stops on it."""
    state = cast(State, task(*args, return_state=True))
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):  # a task said_in_one_line returns its error, it does not raise it
        raise result
    return result


def warehouse(settings: Settings) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The warehouse, for a run holding the writer lock (a tool holding the file itself is waited for)."""
    return connect(settings.warehouse.path, wait_seconds=settings.warehouse.wait_seconds)


def scheduled_slot() -> datetime | None:
    """The schedule slot this run is for (UTC, as `runs` stores times); None unless a deployment started it."""
    if deployment.id is None:
        return None
    return flow_run.scheduled_start_time.astimezone(UTC).replace(tzinfo=None)


@contextmanager
def logged_run(settings: Settings, flow: str) -> Iterator[RunLog]:
    run_id = str(flow_run.get_id() or uuid.uuid4())
    path, wait = settings.warehouse.path, settings.warehouse.wait_seconds
    with hold_writer(path, what=f"{flow} {run_id}", wait_seconds=wait):
        log = RunLog(run_id, {"run_id": run_id})
        with warehouse(settings) as con:
            slot = scheduled_slot()
            log.skipped = pipeline.caught_up_by(con, flow, slot) if slot else None
            if log.skipped:
                pipeline.skip_run(con, run_id, flow, log.skipped)
            else:
                pipeline.start_run(con, run_id, flow)
        if log.skipped:
            yield log
            return
        try:
            yield log
        finally:
            with warehouse(settings) as con:
                pipeline.finish_run(con, run_id, log.status, log.stats)
