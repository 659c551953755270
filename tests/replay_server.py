"""A local HTTP server that answers like the nine sources' real APIs, from the saved fixtures.

It only serves files: each route reads the request the way the real API does (paths, query
parameters, paging cursors) and answers with the matching fixture in the source's own format,
then an empty page past the last one. Every request is recorded for tests to assert on.

    with replay_server() as replay:
        ...  # point settings at replay.url; read replay.requests afterwards
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"

# What the fixtures know, in each API's own terms.
ZELIA_APP, NORVO_APP = "1500000001", "1500000002"  # App Store ids
OPEN_VIDEO, CLOSED_VIDEO = "zJ3k1Lx9QaE", "Q8vN0pT2wYc"  # YouTube: the second has comments turned off
FORUM_THREAD, REVIEWS = "/t/zelia-carte-refusee-12345", "/company/norvo"  # web pages
FEEDS = {
    "/feeds/journal-fintech.xml": ("rss/journal_fintech_rss2.xml", "application/rss+xml; charset=utf-8"),
    "/feeds/norvo-engineering.xml": ("rss/norvo_engineering_atom.xml", "application/atom+xml; charset=utf-8"),
}
ROBOTS = "User-agent: *\nAllow: /\n"  # no rules, no crawl delay
EMPTY_YOUTUBE_SEARCH = {"kind": "youtube#searchListResponse", "pageInfo": {"totalResults": 0}, "items": []}
EMPTY_YOUTUBE_THREADS = {"kind": "youtube#commentThreadListResponse", "pageInfo": {"totalResults": 0}, "items": []}
EMPTY_MASTODON_SEARCH: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Replay:
    """The running server: its base URL and what it was asked, in order."""

    url: str
    requests: list[Seen] = field(default_factory=list)


def fixture(name: str, status: int = 200, content_type: str = JSON, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, (FIXTURES / name).read_bytes(), content_type, headers or {})


def as_json(value: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(value).encode())


def not_found(what: str) -> Answer:
    return as_json({"error": f"no fixture for {what}"}, 404)


def last_id(name: str) -> str:
    """The id of a Mastodon page's last status: the `max_id` of the page after it."""
    return str(json.loads((FIXTURES / name).read_text(encoding="utf-8"))[-1]["id"])


def next_token(name: str) -> str:
    return str(json.loads((FIXTURES / name).read_text(encoding="utf-8"))["nextPageToken"])


Route = Callable[[re.Match[str], dict[str, str], str], Answer]  # (path match, query, base URL) -> answer


def algolia(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """HN Search: two pages for Zelia (`page` counts from 0), an empty page for anything else."""
    page = FIXTURES / f"hackernews/search_zelia_page{query.get('page', '0')}.json"
    if query.get("query", "").casefold() == "zelia" and page.exists():
        return fixture(f"hackernews/{page.name}")
    return fixture("hackernews/search_empty.json")


def reddit_search(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """Reddit search.json: posts on two pages (`after`) and one page of comments for Zelia."""
    if query.get("q", "").casefold() != "zelia":
        return fixture("reddit/search_empty.json")
    if query.get("type") == "comment":
        return fixture("reddit/search_comments.json") if "after" not in query else fixture("reddit/search_empty.json")
    after = json.loads((FIXTURES / "reddit/search_links_page1.json").read_text())["data"]["after"]
    pages = {None: "search_links_page1.json", after: "search_links_page2.json"}
    name = pages.get(query.get("after"))
    return fixture(f"reddit/{name}") if name else fixture("reddit/search_empty.json")


def mastodon_tag(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """A hashtag timeline: #zelia on two pages chained by Link headers, then an empty list."""
    if match["tag"].casefold() != "zelia":
        return as_json([])
    pages = {None: "tag_zelia_page1.json", last_id("mastodon/tag_zelia_page1.json"): "tag_zelia_page2.json"}
    name = pages.get(query.get("max_id"))
    if name is None:
        return as_json([])
    following = f"{base}/api/v1/timelines/tag/zelia?max_id={last_id(f'mastodon/{name}')}"
    link = f'<{following}>; rel="next", <{base}/api/v1/timelines/tag/zelia?min_id=1>; rel="prev"'
    return fixture(f"mastodon/{name}", headers={"Link": link})


def mastodon_search(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """v2 search (only with a token): Norvo finds one status, on one page."""
    if query.get("q", "").casefold() == "norvo" and query.get("offset", "0") == "0":
        return fixture("mastodon/search_norvo.json")
    return as_json(EMPTY_MASTODON_SEARCH)


def bluesky_search(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """searchPosts: Zelia on two pages (`cursor`), nothing for anything else."""
    first = json.loads((FIXTURES / "bluesky/search_zelia_page1.json").read_text())["cursor"]
    pages = {None: "search_zelia_page1.json", first: "search_zelia_page2.json"}
    name = pages.get(query.get("cursor"))
    if query.get("q", "").split(" ")[0].casefold() in ("zelia", "zelia.fr") and name:
        return fixture(f"bluesky/{name}")
    return as_json({"posts": [], "hitsTotal": 0})


def youtube_error(reason: str, status: int) -> Answer:
    return as_json({"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}, status)


def youtube_search(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """search: two videos for Zelia; the API key is required, as on the real API."""
    if not query.get("key"):
        return youtube_error("forbidden", 403)
    if query.get("q", "").casefold() == "zelia":
        return fixture("youtube/search_zelia.json")
    return as_json(EMPTY_YOUTUBE_SEARCH)


def youtube_threads(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """commentThreads: two pages (`pageToken`) on one video; the other has comments disabled."""
    video = query.get("videoId")
    if not query.get("key"):
        return youtube_error("forbidden", 403)
    if video == CLOSED_VIDEO:
        return fixture("youtube/comments_disabled.json", status=403)
    if video != OPEN_VIDEO:
        return youtube_error("videoNotFound", 404)
    pages = {None: "threads_page1.json", next_token("youtube/threads_page1.json"): "threads_page2.json"}
    if name := pages.get(query.get("pageToken")):
        return fixture(f"youtube/{name}")
    if query.get("pageToken") == next_token("youtube/threads_page2.json"):  # page 2 points on: nothing saved there
        return as_json(EMPTY_YOUTUBE_THREADS)
    return youtube_error("invalidPageToken", 400)


def appstore(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """Customer reviews (page=N in the path): Zelia's French feed on two pages, Norvo's US feed on one."""
    pages = {
        ("fr", ZELIA_APP, "1"): "zelia_fr_page1.json",
        ("fr", ZELIA_APP, "2"): "zelia_fr_page2.json",
        ("us", NORVO_APP, "1"): "norvo_us_single.json",
    }
    name = pages.get((match["country"], match["app"], match["page"]), "empty.json")
    return fixture(f"appstore/{name}")


def feed(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    name, content_type = FEEDS[match[0]]
    return fixture(name, content_type=content_type)


def news_search(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """Google News RSS search: three articles for Zelia, an empty feed for anything else."""
    name = "google_news_zelia.xml" if query.get("q") == "Zelia" else "google_news_empty.xml"
    return fixture(f"rss/{name}", content_type="application/xml; charset=utf-8")


def forum(match: re.Match[str], query: dict[str, str], base: str) -> Answer:
    """A forum thread on two pages (`?page=2`)."""
    pages = {None: "forum_thread_fr_p1.html", "2": "forum_thread_fr_p2.html"}
    name = pages.get(query.get("page"))
    return fixture(f"web/{name}", content_type=HTML) if name else Answer(404, b"Page introuvable", HTML)


GET: list[tuple[str, Route]] = [
    (r"/robots\.txt", lambda match, query, base: Answer(200, ROBOTS.encode(), "text/plain; charset=utf-8")),
    (r"/api/v1/search_by_date", algolia),
    (r"/search\.json", reddit_search),
    (r"/api/v1/timelines/tag/(?P<tag>[^/]+)", mastodon_tag),
    (r"/api/v2/search", mastodon_search),
    (r"/xrpc/app\.bsky\.feed\.searchPosts", bluesky_search),
    (r"/youtube/v3/search", youtube_search),
    (r"/youtube/v3/commentThreads", youtube_threads),
    (
        r"/(?P<country>[a-z]{2})/rss/customerreviews/page=(?P<page>\d+)/id=(?P<app>\d+)/sortby=mostrecent/json",
        appstore,
    ),
    ("|".join(re.escape(path) for path in FEEDS), feed),
    (r"/rss/search", news_search),
    (re.escape(FORUM_THREAD), forum),
    (re.escape(REVIEWS), lambda match, query, base: fixture("web/reviews_en.html", content_type=HTML)),
]
POST: list[tuple[str, Route]] = [  # sign-in endpoints, used only when credentials are set
    (r"/api/v1/access_token", lambda match, query, base: fixture("reddit/access_token.json")),
    (r"/xrpc/com\.atproto\.server\.createSession", lambda match, query, base: fixture("bluesky/create_session.json")),
]


def answer(method: str, path: str, query: dict[str, str], base: str) -> Answer:
    for pattern, route in GET if method == "GET" else POST:
        if match := re.fullmatch(pattern, path):
            return route(match, query, base)
    return not_found(f"{method} {path}")


@contextmanager
def replay_server() -> Iterator[Replay]:
    """Serve the fixtures on 127.0.0.1 (a free port) until the block ends."""
    replay = Replay(url="")

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)  # sign-in bodies: read, never needed
            replay.requests.append(Seen(self.command, parts.path, query))
            reply = answer(self.command, parts.path, query, replay.url)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet: requests are recorded instead
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    replay.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="replay-server", daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
