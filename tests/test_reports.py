"""The brand report: a self-contained HTML page and a Markdown digest."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape
from plotly.offline import get_plotlyjs
from synthetic_warehouse import BRANDS, DETECTION, FIRST_DAY, LAST_DAY, SCRIPT_TEXT, Scenario, synthetic_warehouse

from ecoute.records import Finding
from ecoute.reports import ReportPaths, write_report
from ecoute.reports.render import http_url, md_text
from warehouse.detect import detect, store_findings

_CHART_DATA = re.compile(r'<script type="application/json" id="chart-([a-z-]+)-data">(.*?)</script>', re.DOTALL)


@dataclass(frozen=True)
class Written:
    paths: ReportPaths
    html: str
    markdown: str
    findings: list[Finding]


def _write(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Written:
    findings = detect(con, BRANDS, DETECTION)
    store_findings(con, findings)
    paths = write_report(con, BRANDS[0], BRANDS, out_dir, period_start=FIRST_DAY, period_end=LAST_DAY)
    html, markdown = paths.html.read_text(encoding="utf-8"), paths.markdown.read_text(encoding="utf-8")
    return Written(paths, html, markdown, [f for f in findings if f.brand == "Zelia"])


@pytest.fixture
def written(tmp_path: Path) -> Iterator[Written]:
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario()) as con:
        yield _write(con, tmp_path / "reports")


def test_report_files_are_named_by_brand_and_period(written: Written, tmp_path: Path) -> None:
    """One HTML page and one Markdown digest per brand and period, under the reports folder."""
    stem = f"zelia_{FIRST_DAY}_{LAST_DAY}"
    assert written.paths == ReportPaths(tmp_path / "reports" / f"{stem}.html", tmp_path / "reports" / f"{stem}.md")


def test_html_lists_every_finding_headline(written: Written) -> None:
    """'What changed' and the findings section show each of the brand's findings in plain words."""
    assert {f.kind for f in written.findings} >= {"volume_spike", "negative_surge", "emerging_topic"}
    for finding in written.findings:
        assert written.html.count(str(escape(finding.headline))) == 2  # the list and the finding itself
    assert written.html.index("What changed") < written.html.index('id="chart-volume"') < written.html.index("Findings")


def test_html_embeds_the_chart_data_and_plotly_once(written: Written) -> None:
    """Charts carry the warehouse's numbers and plotly.js is inlined once, so the page works offline."""
    charts = {name: json.loads(data) for name, data in _CHART_DATA.findall(written.html)}

    assert set(charts) == {"volume", "sentiment", "share-of-voice", "topics"}
    volume = {trace["name"]: trace["y"] for trace in charts["volume"]["data"]}
    assert set(volume) == {"Zelia", "Norvo"}
    spike = next(f for f in written.findings if f.kind == "volume_spike")
    assert max(volume["Zelia"]) == spike.observed
    assert "app outage" in charts["topics"]["data"][0]["y"]
    assert written.html.count(get_plotlyjs()[:200]) == 1
    assert "<script src=" not in written.html  # nothing is fetched from the network


def test_mention_text_is_escaped_in_html(written: Written) -> None:
    """A post containing a script tag is shown as text, never run as code."""
    assert SCRIPT_TEXT not in written.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zelia app is down again" in written.html
    # the only script elements are plotly.js, the chart loader and the chart data
    assert written.html.count("<script") == 2 + len(_CHART_DATA.findall(written.html))


def test_markdown_digest_lists_findings_and_quotes_posts_safely(written: Written) -> None:
    """The chat digest has the summary, every finding's headline, top topics, and quotes that cannot inject markup."""
    assert written.markdown.startswith(f"# Zelia · {FIRST_DAY} to {LAST_DAY}")
    for finding in written.findings:
        assert md_text(finding.headline) in written.markdown
    assert "## Top topics" in written.markdown and "**app outage**" in written.markdown
    assert "<script>" not in written.markdown
    assert r"\<script\>alert(1)\</script\>" in written.markdown


def test_a_quiet_period_says_nothing_changed(tmp_path: Path) -> None:
    """With no findings, the report says so instead of showing an empty list."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False)) as con:
        written = _write(con, tmp_path)

    assert written.findings == []
    assert "Nothing unusual was detected in this period." in written.html
    assert "Nothing unusual was detected in this period." in written.markdown


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.test/post/1", "https://example.test/post/1"),  # a normal post link
        ("javascript:alert(1)", None),  # a script URL must never become a link
        ("  JavaScript:alert(1)", None),  # whatever its case and spacing
        ("data:text/html,<b>x</b>", None),  # nor inline documents
        (None, None),  # a post without a URL has no link
    ],
)
def test_only_web_links_become_links(url: str | None, linked: str | None) -> None:
    """Links to original posts are http(s) only, so a crafted URL cannot run code in the page."""
    assert http_url(url) == linked
