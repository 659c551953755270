"""What each detector can judge yet: a new deployment is not "quiet", it is not judging.

Every detector needs some history before it can tell unusual from usual. This says, per
brand, from which day each one judges (and, for hourly bursts, from which day at full
confidence), so a report on a young warehouse says "not enough history to judge daily
spikes before 28 Sep 2026" rather than "nothing unusual".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from ecoute.core.settings import Detection
from ecoute.insights import emerging, shifts, spikes
from ecoute.insights.bursts import HOURS_PER_DAY
from ecoute.insights.events import FULL_HISTORY_HOURS
from ecoute.insights.hourly import RULES
from ecoute.warehouse.connection import run


@dataclass(frozen=True)
class Readiness:
    what: str  # what a marketer would call it: "hourly bursts", "daily spikes", ...
    judged_from: date  # the first day it can raise a finding
    full_from: date  # the first day it judges on a full history (full confidence)

    def ready(self, on: date) -> bool:
        return on >= self.judged_from


def readiness(con: duckdb.DuckDBPyConnection, brands: Sequence[str], settings: Detection) -> dict[str, list[Readiness]]:
    """Per brand heard at least once: each detector's first judged day."""
    rows = run(con, "detect_first_days", {"brands": list(brands)}).fetchall()
    return {brand: detector_readiness(first, settings) for brand, first in rows if first is not None}


def detector_readiness(first_day: date, settings: Detection) -> list[Readiness]:
    """From a brand's first day heard, when each detector judges it."""

    def after(days: int) -> date:
        return first_day + timedelta(days=days)

    cold_days = -(-RULES.min_cold_hours // HOURS_PER_DAY)  # hours of history, rounded up to days
    return [
        Readiness("hourly bursts", after(cold_days), after(FULL_HISTORY_HOURS // HOURS_PER_DAY)),
        Readiness("daily spikes", after(spikes.MIN_HISTORY_DAYS), after(settings.baseline_days)),
        Readiness(
            "emerging topics",
            after(emerging.MIN_HISTORY_DAYS + settings.emerging_days - 1),
            after(emerging.MIN_HISTORY_DAYS + settings.emerging_days - 1),
        ),
        Readiness("sentiment and share-of-voice shifts", after(7 * shifts.MIN_WEEKS), after(7 * shifts.LOOKBACK_WEEKS)),
    ]
