"""Mastodon (hashtag timelines, v2 search): saved pages replayed through a mock transport, no network."""

from __future__ import annotations

import copy
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
from ecoute.connectors.http import USER_AGENT
from ecoute.connectors.mastodon import MastodonConnector, html_to_text, parse_statuses, status_key
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import mention_id
from ecoute.core.settings import Brand
from ecoute.core.source_settings import MastodonSource

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
SOCIAL = "https://mastodon.social"
SOURCE = MastodonSource(name="masto", kind="mastodon", instances=[SOCIAL])
PAGE2 = f"{SOCIAL}/api/v1/timelines/tag/zelia?max_id=115448000000000001"
PAGE3 = f"{SOCIAL}/api/v1/timelines/tag/zelia?max_id=115400000000000004"
WATERMARK = datetime(2026, 10, 25)
# Every author in the fixtures, as `acct` and username: none may be stored outside a permalink.
HANDLES = {
    "zelia_help": "zelia_help@mastodon.social",
    "marie_l": "marie_l@piaille.fr",
    "tomwrites": "tomwrites@hachyderm.io",
    "jules": "jules@framapiaf.org",
    "oldtimer": "oldtimer@mastodon.social",
    "ana_k": "ana_k@fosstodon.org",
}


def payload(name: str) -> Any:
    return load_json(FIXTURES / name)


def reply(name: str, link: str | None = None) -> httpx.Response:
    headers = (
        {"Link": f'<{link}>; rel="next", <{SOCIAL}/api/v1/timelines/tag/zelia?min_id=1>; rel="prev"'} if link else {}
    )
    return file_reply(FIXTURES / name, "application/json; charset=utf-8", headers=headers)


def mastodon(request: httpx.Request) -> httpx.Response:
    """An instance as the fixtures know it: #zelia has two pages (a third older one exists), all else is empty."""
    if request.url.path == "/api/v2/search":
        query = request.url.params["q"].casefold()
        return reply("search_norvo.json") if query == "norvo" else httpx.Response(200, json={"statuses": []})
    if request.url.path != "/api/v1/timelines/tag/zelia":
        return httpx.Response(200, json=[])
    max_id = request.url.params.get("max_id")
    if max_id is None:
        return reply("tag_zelia_page1.json", PAGE2)
    if max_id == "115448000000000001":
        return reply("tag_zelia_page2.json", PAGE3)
    return httpx.Response(200, json=[])


def collect(handler: Handler, ctx: CollectContext | None = None, source: MastodonSource = SOURCE) -> Run:
    return run_connector(MastodonConnector(source), handler, ctx or context())


def sequence(*items: httpx.Response | Exception) -> Handler:
    """Answers in turn (the last one again and again); an empty 200 stands for the real instance."""
    return answers_in_turn(mastodon, *items)


def test_parse_statuses_reads_text_language_engagement_and_brand_answers() -> None:
    """Without this, toots would reach reports as HTML, with wrong counts, links or brand answers."""
    page = parse_statuses(payload("tag_zelia_page1.json"), "masto", context(), ("Zelia",), "mastodon.social")
    answer, complaint, praise = page.mentions
    assert complaint.text == (
        "Ma carte #Zelia refusée pour la 3e fois cette semaine 😡 Quelqu'un d'autre ?\n\n"
        "Le support met 48 h à répondre… c'est long."
    )
    assert complaint.language == "fr" and complaint.published_at == datetime(2026, 10, 31, 20, 14, 5)
    assert complaint.url == "https://piaille.fr/@marie_l/115451099887766554"
    assert complaint.native_id == status_key("https://piaille.fr/users/marie_l/statuses/115451099887766554")
    assert (complaint.engagement.likes, complaint.engagement.replies, complaint.engagement.shares) == (7, 1, 3)
    assert praise.text == (
        "Switched from Norvo to #zelia last month.\nHonestly? The app is 10x better 🚀 https://zelia.example/blog/new-app"
    )
    assert praise.language == "en"
    assert answer.from_brand == "Zelia" and complaint.from_brand is None
    assert page.replies == {answer.native_id: "115451100000000002"}
    assert {m.platform for m in page.mentions} == {"mastodon"}
    assert {m.brands for m in page.mentions} == {("Zelia",)}
    assert page.last_id == "115448000000000001"


def test_collect_follows_pages_down_to_the_watermark_and_links_replies() -> None:
    """Without this, only the newest 40 toots would be read, or old pages re-read on every run."""
    run = collect(mastodon, context(since={"Zelia": WATERMARK, "Norvo": WATERMARK}))
    assert run.error is None and run.batch is not None
    zelia = [r for r in run.requests if r.url.path.endswith("/zelia")]
    assert [r.url.params.get("max_id") for r in zelia] == [None, "115448000000000001"]  # page 3 is never asked
    texts = [m.text for m in run.batch.mentions]
    assert len(texts) == 4 and not any("Anyone tried" in t for t in texts)  # older than the watermark
    answer, complaint = run.batch.mentions[:2]
    assert answer.in_reply_to == mention_id("masto", complaint.native_id)  # the parent was read in this run


def test_requests_carry_the_hashtag_limit_and_user_agent() -> None:
    """Without this, the instance would be asked for the wrong hashtag, or not know who is asking."""
    run = collect(mastodon, context(max_pages=1))
    paths = [r.url.path for r in run.requests]
    assert paths == ["/api/v1/timelines/tag/zelia", "/api/v1/timelines/tag/norvo"]  # no token: no search
    first = run.requests[0]
    assert first.url.host == "mastodon.social" and first.url.params["limit"] == "40"
    assert first.headers["User-Agent"] == USER_AGENT and "Authorization" not in first.headers


def test_page_cap_is_respected() -> None:
    """Without this, a busy hashtag could be paged without end on every run."""
    run = collect(mastodon, context(max_pages=1))
    assert run.batch is not None and len(run.batch.mentions) == 3
    assert len([r for r in run.requests if r.url.path.endswith("/zelia")]) == 1


def test_without_link_header_a_full_page_continues_from_the_last_id() -> None:
    """Without this, an instance that sends no Link header would only ever give its first 40 toots."""
    template = payload("tag_zelia_page1.json")[2]
    full = []
    for number in range(40):
        status = copy.deepcopy(template)
        status["id"] = str(115448000000000100 - number)
        status["uri"] = f"https://hachyderm.io/users/tomwrites/statuses/{number}"
        full.append(status)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/zelia") and "max_id" not in request.url.params:
            return httpx.Response(200, json=full)
        return httpx.Response(200, json=[])

    run = collect(handler)
    assert run.batch is not None and len(run.batch.mentions) == 40
    zelia = [r for r in run.requests if r.url.path.endswith("/zelia")]
    assert [r.url.params.get("max_id") for r in zelia] == [None, "115448000000000061"]


def test_hashtags_from_settings_are_read_once_for_every_brand() -> None:
    """Without this, configured hashtags would be ignored, or fetched once per brand and quota wasted."""
    source = MastodonSource(name="masto", kind="mastodon", instances=[SOCIAL], hashtags=["Zelia", "banque"])
    run = collect(mastodon, context(max_pages=1), source)
    assert [r.url.path for r in run.requests] == ["/api/v1/timelines/tag/zelia", "/api/v1/timelines/tag/banque"]
    assert run.batch is not None and {m.brands for m in run.batch.mentions} == {("Zelia", "Norvo")}


def test_the_same_post_from_two_instances_is_kept_once() -> None:
    """Without this, every toot seen from two instances would count twice in volumes and share of voice."""
    other = copy.deepcopy(payload("tag_zelia_page1.json")[1])  # the complaint, as piaille.fr numbers it
    other["id"] = "115451099887766554"
    source = MastodonSource(name="masto", kind="mastodon", instances=[SOCIAL, "https://piaille.fr"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "piaille.fr":
            return httpx.Response(200, json=[other] if request.url.path.endswith("/zelia") else [])
        return mastodon(request)

    run = collect(handler, context(max_pages=1), source)
    assert run.batch is not None
    assert {r.url.host for r in run.requests} == {"mastodon.social", "piaille.fr"}
    native_ids = [m.native_id for m in run.batch.mentions]
    assert len(native_ids) == len(set(native_ids)) == 3


def test_a_dead_instance_fails_alone() -> None:
    """One instance down: the other is read, and the dead one is named on the batch (the source is not lost)."""
    source = MastodonSource(name="masto", kind="mastodon", instances=["https://piaille.fr", SOCIAL])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="down") if request.url.host == "piaille.fr" else mastodon(request)

    batch = collect(handler, context(max_pages=1), source).batch_or_raise()
    assert batch.mentions
    assert len(batch.failed_parts) == 1 and batch.failed_parts[0].startswith("piaille.fr: SourceUnavailable: ")


def test_a_boost_counts_as_the_post_it_boosts() -> None:
    """Without this, boosts would be stored as empty posts, or the booster taken for the author."""
    original = payload("tag_zelia_page1.json")[1]
    boost = {"id": "115451300000000000", "created_at": "2026-10-31T22:00:00.000Z", "content": "",
             "uri": "https://mastodon.social/users/booster/statuses/115451300000000000/activity",
             "account": {"acct": "booster"}, "reblog": original}  # fmt: skip
    page = parse_statuses([boost], "masto", context(), ("Zelia",), "mastodon.social")
    (mention,) = page.mentions
    assert mention.native_id == status_key(original["uri"])
    assert mention.author_key == Pseudonymizer(b"k" * 32).author_key("mastodon", "marie_l@piaille.fr")
    assert page.last_id == "115451300000000000"  # paging goes on from the boost's place in the timeline


def test_token_enables_search_on_its_own_instance_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, posts without the hashtag would be missed, or the token sent to a stranger's server."""
    monkeypatch.setenv("MASTODON_TOKEN", "s3cret-token")
    source = MastodonSource(name="masto", kind="mastodon", instances=[SOCIAL, "https://piaille.fr"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[]) if request.url.host == "piaille.fr" else mastodon(request)

    run = collect(handler, context(max_pages=1), source)
    assert run.batch is not None
    searches = [r for r in run.requests if r.url.path == "/api/v2/search"]
    assert [r.url.params["q"] for r in searches] == ["Zelia", "Norvo"]
    assert {r.url.host for r in searches} == {"mastodon.social"}
    assert searches[0].url.params["type"] == "statuses" and searches[0].url.params["resolve"] == "false"
    for request in run.requests:
        sent = request.headers.get("Authorization")
        assert sent == ("Bearer s3cret-token" if request.url.host == "mastodon.social" else None)
    norvo = [m for m in run.batch.mentions if m.brands == ("Norvo",)]
    assert [m.text for m in norvo] == [
        "Norvo bank just froze my account with zero explanation. Three days, no answer. 🙃"
    ]


def test_empty_results() -> None:
    """Without this, a quiet hashtag would crash the run or be paged forever."""
    run = collect(lambda request: httpx.Response(200, json=[]))
    assert run.batch is not None and run.batch.mentions == [] and run.batch.rejected == []
    assert len(run.requests) == 2  # one page per hashtag, then stop


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "30"}), 30.0),  # the instance's rate limit
        (httpx.Response(503, text="<html>503 Service Unavailable</html>"), 1.0),  # a passing outage
        (httpx.ReadTimeout("read timed out"), 1.0),  # a slow answer
    ],
)
def test_transient_failures_are_retried(first: httpx.Response | Exception, waits: float) -> None:
    """Without this, one 429, 5xx or slow answer from an instance would lose the whole run."""
    run = collect(sequence(first, OK), context(max_pages=1))
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 3
    assert run.slept[0] == waits


@pytest.mark.parametrize("failure", [httpx.Response(500, text="oops"), httpx.ReadTimeout("read timed out")])
def test_lasting_failures_make_the_source_unavailable(failure: httpx.Response | Exception) -> None:
    """Without this, a dead instance would hang the run or pass for a quiet hashtag."""
    run = collect(sequence(failure))
    assert isinstance(run.error, SourceUnavailable) and "mastodon.social" in str(run.error)
    assert len(run.requests) == 4  # the first try and three retries


def test_a_closed_timeline_makes_the_source_unavailable() -> None:
    """Without this, an instance that requires sign-in for hashtags would pass for one with no posts."""
    body = {"error": "This method requires an authenticated user"}
    run = collect(lambda request: httpx.Response(401, json=body))
    assert isinstance(run.error, SourceUnavailable) and "requires an authenticated user" in str(run.error)


def test_malformed_statuses_are_rejected_with_a_reason() -> None:
    """Without this, one broken toot would crash its page or vanish without a trace."""
    good, broken_date, no_uri = copy.deepcopy(payload("tag_zelia_page1.json")[:3])
    broken_date["created_at"] = "hier soir"
    del no_uri["uri"]
    page = parse_statuses([good, broken_date, no_uri, "oops"], "masto", context(), ("Zelia",), "mastodon.social")
    assert len(page.mentions) == 1
    assert [r.reason for r in page.rejected] == [
        "created_at 'hier soir' is not an ISO 8601 time",
        "uri is missing or not a string (got None)",
        "expected a status object, got str",
    ]
    assert all(r.brand == "Zelia" and r.source == "masto" for r in page.rejected)
    assert "marie_l@piaille.fr" not in page.rejected[0].payload and "(removed)" in page.rejected[0].payload
    assert "tomwrites@hachyderm.io" not in page.rejected[1].payload


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<!DOCTYPE html><html><body><h1>We're sorry, but something went wrong</h1></body></html>", "sorry"),
        (b'{"error": "Record not found"}', "error"),  # JSON, but not a list of statuses
    ],
)
def test_malformed_payload_raises_parse_error(body: bytes, shown: str) -> None:
    """Without this, an error page served as 200 would read as "no toots" and the outage go unnoticed."""
    run = collect(lambda request: httpx.Response(200, content=body))
    assert isinstance(run.error, ParseError) and shown in str(run.error)


def test_unicode_and_emoji_are_preserved() -> None:
    """Without this, French accents and emoji would be mangled in what analysts read."""
    run = collect(mastodon)
    assert run.batch is not None
    texts = " ".join(m.text for m in run.batch.mentions)
    for fragment in ("😡", "🙏", "🚀", "👌", "désolés", "Écrivez-nous", "refusée", "…"):
        assert fragment in texts


def test_no_raw_handle_reaches_a_mention() -> None:
    """Without this, fediverse handles would be stored in the warehouse, against our privacy promise."""
    run = collect(mastodon)
    assert run.batch is not None and run.batch.mentions
    pseudonymizer = Pseudonymizer(b"k" * 32)
    for mention in run.batch.mentions:
        raw = {k: v for k, v in mention.raw.items() if k not in ("url", "uri", "content")}  # permalinks, words
        stored = f"{mention.native_id} {mention.author_key} {mention.in_reply_to} " + json.dumps(raw)
        username = next(u for u, acct in HANDLES.items() if mention.url and f"/@{u}/" in mention.url)
        assert username not in stored and HANDLES[username] not in stored
        assert mention.author_key == pseudonymizer.author_key("mastodon", HANDLES[username])
        assert mention.raw["account"] == mention.author_key


@pytest.mark.network
def test_live_hashtag_timeline() -> None:
    """Without this, a change in Mastodon's timeline API would only show up as empty reports."""
    batch = collect_live(MastodonConnector(SOURCE), context(max_pages=1, brands=[Brand(name="Python")]))
    assert batch.mentions and all(m.platform == "mastodon" and m.author_key for m in batch.mentions)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>Un<br>deux</p><p>trois &amp; quatre</p>", "Un\ndeux\n\ntrois & quatre"),  # Mastodon's own HTML
        ("https://zelia.example/offre", "https://zelia.example/offre"),  # plain text from another server
        ("Zelia &gt; Norvo", "Zelia > Norvo"),
    ],
)
def test_content_becomes_plain_text(content: str, text: str) -> None:
    """Without this, toots would be stored with tags and entities, or servers sending plain text would break."""
    assert html_to_text(content) == text
