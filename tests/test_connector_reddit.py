"""Reddit search (public listings, and the OAuth host with app credentials): saved listings replayed, no network."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connector_harness import Handler, Run, collect_live, context, file_reply, load_json, run_connector
from connector_harness import sequence as answers_in_turn

from ecoute.connectors.base import CollectContext
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import USER_AGENT
from ecoute.connectors.reddit import RedditConnector, parse_listing
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import mention_id
from ecoute.core.settings import Brand
from ecoute.core.source_settings import RedditSource

FIXTURES = Path(__file__).parent / "fixtures" / "reddit"
SOURCE = RedditSource(name="reddit", kind="reddit")
HANDLES = ("zelia_help", "throwaway_lyon", "fintech_watch", "nomad_in_lisbon", "curieux_75", "marco_b")
ACCOUNT_IDS = ("t2_8zq1x0c4", "t2_1kf93mzp", "t2_5n2w7kqe", "t2_4xk0pl2r")


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from the public path, whatever the developer's shell exports."""
    for name in ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"):
        monkeypatch.delenv(name, raising=False)


def payload(name: str) -> Any:
    return load_json(FIXTURES / name)


def reply(name: str) -> httpx.Response:
    return file_reply(FIXTURES / name)


def reddit(request: httpx.Request) -> httpx.Response:
    """Reddit as the fixtures know it: two pages of posts and some comments for Zelia, nothing else."""
    if request.url.path == "/api/v1/access_token":
        return reply("access_token.json")
    params = request.url.params
    if params["q"] != "Zelia":
        return reply("search_empty.json")
    if params["type"] == "comment":
        return reply("search_comments.json")
    return reply("search_links_page2.json" if params.get("after") == "t3_1ohx3k2" else "search_links_page1.json")


def collect(handler: Handler, ctx: CollectContext | None = None, source: RedditSource = SOURCE) -> Run:
    return run_connector(RedditConnector(source), handler, ctx or context())


def searches(run: Run, **params: str) -> list[httpx.Request]:
    return [r for r in run.requests if "q" in r.url.params and params.items() <= dict(r.url.params).items()]


def sequence(*items: httpx.Response | Exception) -> Handler:
    """Answers in turn (the last one again and again); an empty 200 stands for the real answer."""
    return answers_in_turn(reddit, *items)


def test_parse_listing_reads_posts() -> None:
    """Without this, Reddit posts would reach reports with wrong text, links, scores or brand answers."""
    listing = parse_listing(payload("search_links_page1.json"), "reddit", context(), "Zelia")
    assert listing.after == "t3_1ohx3k2" and listing.rejected == []
    ama, question, link = listing.mentions
    assert question.native_id == "t3_1ohy2b7"
    assert question.text == (
        "Zelia ou Norvo pour un compte joint ?\n\n"
        "On hésite entre Zelia et Norvo pour un compte joint. Norvo a l'air moins cher mais j'ai lu des "
        "histoires de cartes bloquées… Des retours ? 🙏"
    )
    assert question.url == "https://www.reddit.com/r/vosfinances/comments/1ohy2b7/zelia_ou_norvo_pour_un_compte_joint/"
    assert question.published_at == datetime(2026, 11, 1, 9, 30)
    assert (question.engagement.likes, question.engagement.replies) == (34, 51)
    assert ama.from_brand == "Zelia" and question.from_brand is None
    assert (
        link.text
        == "Zelia raises €40M Series B to expand into Spain\n\nhttps://techcrunch.com/2026/10/31/zelia-series-b-spain/"
    )
    assert {(m.platform, m.brands, m.in_reply_to) for m in listing.mentions} == {("reddit", ("Zelia",), None)}


def test_parse_listing_reads_comments_and_their_threads() -> None:
    """Without this, comments would lose their thread, and the brand's answers would not count as answers."""
    listing = parse_listing(payload("search_comments.json"), "reddit", context(), "Zelia")
    answer, comment = listing.mentions
    assert comment.native_id == "t1_m8jz0c9"
    assert comment.in_reply_to == mention_id("reddit", "t3_1ohy2b7")  # a top-level comment answers the post
    assert answer.in_reply_to == mention_id("reddit", "t1_m8jz0c9")  # a reply answers its parent comment
    assert answer.from_brand == "Zelia"
    assert comment.text.startswith("J'ai quitté Zelia pour Norvo : frais de tenue de compte en hausse 💸")
    assert (comment.engagement.likes, comment.engagement.replies) == (21, None)
    assert comment.url == (
        "https://www.reddit.com/r/vosfinances/comments/1ohy2b7/zelia_ou_norvo_pour_un_compte_joint/m8jz0c9/"
    )
    assert listing.after is None


def test_collect_pages_with_after_and_sends_the_right_query() -> None:
    """Without this, only the newest 100 results would be read, or Reddit would be asked the wrong question."""
    run = collect(reddit)
    assert run.batch is not None and len(run.batch.mentions) == 7
    links = searches(run, q="Zelia", type="link")
    assert [r.url.params.get("after") for r in links] == [None, "t3_1ohx3k2"]
    first = links[0]
    assert (first.url.host, first.url.path) == ("www.reddit.com", "/search.json")
    assert dict(first.url.params) == {
        "q": "Zelia",
        "sort": "new",
        "t": "all",
        "limit": "100",
        "type": "link",
        "raw_json": "1",
    }
    assert len(searches(run, q="Zelia", type="comment")) == 1
    assert len(searches(run, q="Norvo")) == 2  # posts and comments, one empty page each
    assert all(r.headers["User-Agent"] == USER_AGENT and "Authorization" not in r.headers for r in run.requests)


def test_page_cap_is_respected() -> None:
    """Without this, a busy brand could page through Reddit without end and get us rate-limited."""
    run = collect(reddit, context(max_pages=1))
    assert [r.url.params.get("after") for r in searches(run, q="Zelia", type="link")] == [None]
    assert run.batch is not None and len(run.batch.mentions) == 5


def test_paging_stops_at_the_watermark() -> None:
    """Without this, every run would page back through posts the previous runs already read."""
    run = collect(reddit, context(since={"Zelia": datetime(2026, 11, 1, 9), "Norvo": None}))
    assert len(searches(run, q="Zelia", type="link")) == 1  # page 1 reached past the watermark
    assert run.batch is not None
    assert [m.native_id for m in run.batch.mentions] == ["t3_1ohz9qa", "t3_1ohy2b7", "t1_m8k2f1a", "t1_m8jz0c9"]


def test_subreddits_and_posts_only() -> None:
    """Without this, a source limited to some subreddits would search all of Reddit, or fetch unwanted comments."""
    source = RedditSource(name="reddit", kind="reddit", subreddits=["vosfinances", "r/france"], include_comments=False)
    run = collect(reddit, source=source)
    assert {r.url.path for r in run.requests} == {"/r/vosfinances+france/search.json"}
    assert {(r.url.params["restrict_sr"], r.url.params["type"]) for r in run.requests} == {("1", "link")}


def test_oauth_with_app_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, configured Reddit credentials would be ignored and the run held to the public rate limit."""
    monkeypatch.setenv("REDDIT_CLIENT_ID", "abc123")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "s3cr3t")
    monkeypatch.setenv("REDDIT_USER_AGENT", "linux:ecoute-acme:1.0 (by /u/acme_social)")
    run = collect(reddit)
    token, *searches = run.requests
    assert (token.method, str(token.url)) == ("POST", "https://www.reddit.com/api/v1/access_token")
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"abc123:s3cr3t").decode()
    assert token.content == b"grant_type=client_credentials"
    assert {(r.url.host, r.url.path) for r in searches} == {("oauth.reddit.com", "/search")}
    assert {r.headers["Authorization"] for r in searches} == {"bearer " + payload("access_token.json")["access_token"]}
    assert {r.headers["User-Agent"] for r in run.requests} == {"linux:ecoute-acme:1.0 (by /u/acme_social)"}
    assert run.batch is not None and len(run.batch.mentions) == 7


@pytest.mark.parametrize(
    ("present", "missing"), [("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET"), ("REDDIT_CLIENT_SECRET", "REDDIT_CLIENT_ID")]
)
def test_half_the_credentials_says_which_is_missing(
    monkeypatch: pytest.MonkeyPatch, present: str, missing: str
) -> None:
    """Without this, a forgotten secret would silently fall back to the slow public path."""
    monkeypatch.setenv(present, "x")
    run = collect(reddit)
    assert isinstance(run.error, SourceUnavailable) and missing in str(run.error)
    assert run.requests == []


def test_refused_credentials_make_the_source_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, wrong credentials would look like a quiet week instead of a failed source."""
    monkeypatch.setenv("REDDIT_CLIENT_ID", "abc123")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "wrong")
    run = collect(lambda request: httpx.Response(401, json={"message": "Unauthorized", "error": 401}))
    assert isinstance(run.error, SourceUnavailable) and "401" in str(run.error)
    assert len(run.requests) == 1


def test_empty_results() -> None:
    """Without this, a brand nobody talks about would crash the run or loop on empty pages."""
    run = collect(lambda request: reply("search_empty.json"))
    assert run.batch is not None and run.batch.mentions == [] and run.batch.rejected == []
    assert len(run.requests) == 4  # posts and comments, per brand


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "12"}), 12.0),  # Reddit asks us to slow down
        (httpx.Response(502, text="<html>Bad Gateway</html>"), 1.0),  # a passing server error is retried
        (httpx.ReadTimeout("read timed out"), 1.0),  # so is a slow answer
    ],
)
def test_transient_failures_are_retried(first: httpx.Response | Exception, waits: float) -> None:
    """Without this, a single 429, 5xx or slow answer from Reddit would lose the whole run."""
    run = collect(sequence(first, httpx.Response(200)))
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 7
    assert run.slept[0] == waits


@pytest.mark.parametrize("failure", [httpx.Response(503, text="down"), httpx.ReadTimeout("read timed out")])
def test_lasting_failures_make_the_source_unavailable(failure: httpx.Response | Exception) -> None:
    """Without this, a Reddit outage would hang the run or be reported as "no mentions"."""
    run = collect(sequence(failure))
    assert isinstance(run.error, SourceUnavailable) and "www.reddit.com" in str(run.error)
    assert len(run.requests) == 4  # the first try and three retries


def test_malformed_items_are_rejected_with_a_reason() -> None:
    """Without this, a broken item would crash the page or vanish without a trace."""
    listing = parse_listing(payload("search_malformed_items.json"), "reddit", context(), "Norvo")
    assert [m.native_id for m in listing.mentions] == ["t3_1oi01aa"]
    assert [r.reason for r in listing.rejected] == [
        "created_utc is missing or not a Unix time (got 'yesterday')",
        "kind 't5' is not a post (t3) or a comment (t1)",
        "comment t1_m8k0000: body is missing or empty (got '')",
    ]
    assert all(r.source == "reddit" and r.brand == "Norvo" for r in listing.rejected)
    for rejected, handle in zip(listing.rejected, ("lecteur_cgu", None, "silent_bob"), strict=True):
        if handle:
            assert handle not in rejected.payload and '"author": "(removed)"' in rejected.payload


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<!doctype html><html><title>Blocked</title><body>whoa there, pardner!</body></html>", "whoa there"),
        (b'{"message": "Forbidden", "error": 403}', "Forbidden"),  # JSON, but no Listing
        (b'[{"kind": "Listing", "data": {"children": []}}]', "Listing"),  # a thread page, not a search
    ],
)
def test_malformed_payload_raises_parse_error(body: bytes, shown: str) -> None:
    """Without this, Reddit's block page would be read as "no mentions" and the outage go unnoticed."""
    run = collect(lambda request: httpx.Response(200, content=body))
    assert isinstance(run.error, ParseError) and shown in str(run.error)


def test_unicode_and_emoji_are_preserved() -> None:
    """Without this, accents and emoji would be mangled (or HTML-escaped) in what analysts read."""
    run = collect(reddit)
    assert run.batch is not None
    texts = " ".join(m.text for m in run.batch.mentions)
    for fragment in ("👋", "🎉", "🙏", "😤", "💸", "😕", "€40M", "hésite", "bloquées…", '"security check" & asks'):
        assert fragment in texts


def test_no_raw_handle_reaches_a_mention() -> None:
    """Without this, Reddit usernames or account ids would be stored, against our privacy promise."""
    run = collect(reddit)
    assert run.batch is not None
    for mention in run.batch.mentions:
        stored = repr(mention) + json.dumps(mention.raw, ensure_ascii=False)
        for handle in (*HANDLES, *ACCOUNT_IDS):
            assert handle not in stored
    keys = {m.native_id: m.author_key for m in run.batch.mentions}
    pseudonymizer = Pseudonymizer(b"k" * 32)
    assert keys["t1_m8jz0c9"] == pseudonymizer.author_key("reddit", "marco_b")
    assert keys["t3_1ohz9qa"] == pseudonymizer.author_key("reddit", "zelia_help")


@pytest.mark.network
def test_live_search() -> None:
    """Without this, a change in Reddit's public search would only show up as empty reports."""
    ctx = context(max_pages=1, brands=[Brand(name="Python")], collected_at=datetime.now())
    source = RedditSource(name="reddit", kind="reddit", include_comments=False)
    batch = collect_live(RedditConnector(source), ctx, min_interval=6)
    assert batch.mentions and all(m.url and m.url.startswith("https://www.reddit.com/r/") for m in batch.mentions)
