"""Bursts in an hourly series: hours far from what the same hour usually holds.

The detector behind hourly volume spikes and negative surges, and the one `ecoute bench
trends --data` scores on public series with labelled anomalies. Pure numpy: a series in,
the hours it flags and the bursts they make out.

What an hour is expected to hold (its seasonal baseline): the median of the same hour on
the previous `season_days` days, mixed with the same hour of the week on the previous
`season_weeks` weeks once two are known — a brand busy at 9:00 on Mondays is not alarming
every Monday at 9:00. An hour is unusual by its robust z-score: its distance from that
baseline over the median absolute deviation of the residuals of the previous
`spread_hours`. Mention counts are compared on a variance-stabilised scale, 2·sqrt(x + 3/8)
(Anscombe), where Poisson noise has a spread of ~1: the spread is floored there, so a quiet
brand does not alarm on a handful of posts.

An hour is flagged by any of three rules, each for a different shape of event:
- a peak: z >= peak_threshold, and more unusual (by record_margin) than any hour of the
  past `record_hours` (two weeks) — a noisy series does not alarm on its usual outliers;
- a sustained rise: z >= sustained_threshold for sustained_hours hours in a row;
- a level shift: the plain z-score against the previous level_window_hours' mean and
  standard deviation >= level_peak_threshold, and more unusual (by record_margin) than any
  hour of the past `record_hours` (it catches the unseasonal jumps and drifts the seasonal
  baseline absorbs); `level_threshold` > 0 adds a sustained form of it (off by default).
Flagged hours less than merge_hours apart make one burst: one event, one finding.

Thresholds were tuned on half of the NAB series (every other file of each group: the highest
share of windows found with at most 0.8 false alarm per series-month) and are reported on
both halves by `ecoute bench trends --data` (see ecoute.bench.nab).

Cold start: the seasonal baseline needs `min_season_days` days. Before that, for counts, an
hour is compared with the series' own mean so far shaped by a prior hour-of-day profile
(the caller's: every brand in the warehouse, as known before that hour), on the Poisson
spread, at the peak threshold; the caller lowers the finding's confidence with the history
it had.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

HOURS_PER_DAY = 24
HOURS_PER_WEEK = 168
MIN_SPREAD_SAMPLES = 48  # hours of residuals before a spread is trusted


@dataclass(frozen=True)
class BurstRules:
    peak_threshold: float = 10.0
    record_margin: float = 1.2
    record_hours: int = 2 * HOURS_PER_WEEK
    sustained_threshold: float = 6.0
    sustained_hours: int = 3
    level_threshold: float = 0.0  # 0: off; else this far for level_hours hours in a row
    level_hours: int = 3
    level_window_hours: int = HOURS_PER_WEEK
    level_peak_threshold: float = 4.0  # a single hour this far, and a record of the past record_hours
    level_min_hours: int = HOURS_PER_WEEK  # history before the level is judged
    merge_hours: int = 12
    season_days: int = 14
    season_weeks: int = 4
    min_season_days: int = 3
    spread_hours: int = 2 * HOURS_PER_WEEK
    min_cold_hours: int = HOURS_PER_DAY  # hours of history before the cold-start rule judges


@dataclass(frozen=True)
class Scored:
    """Per hour: what it was expected to hold, how unusual it is, and whether it is flagged."""

    expected: np.ndarray  # on the raw scale (counts or values)
    z: np.ndarray  # robust z against the seasonal baseline (NaN: not judged)
    level_z: np.ndarray  # plain z against the previous level_window_hours
    flagged: np.ndarray  # bool
    cold: np.ndarray  # bool: judged by the cold-start rule


@dataclass(frozen=True)
class Burst:
    """Flagged hours close together: indexes into the series."""

    start: int
    end: int  # last flagged hour
    peak: int  # the most unusual hour


def score_series(
    values: np.ndarray,
    rules: BurstRules = BurstRules(),
    *,
    counts: bool = True,
    direction: Literal["up", "both"] = "up",
    prior_weights: np.ndarray | None = None,
) -> Scored:
    """Score an hourly series (NaN: no data that hour).

    `counts`: values are event counts (variance-stabilised, Poisson floor); else plain values
    (spread floored at 1 % of their usual size). `direction`: "up" flags rises only.
    `prior_weights` enables the cold-start rule: per hour, how busy that hour of the day
    usually is (mean 1), as known before it (the caller's prior).
    """
    raw = np.asarray(values, dtype=float)
    scale = _anscombe(raw) if counts else raw
    expected = _seasonal_expectation(scale, rules)
    residual = scale - expected
    centre = _rolling(residual, rules.spread_hours, "median")
    mad = 1.4826 * _rolling(np.abs(residual - centre), rules.spread_hours, "median")
    floor = np.ones_like(scale) if counts else 0.01 * np.abs(_rolling(scale, rules.spread_hours, "median"))
    spread = np.where(np.isnan(mad), np.nan, np.fmax(np.fmax(mad, floor), 1e-9))  # no spread yet: not judged
    z = (residual - centre) / spread

    mean = _rolling(scale, rules.level_window_hours, "mean", min_samples=min(HOURS_PER_DAY, rules.level_min_hours))
    std = _rolling(scale, rules.level_window_hours, "std", min_samples=min(HOURS_PER_DAY, rules.level_min_hours))
    level_floor = 1.0 if counts else 1e-9
    level_z = (scale - mean) / np.fmax(np.nan_to_num(std, nan=np.inf), level_floor)
    level_z[: rules.level_min_hours] = np.nan  # a full window of history before the first judgement

    expected_raw = _from_scale(expected, counts)
    cold = np.zeros(len(raw), dtype=bool)
    if counts and prior_weights is not None:
        z, cold, cold_expected = _cold_start(raw, z, prior_weights, rules)
        expected_raw = np.where(cold, cold_expected, expected_raw)

    def strength(series: np.ndarray) -> np.ndarray:
        s = np.nan_to_num(series, nan=0.0)
        return s if direction == "up" else np.abs(s)

    peak_z, level = strength(z), strength(level_z)
    record = _rolling(np.abs(np.nan_to_num(z, nan=0.0)), rules.record_hours, "max", min_samples=MIN_SPREAD_SAMPLES)
    peaks = (peak_z >= rules.peak_threshold) & (
        (peak_z >= rules.record_margin * np.nan_to_num(record, nan=np.inf)) | cold
    )
    sustained = _runs_of(peak_z >= rules.sustained_threshold, rules.sustained_hours)
    shifted = (
        _runs_of(level >= rules.level_threshold, rules.level_hours)
        if rules.level_threshold > 0
        else np.zeros_like(cold)
    )
    if rules.level_peak_threshold > 0:
        level_record = _rolling(
            np.abs(np.nan_to_num(level_z, nan=0.0)), rules.record_hours, "max", min_samples=MIN_SPREAD_SAMPLES
        )
        shifted |= (level >= rules.level_peak_threshold) & (
            level >= rules.record_margin * np.nan_to_num(level_record, nan=np.inf)
        )
    flagged = (peaks | sustained | shifted) & ~np.isnan(raw)
    return Scored(expected=expected_raw, z=z, level_z=level_z, flagged=flagged, cold=cold)


def bursts(flagged: np.ndarray, strength: np.ndarray, merge_hours: int) -> list[Burst]:
    """Flagged hours less than `merge_hours` apart, as bursts with their most unusual hour."""
    found: list[Burst] = []
    for i in np.flatnonzero(flagged):
        if found and i - found[-1].end <= merge_hours:
            last = found[-1]
            peak = i if strength[i] > strength[last.peak] else last.peak
            found[-1] = Burst(last.start, int(i), int(peak))
        else:
            found.append(Burst(int(i), int(i), int(i)))
    return found


def rolling_zscore(values: np.ndarray, window: int, *, min_samples: int = HOURS_PER_DAY) -> np.ndarray:
    """The plain baseline: each point against the mean and standard deviation of the `window` before it."""
    raw = np.asarray(values, dtype=float)
    mean = _rolling(raw, window, "mean", min_samples=min_samples)
    std = _rolling(raw, window, "std", min_samples=min_samples)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, (raw - mean) / std, np.nan)
    z[:window] = np.nan  # a full window of history before the first judgement
    return z


def _seasonal_expectation(scale: np.ndarray, rules: BurstRules) -> np.ndarray:
    """The median of the same hour on previous days (and same hour of previous weeks, once two are known)."""
    days = np.column_stack([_lag(scale, HOURS_PER_DAY * k) for k in range(1, rules.season_days + 1)])
    weeks = np.column_stack([_lag(scale, HOURS_PER_WEEK * k) for k in range(1, rules.season_weeks + 1)])
    known_days = np.sum(~np.isnan(days), axis=1)
    known_weeks = np.sum(~np.isnan(weeks), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no baseline yet
        by_day = np.nanmedian(days, axis=1)
        mixed = np.nanmedian(np.hstack([days[:, :7], weeks]), axis=1)
    expected = np.where(known_weeks >= 2, mixed, by_day)
    return np.where(known_days >= rules.min_season_days, expected, np.nan)


def _cold_start(
    raw: np.ndarray, z: np.ndarray, weights: np.ndarray, rules: BurstRules
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the seasonal z is not known yet: the hour against the mean so far x the prior profile, Poisson
    spread. Returns the z-scores with those hours filled, which hours they are, and what they expected."""
    seen = np.cumsum(~np.isnan(raw))
    history = np.concatenate([[0], seen[:-1]])  # hours known before each hour
    total = np.concatenate([[0.0], np.nancumsum(raw)[:-1]])
    mean = np.divide(total, history, out=np.zeros_like(total), where=history > 0)
    expected = mean * weights
    cold_z = _anscombe(raw) - _anscombe(expected)
    cold = np.isnan(z) & (history >= rules.min_cold_hours) & ~np.isnan(raw)
    return np.where(cold, cold_z, z), cold, expected


def _runs_of(condition: np.ndarray, length: int) -> np.ndarray:
    """True where `condition` has held for the last `length` points in a row."""
    if length <= 1:
        return condition.copy()
    run = np.zeros(len(condition), dtype=int)
    count = 0
    for i, held in enumerate(condition):
        count = count + 1 if held else 0
        run[i] = count
    return run >= length


def _rolling(values: np.ndarray, window: int, how: str, *, min_samples: int = MIN_SPREAD_SAMPLES) -> np.ndarray:
    """A statistic of the `window` points *before* each point, missing points skipped."""
    series = pl.Series(values, nan_to_null=True).shift(1)
    size, least = window, min(min_samples, window)
    rolled = {
        "median": lambda: series.rolling_median(window_size=size, min_samples=least),
        "mean": lambda: series.rolling_mean(window_size=size, min_samples=least),
        "std": lambda: series.rolling_std(window_size=size, min_samples=least),
        "max": lambda: series.rolling_max(window_size=size, min_samples=least),
    }[how]()
    return rolled.cast(pl.Float64).fill_null(np.nan).to_numpy()


def _lag(values: np.ndarray, hours: int) -> np.ndarray:
    lagged = np.full(len(values), np.nan)
    if hours < len(values):
        lagged[hours:] = values[:-hours]
    return lagged


def _anscombe(values: np.ndarray) -> np.ndarray:
    return 2.0 * np.sqrt(np.fmax(values, 0.0) + 0.375)


def _from_scale(scaled: np.ndarray, counts: bool) -> np.ndarray:
    return np.fmax((scaled / 2.0) ** 2 - 0.375, 0.0) if counts else scaled
