"""Bluesky (app.bsky.feed.searchPosts): saved pages replayed through a mock transport, no network."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connector_harness import OK, Handler, Run, collect_live, file_reply, load_json, run_connector
from connector_harness import context as harness_context
from connector_harness import sequence as answers_in_turn

from ecoute.connectors.base import CollectContext
from ecoute.connectors.bluesky import BlueskyConnector, parse_page
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import USER_AGENT
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import mention_id
from ecoute.core.settings import Brand
from ecoute.core.source_settings import BlueskySource

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
SOURCE = BlueskySource(name="bsky", kind="bluesky")
WATERMARK = datetime(2026, 10, 25)
HANDLES = ("zelia-help.bsky.social", "camille-lyon.bsky.social", "tomriver.com", "norvo.bank", "jules.bsky.social",
           "oldtimer.bsky.social")  # fmt: skip
ACCESS = json.loads((FIXTURES / "create_session.json").read_text())["accessJwt"]


def context(since: dict[str, datetime | None] | None = None, max_pages: int = 5, **zelia: Any) -> CollectContext:
    zelia_brand = Brand(name="Zelia", handles=["zelia_help", "zelia-help.bsky.social"], **zelia)
    return harness_context(since, max_pages, brands=[zelia_brand, Brand(name="Norvo")])


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLUESKY_HANDLE", "ecoute-listener.bsky.social")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")


@pytest.fixture(autouse=True)
def signed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLUESKY_HANDLE", raising=False)
    monkeypatch.delenv("BLUESKY_APP_PASSWORD", raising=False)


def payload(name: str) -> Any:
    return load_json(FIXTURES / name)


def reply(name: str) -> httpx.Response:
    return file_reply(FIXTURES / name)


def bluesky(request: httpx.Request) -> httpx.Response:
    """The PDS as the fixtures know it: sign-in works, Zelia has two pages, Norvo none."""
    if request.url.path == "/xrpc/com.atproto.server.createSession":
        return reply("create_session.json")
    cursor = request.url.params.get("cursor")
    if request.url.params["q"].split()[0].casefold() not in ("zelia", "zelia.fr") or cursor not in (None, "100"):
        return httpx.Response(200, json={"posts": [], "hitsTotal": 0})
    return reply("search_zelia_page1.json" if cursor is None else "search_zelia_page2.json")


def collect(handler: Handler, ctx: CollectContext | None = None, source: BlueskySource = SOURCE) -> Run:
    return run_connector(BlueskyConnector(source), handler, ctx or context())


def searches(run: Run) -> list[httpx.Request]:
    return [r for r in run.requests if r.url.path == "/xrpc/app.bsky.feed.searchPosts"]


def sequence(*items: httpx.Response | Exception) -> Handler:
    """Search answers in turn (the last one again and again); an empty 200 stands for the real API."""
    answers = answers_in_turn(bluesky, *items)

    def handler(request: httpx.Request) -> httpx.Response:
        return answers(request) if request.url.path == "/xrpc/app.bsky.feed.searchPosts" else bluesky(request)

    return handler


def test_parse_page_reads_posts_replies_languages_and_counts() -> None:
    """Without this, Bluesky posts would reach reports with wrong text, links, threads or counts."""
    page = parse_page(payload("search_zelia_page1.json"), "bsky", context(), "Zelia")
    assert page.cursor == "100" and page.rejected == []
    answer, complaint, comparison = page.mentions
    assert complaint.text == "L'appli plante à chaque virement #zelia 😤 troisième fois aujourd'hui, c'est pénible…"
    assert complaint.native_id == "at://did:plc:c4m1ll3xq2w3e4r5t6y7u8i9/app.bsky.feed.post/3m4ya7tfd3k2p"
    assert complaint.url == "https://bsky.app/profile/did:plc:c4m1ll3xq2w3e4r5t6y7u8i9/post/3m4ya7tfd3k2p"
    assert complaint.published_at == datetime(2026, 10, 31, 18, 2, 11, 123000)
    assert (complaint.language, complaint.platform) == ("fr", "bluesky")
    assert (complaint.engagement.likes, complaint.engagement.replies, complaint.engagement.shares) == (21, 1, 5)
    assert answer.from_brand == "Zelia" and complaint.from_brand is None
    assert answer.in_reply_to == mention_id("bsky", complaint.native_id)
    assert comparison.language == "en" and comparison.in_reply_to is None
    assert {m.brands for m in page.mentions} == {("Zelia",)}


def test_a_future_dated_post_counts_from_when_it_was_indexed() -> None:
    """Without this, a post whose app claims a future date would sit on top of every report and move the watermark."""
    post = copy.deepcopy(payload("search_zelia_page1.json")["posts"][1])
    post["record"]["createdAt"] = "2031-01-01T00:00:00Z"
    (mention,) = parse_page({"posts": [post]}, "bsky", context(), "Zelia").mentions
    assert mention.published_at == datetime(2026, 10, 31, 18, 2, 12, 456000)


def test_signed_in_search_goes_through_the_pds_with_a_bearer_token(signed_in: None) -> None:
    """Without this, searches would be refused (the public AppView needs sign-in) or sent with the wrong query."""
    run = collect(bluesky, context(max_pages=1))
    assert run.error is None and run.batch is not None
    sign_in = run.requests[0]
    assert sign_in.method == "POST" and sign_in.url == "https://bsky.social/xrpc/com.atproto.server.createSession"
    assert json.loads(sign_in.content) == {
        "identifier": "ecoute-listener.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    first = searches(run)[0]
    assert first.url.host == "bsky.social"
    assert dict(first.url.params) == {"q": "Zelia", "sort": "latest", "limit": "100"}
    assert first.headers["Authorization"] == f"Bearer {ACCESS}" and first.headers["User-Agent"] == USER_AGENT


def test_collect_follows_cursors_down_to_the_watermark(signed_in: None) -> None:
    """Without this, only the newest 100 posts would be read, or old pages re-read on every run."""
    run = collect(bluesky, context(since={"Zelia": WATERMARK, "Norvo": WATERMARK}))
    assert run.batch is not None
    zelia = [r for r in searches(run) if r.url.params["q"] == "Zelia"]
    assert [r.url.params.get("cursor") for r in zelia] == [None, "100"]  # the page at 200 is never asked
    assert {r.url.params["since"] for r in zelia} == {"2026-10-25T00:00:00Z"}
    texts = [m.text for m in run.batch.mentions]
    assert len(texts) == 4 and "Anyone tried Zelia?" not in texts  # older than the watermark


def test_page_cap_is_respected(signed_in: None) -> None:
    """Without this, a busy brand could be paged without end on every run."""
    run = collect(bluesky, context(max_pages=1))
    assert run.batch is not None and len(run.batch.mentions) == 3
    assert [r.url.params["q"] for r in searches(run)] == ["Zelia", "Norvo"]


def test_one_search_per_alternative_and_the_language_restriction(signed_in: None) -> None:
    """Without this, a brand with extra terms would be searched for none of them (Bluesky has no OR)."""
    ctx = context(max_pages=1, terms=["zelia.fr"], query='(Zelia OR "zelia.fr") lang:fr')
    run = collect(bluesky, ctx)
    zelia = [r for r in searches(run) if "zelia" in r.url.params["q"].casefold()]
    assert [r.url.params["q"] for r in zelia] == ["Zelia lang:fr", "zelia.fr lang:fr"]
    assert {r.url.params["lang"] for r in zelia} == {"fr"}
    assert run.batch is not None and len(run.batch.mentions) == 3  # posts both searches find are kept once


def test_anonymous_search_reads_one_page_from_the_appview() -> None:
    """Without this, an unauthenticated run would send a cursor the public AppView always refuses."""
    run = collect(bluesky)
    assert run.batch is not None and len(run.batch.mentions) == 3
    assert {r.url.host for r in run.requests} == {"public.api.bsky.app"}
    assert all("cursor" not in r.url.params and "Authorization" not in r.headers for r in run.requests)


def test_refused_anonymous_search_says_which_variables_to_set() -> None:
    """Without this, users would see a bare 403 and not know that Bluesky search needs an app password."""
    run = collect(lambda request: httpx.Response(403, text="Request forbidden by administrative rules."))
    assert isinstance(run.error, SourceUnavailable)
    assert "BLUESKY_HANDLE" in str(run.error) and "BLUESKY_APP_PASSWORD" in str(run.error)
    assert "forbidden by administrative rules" in str(run.error)


def test_half_set_credentials_name_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, a forgotten app password would silently fall back to the refused anonymous search."""
    monkeypatch.setenv("BLUESKY_HANDLE", "ecoute-listener.bsky.social")
    run = collect(bluesky)
    assert isinstance(run.error, SourceUnavailable) and "BLUESKY_APP_PASSWORD" in str(run.error)
    assert run.requests == []


def test_a_wrong_password_makes_the_source_unavailable(signed_in: None) -> None:
    """Without this, a revoked app password would pass for a brand nobody talks about."""
    body = {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
    run = collect(lambda request: httpx.Response(401, json=body))
    assert isinstance(run.error, SourceUnavailable) and "Invalid identifier or password" in str(run.error)
    assert "abcd-efgh" not in str(run.error)


def test_empty_results(signed_in: None) -> None:
    """Without this, a brand nobody talks about would crash the run or be paged forever."""
    run = collect(sequence(httpx.Response(200, json={"posts": []})))
    assert run.batch is not None and run.batch.mentions == [] and run.batch.rejected == []
    assert len(searches(run)) == 2  # one page per brand, then stop


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "12"}), 12.0),  # the AppView's rate limit
        (httpx.Response(502, text="Bad Gateway"), 1.0),  # a passing outage
        (httpx.ReadTimeout("read timed out"), 1.0),  # a slow answer
    ],
)
def test_transient_failures_are_retried(signed_in: None, first: httpx.Response | Exception, waits: float) -> None:
    """Without this, one 429, 5xx or slow answer from Bluesky would lose the whole run."""
    run = collect(sequence(first, OK), context(max_pages=1))
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 3
    assert run.slept[0] == waits


@pytest.mark.parametrize("failure", [httpx.Response(500, text="oops"), httpx.ReadTimeout("read timed out")])
def test_lasting_failures_make_the_source_unavailable(signed_in: None, failure: httpx.Response | Exception) -> None:
    """Without this, a dead AppView would hang the run or pass for a quiet brand."""
    run = collect(sequence(failure))
    assert isinstance(run.error, SourceUnavailable) and "bsky.social" in str(run.error)
    assert len(searches(run)) == 4  # the first try and three retries


def test_malformed_posts_are_rejected_with_a_reason() -> None:
    """Without this, one broken post would crash its page or vanish without a trace."""
    good, no_date, bad_uri = copy.deepcopy(payload("search_zelia_page1.json")["posts"])
    del no_date["record"]["createdAt"]
    bad_uri["uri"] = "https://bsky.app/profile/tomriver.com/post/3m4xqz5v3xk2a"
    page = parse_page({"posts": [good, no_date, bad_uri, 42]}, "bsky", context(), "Zelia")
    assert len(page.mentions) == 1
    assert [r.reason for r in page.rejected] == [
        "record.createdAt is missing (got None)",
        "uri 'https://bsky.app/profile/tomriver.com/post/3m4xqz5v3xk2a' is not an "
        "at://<did>/app.bsky.feed.post/<rkey> post uri",
        "expected a post view object, got int",
    ]
    assert all(r.brand == "Zelia" and r.source == "bsky" for r in page.rejected)
    assert "camille-lyon.bsky.social" not in page.rejected[0].payload and "(removed)" in page.rejected[0].payload


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<html><head><title>502 Bad Gateway</title></head></html>", "502 Bad Gateway"),  # a proxy's page
        (b'{"error": "InvalidRequest", "message": "Error: Params must have the property \\"q\\""}', "InvalidRequest"),
    ],
)
def test_malformed_payload_raises_parse_error(signed_in: None, body: bytes, shown: str) -> None:
    """Without this, an error page served as 200 would read as "no posts" and the outage go unnoticed."""
    run = collect(sequence(httpx.Response(200, content=body)))
    assert isinstance(run.error, ParseError) and shown in str(run.error)


def test_unicode_and_emoji_are_preserved(signed_in: None) -> None:
    """Without this, French accents and emoji would be mangled in what analysts read."""
    run = collect(bluesky)
    assert run.batch is not None
    texts = " ".join(m.text for m in run.batch.mentions)
    for fragment in ("😤", "🙏", "🚀🇫🇷", "👌", "déploiement", "pénible…", "à redire"):
        assert fragment in texts


def test_no_raw_handle_reaches_a_mention(signed_in: None) -> None:
    """Without this, Bluesky handles would be stored in the warehouse, against our privacy promise."""
    run = collect(bluesky)
    assert run.batch is not None and run.batch.mentions
    pseudonymizer = Pseudonymizer(b"k" * 32)
    for mention in run.batch.mentions:
        stored = repr(mention) + json.dumps(mention.raw, ensure_ascii=False)
        for handle in HANDLES:
            assert handle not in stored
        did = mention.native_id.split("/")[2]
        assert mention.author_key == pseudonymizer.author_key("bluesky", did)
        assert mention.raw["author"] == mention.author_key
    quoted = next(m for m in run.batch.mentions if "night and day" in m.text)
    assert quoted.raw["embed"]["record"]["author"] == {"did": "did:plc:n0rv0b4nkq2w3e4r5t6y7u8i"}


@pytest.mark.network
def test_live_search() -> None:
    """Without this, a change in Bluesky's search API would only show up as empty reports."""
    ctx = harness_context(max_pages=1, brands=[Brand(name="Python")])
    # signed out this may be refused: the error then names the variables to set
    batch = collect_live(BlueskyConnector(SOURCE), ctx)
    assert batch.mentions and all(m.url and m.url.startswith("https://bsky.app/profile/did:") for m in batch.mentions)
