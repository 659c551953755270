"""The report as a browser shows it: headless Chromium opens the page, runs its scripts and
draws every chart, with nothing written to the console. Skipped where Chromium is not installed."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from synthetic_warehouse import BRANDS, DETECTION, FIRST_DAY, LAST_DAY, Scenario, synthetic_warehouse
from test_reports import Post, add_posts

from ecoute.insights.detect import detect, store_findings
from ecoute.reports import write_report

CHROMIUM = Path("/usr/bin/chromium")
_CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\] (.*)")
_CHARTS = re.compile(r'<div id="chart-([a-z-]+)" class="plot[^"]*"')

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")


@dataclass(frozen=True)
class Opened:
    dom: str  # the document after its scripts ran
    console: list[str]  # every message the page wrote to the console, uncaught errors included


def open_in_chromium(page: Path, profile: Path) -> Opened:
    """Load a local page in headless Chromium; return its final DOM and its console messages."""
    result = subprocess.run(
        [
            str(CHROMIUM),
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
            *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
            f"--user-data-dir={profile}",
            *("--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom"),
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Opened(result.stdout, [m[1] for line in result.stderr.splitlines() if (m := _CONSOLE.search(line))])


def demo_threads() -> list[Post]:
    """Every day a complaint to each brand: Zelia answers four in five within the hour,
    Norvo one in two after about seven hours."""
    posts = []
    for day in range((LAST_DAY - FIRST_DAY).days + 1):
        start = day * 24 * 60
        posts.append(Post(f"z{day}", "Zelia", start))
        if day % 5:
            answer = Post(f"z{day}-a", "Zelia", start + 10 + day % 50, "neutral", official=True, reply_to=f"z{day}")
            posts.append(answer)
        posts.append(Post(f"n{day}", "Norvo", start))
        if day % 2:
            answer = Post(f"n{day}-a", "Norvo", start + 400 + day, "neutral", official=True, reply_to=f"n{day}")
            posts.append(answer)
    return posts


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    with synthetic_warehouse(folder / "w.duckdb", Scenario()) as con:
        add_posts(con, demo_threads(), start=datetime.combine(FIRST_DAY, datetime.min.time()) + timedelta(hours=9))
        store_findings(con, detect(con, BRANDS, DETECTION))
        paths = write_report(con, BRANDS[0], BRANDS, folder / "reports", period_start=FIRST_DAY, period_end=LAST_DAY)
    return paths.html


def test_report_opens_without_script_errors_and_draws_every_chart(report: Path, tmp_path: Path) -> None:
    """What a marketer sees on opening the file: every chart drawn by plotly, no script error."""
    opened = open_in_chromium(report, tmp_path / "profile")

    assert opened.console == []
    charts = _CHARTS.findall(opened.dom)
    assert set(charts) == {
        *("volume", "sentiment", "share-of-voice", "topics"),
        *("by-source", "by-language", "answered", "first-answer"),
    }
    for name, drawn in zip(charts, re.split(_CHARTS, opened.dom)[2::2], strict=True):
        assert 'class="main-svg"' in drawn, f"chart {name} was not drawn"
        assert 'class="trace' in drawn, f"chart {name} has no data"
    assert "Zelia answers 80% of complaints within 1 hour" in opened.dom


def test_a_script_error_would_be_caught(tmp_path: Path) -> None:
    """The check above can fail: an uncaught error in a page shows up in the console list."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><div id=x></div><script>drawChart();</script>", encoding="utf-8")

    opened = open_in_chromium(page, tmp_path / "profile")

    assert any("Uncaught ReferenceError: drawChart is not defined" in m for m in opened.console)
