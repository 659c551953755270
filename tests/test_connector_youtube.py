"""YouTube Data API v3 (search + commentThreads): saved pages replayed through a mock transport, no network."""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connector_harness import OK, Handler, Run, collect_live, context, file_reply, load_json, run_connector
from connector_harness import sequence as answers_in_turn

from ecoute.connectors.base import CollectContext
from ecoute.connectors.errors import ParseError, RateLimited, SourceUnavailable
from ecoute.connectors.http import USER_AGENT
from ecoute.connectors.youtube import YouTubeConnector, parse_threads
from ecoute.core.privacy import Pseudonymizer
from ecoute.core.records import mention_id
from ecoute.core.settings import Brand
from ecoute.core.source_settings import YouTubeSource

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
SOURCE = YouTubeSource(name="yt", kind="youtube")
KEY = "AIzaSyTEST-key-0123456789abcdefghijklm"
OPEN, CLOSED = "zJ3k1Lx9QaE", "Q8vN0pT2wYc"  # the second video has its comments turned off
PAGE2 = json.loads((FIXTURES / "threads_page1.json").read_text())["nextPageToken"]
WATERMARK = datetime(2026, 10, 25)
# Every commenter: their name, channel id and channel URL must not be stored.
AUTHORS = {
    "camille-lyon": "UCc4m1ll3Lyon0q2w3e4r5t6",
    "zelia_help": "UCz3l1aH3lp0q2w3e4r5t6y7",
    "tomriver": "UCt0mR1v3rq2w3e4r5t6y7u8",
    "jules": "UCju1esq2w3e4r5t6y7u8i9o",
    "oldtimer": "UCo1dt1m3rq2w3e4r5t6y7u8",
}


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_API_KEY", KEY)


def payload(name: str) -> Any:
    return load_json(FIXTURES / name)


def reply(name: str, status: int = 200) -> httpx.Response:
    return file_reply(FIXTURES / name, "application/json; charset=UTF-8", status)


EMPTY_SEARCH = {"kind": "youtube#searchListResponse", "pageInfo": {"totalResults": 0, "resultsPerPage": 0}, "items": []}


def youtube(request: httpx.Request) -> httpx.Response:
    """The API as the fixtures know it: two Zelia videos (one without comments), comments on two pages."""
    params = request.url.params
    if request.url.path.endswith("/search"):
        return (
            reply("search_zelia.json") if params["q"].casefold() == "zelia" else httpx.Response(200, json=EMPTY_SEARCH)
        )
    if params["videoId"] == CLOSED:
        return reply("comments_disabled.json", 403)
    return reply("threads_page2.json" if params.get("pageToken") == PAGE2 else "threads_page1.json")


def collect(handler: Handler, ctx: CollectContext | None = None) -> Run:
    return run_connector(YouTubeConnector(SOURCE), handler, ctx or context())


def threads(run: Run, video: str = OPEN) -> list[httpx.Request]:
    return [r for r in run.requests if r.url.path.endswith("/commentThreads") and r.url.params["videoId"] == video]


def sequence(*items: httpx.Response | Exception) -> Handler:
    """Answers in turn (the last one again and again); an empty 200 stands for the real API."""
    return answers_in_turn(youtube, *items)


def test_parse_threads_reads_comments_replies_and_brand_answers() -> None:
    """Without this, YouTube comments would reach reports with wrong text, links, threads or likes."""
    page = parse_threads(payload("threads_page1.json"), "yt", context(), "Zelia")
    assert page.next_page == PAGE2 and page.rejected == []
    complaint, answer, praise = page.mentions
    assert complaint.text.startswith("Chez moi la carte Zelia a été bloquée 2 jours sans explication 😡")
    assert complaint.native_id == "UgzK7pX2vQ9nR4tY1wB4AaABAg"
    assert complaint.url == f"https://www.youtube.com/watch?v={OPEN}&lc=UgzK7pX2vQ9nR4tY1wB4AaABAg"
    assert complaint.published_at == datetime(2026, 10, 31, 20, 11, 9)
    assert (complaint.engagement.likes, complaint.engagement.replies) == (14, 1)
    assert (complaint.in_reply_to, complaint.from_brand, complaint.platform) == (None, None, "youtube")
    assert answer.in_reply_to == mention_id("yt", complaint.native_id)
    assert answer.from_brand == "Zelia" and answer.url and answer.url.endswith("&lc=" + answer.native_id)
    assert praise.text == "Switched from Norvo to Zelia last spring, the app is way smoother 🚀"
    assert page.oldest == datetime(2026, 10, 31, 9, 2, 44)
    assert {m.brands for m in page.mentions} == {("Zelia",)}


def test_search_then_comments_with_the_right_parameters() -> None:
    """Without this, YouTube would be asked the wrong question, or comments read in the wrong order."""
    run = collect(youtube, context(since={"Zelia": WATERMARK, "Norvo": None}, max_pages=1))
    assert run.error is None
    search = run.requests[0]
    assert search.url.path == "/youtube/v3/search" and search.url.host == "www.googleapis.com"
    assert dict(search.url.params) == {"part": "snippet", "type": "video", "order": "date", "q": "Zelia",
                                       "maxResults": "10", "key": KEY,
                                       "publishedAfter": "2026-09-25T00:00:00Z"}  # fmt: skip
    comments = threads(run)[0]
    assert dict(comments.url.params) == {"part": "snippet,replies", "videoId": OPEN, "maxResults": "100",
                                         "order": "time", "textFormat": "plainText", "key": KEY}  # fmt: skip
    assert search.headers["User-Agent"] == USER_AGENT
    norvo = [r for r in run.requests if r.url.path.endswith("/search") and r.url.params["q"] == "Norvo"]
    assert "publishedAfter" not in norvo[0].url.params  # first run for Norvo: whatever is newest


def test_comment_pages_are_followed_down_to_the_watermark() -> None:
    """Without this, only the newest 100 comments of a video would be read, or old ones re-read every run."""
    run = collect(youtube, context(since={"Zelia": WATERMARK, "Norvo": WATERMARK}))
    assert run.batch is not None
    assert [r.url.params.get("pageToken") for r in threads(run)] == [None, PAGE2]  # page 3 is never asked
    texts = [m.text for m in run.batch.mentions]
    assert len(texts) == 4 and "Anyone tried Zelia for business accounts?" not in texts


def test_page_cap_is_respected() -> None:
    """Without this, a viral video could be paged without end and spend the day's quota."""
    run = collect(youtube, context(max_pages=1))
    assert run.batch is not None and len(run.batch.mentions) == 3
    assert len(threads(run)) == 1


def test_a_video_without_comments_is_skipped_not_fatal() -> None:
    """Without this, one video with comments turned off would lose every other video's comments."""
    run = collect(youtube)
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 5
    assert len(threads(run, CLOSED)) == 1  # asked once, not retried


def test_a_spent_quota_is_reported_as_rate_limited() -> None:
    """Without this, a spent daily quota would look like videos without comments, or a dead API."""
    run = collect(lambda request: reply("quota_exceeded.json", 403))
    assert isinstance(run.error, RateLimited) and "quota" in str(run.error)
    assert len(run.requests) == 1

    def comments_over_quota(request: httpx.Request) -> httpx.Response:
        return reply("quota_exceeded.json", 403) if request.url.path.endswith("/commentThreads") else youtube(request)

    run = collect(comments_over_quota)
    assert isinstance(run.error, RateLimited)  # not taken for "comments disabled"


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without this, a forgotten API key would look like a quiet brand or an obscure HTTP 400."""
    monkeypatch.delenv("YOUTUBE_API_KEY")
    run = collect(youtube)
    assert isinstance(run.error, SourceUnavailable) and "YOUTUBE_API_KEY" in str(run.error)
    assert run.requests == []


def test_the_key_is_never_stored() -> None:
    """Without this, the API key would leak into the warehouse through permalinks or payloads."""
    run = collect(youtube)
    assert run.batch is not None and run.batch.mentions
    for mention in run.batch.mentions:
        assert KEY not in repr(mention) + json.dumps(mention.raw)
    failed = collect(lambda request: httpx.Response(400, json={"error": {"message": "API key not valid."}}))
    assert isinstance(failed.error, SourceUnavailable) and KEY not in str(failed.error)


def test_empty_results() -> None:
    """Without this, a brand without videos would crash the run or be searched again and again."""
    run = collect(lambda request: httpx.Response(200, json=EMPTY_SEARCH))
    assert run.batch is not None and run.batch.mentions == [] and run.batch.rejected == []
    assert len(run.requests) == 2  # one search per brand


@pytest.mark.parametrize(
    ("first", "waits"),
    [
        (httpx.Response(429, headers={"Retry-After": "5"}), 5.0),
        (httpx.Response(503, json={"error": {"code": 503, "message": "The service is currently unavailable."}}), 1.0),
        (httpx.ReadTimeout("read timed out"), 1.0),
    ],
)
def test_transient_failures_are_retried(first: httpx.Response | Exception, waits: float) -> None:
    """Without this, one 429, 5xx or slow answer from Google would lose the whole run."""
    run = collect(sequence(first, OK), context(max_pages=1))
    assert run.error is None and run.batch is not None and len(run.batch.mentions) == 3
    assert run.slept[0] == waits


@pytest.mark.parametrize("failure", [httpx.Response(500, text="backendError"), httpx.ReadTimeout("read timed out")])
def test_lasting_failures_make_the_source_unavailable(failure: httpx.Response | Exception) -> None:
    """Without this, a dead API would hang the run or pass for a quiet brand."""
    run = collect(sequence(failure))
    assert isinstance(run.error, SourceUnavailable) and "www.googleapis.com" in str(run.error)
    assert len(run.requests) == 4  # the first try and three retries
    assert KEY not in str(run.error)


def test_malformed_comments_are_rejected_with_a_reason() -> None:
    """Without this, one broken comment would crash its page or vanish without a trace."""
    page = copy.deepcopy(payload("threads_page1.json"))
    first, second = page["items"]
    first["replies"]["comments"][0]["snippet"]["publishedAt"] = "il y a 2 heures"
    del second["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
    del second["snippet"]["topLevelComment"]["snippet"]["textDisplay"]
    page["items"].append("oops")
    parsed = parse_threads(page, "yt", context(), "Zelia")
    assert [m.native_id for m in parsed.mentions] == ["UgzK7pX2vQ9nR4tY1wB4AaABAg"]
    assert [r.reason for r in parsed.rejected] == [
        "publishedAt 'il y a 2 heures' is not an ISO 8601 time",
        "comment UgyTq4W8eR2tY6uI0oP1AaABAg: textOriginal/textDisplay is missing or empty (got None)",
        "thread without snippet.topLevelComment (got str)",
    ]
    assert all(r.brand == "Zelia" and r.source == "yt" for r in parsed.rejected)
    assert "zelia_help" not in parsed.rejected[0].payload and "tomriver" not in parsed.rejected[1].payload


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<!DOCTYPE html><html><title>Error 502 (Server Error)!!1</title></html>", "Server Error"),
        (b'{"kind": "youtube#searchListResponse", "pageInfo": {}}', "kind"),  # no `items`
    ],
)
def test_malformed_payload_raises_parse_error(body: bytes, shown: str) -> None:
    """Without this, an error page served as 200 would read as "no comments" and the outage go unnoticed."""
    run = collect(lambda request: httpx.Response(200, content=body))
    assert isinstance(run.error, ParseError) and shown in str(run.error)


def test_unicode_and_emoji_are_preserved() -> None:
    """Without this, French accents and emoji would be mangled in what analysts read."""
    run = collect(youtube)
    assert run.batch is not None
    texts = " ".join(m.text for m in run.batch.mentions)
    for fragment in ("😡", "🙏", "🚀", "👌", "bloquée", "désolés", "n° de dossier", "…"):
        assert fragment in texts


def test_no_raw_handle_reaches_a_mention() -> None:
    """Without this, commenters' names and channels would be stored in the warehouse, against our privacy promise."""
    run = collect(youtube)
    assert run.batch is not None and run.batch.mentions
    pseudonymizer = Pseudonymizer(b"k" * 32)
    keys = {pseudonymizer.author_key("youtube", channel) for channel in AUTHORS.values()}
    for mention in run.batch.mentions:
        stored = repr(mention) + json.dumps(mention.raw, ensure_ascii=False)
        for name, channel in AUTHORS.items():
            assert f"@{name}" not in stored and channel not in stored
        assert mention.author_key in keys and mention.raw["snippet"]["author"] == mention.author_key


@pytest.mark.network
@pytest.mark.skipif(not os.environ.get("YOUTUBE_API_KEY"), reason="needs YOUTUBE_API_KEY")
def test_live_comments() -> None:
    """Without this, a change in the YouTube Data API would only show up as empty reports."""
    source = YouTubeSource(name="yt", kind="youtube", max_videos=2)
    batch = collect_live(YouTubeConnector(source), context(max_pages=1, brands=[Brand(name="Python")]))
    assert batch.mentions and all(
        m.url and m.url.startswith("https://www.youtube.com/watch?v=") for m in batch.mentions
    )
