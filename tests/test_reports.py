"""The brand report: what it says. An HTML page and a Markdown digest per brand and period;
the page itself (assets, size, phone layout, images) is in test_report_page.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from markupsafe import escape
from synthetic_warehouse import (
    BRANDS,
    DETECTION,
    FIRST_DAY,
    LAST_DAY,
    SCRIPT_TEXT,
    SPIKE_DAY,
    SPIKE_MENTIONS,
    Scenario,
    enrichment_row,
    synthetic_warehouse,
)

from ecoute import pipeline
from ecoute.core.records import Engagement, Finding, Mention
from ecoute.insights.detect import detect, store_findings
from ecoute.reports import ReportPaths, write_report
from ecoute.reports.data import ReportData, Responsiveness, load_report_data
from ecoute.reports.kpis import kpis
from ecoute.reports.narrative import duration, summary
from ecoute.reports.render import http_url, md_text
from ecoute.warehouse.connection import connect
from ecoute.warehouse.load import insert_frame, upsert_mentions

_CHART_DATA = re.compile(r'<script type="application/json" id="chart-([a-z-]+)-data">(.*?)</script>', re.DOTALL)
THREAD_START = datetime(2026, 10, 5, 9, 0)


@dataclass(frozen=True)
class Post:
    """A post of a thread on a forum (a source that shows replies), `minute` after `start`."""

    native_id: str
    brand: str
    minute: int
    sentiment: str = "negative"
    official: bool = False  # written by the brand's own account
    reply_to: str | None = None  # native_id of the parent post
    language: str = "en"


# Zelia's forum thread: two complaints, the first answered after 30 minutes
HAND_MADE = (
    Post("news", "Zelia", 0, "neutral", official=True),  # the brand's own post: not a mention
    Post("down", "Zelia", 60),  # complaint 1: opens a thread
    Post("down-answer", "Zelia", 90, "neutral", official=True, reply_to="down"),  # ... answered 30 min later
    Post("me-too", "Zelia", 100, reply_to="down"),  # replies to a customer, not to the brand: no complaint
    Post("news-reply", "Zelia", 120, reply_to="news"),  # complaint 2: answers the brand's post, unanswered
    Post("thanks", "Zelia", 130, "positive", language="fr"),  # not negative: no complaint, even when answered
    Post("thanks-answer", "Zelia", 135, "neutral", official=True, reply_to="thanks"),
    Post("norvo-down", "Norvo", 60),  # Norvo's one complaint, answered after 6 hours
    Post("norvo-answer", "Norvo", 420, "neutral", official=True, reply_to="norvo-down"),
)


def add_posts(con: duckdb.DuckDBPyConnection, posts: Sequence[Post], *, start: datetime = THREAD_START) -> None:
    """Load forum posts with their enrichment, as the pipeline would have."""
    mentions, enrichments = [], []
    for post in posts:
        published = start + timedelta(minutes=post.minute)
        mention = Mention(
            source="forum",
            native_id=post.native_id,
            text=f"{post.brand} {'answer' if post.official else 'post'} {post.native_id}",
            published_at=published,
            collected_at=published + timedelta(hours=1),
            brands=(post.brand,),
            url=f"https://forum.example/{post.native_id}",
            from_brand=post.brand if post.official else None,
            in_reply_to=f"forum:{post.reply_to}" if post.reply_to else None,
            engagement=Engagement(likes=1, replies=0, shares=0),
        )
        p = {"negative": (0.8, 0.1, 0.1), "neutral": (0.1, 0.8, 0.1), "positive": (0.1, 0.1, 0.8)}[post.sentiment]
        mentions.append(mention)
        enrichments.append(enrichment_row(mention.mention_id, post.sentiment, p, topic=1, language=post.language))
    upsert_mentions(con, mentions)
    insert_frame(con, "insert_enrichments", "incoming_enrichments", pl.DataFrame(enrichments))


@dataclass(frozen=True)
class Written:
    paths: ReportPaths
    html: str
    markdown: str
    findings: list[Finding]
    data: ReportData  # what the report was made from


def _write(
    con: duckdb.DuckDBPyConnection, out_dir: Path, start: date = FIRST_DAY, end: date = LAST_DAY, **options: bool
) -> Written:
    findings = detect(con, BRANDS, DETECTION)
    store_findings(con, findings)
    paths = write_report(con, BRANDS[0], BRANDS, out_dir, period_start=start, period_end=end, **options)
    html, markdown = paths.html.read_text(encoding="utf-8"), paths.markdown.read_text(encoding="utf-8")
    data = load_report_data(con, BRANDS[0], BRANDS, period_start=start, period_end=end)
    return Written(paths, html, markdown, [f for f in findings if f.brand == "Zelia"], data)


@pytest.fixture
def written(tmp_path: Path) -> Iterator[Written]:
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario()) as con:
        add_posts(con, HAND_MADE)
        yield _write(con, tmp_path / "reports")


def test_report_files_are_named_by_brand_and_period(written: Written, tmp_path: Path) -> None:
    """One HTML page and one Markdown digest per brand and period, under the reports folder."""
    stem = f"zelia_{FIRST_DAY}_{LAST_DAY}"
    assert written.paths == ReportPaths(tmp_path / "reports" / f"{stem}.html", tmp_path / "reports" / f"{stem}.md")


def test_html_lists_every_finding_headline(written: Written) -> None:
    """'What changed' and the findings section show each of the brand's findings in plain words."""
    kinds = {f.kind for f in written.findings}
    assert "emerging_topic" in kinds and kinds & {"volume_spike", "negative_surge"}  # the planted spike
    for finding in written.findings:
        assert written.html.count(str(escape(finding.headline))) == 2  # the list and the finding itself
    assert written.html.index("What changed") < written.html.index('id="chart-volume"') < written.html.index("Findings")


def test_html_embeds_the_chart_data(written: Written) -> None:
    """Charts carry the warehouse's numbers."""
    charts = {name: json.loads(data) for name, data in _CHART_DATA.findall(written.html)}

    assert set(charts) == {
        *("volume", "sentiment", "share-of-voice", "topics"),
        *("by-source", "by-language", "answered", "first-answer"),
    }
    volume = {trace["name"]: trace["y"] for trace in charts["volume"]["data"]}
    assert set(volume) == {"Zelia", "Norvo"}
    days = charts["volume"]["data"][0]["x"]
    peak = max(volume["Zelia"])
    assert days[volume["Zelia"].index(peak)] == SPIKE_DAY.isoformat() and peak >= SPIKE_MENTIONS
    assert "app outage" in charts["topics"]["data"][0]["y"]


def test_mention_text_is_escaped_in_html(written: Written) -> None:
    """A post containing a script tag is shown as text, never run as code."""
    assert SCRIPT_TEXT not in written.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zelia app is down again" in written.html
    # the only script elements are plotly.js (linked), the chart loader and the chart data
    assert written.html.count("<script") == 2 + len(_CHART_DATA.findall(written.html))


def test_markdown_digest_lists_findings_and_quotes_posts_safely(written: Written) -> None:
    """The chat digest has the summary, every finding's headline, top topics, and quotes that cannot inject markup."""
    assert written.markdown.startswith("# Zelia · 17 Aug to 15 Oct 2026\n")
    for finding in written.findings:
        assert md_text(finding.headline) in written.markdown
    assert "## Top topics" in written.markdown and "**app outage**" in written.markdown
    assert "<script>" not in written.markdown
    assert r"\<script\>alert(1)\</script\>" in written.markdown


def test_a_quiet_period_says_nothing_changed(tmp_path: Path) -> None:
    """With no findings, the report says so instead of showing an empty list."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False)) as con:
        written = _write(con, tmp_path, start=LAST_DAY - timedelta(days=27))  # a period every detector judges

    assert written.findings == []
    assert "Not enough history" not in written.html
    assert "Nothing unusual was detected in this period." in written.html
    assert "Nothing unusual was detected in this period." in written.markdown
    # no source shows threads, so there is nothing to answer, and no empty responsiveness chart
    assert "No public complaint to Zelia was seen in a thread in this period." in written.html
    assert 'id="chart-answered"' not in written.html


def test_responsiveness_mart_finds_complaints_and_first_answers(warehouse_path: Path) -> None:
    """Complaints are negative thread openers and replies to the brand; answers are the brand's replies."""
    with connect(warehouse_path) as con:
        add_posts(con, HAND_MADE)
        rows = con.sql(
            "SELECT brand, mention_id, answered, minutes_to_first_answer FROM responsiveness ORDER BY brand, mention_id"
        ).fetchall()
        weekly = con.sql("SELECT brand, complaints, answered, answered_share FROM responsiveness_weekly").fetchall()

    assert rows == [
        ("Norvo", "forum:norvo-down", True, 360.0),
        ("Zelia", "forum:down", True, 30.0),
        ("Zelia", "forum:news-reply", False, None),
    ]
    assert sorted(weekly) == [("Norvo", 1, 1, 1.0), ("Zelia", 2, 1, 0.5)]


def test_report_shows_how_the_brand_answers_complaints(written: Written) -> None:
    """Share answered, time to first answer and the badge, for the brand and against its competitor."""
    assert written.data.brand_responsiveness == Responsiveness("Zelia", 2, 1, 0.5, 30.0, 30.0, 30, 0.5)
    assert "Zelia answers 50% of complaints within 30 minutes" in written.html
    assert '<td>Norvo</td><td data-label="public complaints">1</td>' in written.html
    assert "Zelia answered 50% of public complaints, median first answer 30 min; Norvo answered 100%, in 6 h." in (
        written.html
    )
    assert "**Answering complaints**: Zelia answers 50% of complaints within 30 minutes · 50% of 2 answered" in (
        written.markdown
    )
    answered = {t["name"]: t["y"] for t in json.loads(dict(_CHART_DATA.findall(written.html))["answered"])["data"]}
    assert answered == {"Zelia": [0.5], "Norvo": [1.0]}


def test_summary_comes_first_and_names_the_biggest_change(written: Written) -> None:
    """The page and the digest open with sentences made from the numbers, before KPIs and charts."""
    lead = re.search(r'<p class="lead">(.*?)</p>', written.html, re.DOTALL)
    assert lead is not None
    assert written.html.index('class="lead"') < written.html.index('class="kpis"') < written.html.index("chart-volume")
    mentions = written.data.summary.mentions
    assert lead[1].startswith(f"Zelia was mentioned {mentions:,} times from 17 Aug to 15 Oct 2026, ")
    biggest = max(written.findings, key=lambda f: (f.confidence, f.period_end))
    assert f"The biggest change: {escape(biggest.headline.removeprefix('Zelia: '))}" in lead[1]
    assert written.markdown.split("\n\n")[1].startswith(f"Zelia was mentioned {mentions:,} times")


def test_volume_by_source_and_language_adds_up_to_the_total(written: Written) -> None:
    """Each breakdown counts the report's mentions once: brand answers are not mentions."""
    data = written.data
    by_source = {s.value: s.mentions for s in data.by_source}
    assert by_source["forum"] == 4  # down, me-too, news-reply, thanks
    assert sum(by_source.values()) == data.summary.mentions
    by_language = {s.value: s.mentions for s in data.by_language}
    assert by_language["fr"] == 1 and sum(by_language.values()) == data.summary.mentions
    assert "French" in written.markdown


@pytest.mark.parametrize(
    ("start", "compared"),
    [
        (LAST_DAY - timedelta(days=29), True),  # the 30 days before were collected: say how volume moved
        (FIRST_DAY, False),  # nothing was collected before: no comparison rather than "up 100%"
    ],
)
def test_summary_compares_with_the_previous_period_only_when_collected(
    tmp_path: Path, start: date, compared: bool
) -> None:
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False)) as con:
        data = load_report_data(con, BRANDS[0], BRANDS, period_start=start, period_end=LAST_DAY)

    assert (f"previous {(LAST_DAY - start).days + 1} days" in summary(data)[0]) is compared


def _thread(prefix: str, brand: str, answers: Sequence[int | None]) -> list[Post]:
    """One complaint to `brand` per entry of `answers`, each answered after that many minutes
    (None: never), a day apart."""
    posts = []
    for i, after in enumerate(answers):
        posts.append(Post(f"{prefix}{i}", brand, i * 1440))
        if after is not None:
            posts.append(
                Post(f"{prefix}{i}-a", brand, i * 1440 + after, "neutral", official=True, reply_to=f"{prefix}{i}")
            )
    return posts


def _at_nine(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=9)


@pytest.mark.parametrize(
    ("period_days", "first", "reason"),
    [
        (56, 0, "eight days of mentions make an eight-day report, not seven weeks of zeros"),
        (5, 3, "more days of mentions than the period: its last five"),
        (8, 0, "exactly the period"),
    ],
)
def test_report_period_is_the_data_span_up_to_the_configured_length(
    warehouse_path: Path, period_days: int, first: int, reason: str
) -> None:
    with connect(warehouse_path) as con:
        assert pipeline.report_period(con, period_days) is None  # nothing collected yet: nothing to report
        add_posts(con, [*_thread("z", "Zelia", [20] * 8), *_thread("n", "Norvo", [None] * 8)])
        period = pipeline.report_period(con, period_days)

    day_one = THREAD_START.date()
    assert period == (day_one + timedelta(days=first), day_one + timedelta(days=7)), reason


def test_a_short_report_draws_every_chart_by_day(warehouse_path: Path, tmp_path: Path) -> None:
    """Eight days of data: every time chart spans those eight days, one point a day, rather than
    share of voice and answering squeezed into two weekly points."""
    with connect(warehouse_path) as con:
        add_posts(con, [*_thread("z", "Zelia", [20] * 8), *_thread("n", "Norvo", [None] * 8)])
        period = pipeline.report_period(con, 56)
        assert period is not None
        paths = write_report(con, BRANDS[0], BRANDS, tmp_path, period_start=period[0], period_end=period[1])
    html = paths.html.read_text(encoding="utf-8")
    charts = {name: json.loads(data) for name, data in _CHART_DATA.findall(html)}

    days = [(period[0] + timedelta(days=i)).isoformat() for i in range(8)]
    for name in ("volume", "sentiment", "share-of-voice", "answered", "first-answer"):
        assert charts[name]["data"][0]["x"] == days, name
    assert "Share of voice by day, against Norvo" in html
    assert "Complaints answered, by day" in html and "by week" not in html


def test_an_eight_day_warehouse_says_what_it_cannot_judge_yet(warehouse_path: Path, tmp_path: Path) -> None:
    """Eight days heard: the report does not say "nothing unusual" as if all had been judged; it names what
    needs more history, and from when it will be judged."""
    with connect(warehouse_path) as con:
        add_posts(con, [*_thread("z", "Zelia", [20] * 8), *_thread("n", "Norvo", [None] * 8)])
        period = pipeline.report_period(con, 56)
        assert period is not None
        store_findings(con, detect(con, BRANDS, DETECTION))
        paths = write_report(con, BRANDS[0], BRANDS, tmp_path, period_start=period[0], period_end=period[1])
    html, markdown = paths.html.read_text(encoding="utf-8"), paths.markdown.read_text(encoding="utf-8")

    # first mention 5 Oct 2026: hourly bursts from a day of history, at low confidence for the first week;
    # spikes by day from 21 days, emerging topics from 14 + 7 - 1, shifts from four weeks
    said = (
        "Not enough history to judge hourly bursts before 6 Oct 2026, daily spikes before 26 Oct 2026, "
        "emerging topics before 25 Oct 2026 and sentiment and share-of-voice shifts before 2 Nov 2026; "
        "hourly bursts are judged with low confidence until 12 Oct 2026."
    )
    assert said in html and said in markdown
    assert "Nothing unusual was detected in this period" not in html + markdown
    assert "Nothing unusual was detected in what could be judged" in html


def test_every_kpi_shows_its_change_on_the_previous_period(tmp_path: Path) -> None:
    """Against the 28 days before, measured the same way: each card says how its number moved."""
    start = LAST_DAY - timedelta(days=27)
    before = (start - timedelta(days=28), start - timedelta(days=1))
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(emerging=False)) as con:
        add_posts(con, _thread("old", "Zelia", [30, None]), start=_at_nine(before[0] + timedelta(days=3)))
        add_posts(con, _thread("new", "Zelia", [60, 90]), start=_at_nine(start + timedelta(days=3)))
        written = _write(con, tmp_path / "reports", start, LAST_DAY)
        then = load_report_data(con, BRANDS[0], BRANDS, period_start=before[0], period_end=before[1]).summary

    now = written.data.summary
    cards = {k.key: k for k in kpis(written.data)}
    assert list(cards) == ["mentions", "negative", "health", "share-of-voice", "answered", "first-answer"]
    growth = now.mentions / then.mentions - 1
    assert growth > 0.05  # the spike is in this period
    assert cards["mentions"].change == f"up {growth:.0%} from {then.mentions:,}"
    for key, was, better in [
        ("negative", then.negative_share, "down"),
        ("health", then.health, "up"),
        ("share-of-voice", then.share_of_voice, "up"),
    ]:
        card = cards[key]
        assert was is not None and card.change.endswith(f"from {was:.0%}"), key
        assert card.tone == ("better" if card.change.startswith(better) else "worse"), key
    assert (cards["answered"].change, cards["answered"].tone) == ("up 50 points from 50%", "better")
    assert (cards["first-answer"].change, cards["first-answer"].tone) == ("45 min slower, from 30 min", "worse")
    said = "Changes are against the previous 28 days (21 Aug to 17 Sep 2026)."
    assert said in written.html and said in written.markdown
    assert '<div class="change worse">45 min slower, from 30 min</div>' in written.html
    assert "- **1 h 15 min** median time to first answer · 45 min slower, from 30 min" in written.markdown


@pytest.mark.parametrize(
    ("start", "said"),
    [
        (FIRST_DAY, "No earlier period to compare"),  # the warehouse starts with the period
        (FIRST_DAY + timedelta(days=10), "No change is shown: the previous 50 days (8 Jul to 26 Aug 2026) were not"),
    ],
)
def test_without_an_earlier_period_no_change_is_made_up(tmp_path: Path, start: date, said: str) -> None:
    """No "up 100%" against days never collected: the report says once that it cannot compare."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False)) as con:
        written = _write(con, tmp_path / "reports", start, LAST_DAY)

    assert said in written.html and said in written.markdown
    assert [k.change for k in kpis(written.data)] == [""] * 5
    assert 'class="change' not in written.html


@pytest.mark.parametrize(
    ("threads", "answered", "reason"),
    [
        ([], None, "no complaint at all: one card says so"),
        (
            [Post("down", "Zelia", 60), Post("me-too", "Zelia", 100, reply_to="down")],  # a customer's reply
            "0%",
            "a complaint never answered: 0%, and no median of nothing",
        ),
    ],
)
def test_kpis_with_nothing_to_show_say_why(
    tmp_path: Path, threads: list[Post], answered: str | None, reason: str
) -> None:
    """Never "n/a of 0 public complaints answered": an empty number is left out or explained."""
    with synthetic_warehouse(tmp_path / "w.duckdb", Scenario(spike=False, emerging=False)) as con:
        add_posts(con, threads)
        written = _write(con, tmp_path / "reports")
    cards = {k.key: k for k in kpis(written.data)}
    section = written.html[written.html.index('<div class="kpis">') : written.html.index("What changed")]

    assert cards["answered"].value == answered, reason
    assert "first-answer" not in cards and "kpi-first-answer" not in section, reason
    assert "n/a" not in section and "n/a" not in written.markdown.split("## What changed")[0], reason
    if answered is None:
        assert "No public complaints in this period" in section
        assert "- No public complaints in this period" in written.markdown


@pytest.mark.parametrize(
    ("now", "was", "change", "tone"),
    [
        (46, 28, "18 min slower, from 28 min", "worse"),
        (30, 60, "30 min faster, from 1 h", "better"),
        (31, 30, "about as fast as before (30 min)", ""),  # within 5%: not a change worth a colour
    ],
)
def test_time_to_first_answer_reads_faster_or_slower(
    written: Written, now: float, was: float, change: str, tone: str
) -> None:
    data = written.data
    own = replace(data.brand_responsiveness, median_minutes=now)
    previous = replace(
        data.previous, coverage="full", summary=data.summary, responsiveness=replace(own, median_minutes=was)
    )
    cards = kpis(replace(data, responsiveness=(own, *data.responsiveness[1:]), previous=previous))
    assert [(k.change, k.tone) for k in cards if k.key == "first-answer"] == [(change, tone)]


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (0.4, "1 min"),  # never "0 min"
        (30, "30 min"),
        (59.7, "1 h"),  # not "60 min"
        (95, "1 h 35 min"),
        (442, "7 h 20 min"),  # beyond two hours, to five minutes
        (2160, "1.5 days"),
        (None, "n/a"),  # nothing answered
    ],
)
def test_durations_read_as_people_say_them(minutes: float | None, said: str) -> None:
    assert duration(minutes) == said


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
