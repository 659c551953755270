"""Bluesky: post search (`app.bsky.feed.searchPosts`), newest first, signed in when credentials are set.

Bluesky's public AppView has refused unauthenticated post search (HTTP 403) since January 2025,
and never pages it with `cursor`. So with BLUESKY_HANDLE and BLUESKY_APP_PASSWORD the connector
signs in at the PDS and searches through it (the PDS proxies `app.bsky.*` calls to the AppView
on the account's behalf, which is how Bluesky's own apps do it); without them it tries one page
from the public AppView and, when refused, says which variables to set.

`parse_page` is pure (one JSON page in, Mentions, rejections and the next cursor out).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from ecoute.connectors.base import BrandMatcher, CollectContext, count, parse_items, parse_time, shape
from ecoute.connectors.errors import ParseError, SourceUnavailable
from ecoute.connectors.http import Fetcher
from ecoute.connectors.query_translate import to_searches
from ecoute.core.records import Batch, Engagement, Mention, Rejected, mention_id
from ecoute.core.source_settings import BlueskySource

PLATFORM = "bluesky"
HANDLE_ENV, PASSWORD_ENV = "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"
PAGE_LIMIT = 100  # the most searchPosts returns per page
POST_URL = "https://bsky.app/profile/{did}/post/{rkey}"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
SIGN_IN = "/xrpc/com.atproto.server.createSession"

Post = dict[str, Any]

log = logging.getLogger(__name__)


@dataclass
class Page:
    """One page of search results, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    items: int = 0
    cursor: str | None = None
    oldest: datetime | None = None


def post_url(uri: str) -> tuple[str, str]:
    """The DID and record key of `at://<did>/app.bsky.feed.post/<rkey>`; ParseError for anything else."""
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://did:") or len(parts) != 3 or parts[1] != "app.bsky.feed.post" or not parts[2]:
        raise ParseError(f"uri {uri!r} is not an at://<did>/app.bsky.feed.post/<rkey> post uri")
    return parts[0], parts[2]


def _shares(post: Post) -> int | None:
    """Reposts plus quotes: a quote is a repost with a comment."""
    counts = [c for c in (count(post, "repostCount"), count(post, "quoteCount")) if c is not None]
    return sum(counts) if counts else None


def _scrubbed(value: Any, author_key: str | None, top: bool = True) -> Any:
    """The post as received, minus handles: its author (the key instead) and the authors of the
    posts it embeds (quotes), whose handles, names and avatars are dropped; DIDs stay, as in URLs."""
    if isinstance(value, list):
        return [_scrubbed(item, author_key, top=False) for item in value]
    if not isinstance(value, dict):
        return value
    raw = {}
    for key, item in value.items():
        if key == "author" and isinstance(item, dict):
            raw[key] = author_key if top else {"did": item.get("did")}
        else:
            raw[key] = _scrubbed(item, author_key, top=False)
    return raw


def parse_post(post: Post, source: str, context: CollectContext, matcher: BrandMatcher, brand: str) -> Mention:
    """One post view as a Mention; ParseError naming the field when it is malformed."""
    if not isinstance(post, dict):  # checked here, not by parse_items: _scrubbed cleans any value
        raise ParseError(f"expected a post view object, got {type(post).__name__}")
    uri = post.get("uri")
    if not isinstance(uri, str):
        raise ParseError(f"uri is missing or not a string (got {uri!r})")
    did, rkey = post_url(uri)
    record = post.get("record")
    if not isinstance(record, dict):
        raise ParseError(f"post {uri}: record is missing (got {record!r})")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ParseError(f"post {uri}: record.text is missing or empty (got {text!r})")
    published_at = parse_time(record.get("createdAt"), "record.createdAt")
    # createdAt is what the author's app claims; the AppView sorts by min(createdAt, indexedAt) so that
    # a post dated in the future does not stay on top. So do we, when indexedAt is there.
    with contextlib.suppress(ParseError):
        published_at = min(published_at, parse_time(post.get("indexedAt"), "indexedAt"))
    author = post.get("author")
    handle = author.get("handle") if isinstance(author, dict) and isinstance(author.get("handle"), str) else None
    # Handles are domain names that can change; the DID is the account, so it keys the author.
    author_key = context.pseudonymizer.author_key(PLATFORM, did)
    langs = record.get("langs")
    language = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    parent_uri = parent.get("uri") if isinstance(parent, dict) else None
    return Mention(
        source=source,
        native_id=uri,
        text=text.strip(),
        published_at=published_at,
        collected_at=context.collected_at,
        brands=(brand,),
        url=POST_URL.format(did=did, rkey=rkey),
        author_key=author_key,
        from_brand=matcher.official_brand(handle) or matcher.official_brand(did),
        in_reply_to=mention_id(source, parent_uri) if isinstance(parent_uri, str) and parent_uri else None,
        language=language,
        platform=PLATFORM,
        engagement=Engagement(likes=count(post, "likeCount"), replies=count(post, "replyCount"), shares=_shares(post)),
        raw=_scrubbed(post, author_key),
    )


def parse_page(
    payload: Any, source: str, context: CollectContext, brand: str, matcher: BrandMatcher | None = None
) -> Page:
    """A searchPosts JSON page (`{"posts": [...], "cursor"}`); ParseError when it is not one at all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("posts"), list):
        raise ParseError(f"{source}: expected a searchPosts page with `posts`, got {shape(payload)}")
    matcher = matcher or context.matcher()
    cursor = payload.get("cursor")
    parsed = parse_items(
        payload["posts"],
        lambda post: parse_post(post, source, context, matcher, brand),
        _scrubbed,
        source=source,
        brand=brand,
    )
    return Page(
        mentions=parsed.mentions,
        rejected=parsed.rejected,
        items=len(payload["posts"]),
        cursor=cursor if isinstance(cursor, str) and cursor else None,
        oldest=min((mention.published_at for mention in parsed.mentions), default=None),
    )


def since_param(since: datetime) -> str:
    return since.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class BlueskyConnector:
    """Searches Bluesky posts for each brand's query, newest first, from its watermark."""

    kind: ClassVar[str] = "bluesky"

    def __init__(self, source: BlueskySource) -> None:
        self.source = source
        self.name = source.name

    async def sign_in(self, fetcher: Fetcher) -> str | None:
        """An access token when both variables are set, None when neither is."""
        handle, password = os.environ.get(HANDLE_ENV), os.environ.get(PASSWORD_ENV)
        if not handle and not password:
            return None
        if not handle or not password:
            missing = HANDLE_ENV if not handle else PASSWORD_ENV
            raise SourceUnavailable(f"{self.name}: set {missing} too (Bluesky sign-in needs both variables)")
        url = f"{self.source.pds.rstrip('/')}{SIGN_IN}"
        session = await fetcher.post_json(url, json={"identifier": handle, "password": password})
        token = session.get("accessJwt") if isinstance(session, dict) else None
        if not isinstance(token, str) or not token:
            raise ParseError(f"{url}: no accessJwt in the sign-in answer (keys: {sorted(session)[:10]!r})")
        return token

    def params(
        self, search: str, languages: frozenset[str], since: datetime | None, cursor: str | None
    ) -> dict[str, Any]:
        params: dict[str, str | int] = {"q": search, "sort": "latest", "limit": PAGE_LIMIT}
        if since is not None:
            params["since"] = since_param(since)
        if len(languages) == 1:  # the API filters on one language; several are filtered locally
            params["lang"] = next(iter(languages))
        if cursor:
            params["cursor"] = cursor
        return params

    async def _get(self, fetcher: Fetcher, url: str, params: dict[str, Any], headers: dict[str, str] | None) -> Any:
        try:
            return await fetcher.get_json(url, params=params, headers=headers)
        except SourceUnavailable as error:
            if headers or "HTTP 403" not in str(error):
                raise
            raise SourceUnavailable(
                f"{error} -- Bluesky's public AppView refuses anonymous post search: "
                f"set {HANDLE_ENV} and {PASSWORD_ENV} (an app password) to search signed in"
            ) from error

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        token = await self.sign_in(fetcher)
        host = self.source.pds if token else self.source.appview
        url = f"{host.rstrip('/')}{SEARCH}"
        headers = {"Authorization": f"Bearer {token}"} if token else None
        # Signed out, the AppView answers one page at most: it refuses `cursor` to anonymous callers.
        max_pages = context.max_pages if token else 1
        queries, matcher = context.queries, context.matcher()
        batch, seen = Batch(), set()
        for brand in context.brands:
            since = context.since_for(brand.name)
            query = queries[brand.name]
            # Bluesky's search has no OR: one search per alternative of the brand's query.
            for search in to_searches(query, "bluesky"):
                if not search:
                    log.warning(
                        "%s: the query of %s cannot be said as a Bluesky search; skipped", self.name, brand.name
                    )
                    continue
                cursor: str | None = None
                for _ in range(max_pages):
                    params = self.params(search, query.languages, since, cursor)
                    page = parse_page(
                        await self._get(fetcher, url, params, headers), self.name, context, brand.name, matcher
                    )
                    for mention in page.mentions:  # two alternatives (or brands) can find the same post
                        if mention.native_id not in seen and (since is None or mention.published_at >= since):
                            seen.add(mention.native_id)
                            batch.mentions.append(mention)
                    batch.rejected.extend(page.rejected)
                    cursor = page.cursor
                    older = since is not None and page.oldest is not None and page.oldest < since
                    if older or not page.items or cursor is None:
                        break
        return batch
