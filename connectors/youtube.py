"""YouTube: comments on the latest videos matching each brand's query (YouTube Data API v3).

Per brand, one `search` call (100 quota units) finds the newest videos, then `commentThreads`
(1 unit a page) reads their comments, newest first, down to the watermark. A video whose
comments are off is skipped; a spent daily quota is reported as RateLimited. The API key goes
in request parameters only: never in a stored URL, payload or error message.

`parse_search` and `parse_threads` are pure (one JSON page in, what it holds out).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ecoute.connectors.base import BrandMatcher, CollectContext, count, parse_items, parse_time, shape
from ecoute.connectors.errors import ParseError, RateLimited, SourceUnavailable
from ecoute.connectors.http import Fetcher
from ecoute.connectors.query_translate import to_search
from ecoute.core.records import Batch, Engagement, Mention, Rejected, mention_id
from ecoute.core.source_settings import YouTubeSource

PLATFORM = "youtube"
KEY_ENV = "YOUTUBE_API_KEY"
THREADS_PER_PAGE = 100  # the most commentThreads returns per page
COMMENT_URL = "https://www.youtube.com/watch?v={video}&lc={comment}"
# Comments keep coming for weeks after a video is out: videos published this long before the
# watermark are still read (their old comments are then dropped by the watermark).
VIDEO_LOOKBACK = timedelta(days=30)
# Scrubbed from every comment snippet: all of them name or link the author's channel.
AUTHOR_FIELDS = ("authorDisplayName", "authorProfileImageUrl", "authorChannelUrl", "authorChannelId")

log = logging.getLogger(__name__)

Item = dict[str, Any]


@dataclass
class Page:
    """One page of comment threads, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    items: int = 0
    next_page: str | None = None
    oldest: datetime | None = None  # of the top-level comments: the order the API pages in


def rfc3339(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC, microsecond=0).isoformat().replace("+00:00", "Z")


def parse_search(payload: Any, source: str) -> tuple[list[str], list[Rejected]]:
    """Video ids from a `search` page; ParseError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise ParseError(f"{source}: expected a search result with `items`, got {shape(payload)}")
    videos, rejected = [], []
    for item in payload["items"]:
        identifier = item.get("id") if isinstance(item, dict) else None
        video = identifier.get("videoId") if isinstance(identifier, dict) else None
        if isinstance(video, str) and video:
            videos.append(video)
        else:
            reason = f"search result without id.videoId (got id {identifier!r})"
            rejected.append(Rejected(source, reason, json.dumps(item, ensure_ascii=False)))
    return videos, rejected


def _scrubbed(comment: Item, author_key: str | None) -> Item:
    """The comment as received, minus its author's name, channel id, channel URL and avatar."""
    snippet = comment.get("snippet")
    if not isinstance(snippet, dict):
        return dict(comment)
    cleaned = {key: value for key, value in snippet.items() if key not in AUTHOR_FIELDS}
    return {**comment, "snippet": {**cleaned, "author": author_key}}


def parse_comment(
    comment: Item,
    source: str,
    context: CollectContext,
    matcher: BrandMatcher,
    brand: str,
    parent: str | None = None,
    replies: int | None = None,
) -> Mention:
    """One comment (top-level, or a reply to `parent`) as a Mention; ParseError naming the field."""
    native_id = comment.get("id")
    if not isinstance(native_id, str) or not native_id:
        raise ParseError(f"comment id is missing (got {native_id!r})")
    snippet = comment.get("snippet")
    if not isinstance(snippet, dict):
        raise ParseError(f"comment {native_id}: snippet is missing (got {snippet!r})")
    text = snippet.get("textOriginal") or snippet.get("textDisplay")
    if not isinstance(text, str) or not text.strip():
        raise ParseError(f"comment {native_id}: textOriginal/textDisplay is missing or empty (got {text!r})")
    video = snippet.get("videoId")
    if not isinstance(video, str) or not video:
        raise ParseError(f"comment {native_id}: videoId is missing (got {video!r})")
    published_at = parse_time(snippet.get("publishedAt"), "publishedAt")
    name = snippet.get("authorDisplayName") if isinstance(snippet.get("authorDisplayName"), str) else None
    channel = snippet.get("authorChannelId")
    channel_id = channel.get("value") if isinstance(channel, dict) else None
    # The channel id is the account; the display name (now an @handle) can change.
    author = channel_id if isinstance(channel_id, str) and channel_id else name
    author_key = context.pseudonymizer.author_key(PLATFORM, author) if author else None
    return Mention(
        source=source,
        native_id=native_id,
        text=text.strip(),
        published_at=published_at,
        collected_at=context.collected_at,
        brands=(brand,),
        url=COMMENT_URL.format(video=video, comment=native_id),
        author_key=author_key,
        from_brand=matcher.official_brand(name) or matcher.official_brand(channel_id),
        in_reply_to=mention_id(source, parent) if parent else None,
        platform=PLATFORM,
        engagement=Engagement(likes=count(snippet, "likeCount"), replies=replies),
        raw=_scrubbed(comment, author_key),
    )


def _scrubbed_thread(thread: Any, author_key: str) -> Any:
    """A whole thread minus every author in it: the top-level comment's and the replies'."""
    if not isinstance(thread, dict):
        return thread
    raw = dict(thread)
    snippet = raw.get("snippet")
    if isinstance(snippet, dict) and isinstance(snippet.get("topLevelComment"), dict):
        raw["snippet"] = {**snippet, "topLevelComment": _scrubbed(snippet["topLevelComment"], author_key)}
    replies = raw.get("replies")
    if isinstance(replies, dict) and isinstance(replies.get("comments"), list):
        comments = [_scrubbed(c, author_key) if isinstance(c, dict) else c for c in replies["comments"]]
        raw["replies"] = {**replies, "comments": comments}
    return raw


def parse_top(thread: Any, source: str, context: CollectContext, matcher: BrandMatcher, brand: str) -> Mention:
    """A thread's top-level comment as a Mention; ParseError when the thread has none."""
    snippet = thread.get("snippet") if isinstance(thread, dict) else None
    top = snippet.get("topLevelComment") if isinstance(snippet, dict) else None
    if not isinstance(snippet, dict) or not isinstance(top, dict):
        raise ParseError(f"thread without snippet.topLevelComment (got {type(thread).__name__})")
    return parse_comment(top, source, context, matcher, brand, replies=count(snippet, "totalReplyCount"))


def parse_thread(thread: Any, source: str, context: CollectContext, matcher: BrandMatcher, brand: str) -> Batch:
    """One thread: its top-level comment, then the replies it carries, each quarantined alone."""
    top_only = parse_items(
        [thread],
        lambda item: parse_top(item, source, context, matcher, brand),
        _scrubbed_thread,
        source=source,
        brand=brand,
    )
    if not top_only.mentions:
        return top_only
    top = top_only.mentions[0]
    carried = thread.get("replies", {}).get("comments") if isinstance(thread.get("replies"), dict) else None
    replies = parse_items(
        carried or [],
        lambda reply: parse_comment(
            reply, source, context, matcher, brand, parent=reply.get("snippet", {}).get("parentId") or top.native_id
        ),
        _scrubbed,
        source=source,
        brand=brand,
        expect="a reply object",
    )
    return Batch([top, *replies.mentions], replies.rejected)


def parse_threads(
    payload: Any, source: str, context: CollectContext, brand: str, matcher: BrandMatcher | None = None
) -> Page:
    """A `commentThreads` page: each thread's top-level comment, then the replies it carries."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise ParseError(f"{source}: expected a commentThreads page with `items`, got {shape(payload)}")
    matcher = matcher or context.matcher()
    token = payload.get("nextPageToken")
    page = Page(items=len(payload["items"]), next_page=token if isinstance(token, str) and token else None)
    for thread in payload["items"]:
        found = parse_thread(thread, source, context, matcher, brand)
        page.mentions.extend(found.mentions)
        page.rejected.extend(found.rejected)
        if found.mentions:  # the top-level comment comes first
            page.oldest = min(page.oldest or found.mentions[0].published_at, found.mentions[0].published_at)
    return page


def _quota_or_raise(error: SourceUnavailable) -> None:
    """A 403 that says the quota is spent is RateLimited (it resets at midnight Pacific time)."""
    body = (error.body or "").lower()
    if error.status_code == 403 and ("quota" in body or "ratelimitexceeded" in body):
        raise RateLimited(f"YouTube Data API quota exceeded (it resets at midnight Pacific time): {error}") from error


class YouTubeConnector:
    """Reads the comments of the newest videos matching each brand's query."""

    kind: ClassVar[str] = "youtube"

    def __init__(self, source: YouTubeSource) -> None:
        self.source = source
        self.name = source.name

    def _key(self) -> str:
        key = os.environ.get(KEY_ENV)
        if not key:
            raise SourceUnavailable(f"{self.name}: set {KEY_ENV} (a YouTube Data API v3 key) to read YouTube")
        return key

    async def _get(self, fetcher: Fetcher, resource: str, params: dict[str, Any]) -> Any:
        try:
            return await fetcher.get_json(f"{self.source.base_url.rstrip('/')}/{resource}", params=params)
        except SourceUnavailable as error:
            _quota_or_raise(error)
            raise

    async def videos(
        self, fetcher: Fetcher, key: str, search: str, languages: frozenset[str], since: datetime | None
    ) -> tuple[list[str], list[Rejected]]:
        params: dict[str, Any] = {"part": "snippet", "type": "video", "order": "date", "q": search,
                                  "maxResults": self.source.max_videos, "key": key}  # fmt: skip
        if since is not None:
            params["publishedAfter"] = rfc3339(since - VIDEO_LOOKBACK)
        if len(languages) == 1:
            params["relevanceLanguage"] = next(iter(languages))
        return parse_search(await self._get(fetcher, "search", params), self.name)

    async def comments(
        self, fetcher: Fetcher, key: str, video: str, context: CollectContext, brand: str, since: datetime | None
    ) -> Batch:
        batch, matcher, token = Batch(), context.matcher(), None
        for _ in range(context.max_pages):
            params = {"part": "snippet,replies", "videoId": video, "maxResults": THREADS_PER_PAGE,
                      "order": "time", "textFormat": "plainText", "key": key}  # fmt: skip
            if token:
                params["pageToken"] = token
            try:
                payload = await self._get(fetcher, "commentThreads", params)
            except SourceUnavailable as error:
                # Comments turned off (commentsDisabled) or the video gone: nothing to read there.
                if error.status_code in (403, 404):
                    log.info("%s: skipping video %s: %s", self.name, video, error)
                    break
                raise
            page = parse_threads(payload, self.name, context, brand, matcher)
            batch.mentions.extend(m for m in page.mentions if since is None or m.published_at >= since)
            batch.rejected.extend(page.rejected)
            token = page.next_page
            if token is None or not page.items or (since is not None and page.oldest and page.oldest < since):
                break
        return batch

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        key = self._key()
        queries = context.queries
        batch, seen = Batch(), set()
        for brand in context.brands:
            since = context.since_for(brand.name)
            query = queries[brand.name]
            search = to_search(query, "youtube")
            if not search:  # an empty q would return any recent video: nothing to do with the brand
                log.warning("%s: the query of %s cannot be said as a YouTube search; skipped", self.name, brand.name)
                continue
            videos, rejected = await self.videos(fetcher, key, search, query.languages, since)
            batch.rejected.extend(rejected)
            for video in videos:
                found = await self.comments(fetcher, key, video, context, brand.name, since)
                batch.rejected.extend(found.rejected)
                for mention in found.mentions:  # two brands can find the same video
                    if mention.native_id not in seen:
                        seen.add(mention.native_id)
                        batch.mentions.append(mention)
        return batch
