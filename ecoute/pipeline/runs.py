"""The `runs` log (one row per flow run, with its stats) and the period a report covers."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from ecoute.warehouse.connection import run


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str) -> None:
    """Log a run as started; call it holding the writer lock, which makes older 'running' rows dead ones."""
    run(con, "interrupt_abandoned_runs", {"run_id": run_id})
    run(con, "start_run", {"run_id": run_id, "flow": flow})


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, stats: dict[str, Any]) -> None:
    run(con, "finish_run", {"run_id": run_id, "status": status, "stats": json.dumps(stats, default=str)})


def caught_up_by(con: duckdb.DuckDBPyConnection, flow: str, slot: datetime) -> str | None:
    """Why a run scheduled for `slot` (UTC) has nothing to do: a later run of `flow` already went to the end.

    A worker back from downtime starts every late run in turn; the first one reads everything
    (collection goes from the watermarks), and the others are skipped rather than repeated.
    """
    rows = run(con, "caught_up_by", {"flow": flow, "slot": slot}).fetchall()
    if not rows:
        return None
    run_id, started = rows[0]
    return f"run {run_id}, started {started:%Y-%m-%d %H:%M} UTC, after this run's slot ({slot:%Y-%m-%d %H:%M} UTC)"


def skip_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, reason: str) -> None:
    """Log a run that had nothing to do, and why (`ecoute status` shows it)."""
    start_run(con, run_id, flow)
    finish_run(con, run_id, "skipped", {"run_id": run_id, "skipped": reason})


def run_failures(stats: dict[str, Any]) -> list[str]:
    """One line per failed source and per failed delivery channel, as said to people."""
    lines = [f"source {name} failed: {reason}" for name, reason in stats.get("failed_sources", {}).items()]
    alerts = stats.get("detect", {}).get("alerts", {})
    deliveries = stats.get("reports", {}).get("delivery", {})
    channels = [("alerts", name, outcome) for name, outcome in alerts.items()]
    channels += [(f"report {brand}", name, outcome) for brand, by in deliveries.items() for name, outcome in by.items()]
    lines += [
        f"{what} by {name} failed: {outcome['error']}" for what, name, outcome in channels if outcome.get("error")
    ]
    return lines


def report_period(con: duckdb.DuckDBPyConnection, days: int) -> tuple[date, date] | None:
    """Up to `days` days ending at the latest mention, starting no earlier than the first:
    a warehouse holding eight days of mentions gets an eight-day report, not weeks of zeros."""
    first, last = run(con, "report_span").fetchall()[0]
    if last is None:
        return None
    return max(first, last - timedelta(days=days - 1)), last
