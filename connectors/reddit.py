"""Reddit search: posts and comments matching each brand's query, newest first.

Without credentials it reads the public `search.json` listings; with REDDIT_CLIENT_ID and
REDDIT_CLIENT_SECRET it signs in application-only (client_credentials) and reads the same
listings from the OAuth host, which Reddit allows ten times more often. `parse_listing` is
pure so tests can feed it saved listings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from ecoute.connectors.base import BrandMatcher, CollectContext, add_mention, parse_items
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import USER_AGENT, Fetcher
from ecoute.connectors.query_translate import to_search
from ecoute.core.records import Batch, Engagement, Mention, Rejected, mention_id
from ecoute.core.source_settings import RedditSource

PLATFORM = "reddit"
WEB = "https://www.reddit.com"  # permalinks are web paths, whichever host answered
PAGE_SIZE = 100  # the most a listing returns
ID_ENV, SECRET_ENV, AGENT_ENV = "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"
HANDLE_FIELDS = ("author", "author_fullname", "link_author")  # the handle, its account id, the post's author

Thing = dict[str, Any]


@dataclass
class Listing:
    """One page of a Reddit listing, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    after: str | None = None  # cursor of the next page; None on the last
    oldest: datetime | None = None  # publication time of the last (oldest) item that had one


def _scrubbed(data: Thing, author_key: str | None) -> Thing:
    """The item as received, minus who wrote it (handle and account id)."""
    return {key: (author_key if key in HANDLE_FIELDS else value) for key, value in data.items()}


def _scrubbed_thing(thing: Thing, author_key: str) -> Thing:
    """A whole thing (kind and data) minus who wrote it."""
    data = thing.get("data")
    return {**thing, "data": _scrubbed(data, author_key)} if isinstance(data, dict) else thing


def _text_field(data: Thing, key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _count(data: Thing, key: str) -> int | None:
    """Unlike other platforms' counts, a Reddit score can be negative."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _published(data: Thing) -> datetime:
    seconds = data.get("created_utc")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ParseError(f"created_utc is missing or not a Unix time (got {seconds!r})")
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def parse_thing(thing: Thing, source: str, context: CollectContext, matcher: BrandMatcher, brand: str) -> Mention:
    """A post (t3) or comment (t1) as a Mention; ParseError naming the field when malformed."""
    kind, data = thing.get("kind"), thing.get("data")
    if kind not in ("t1", "t3"):
        raise ParseError(f"kind {kind!r} is not a post (t3) or a comment (t1)")
    if not isinstance(data, dict):
        raise ParseError(f"{kind}: data should be an object, got {type(data).__name__}")
    short_id = _text_field(data, "id")
    native_id = _text_field(data, "name") or (f"{kind}_{short_id}" if short_id else None)
    if native_id is None:
        raise ParseError(f"{kind}: name and id are missing (got {data.get('name')!r}, {data.get('id')!r})")
    published_at = _published(data)
    parent = None
    if kind == "t3":
        title = _text_field(data, "title")
        if title is None:
            raise ParseError(f"post {native_id}: title is missing or empty (got {data.get('title')!r})")
        link = _text_field(data, "url_overridden_by_dest")  # set on link posts: the page shared
        body = _text_field(data, "selftext") or link
        text = f"{title}\n\n{body}" if body else title
        engagement = Engagement(likes=_count(data, "score"), replies=_count(data, "num_comments"))
    else:
        body = _text_field(data, "body")
        if body is None:
            raise ParseError(f"comment {native_id}: body is missing or empty (got {data.get('body')!r})")
        text = body
        engagement = Engagement(likes=_count(data, "score"))
        parent = _text_field(data, "parent_id") or _text_field(data, "link_id")
    handle = _text_field(data, "author")
    if handle in ("[deleted]", "[removed]"):  # Reddit's placeholders, not accounts
        handle = None
    author_key = context.pseudonymizer.author_key(PLATFORM, handle) if handle else None
    permalink = _text_field(data, "permalink")
    return Mention(
        source=source,
        native_id=native_id,
        text=text,
        published_at=published_at,
        collected_at=context.collected_at,
        brands=(brand,),
        url=f"{WEB}{permalink}" if permalink and permalink.startswith("/") else permalink,
        author_key=author_key,
        from_brand=matcher.official_brand(handle),
        in_reply_to=mention_id(source, parent) if parent else None,
        platform=PLATFORM,
        engagement=engagement,
        raw=_scrubbed(data, author_key),
    )


def parse_listing(
    payload: Any, source: str, context: CollectContext, brand: str, matcher: BrandMatcher | None = None
) -> Listing:
    """A `Listing` JSON page; ParseError when the payload is not one at all."""
    data = payload.get("data") if isinstance(payload, dict) and payload.get("kind") == "Listing" else None
    if not isinstance(data, dict) or not isinstance(data.get("children"), list):
        raise ParseError(f"{source}: expected a Reddit Listing, got {str(payload)[:200]!r}")
    matcher = matcher or context.matcher()
    after = data.get("after")
    parsed = parse_items(
        data["children"],
        lambda thing: parse_thing(thing, source, context, matcher, brand),
        _scrubbed_thing,
        source=source,
        brand=brand,
        expect="a thing object",
    )
    return Listing(
        mentions=parsed.mentions,
        rejected=parsed.rejected,
        after=after if isinstance(after, str) and after else None,
        oldest=parsed.mentions[-1].published_at if parsed.mentions else None,
    )


class RedditConnector:
    """Searches Reddit (all of it, or some subreddits) for each brand's query."""

    kind: ClassVar[str] = "reddit"

    def __init__(self, source: RedditSource) -> None:
        self.source = source
        self.name = source.name

    @property
    def user_agent(self) -> str:
        # Reddit blocks generic agents; an operator can name their own deployment.
        return os.environ.get(AGENT_ENV) or USER_AGENT

    async def sign_in(self, fetcher: Fetcher) -> str | None:
        """An application-only bearer token when both credentials are set, else None (public listings)."""
        client_id, secret = os.environ.get(ID_ENV), os.environ.get(SECRET_ENV)
        if not client_id and not secret:
            return None
        if not client_id or not secret:
            missing = ID_ENV if not client_id else SECRET_ENV
            raise SourceUnavailable(f"{self.name}: set {missing} too (Reddit OAuth needs {ID_ENV} and {SECRET_ENV})")
        answer = await fetcher.post_json(
            self.source.token_url,
            data={"grant_type": "client_credentials"},
            headers={"User-Agent": self.user_agent},
            auth=httpx.BasicAuth(client_id, secret),
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceUnavailable(f"{self.source.token_url}: no access_token in the answer: {str(answer)[:200]!r}")
        return token

    def search_url(self, signed_in: bool) -> str:
        host = (self.source.oauth_url if signed_in else self.source.base_url).rstrip("/")
        suffix = "" if signed_in else ".json"  # the OAuth host answers JSON without the suffix
        subreddits = "+".join(s.strip().removeprefix("/").removeprefix("r/") for s in self.source.subreddits)
        return f"{host}/r/{subreddits}/search{suffix}" if subreddits else f"{host}/search{suffix}"

    def params(self, search: str, kind: str, after: str | None) -> dict[str, str | int]:
        params: dict[str, str | int] = {"q": search, "sort": "new", "t": "all", "limit": PAGE_SIZE, "type": kind}
        params["raw_json"] = 1  # text as written, not HTML-escaped (&amp;, &lt;)
        if self.source.subreddits:
            params["restrict_sr"] = 1
        if after:
            params["after"] = after
        return params

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        token = await self.sign_in(fetcher)
        headers = {"User-Agent": self.user_agent}
        if token:
            headers["Authorization"] = f"bearer {token}"
        url = self.search_url(signed_in=token is not None)
        kinds = ["link", "comment"] if self.source.include_comments else ["link"]
        queries, matcher = context.queries, context.matcher()
        batch = Batch()
        index: dict[str, int] = {}  # native id -> position in batch.mentions
        for brand in context.brands:
            since = context.since_for(brand.name)
            search = to_search(queries[brand.name], "reddit")
            for kind in kinds:  # max_pages applies to each search: posts, then comments
                after: str | None = None
                for _ in range(context.max_pages):
                    payload = await fetcher.get_json(url, params=self.params(search, kind, after), headers=headers)
                    listing = parse_listing(payload, self.name, context, brand.name, matcher)
                    for mention in listing.mentions:
                        if since is None or mention.published_at >= since:
                            add_mention(batch, index, mention)
                    batch.rejected.extend(listing.rejected)
                    after = listing.after
                    # Sorted new: once a page reaches past the watermark, later pages are older still.
                    if after is None or (since is not None and listing.oldest is not None and listing.oldest < since):
                        break
        return batch
