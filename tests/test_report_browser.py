"""The report as a browser shows it: headless Chromium opens the page, runs its scripts and
draws every chart, with nothing written to the console, and nothing wider than a phone's
390 px. Skipped where Chromium is not installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from synthetic_warehouse import BRANDS, DETECTION, FIRST_DAY, LAST_DAY, Scenario, synthetic_warehouse
from test_reports import Post, add_posts

from ecoute.insights.detect import detect, store_findings
from ecoute.reports import write_report
from ecoute.reports.render import standalone_html

CHROMIUM = Path("/usr/bin/chromium")
_CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\] (.*)")
_CHARTS = re.compile(r'<div id="chart-([a-z-]+)" class="plot[^"]*"')

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")


@dataclass(frozen=True)
class Opened:
    dom: str  # the document after its scripts ran
    console: list[str]  # every message the page wrote to the console, uncaught errors included


def open_in_chromium(page: Path, profile: Path, *options: str) -> Opened:
    """Load a local page in headless Chromium; return its final DOM and its console messages."""
    result = subprocess.run(
        [
            str(CHROMIUM),
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
            *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
            f"--user-data-dir={profile}",
            *("--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom"),
            *options,
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
    # each chart's mode bar offers its PNG, and nothing that would upload the brand's data
    assert opened.dom.count('data-title="Download plot as a PNG"') == len(charts)
    assert "Share chart" not in opened.dom


# Loads a page into an iframe as wide as a phone and, once its charts are drawn, lists what
# sticks out to the right (tables inside a `.scroll` wrapper scroll on their own). Headless
# Chromium will not make its window narrower than 500 px; an iframe can be.
_PHONE = """<!doctype html><body style="margin:0">
<iframe id="page" src="{src}" style="border:0;width:{width}px;height:3000px"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {{
  setTimeout(function () {{
    var view = document.getElementById("page").contentWindow, page = view.document, wide = [];
    page.querySelectorAll("body *").forEach(function (node) {{
      if (!node.closest(".scroll") && node.getBoundingClientRect().right > view.innerWidth + 0.5) {{
        wide.push(node.tagName.toLowerCase() + "." + node.getAttribute("class"));
      }}
    }});
    var out = document.createElement("pre");
    out.id = "measured";
    var charts = page.querySelectorAll(".main-svg").length;
    out.textContent = JSON.stringify({{width: view.innerWidth, charts: charts, wide: wide}});
    document.body.appendChild(out);
  }}, 500);
}});
</script>"""


def test_nothing_is_wider_than_a_phone(report: Path, tmp_path: Path) -> None:
    """At 390 px every chart, card and table fits the screen: no sideways scrolling, nothing cut off."""
    phone = report.parent / "phone.html"  # beside the report: it loads the report and its assets
    phone.write_text(_PHONE.format(src=report.name, width=390), encoding="utf-8")

    opened = open_in_chromium(phone, tmp_path / "profile", "--allow-file-access-from-files")

    found = re.search(r'<pre id="measured">(.*?)</pre>', opened.dom)
    assert found is not None, opened.console
    measured = json.loads(found[1])
    assert measured["width"] == 390
    assert measured["charts"] >= 8  # drawn, so their width counts
    assert measured["wide"] == []


def test_a_page_that_travels_alone_still_draws_or_says_why(report: Path, tmp_path: Path) -> None:
    """Self-contained (as e-mailed), the page draws its charts from anywhere; the linked page copied
    without its assets folder says which file the charts need, with no script error."""
    alone = tmp_path / "inbox"
    alone.mkdir()
    (alone / "attached.html").write_text(standalone_html(report), encoding="utf-8")
    shutil.copy(report, alone / "copied.html")

    attached = open_in_chromium(alone / "attached.html", tmp_path / "profile-1")
    copied = open_in_chromium(alone / "copied.html", tmp_path / "profile-2")

    assert attached.dom.count('class="main-svg"') >= 8 and attached.console == []
    assert 'class="main-svg"' not in copied.dom
    assert '<p id="no-charts" class="note">The charts need the file assets/plotly-' in copied.dom
    assert [m for m in copied.console if "Uncaught" in m] == []


def test_a_script_error_would_be_caught(tmp_path: Path) -> None:
    """The check above can fail: an uncaught error in a page shows up in the console list."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><div id=x></div><script>drawChart();</script>", encoding="utf-8")

    opened = open_in_chromium(page, tmp_path / "profile")

    assert any("Uncaught ReferenceError: drawChart is not defined" in m for m in opened.console)
