"""Web pages: a French forum thread and an English review site replayed through a mock transport."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from connector_harness import COLLECTED_AT, Handler, collect_live, context, run_connector

from ecoute.connectors.base import CollectContext
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import USER_AGENT
from ecoute.connectors.web import WebConnector, parse_date, parse_page
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import Batch
from ecoute.core.source_settings import WebPage, WebSource

FIXTURES = Path(__file__).parent / "fixtures" / "web"
THREAD = "https://forum.exemple.fr/t/zelia-carte-refusee-12345"
REVIEWS = "https://reviews.example.com/company/norvo"
FORUM_PAGE = WebPage(
    url=THREAD,
    item="article.message",
    text=".message-corps",
    id="data-post-id",
    author=".message-auteur",
    date=".message-date",
    link="a.permalien",
    next_page="a[rel=next]",
)
REVIEW_PAGE = WebPage(
    url=REVIEWS,
    item="div.review",
    text=".review-body",
    author=".reviewer-name",
    date=".review-date",
    link="a.review-link",
    next_page="li.next a",
)


def html(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def source(*pages: WebPage) -> WebSource:
    return WebSource(name="forums", kind="web", pages=list(pages or [FORUM_PAGE]))


def page_response(body: bytes, content_type: str = "text/html; charset=utf-8") -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": content_type})


def site(overrides: dict[str, Handler] | None = None) -> Handler:
    """The forum (robots.txt with rules, thread pages 1 and 2) and the review site (no robots.txt)."""
    overrides = overrides or {}

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        for prefix, override in overrides.items():
            if url.startswith(prefix):
                return override(request)
        if url == "https://forum.exemple.fr/robots.txt":
            return httpx.Response(
                200, text=(FIXTURES / "robots.txt").read_text(), headers={"content-type": "text/plain"}
            )
        if url == THREAD:
            return page_response(html("forum_thread_fr_p1.html"))
        if url == f"{THREAD}?page=2":
            # no charset in the header: the page's <meta charset> must be honoured
            return page_response(html("forum_thread_fr_p2.html"), "text/html")
        if url.startswith(REVIEWS):
            return page_response(html("reviews_en.html"))
        return httpx.Response(404, text="Page introuvable")

    return handler


def collect(
    handler: Handler, src: WebSource | None = None, ctx: CollectContext | None = None
) -> tuple[Batch, list[httpx.Request], list[float]]:
    run = run_connector(WebConnector(src or source()), handler, ctx or context())
    return run.batch_or_raise(), run.requests, [round(seconds, 6) for seconds in run.slept]


def test_a_forum_thread_page_becomes_mentions() -> None:
    """Each post is a mention with its id, clean text, UTC date, permalink, language and the next page."""
    result = parse_page(html("forum_thread_fr_p1.html"), THREAD, FORUM_PAGE, "forums", context())
    assert [m.native_id for m in result.mentions] == ["98211", "98215", "98230"] and result.rejected == []
    first = result.mentions[0]
    assert first.text == (
        "Bonjour à tous, Ma carte Zelia a été refusée trois fois hier chez Carrefour 😡 alors que mon solde est "
        "largement positif… Quelqu’un a eu le même souci ?"
    )
    assert first.published_at == datetime(2026, 10, 30, 7, 12)  # +01:00 converted to UTC
    assert first.raw["published_at_from"] == "page"
    assert first.url == f"{THREAD}#post-98211"
    assert first.language == "fr" and first.platform == "forum.exemple.fr" and first.brands == ()
    assert result.mentions[2].from_brand == "Zelia"  # the brand's own account answered
    assert result.next_url == f"{THREAD}?page=2"


def test_written_dates_are_read_and_undated_posts_are_kept_at_collection_time() -> None:
    """A French written date is understood; a post without a usable date is kept, marked as dated by collection."""
    result = parse_page(html("forum_thread_fr_p2.html"), f"{THREAD}?page=2", FORUM_PAGE, "forums", context())
    by_id = {m.native_id: m for m in result.mentions}
    assert by_id["98302"].published_at == datetime(2026, 10, 31, 19, 5)
    for undated, shown in (("98310", "hier à 14h"), ("98312", None)):
        assert by_id[undated].published_at == COLLECTED_AT
        assert by_id[undated].raw["published_at_from"] == "collected_at" and by_id[undated].raw["date"] == shown
    assert result.next_url is None


def test_a_post_without_text_is_rejected_with_its_reason() -> None:
    """A deleted (empty) post is quarantined naming the selector, never silently dropped."""
    result = parse_page(html("forum_thread_fr_p2.html"), f"{THREAD}?page=2", FORUM_PAGE, "forums", context())
    assert len(result.rejected) == 1
    rejected = result.rejected[0]
    assert "text selector '.message-corps' found no text" in rejected.reason and THREAD in rejected.reason
    assert "98320" in rejected.payload and "anonyme42" not in rejected.payload


def test_an_english_review_page_with_hashed_ids() -> None:
    """Reviews without an id attribute get a stable id; English dates and an item's own language are read."""
    first = parse_page(html("reviews_en.html"), REVIEWS, REVIEW_PAGE, "reviews", context())
    again = parse_page(html("reviews_en.html"), f"{REVIEWS}?utm=x", REVIEW_PAGE, "reviews", context())
    assert [m.native_id for m in first.mentions] == [m.native_id for m in again.mentions]
    assert len({m.native_id for m in first.mentions}) == 3
    dates = [m.published_at for m in first.mentions]
    assert dates == [datetime(2026, 10, 12), datetime(2026, 10, 9), datetime(2026, 10, 5)]
    assert [m.language for m in first.mentions] == ["en", "en", "fr"]
    assert first.mentions[0].url == "https://reviews.example.com/reviews/rv-5521"
    assert first.mentions[0].text == (
        "Norvo's budgeting is nice 📊 but the bank sync breaks every other day. Support answered after a week."
    )
    assert first.next_url == f"{REVIEWS}?page=2"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-10-12T14:03:00Z", datetime(2026, 10, 12, 14, 3)),  # ISO 8601 with a zone
        ("12 octobre 2026", datetime(2026, 10, 12)),  # French long date
        ("1er février 2026 à 9h30", datetime(2026, 2, 1, 9, 30)),  # French first of the month, with a time
        ("October 12, 2026", datetime(2026, 10, 12)),  # US long date
        ("Posted 3 Dec. 2026, 18:45", datetime(2026, 12, 3, 18, 45)),  # abbreviated month, with a time
        ("hier à 14h", None),  # relative dates are not guessed
        ("31 février 2026", None),  # impossible date
    ],
)
def test_dates_as_pages_write_them(written: str, expected: datetime | None) -> None:
    """Dates written by French and English sites are understood; what is not is left for the fallback."""
    assert parse_date(written) == expected


def test_robots_txt_is_obeyed_and_its_crawl_delay_honoured() -> None:
    """A page robots.txt forbids us is never requested (and said so); requests to that host wait its Crawl-delay."""
    members = WebPage(url="https://forum.exemple.fr/membres/camille78", item="li", text="p")
    batch, requests, slept = collect(site(), source(FORUM_PAGE, members))
    urls = [str(r.url) for r in requests]
    assert urls == ["https://forum.exemple.fr/robots.txt", THREAD, f"{THREAD}?page=2"]  # robots.txt read once
    assert not any("/membres/" in url for url in urls)
    assert slept == [5.0, 5.0]
    assert [r.reason for r in batch.rejected if "not fetched" in r.reason] == [
        "https://forum.exemple.fr/membres/camille78: not fetched: "
        "robots.txt of forum.exemple.fr disallows /membres/camille78 for ecoute"
    ]
    assert len(batch.mentions) == 6


def test_requests_carry_our_user_agent_and_ask_for_html() -> None:
    """Sites see who we are (the robots.txt product token is in our User-Agent) and that we want HTML."""
    _, requests, _ = collect(site())
    assert all(r.headers["User-Agent"] == USER_AGENT for r in requests) and "ecoute" in USER_AGENT
    assert requests[1].headers["Accept"].startswith("text/html")


def test_no_robots_txt_means_no_rules_and_no_extra_delay() -> None:
    """A site without robots.txt (404) is read, paced only by the usual interval."""
    batch, requests, slept = collect(site(), source(REVIEW_PAGE), context(max_pages=1))
    assert [r.url.path for r in requests] == ["/robots.txt", "/company/norvo"]
    assert slept == [] and len(batch.mentions) == 3


@pytest.mark.parametrize(
    ("robots", "said"),
    [
        (lambda request: httpx.Response(503, text="Service Unavailable"), "HTTP 503"),
        (lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("timed out", request=request)), "ReadTimeout"),
    ],
)
def test_an_unreachable_robots_txt_keeps_us_off_the_host(robots: Handler, said: str) -> None:
    """When robots.txt cannot be read, nothing of that host is fetched this run, and the error says why."""
    handler = site({"https://forum.exemple.fr/robots.txt": robots})
    with pytest.raises(SourceUnavailable, match=f"robots.txt of forum.exemple.fr unreachable.*{said}"):
        collect(handler)
    batch, requests, _ = collect(handler, source(FORUM_PAGE, REVIEW_PAGE), context(max_pages=1))
    assert not any(r.url.path.startswith("/t/") for r in requests)  # the other host is still read
    assert len(batch.mentions) == 3 and "host treated as disallowed" in batch.rejected[0].reason


def test_pages_are_followed_up_to_the_cap() -> None:
    """`next_page` is followed, but never past `max_pages` pages a run."""
    _, requests, _ = collect(site(), ctx=context(max_pages=1))
    assert [str(r.url) for r in requests] == ["https://forum.exemple.fr/robots.txt", THREAD]


def test_a_next_link_to_a_page_already_read_stops_the_walk() -> None:
    """A page whose next link loops back is read once, not `max_pages` times."""
    looping = html("forum_thread_fr_p1.html").replace(b"?page=2", b"")
    _, requests, _ = collect(site({THREAD: lambda request: page_response(looping)}))
    assert [r.url.path for r in requests] == ["/robots.txt", "/t/zelia-carte-refusee-12345"]


def test_old_dated_posts_are_skipped_after_the_watermark_undated_are_kept() -> None:
    """A later run skips posts dated before every brand's watermark but never loses an undated one."""
    since: dict[str, datetime | None] = {"Zelia": datetime(2026, 10, 31), "Norvo": datetime(2026, 10, 31, 12)}
    batch, _, _ = collect(site(), ctx=context(since))
    assert sorted(m.native_id for m in batch.mentions) == ["98302", "98310", "98312"]


def test_a_page_without_items_gives_an_empty_batch() -> None:
    """A page where the selectors find nothing yields nothing, and no error."""
    empty = b"<!doctype html><html lang='fr'><body><p>Aucun message.</p></body></html>"
    batch, _, _ = collect(site({THREAD: lambda request: page_response(empty)}))
    assert batch.mentions == [] and batch.rejected == []


def test_429_waits_for_retry_after_then_reads_the_page() -> None:
    """When a site asks us to slow down, we wait as long as it says and still read the page."""
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"})])
    handler = site({THREAD: lambda request: next(answers, None) or page_response(html("forum_thread_fr_p1.html"))})
    batch, _, slept = collect(handler, ctx=context(max_pages=1))
    assert slept == [5.0, 7.0] and len(batch.mentions) == 3  # the crawl delay, then Retry-After


def test_a_500_is_retried_and_a_dead_page_is_reported() -> None:
    """A passing server error costs a retry; a page that keeps failing makes the source unavailable."""
    answers = iter([httpx.Response(500, text="Erreur interne")])
    handler = site({THREAD: lambda request: next(answers, None) or page_response(html("forum_thread_fr_p1.html"))})
    batch, _, _ = collect(handler, ctx=context(max_pages=1))
    assert len(batch.mentions) == 3
    with pytest.raises(SourceUnavailable, match="HTTP 502"):
        collect(site({THREAD: lambda request: httpx.Response(502, text="Bad Gateway")}))


def test_page_timeouts_are_retried_then_reported() -> None:
    """A slow page is retried; a page that never answers is reported as unavailable."""
    calls = {"n": 0}

    def once(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return page_response(html("forum_thread_fr_p1.html"))

    batch, _, _ = collect(site({THREAD: once}), ctx=context(max_pages=1))
    assert len(batch.mentions) == 3

    def never(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(SourceUnavailable, match="ReadTimeout"):
        collect(site({THREAD: never}))


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"error": "not found"}),  # an API answering JSON
        httpx.Response(200, content=b"%PDF-1.7 ...", headers={"content-type": "application/pdf"}),  # a document
    ],
)
def test_a_page_that_is_not_html_is_a_parse_error(response: httpx.Response) -> None:
    """A URL that serves something other than HTML fails loudly, saying what came back."""
    with pytest.raises(ParseError, match="expected an HTML page"):
        collect(site({THREAD: lambda request: response}))


def test_text_without_any_markup_is_a_parse_error() -> None:
    """A body with no HTML at all (a bare error message) is not taken for an empty page."""
    with pytest.raises(ParseError, match="Service indisponible"):
        parse_page("Service indisponible", THREAD, FORUM_PAGE, "forums", context())


def test_unicode_and_emoji_are_preserved() -> None:
    """Accents, typographic apostrophes and emoji reach the warehouse as written, whatever the charset header."""
    batch, _, _ = collect(site())
    texts = "\n".join(m.text for m in batch.mentions)
    for written in (
        "Carrefour 😡",
        "carte Norvo 🙄",
        "Quelqu’un",
        "gêne 🙏",
        "remarche depuis ce matin 🎉 Merci Zélia",
    ):
        assert written in texts


def test_no_author_name_or_profile_reaches_the_record() -> None:
    """Authors are pseudonymised: neither their name nor their profile link is kept, the key replaces them."""
    batch, _, _ = collect(site(), source(FORUM_PAGE, REVIEW_PAGE), context(max_pages=2))
    authors = {
        "Camille78": "/membres/camille78",
        "Théo L.": "/membres/theo-l",
        "nanou69": "/membres/nanou69",
        "JB-Rennes": "/membres/jb-rennes",
        "Sophie_P": "/membres/sophie-p",
        "zelia_help": "/membres/zelia_help",
        "Dan K.": "/users/dan-k-1120",
        "Emma W.": "/users/emma-w",
        "Lucie ✨": "/users/lucie",
    }
    keys = {Pseudonymizer(b"k" * 32).author_key(m.platform or "", name) for m in batch.mentions for name in authors}
    for mention in batch.mentions:
        assert mention.author_key in keys and mention.raw["author"] == mention.author_key
        stored = json.dumps(mention.raw, ensure_ascii=False)
        assert not any(f">{name}<" in stored or link in stored for name, link in authors.items())


@pytest.mark.network
def test_live_page_is_read_politely() -> None:
    """A real site's robots.txt and page are read and parsed (off by default)."""
    live = WebSource(name="live", kind="web", pages=[WebPage(url="https://example.com/", item="body", text="p")])
    batch = collect_live(WebConnector(live), context(max_pages=1))
    assert batch.mentions and "domain" in batch.mentions[0].text
