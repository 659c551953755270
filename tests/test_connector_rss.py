"""RSS/Atom feeds and the Google News search feed: saved feeds replayed through a mock transport, no network.

Feeds have no pages: a plain feed is one request per run, a news search one request per brand.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from connector_harness import Handler, Run, collect_live, context, file_reply, run_connector
from connector_harness import sequence as answers_in_turn

from ecoute.connectors.base import CollectContext
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import USER_AGENT
from ecoute.connectors.rss import RssConnector, parse_feed
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.settings import Brand
from ecoute.core.source_settings import RssSource

FIXTURES = Path(__file__).parent / "fixtures" / "rss"
BLOG = "https://www.journaldelafintech.fr/feed/"
ENGINEERING = "https://engineering.norvo.com/atom.xml"
FEEDS = RssSource(name="press", kind="rss", feeds=[BLOG, ENGINEERING])
NEWS = RssSource(name="news", kind="rss", news_search=True)
PEOPLE = ("Camille", "Martin", "Léa Bernard", "redaction@", "Priya", "authors/priya", "sre@norvo.com", "SRE team")


def feed(name: str) -> httpx.Response:
    return file_reply(FIXTURES / name, "application/rss+xml; charset=utf-8")


def web(request: httpx.Request) -> httpx.Response:
    """The feeds as the fixtures know them; the news search knows only Zelia."""
    if str(request.url) == BLOG:
        return feed("journal_fintech_rss2.xml")
    if str(request.url) == ENGINEERING:
        return feed("norvo_engineering_atom.xml")
    if request.url.path == "/rss/search":
        return feed("google_news_zelia.xml" if request.url.params["q"] == "Zelia" else "google_news_empty.xml")
    return httpx.Response(404, text="Not Found")


def collect(handler: Handler, source: RssSource = FEEDS, ctx: CollectContext | None = None) -> Run:
    return run_connector(RssConnector(source), handler, ctx or context())


def sequence(*items: httpx.Response | Exception) -> Handler:
    """Answers in turn (the last one again and again); an empty 200 stands for the real feed."""
    return answers_in_turn(web, *items)


def parse(name: str, brand: str | None = None) -> tuple[list, list]:
    return parse_feed((FIXTURES / name).read_bytes(), "press", context(), url=BLOG, brand=brand)


def test_parse_rss2_feed() -> None:
    """Without this, blog and press articles would reach reports with wrong text, dates, links or language."""
    mentions, rejected = parse("journal_fintech_rss2.xml")
    assert rejected == []
    first, second, third, old = mentions
    assert first.native_id == "https://www.journaldelafintech.fr/?p=18342"  # the guid, even when not a link
    assert first.url == "https://www.journaldelafintech.fr/2026/10/31/zelia-leve-40-millions/"
    assert first.published_at == datetime(2026, 10, 31, 6, 30)  # +0100 read as UTC
    assert first.text.startswith(
        "Zelia lève 40 millions d’euros pour s’étendre en Espagne 🇪🇸\n\n"
        "La néobanque Zelia annonce une série B de 40 M€ menée par un fonds espagnol."
    )
    assert "<" not in first.text
    assert second.text.endswith("n’ont pas pu payer samedi & dimanche. La banque promet un geste commercial.")
    assert third.native_id == third.url == "https://www.journaldelafintech.fr/2026/10/29/livret-a-novembre/"
    assert third.author_key is None  # no author in the item
    assert old.published_at == datetime(2026, 10, 2, 6)
    assert {(m.language, m.platform, m.brands) for m in mentions} == {("fr", "journaldelafintech.fr", ())}
    assert {m.collected_at for m in mentions} == {datetime(2026, 11, 1, 12)}


def test_parse_atom_feed() -> None:
    """Without this, Atom blogs (updated-only entries, <content> bodies, xml:lang) would be misread."""
    mentions, rejected = parse("norvo_engineering_atom.xml")
    assert rejected == []
    incident, latency = mentions
    assert incident.native_id == "tag:engineering.norvo.com,2026-10-31:/transfers-incident"
    assert incident.published_at == datetime(2026, 10, 31, 20, 10)  # only <updated>, at +01:00
    assert incident.text == (
        "Norvo status: degraded transfers resolved ✅\n\n"
        "Between 14:02 and 15:47 UTC, SEPA transfers were delayed. No money was lost."
    )
    assert latency.published_at == datetime(2026, 10, 29, 14)  # <published> wins over <updated>
    assert latency.text.endswith("one question…\nHere is how we answered it in 9 ms instead of 15 ms ⚡")
    assert {(m.language, m.platform) for m in mentions} == {("en", "engineering.norvo.com")}


def test_parse_google_news_search() -> None:
    """Without this, news-search results would carry the publisher in the text twice and no source site."""
    mentions, rejected = parse("google_news_zelia.xml", brand="Zelia")
    assert rejected == []
    first = mentions[0]
    assert first.native_id == "CBMikAFBVV95cUxNaGZ6ZWxpYS1sZXZlLTQwLW1pbGxpb25z"
    assert (
        first.text == "Zelia lève 40 millions d'euros et vise l'Espagne"
    )  # no " - Les Echos", no repeated description
    assert first.url == "https://news.google.com/rss/articles/CBMikAFBVV95cUxNaGZ6ZWxpYS1sZXZlLTQwLW1pbGxpb25z?oc=5"
    assert [m.platform for m in mentions] == ["lesechos.fr", "bfmtv.com", "lemonde.fr"]
    assert {(m.brands, m.language) for m in mentions} == {(("Zelia",), "fr")}


def test_plain_feeds_are_read_once_per_run() -> None:
    """Without this, every feed would be downloaded once per brand, and items tagged with the wrong brand."""
    run = collect(web)
    assert run.batch is not None and len(run.batch.mentions) == 6
    assert [str(r.url) for r in run.requests] == [BLOG, ENGINEERING]
    assert all(m.brands == () for m in run.batch.mentions)  # the brand queries decide later
    assert run.requests[0].headers["User-Agent"] == USER_AGENT
    assert "application/rss+xml" in run.requests[0].headers["Accept"]


@pytest.mark.parametrize(
    ("language", "country", "ceid"),
    [("fr", "FR", "FR:fr"), ("en", "US", "US:en")],  # the default edition, and another one
)
def test_news_search_asks_per_brand_in_the_configured_edition(language: str, country: str, ceid: str) -> None:
    """Without this, the news search would miss a brand or read the wrong country's edition."""
    source = RssSource(name="news", kind="rss", news_search=True, news_language=language, news_country=country)
    run = collect(web, source)
    assert run.batch is not None and [m.brands for m in run.batch.mentions] == [("Zelia",)] * 3
    assert [dict(r.url.params) for r in run.requests] == [
        {"q": "Zelia", "hl": language, "gl": country, "ceid": ceid},
        {"q": "Norvo", "hl": language, "gl": country, "ceid": ceid},
    ]
    assert {(r.url.host, r.url.path) for r in run.requests} == {("news.google.com", "/rss/search")}


def test_an_article_found_for_two_brands_is_one_mention() -> None:
    """Without this, an article about both brands would be counted twice in share of voice."""
    run = collect(lambda request: feed("google_news_zelia.xml"), NEWS)
    assert run.batch is not None and len(run.batch.mentions) == 3
    assert {m.brands for m in run.batch.mentions} == {("Zelia", "Norvo")}


def test_watermarks_skip_what_earlier_runs_read() -> None:
    """Without this, every run would re-read whole feeds, or skip news newer than a brand's last run."""
    since = {"Zelia": datetime(2026, 10, 31), "Norvo": datetime(2026, 10, 30)}
    source = RssSource(name="press", kind="rss", feeds=[BLOG], news_search=True)
    run = collect(web, source, context(since))
    assert run.batch is not None
    kept = {(m.text.split("\n")[0][:20], m.brands) for m in run.batch.mentions}
    assert kept == {
        ("Zelia lève 40 millio", ()),  # the blog: back to the oldest watermark (Norvo's)
        ("Norvo : panne des pa", ()),
        ("Zelia lève 40 millio", ("Zelia",)),  # the news search: Zelia's own watermark
    }


def test_empty_results() -> None:
    """Without this, a brand absent from the news would crash the run."""
    run = collect(lambda request: feed("google_news_empty.xml"), NEWS)
    assert run.batch is not None and run.batch.mentions == [] and run.batch.rejected == []


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "30"}), 30.0),  # Google News asks us to slow down
        (httpx.Response(503, text="Service Unavailable"), 1.0),  # a passing server error is retried
        (httpx.ReadTimeout("read timed out"), 1.0),  # so is a slow answer
    ],
)
def test_transient_failures_are_retried(first: httpx.Response | Exception, waits: float) -> None:
    """Without this, a single 429, 5xx or slow answer would lose the run's news."""
    run = collect(sequence(first, httpx.Response(200)))
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 6
    assert run.slept[0] == waits


@pytest.mark.parametrize("failure", [httpx.Response(500, text="oops"), httpx.ReadTimeout("read timed out")])
def test_lasting_failures_make_the_source_unavailable(failure: httpx.Response | Exception) -> None:
    """Without this, a dead feed would hang the run or pass for a quiet week: every feed dead, the source is."""
    run = collect(sequence(failure))
    assert isinstance(run.error, SourceUnavailable) and "journaldelafintech.fr" in str(run.error)
    assert len(run.requests) == 2 * 4  # each feed: the first try and three retries


def test_a_dead_feed_fails_alone() -> None:
    """One dead feed among two: the other is read, and the dead one is named on the batch."""

    def one_dead(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="gone") if str(request.url) == BLOG else web(request)

    batch = collect(one_dead).batch_or_raise()
    assert batch.mentions and all(ENGINEERING.split("/")[2] in (m.url or "") for m in batch.mentions)
    assert len(batch.failed_parts) == 1 and batch.failed_parts[0].startswith(f"{BLOG}: SourceUnavailable: ")


def test_malformed_entries_are_rejected_with_a_reason() -> None:
    """Without this, a broken entry would crash the feed or vanish without a trace."""
    mentions, rejected = parse("malformed_items_rss2.xml", brand="Zelia")
    assert [m.native_id for m in mentions] == ["forum-991"]
    assert [r.reason for r in rejected] == [
        f"{BLOG}: entry has no guid/id nor link (title 'Norvo ou Zelia pour un compte pro ?')",
        f"{BLOG}: entry has no published or updated date",
        f"{BLOG}: published/updated 'le 31 octobre vers midi' is not a date",
    ]
    assert all(r.source == "press" and r.brand == "Zelia" for r in rejected)
    for item, handle in zip(rejected, ("freelance_nantes", "paul_routier", "anne_b"), strict=True):
        assert handle not in item.payload and '"author": "(removed)"' in item.payload


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<!DOCTYPE html><html><head><title>Consent</title></head><body><p>Before you continue<br></body>", "html"),
        (b'{"error": "feed moved"}', "feed moved"),  # JSON where a feed should be
        (b"", "no RSS or Atom root element"),
    ],
)
def test_a_response_that_is_not_a_feed_raises_parse_error(body: bytes, shown: str) -> None:
    """Without this, a consent or error page would pass for an empty feed and the outage go unnoticed."""
    run = collect(lambda request: httpx.Response(200, content=body, headers={"content-type": "text/html"}))
    assert isinstance(run.error, ParseError)
    assert BLOG in str(run.error) and shown in str(run.error)


def test_unicode_and_emoji_are_preserved() -> None:
    """Without this, accents, typographic quotes and emoji would be mangled in what analysts read."""
    run = collect(web, RssSource(name="press", kind="rss", feeds=[BLOG, ENGINEERING], news_search=True))
    assert run.batch is not None
    texts = " ".join(m.text for m in run.batch.mentions)
    for fragment in ("🇪🇸", "🚀", "😬", "✅", "⚡", "💳", "d’euros", "néobanque", "enquête", "40 M€", "…"):
        assert fragment in texts


def test_no_author_name_reaches_a_mention() -> None:
    """Without this, journalists' and bloggers' names or e-mails would be stored, against our privacy promise."""
    run = collect(web)
    assert run.batch is not None
    for mention in run.batch.mentions:
        stored = repr(mention) + json.dumps(mention.raw, ensure_ascii=False)
        for person in PEOPLE:
            assert person not in stored
    keys = {m.native_id: m.author_key for m in run.batch.mentions}
    pseudonymizer = Pseudonymizer(b"k" * 32)
    assert keys["https://www.journaldelafintech.fr/?p=18342"] == pseudonymizer.author_key(
        "journaldelafintech.fr", "Camille Martin"
    )
    assert keys["tag:engineering.norvo.com,2026-10-29:/authorisation-latency"] == pseudonymizer.author_key(
        "engineering.norvo.com", "Priya Shah"
    )


@pytest.mark.network
def test_live_news_search() -> None:
    """Without this, a change in Google News' RSS search would only show up as empty reports."""
    ctx = context(brands=[Brand(name="Airbus")], collected_at=datetime.now())
    batch = collect_live(RssConnector(NEWS), ctx)
    assert batch.mentions and all(m.brands == ("Airbus",) and m.url for m in batch.mentions)
