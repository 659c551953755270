"""The hourly burst detector on series whose answer is known, and its bench on a small NAB-shaped folder."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ecoute.bench import nab
from ecoute.insights.bursts import HOURS_PER_DAY, BurstRules, bursts, rolling_zscore, score_series

RHYTHM = np.array([0.2] * 7 + [1.5] * 12 + [0.8] * 5)  # quiet nights, busy days (24 weights)


def daily_rhythm(days: int, level: float, seed: int = 0) -> np.ndarray:
    """Poisson counts of `days` days with the hour-of-day RHYTHM around `level` an hour."""
    rng = np.random.default_rng(seed)
    return rng.poisson(level * np.tile(RHYTHM, days)).astype(float)


def flagged_hours(values: np.ndarray, **options: object) -> list[int]:
    scored = score_series(values, **options)  # type: ignore[arg-type]
    return [int(i) for i in np.flatnonzero(scored.flagged)]


@pytest.mark.parametrize("seed", range(5))
def test_a_steady_rhythm_raises_nothing(seed: int) -> None:
    """Busy days and quiet nights are the usual: five weeks of them raise no burst."""
    assert flagged_hours(daily_rhythm(35, 4.0, seed)) == []


def test_a_burst_is_flagged_from_its_first_hour() -> None:
    """Forty posts in a usual-busy hour are flagged that very hour, and the burst is one, from start to end."""
    values = daily_rhythm(28, 4.0)
    start = 21 * HOURS_PER_DAY + 10
    values[start : start + 3] += 40
    scored = score_series(values)
    found = bursts(scored.flagged, np.nan_to_num(scored.z), BurstRules().merge_hours)

    assert [(b.start, b.end) for b in found] == [(start, start + 2)]
    assert 2 <= scored.expected[start] <= 12  # what a busy hour usually holds, not the burst


def test_the_usual_busy_hour_is_not_a_burst_at_night_it_is() -> None:
    """A count a little above the usual is ordinary at noon; forty posts at 3:00 are not: the baseline is the
    same hour of other days."""
    values = daily_rhythm(28, 4.0)
    noon, night = 21 * HOURS_PER_DAY + 12, 22 * HOURS_PER_DAY + 3
    values[noon], values[night] = 12, 40

    assert flagged_hours(values) == [night]


def test_falls_are_flagged_only_when_asked() -> None:
    """Mentions that stop are not a spike; a series read both ways flags the fall too."""
    values = daily_rhythm(28, 20.0)
    values[22 * HOURS_PER_DAY + 9 : 22 * HOURS_PER_DAY + 15] = 0

    assert flagged_hours(values) == []
    assert flagged_hours(values, direction="both")


def test_missing_hours_are_skipped_not_read_as_zero() -> None:
    """Hours without data (NaN) are neither flagged nor pull the baseline down."""
    values = daily_rhythm(28, 4.0)
    values[15 * HOURS_PER_DAY : 16 * HOURS_PER_DAY] = np.nan

    scored = score_series(values)
    assert not scored.flagged[15 * HOURS_PER_DAY : 16 * HOURS_PER_DAY].any()
    assert flagged_hours(values) == []


def test_cold_start_judges_a_short_history_against_the_prior_profile() -> None:
    """With two days of history the seasonal baseline is unknown; the prior profile and the brand's own mean
    still catch a burst, marked as judged cold, while ordinary hours stay quiet."""
    values = daily_rhythm(3, 2.0)
    burst = 2 * HOURS_PER_DAY + 10
    values[burst] += 60
    weights = np.tile(RHYTHM / RHYTHM.mean(), 3)

    scored = score_series(values, prior_weights=weights)
    assert [int(i) for i in np.flatnonzero(scored.flagged)] == [burst]
    assert scored.cold[burst]
    assert not scored.cold[: BurstRules().min_cold_hours].any()  # the first day is not judged at all
    assert score_series(values).flagged.sum() == 0  # without the prior, nothing can be judged yet


def test_rolling_zscore_waits_for_a_full_window() -> None:
    z = rolling_zscore(daily_rhythm(10, 4.0), 168)
    assert np.isnan(z[:168]).all()
    assert np.isfinite(z[168:]).mean() > 0.9


# --- the NAB bench -------------------------------------------------------------------


def write_series(folder: Path, name: str, values: np.ndarray, start: datetime) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,value"] + [
        f"{(start + timedelta(hours=i)).isoformat(sep=' ')},{v}" for i, v in enumerate(values)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_nab_bench_scores_windows_delays_and_false_alarms(tmp_path: Path) -> None:
    """A planted burst inside its window is found with its delay; a second, unlabelled one is a false alarm;
    the baseline runs beside it on the same series."""
    start = datetime(2020, 1, 1)
    values = daily_rhythm(30, 20.0, seed=3)
    values[20 * HOURS_PER_DAY + 10 : 20 * HOURS_PER_DAY + 14] += 200  # labelled
    values[26 * HOURS_PER_DAY + 10 : 26 * HOURS_PER_DAY + 14] += 200  # not labelled
    write_series(tmp_path, "groupA/one.csv", values, start)
    write_series(tmp_path, "groupA/two.csv", daily_rhythm(30, 20.0, seed=4), start)
    window = [str(start + timedelta(days=20)), str(start + timedelta(days=21))]
    (tmp_path / "windows.json").write_text(json.dumps({"groupA/one.csv": [window], "groupA/two.csv": []}))

    result = nab.run_bench(tmp_path)

    ours = result["detectors"]["ecoute"]
    assert ours["overall"]["windows_found"] == 1
    assert ours["overall"]["median_delay_hours"] == 10.0
    assert ours["series"]["groupA/one.csv"]["false_alarms"] == 1
    assert ours["series"]["groupA/one.csv"]["split"] == "tune"
    assert ours["series"]["groupA/two.csv"]["split"] == "held-out"
    assert set(result["detectors"]) >= {"rolling z-score 7d, |z|>=3", "rolling z-score 7d, |z|>=4"}
    assert "groupA" in nab.table(result)


def test_nab_bench_says_what_it_needs(tmp_path: Path) -> None:
    assert nab.main(["--data", str(tmp_path)]) == 2
