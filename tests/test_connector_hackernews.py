"""Hacker News (Algolia search_by_date): saved pages replayed through a mock transport, no network."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connector_harness import OK, Handler, Run, collect_live, context, file_reply, load_json, run_connector
from connector_harness import sequence as answers_in_turn

from ecoute.connectors.base import CollectContext
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.hackernews import HackerNewsConnector, parse_page
from ecoute.connectors.http import USER_AGENT
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import mention_id
from ecoute.core.settings import Brand
from ecoute.core.source_settings import HackerNewsSource

FIXTURES = Path(__file__).parent / "fixtures" / "hackernews"
SOURCE = HackerNewsSource(name="hn", kind="hackernews")
HANDLES = ("zelia_help", "marie_dev", "kpetit", "newsbot_fr", "anon_eu", "ask_user")


def payload(name: str) -> Any:
    return load_json(FIXTURES / name)


def reply(name: str) -> httpx.Response:
    return file_reply(FIXTURES / name)


def algolia(request: httpx.Request) -> httpx.Response:
    """The search API as the fixtures know it: two pages for Zelia, nothing for anything else."""
    if request.url.params["query"].casefold() != "zelia":
        return reply("search_empty.json")
    return reply(f"search_zelia_page{request.url.params['page']}.json")


def collect(handler: Handler, ctx: CollectContext | None = None, source: HackerNewsSource = SOURCE) -> Run:
    return run_connector(HackerNewsConnector(source), handler, ctx or context())


def sequence(*items: httpx.Response | Exception) -> Handler:
    """Answers in turn (the last one again and again), then the real API once they run out."""
    return answers_in_turn(algolia, *items)


def test_parse_page_reads_stories_and_comments() -> None:
    """Without this, HN stories and comments would reach reports with wrong text, links, scores or threads."""
    page = parse_page(payload("search_zelia_page0.json"), "hn", context(), "Zelia")
    assert (page.page, page.pages, page.rejected) == (0, 2, [])
    answer, comment, show, link = page.mentions
    assert comment.text == (
        "Je suis chez Zelia depuis 2 ans, l'appli est top 🚀 mais le support met 3 jours à répondre.\n"
        "Norvo fait mieux sur ce point."
    )
    assert comment.in_reply_to == mention_id("hn", "45800001")
    assert comment.url == "https://news.ycombinator.com/item?id=45810733"
    assert comment.published_at == datetime(2026, 11, 1, 9, 14, 5)
    assert answer.from_brand == "Zelia" and answer.in_reply_to == mention_id("hn", "45810733")
    assert "https://zelia.fr/aide" in answer.text
    assert show.text.startswith("Show HN: Zelia – a French neobank API for freelancers\n\nHi HN! We built Zelia’s")
    assert (show.engagement.likes, show.engagement.replies, show.in_reply_to) == (142, 87, None)
    assert link.text == (
        "Zelia (YC W24) lance le virement instantané gratuit\n\nhttps://www.lesechos.fr/fintech/zelia-virement-instantane"
    )
    assert {m.platform for m in page.mentions} == {"hackernews"}
    assert {m.brands for m in page.mentions} == {("Zelia",)}
    assert {m.collected_at for m in page.mentions} == {datetime(2026, 11, 1, 12)}


def test_collect_pages_through_every_page_and_sends_the_right_query() -> None:
    """Without this, only the first 100 hits would be read, or HN would be asked the wrong question."""
    run = collect(algolia)
    assert run.batch is not None and len(run.batch.mentions) == 6
    zelia = [r for r in run.requests if r.url.params["query"].casefold() == "zelia"]
    assert [r.url.params["page"] for r in zelia] == ["0", "1"]
    first = zelia[0]
    assert first.url.path == "/api/v1/search_by_date"
    assert first.url.host == "hn.algolia.com"
    assert first.url.params["tags"] == "(story,comment)"
    assert first.url.params["hitsPerPage"] == "100"
    assert "numericFilters" not in first.url.params  # first run: everything the API still has
    assert first.headers["User-Agent"] == USER_AGENT


def test_page_cap_is_respected() -> None:
    """Without this, one busy brand could fetch pages without end and exhaust the API's patience."""
    run = collect(algolia, context(max_pages=1))
    assert run.batch is not None and len(run.batch.mentions) == 4
    assert {r.url.params["page"] for r in run.requests} == {"0"}


def test_watermark_is_sent_and_older_hits_stop_paging() -> None:
    """Without this, every run would re-read old threads and pages the watermark already covers."""
    since = datetime(2026, 10, 31, 12)
    run = collect(algolia, context(since={"Zelia": since, "Norvo": None}))
    assert run.batch is not None
    assert [m.native_id for m in run.batch.mentions] == ["45811245", "45810733", "45805500"]
    zelia = [r for r in run.requests if r.url.params["query"].casefold() == "zelia"]
    assert len(zelia) == 1  # the page reached past the watermark: page 1 is older still
    assert zelia[0].url.params["numericFilters"] == "created_at_i>1793448000"
    norvo = [r for r in run.requests if r.url.params["query"].casefold() == "norvo"]
    assert norvo and "numericFilters" not in norvo[0].url.params


def test_one_search_per_alternative_of_the_brand_query() -> None:
    """Without this, a brand with extra terms (Algolia has no OR) would be searched for no term at all."""
    ctx = CollectContext(
        brands=[Brand(name="Zelia", terms=["Zelia", "zelia.fr"])],
        pseudonymizer=Pseudonymizer(b"k" * 32),
        collected_at=datetime(2026, 11, 1, 12),
    )
    run = collect(lambda request: reply(f"search_zelia_page{request.url.params['page']}.json"), ctx)
    assert [(r.url.params["query"], r.url.params["page"]) for r in run.requests] == [
        ("Zelia", "0"),
        ("Zelia", "1"),
        ("zelia.fr", "0"),
        ("zelia.fr", "1"),
    ]
    assert run.batch is not None and len(run.batch.mentions) == 6  # a hit both searches find is kept once
    assert {m.brands for m in run.batch.mentions} == {("Zelia",)}


def test_only_comments_when_configured() -> None:
    """Without this, a source set to comments only would still pull in every story."""
    source = HackerNewsSource(name="hn", kind="hackernews", tags=["comment"])
    run = collect(algolia, source=source)
    assert {r.url.params["tags"] for r in run.requests} == {"comment"}


def test_empty_results() -> None:
    """Without this, a brand nobody talks about would crash the run or loop on empty pages."""
    run = collect(lambda request: reply("search_empty.json"))
    assert run.batch is not None and run.batch.mentions == [] and run.batch.rejected == []
    assert len(run.requests) == 2  # one page per brand, then stop


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "7"}), 7.0),  # Algolia asks us to slow down
        (httpx.Response(500, text="upstream error"), 1.0),  # a passing server error is retried
        (httpx.ReadTimeout("read timed out"), 1.0),  # so is a slow answer
    ],
)
def test_transient_failures_are_retried(first: httpx.Response | Exception, waits: float) -> None:
    """Without this, a single 429, 500 or slow answer from Algolia would lose the whole run."""
    run = collect(sequence(first, OK))
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 6
    assert run.slept[0] == waits


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(500, text="upstream error"), httpx.ReadTimeout("read timed out")],
)
def test_lasting_failures_make_the_source_unavailable(failure: httpx.Response | Exception) -> None:
    """Without this, a dead API would hang the run or be reported as "no mentions"."""
    run = collect(sequence(failure))
    assert isinstance(run.error, SourceUnavailable)
    assert "hn.algolia.com" in str(run.error)
    assert len(run.requests) == 4  # the first try and three retries


def test_malformed_hits_are_rejected_with_a_reason() -> None:
    """Without this, a broken hit would crash the page or vanish without a trace."""
    page = parse_page(payload("search_malformed_items.json"), "hn", context(), "Zelia")
    assert [m.native_id for m in page.mentions] == ["45809000"]
    reasons = [r.reason for r in page.rejected]
    assert reasons == [
        "objectID is missing or not an id (got None)",
        "created_at_i None / created_at 'hier matin' is not a time",
        "comment 45807000: comment_text is missing or empty (got None)",
    ]
    assert all(r.source == "hn" and r.brand == "Zelia" for r in page.rejected)
    for rejected, handle in zip(page.rejected, ("ghost_writer", "time_lord", "deleted_fan"), strict=True):
        assert handle not in rejected.payload and "(removed)" in rejected.payload


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "502 Bad Gateway"),  # a proxy's page
        (b'{"message": "Invalid parameter", "status": 400}', "Invalid parameter"),  # JSON, but not hits
        (b"[]", "list"),
    ],
)
def test_malformed_payload_raises_parse_error(body: bytes, shown: str) -> None:
    """Without this, an error page would be read as "no mentions" and the outage go unnoticed."""
    run = collect(lambda request: httpx.Response(200, content=body))
    assert isinstance(run.error, ParseError)
    assert shown in str(run.error)  # the message says what came back


def test_unicode_and_emoji_are_preserved() -> None:
    """Without this, French accents and emoji would be mangled in what analysts read."""
    run = collect(algolia)
    assert run.batch is not None
    texts = " ".join(m.text for m in run.batch.mentions)
    for fragment in ("🚀", "🙏", "🙂", "🇯🇵", "désolés", "Écrivez-nous", "instantané", "Kévin", "—"):
        assert fragment in texts


def test_no_raw_handle_reaches_a_mention() -> None:
    """Without this, HN usernames would be stored in the warehouse, against our privacy promise."""
    run = collect(algolia)
    assert run.batch is not None
    pseudonymizer = Pseudonymizer(b"k" * 32)
    for mention in run.batch.mentions:
        stored = repr(mention) + json.dumps(mention.raw, ensure_ascii=False)
        for handle in HANDLES:
            assert handle not in stored
    keys = {m.native_id: m.author_key for m in run.batch.mentions}
    assert keys["45811245"] == pseudonymizer.author_key("hackernews", "zelia_help")
    assert keys["45810733"] == pseudonymizer.author_key("hackernews", "marie_dev")
    assert all(keys.values())


@pytest.mark.network
def test_live_search() -> None:
    """Without this, a change in Algolia's HN API would only show up as empty reports."""
    batch = collect_live(HackerNewsConnector(SOURCE), context(max_pages=1, brands=[Brand(name="Python")]))
    assert batch.mentions and all(m.url and m.url.startswith("https://news.ycombinator.com/") for m in batch.mentions)
