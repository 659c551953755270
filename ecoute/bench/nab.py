"""The burst detector scored on real series with human-labelled anomaly windows (NAB).

    ecoute bench trends --data ../shared/benchmarks/trends/nab [--json]

Each series (`group/name.csv`, `timestamp,value`) is averaged per hour and fed to
`ecoute.insights.bursts` as plain values (not counts), rises and falls both flagged (NAB's
anomalies go both ways: a taxi-less holiday, a machine cooling down). A burst is a finding
at the hour it starts. As `../shared/benchmarks/README.md` asks:

- a window is found when a finding starts inside it; its delay is the hours from the
  window's start to that finding (NAB's windows open before the anomaly, so the delay
  reads "how far into the labelled window");
- a finding that starts outside every window is a false alarm; false alarms are counted
  per series-month (30 days of the series' span).

In the same run, the plain baseline: a rolling z-score over the previous 7 days at the same
grain, flagged at |z| >= 3 and at |z| >= 4, bursts merged the same way.

The detector's thresholds were tuned on the "tune" half (every other file of each group,
sorted by name) and are reported on both halves and overall: the "held-out" figures are the
ones that say how it generalises.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from ecoute.insights.bursts import HOURS_PER_WEEK, BurstRules, bursts, rolling_zscore, score_series
from ecoute.insights.hourly import RULES

DAYS_PER_MONTH = 30
BASELINE_THRESHOLDS = (3.0, 4.0)
TARGET_FOUND = 0.6  # of windows found, overall (issue 12) ...
TARGET_ALARMS = 1.0  # ... with at most this many false alarms per series-month


@dataclass(frozen=True)
class Series:
    name: str  # group/file.csv
    hours: list[datetime]
    values: np.ndarray  # hourly mean, NaN where the hour has no point
    windows: list[tuple[datetime, datetime]]

    @property
    def group(self) -> str:
        return self.name.split("/")[0]

    @property
    def months(self) -> float:
        return (self.hours[-1] - self.hours[0]).total_seconds() / 86400 / DAYS_PER_MONTH


@dataclass
class Tally:
    found: int = 0
    windows: int = 0
    false_alarms: int = 0
    months: float = 0.0
    delays: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.found += other.found
        self.windows += other.windows
        self.false_alarms += other.false_alarms
        self.months += other.months
        self.delays += other.delays

    def as_dict(self) -> dict[str, Any]:
        return {
            "windows_found": self.found,
            "windows": self.windows,
            "found_share": round(self.found / self.windows, 3) if self.windows else None,
            "median_delay_hours": round(statistics.median(self.delays), 1) if self.delays else None,
            "false_alarms": self.false_alarms,
            "series_months": round(self.months, 2),
            "false_alarms_per_series_month": round(self.false_alarms / self.months, 3) if self.months else None,
        }


def load_series(folder: Path) -> list[Series]:
    """Every series listed in `folder/windows.json`, averaged per hour on a full hourly grid."""
    windows_path = folder / "windows.json"
    if not windows_path.is_file():
        raise FileNotFoundError(f"{windows_path} not found: --data takes the NAB folder holding windows.json")
    labelled = json.loads(windows_path.read_text(encoding="utf-8"))
    series = []
    for name in sorted(labelled):
        frame = pl.read_csv(folder / name, try_parse_dates=True).sort("timestamp")
        hourly = frame.group_by_dynamic("timestamp", every="1h").agg(pl.col("value").mean())
        grid = pl.DataFrame(
            {"timestamp": pl.datetime_range(hourly["timestamp"][0], hourly["timestamp"][-1], "1h", eager=True)}
        )
        hourly = grid.join(hourly, on="timestamp", how="left")
        windows = [(_moment(a), _moment(b)) for a, b in labelled[name]]
        values = hourly["value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        series.append(Series(name, hourly["timestamp"].to_list(), values, windows))
    return series


def split_of(series: Sequence[Series]) -> dict[str, str]:
    """'tune' for every other file of each group (sorted by name), 'held-out' for the rest."""
    by_group: dict[str, list[str]] = {}
    for s in sorted(series, key=lambda s: s.name):
        by_group.setdefault(s.group, []).append(s.name)
    return {name: ("tune" if i % 2 == 0 else "held-out") for names in by_group.values() for i, name in enumerate(names)}


def score_starts(series: Series, starts: Sequence[datetime]) -> Tally:
    """Windows found (a start inside), their delays, and starts outside every window."""
    tally = Tally(windows=len(series.windows), months=series.months)
    tally.false_alarms = sum(not any(a <= t <= b for a, b in series.windows) for t in starts)
    for a, b in series.windows:
        inside = [t for t in starts if a <= t <= b]
        if inside:
            tally.found += 1
            tally.delays.append((min(inside) - a).total_seconds() / 3600)
    return tally


Detector = Callable[[Series], list[datetime]]


def ecoute_detector(rules: BurstRules = RULES, direction: Literal["up", "both"] = "both") -> Detector:
    def detect(series: Series) -> list[datetime]:
        scored = score_series(series.values, rules, counts=False, direction=direction)
        strength = np.abs(np.nan_to_num(scored.z, nan=0.0))
        return [series.hours[b.start] for b in bursts(scored.flagged, strength, rules.merge_hours)]

    return detect


def zscore_detector(threshold: float, merge_hours: int = RULES.merge_hours) -> Detector:
    def detect(series: Series) -> list[datetime]:
        z = np.abs(np.nan_to_num(rolling_zscore(series.values, HOURS_PER_WEEK), nan=0.0))
        return [series.hours[b.start] for b in bursts(z >= threshold, z, merge_hours)]

    return detect


def run_bench(folder: Path) -> dict[str, Any]:
    """Score the detector and the baselines per group, per split and overall."""
    series = load_series(folder)
    splits = split_of(series)
    detectors: dict[str, Detector] = {
        "ecoute": ecoute_detector(),
        "ecoute (rises only)": ecoute_detector(direction="up"),
        **{f"rolling z-score 7d, |z|>={t:g}": zscore_detector(t) for t in BASELINE_THRESHOLDS},
    }
    result: dict[str, Any] = {"data": str(folder), "grain": "hour", "detectors": {}}
    for label, detector in detectors.items():
        tallies: dict[str, Tally] = {}
        per_series = {}
        for s in series:
            tally = score_starts(s, detector(s))
            per_series[s.name] = {**tally.as_dict(), "split": splits[s.name]}
            for key in ("overall", s.group, splits[s.name]):
                tallies.setdefault(key, Tally()).add(tally)
        result["detectors"][label] = {
            **{key: t.as_dict() for key, t in tallies.items()},
            "series": per_series,
        }
    ours, plain = result["detectors"]["ecoute"]["overall"], result["detectors"]
    found, alarms = ours["found_share"] or 0.0, ours["false_alarms_per_series_month"] or 0.0
    result["targets"] = {
        "found_share_at_least": TARGET_FOUND,
        "false_alarms_per_series_month_at_most": TARGET_ALARMS,
        "met": found >= TARGET_FOUND and alarms <= TARGET_ALARMS,
        "better_than_baseline_on_both": {
            label: found > (d["overall"]["found_share"] or 0.0)
            and alarms < (d["overall"]["false_alarms_per_series_month"] or 0.0)
            for label, d in plain.items()
            if label.startswith("rolling")
        },
    }
    return result


def table(result: dict[str, Any]) -> str:
    header = ("detector", "part", "found", "share", "median delay h", "false alarms", "per series-month")
    rows = [header]
    for label, d in result["detectors"].items():
        groups = sorted(k for k in d if k not in ("overall", "tune", "held-out", "series"))
        for part in ("overall", "tune", "held-out", *groups):
            if part not in d:
                continue
            t = d[part]
            delay = "-" if t["median_delay_hours"] is None else f"{t['median_delay_hours']:.1f}"
            rows.append(
                (
                    label if part == "overall" else "",
                    part,
                    f"{t['windows_found']}/{t['windows']}",
                    "-" if t["found_share"] is None else f"{t['found_share']:.2f}",
                    delay,
                    str(t["false_alarms"]),
                    f"{t['false_alarms_per_series_month']:.2f}",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    targets = result["targets"]
    lines.append(
        f"targets (found >= {TARGET_FOUND:g}, <= {TARGET_ALARMS:g} false alarm per series-month): "
        f"{'met' if targets['met'] else 'NOT met'}; "
        + "; ".join(
            f"better than {label} on both: {'yes' if yes else 'no'}"
            for label, yes in targets["better_than_baseline_on_both"].items()
        )
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ecoute bench trends --data",
        description="Score the hourly burst detector on NAB series with labelled anomaly windows.",
    )
    parser.add_argument("--data", type=Path, required=True, help="the NAB folder (holding windows.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        result = run_bench(args.data)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if args.json else table(result))
    return 0


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text[:19])


if __name__ == "__main__":
    raise SystemExit(main())
