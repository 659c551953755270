"""Hacker News through Algolia's HN Search API (`search_by_date`): stories and comments, no key.

`parse_page` is pure (one JSON page in, Mentions, rejections and the paging numbers out);
`HackerNewsConnector.collect` pages through each brand's search, newest first, from its watermark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from ecoute.connectors.base import (
    BrandMatcher,
    CollectContext,
    add_mention,
    count,
    html_to_text,
    parse_items,
    shape,
)
from ecoute.connectors.errors import ParseError
from ecoute.connectors.http import Fetcher
from ecoute.connectors.query_translate import to_searches
from ecoute.core.records import Batch, Engagement, Mention, Rejected, mention_id
from ecoute.core.source_settings import HackerNewsSource

PLATFORM = "hackernews"
ITEM_URL = "https://news.ycombinator.com/item?id={}"
HITS_PER_PAGE = 100  # Algolia allows up to 1000; 100 keeps pages small and the cap meaningful

Hit = dict[str, Any]


@dataclass
class Page:
    """One page of search results, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    page: int = 0
    pages: int = 0  # nbPages: how many pages this search has in all
    oldest: datetime | None = None  # publication time of the last (oldest) hit that had one


def _scrubbed(hit: Hit, author_key: str | None) -> Hit:
    """The hit as received, minus the handle: in `author`, in the `author_<handle>` tag, and in
    `_highlightResult` (Algolia's highlighted copies of the fields, the author's among them)."""
    raw = {key: value for key, value in hit.items() if key != "_highlightResult"}
    if "author" in raw:
        raw["author"] = author_key
    if isinstance(raw.get("_tags"), list):
        raw["_tags"] = [tag for tag in raw["_tags"] if not (isinstance(tag, str) and tag.startswith("author_"))]
    return raw


def _published(hit: Hit) -> datetime:
    seconds = hit.get("created_at_i")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    text = hit.get("created_at")
    if isinstance(text, str):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    raise ParseError(f"created_at_i {seconds!r} / created_at {text!r} is not a time")


def parse_hit(hit: Hit, source: str, context: CollectContext, matcher: BrandMatcher, brand: str) -> Mention:
    """One story or comment as a Mention; ParseError naming the field when it is malformed."""
    native_id = hit.get("objectID")
    if not isinstance(native_id, str | int) or isinstance(native_id, bool) or not str(native_id).strip():
        raise ParseError(f"objectID is missing or not an id (got {native_id!r})")
    native_id = str(native_id)
    published_at = _published(hit)
    tags: list[Any] = hit["_tags"] if isinstance(hit.get("_tags"), list) else []
    comment_text = hit.get("comment_text")
    parent = hit.get("parent_id")
    if "comment" in tags or comment_text:
        if not isinstance(comment_text, str) or not comment_text.strip():
            raise ParseError(f"comment {native_id}: comment_text is missing or empty (got {comment_text!r})")
        text = html_to_text(comment_text)
        engagement = Engagement(likes=count(hit, "points"))
    else:
        title = hit.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ParseError(f"story {native_id}: title is missing or empty (got {title!r})")
        story_text, link = hit.get("story_text"), hit.get("url")
        # A link story's only words are its title and URL; the URL often names the brand's domain.
        body = html_to_text(story_text) if isinstance(story_text, str) and story_text.strip() else link
        text = f"{title.strip()}\n\n{body}" if isinstance(body, str) and body else title.strip()
        engagement = Engagement(likes=count(hit, "points"), replies=count(hit, "num_comments"))
        parent = None
    handle = hit.get("author") if isinstance(hit.get("author"), str) and hit.get("author") else None
    author_key = context.pseudonymizer.author_key(PLATFORM, handle) if handle else None
    return Mention(
        source=source,
        native_id=native_id,
        text=text,
        published_at=published_at,
        collected_at=context.collected_at,
        brands=(brand,),
        url=ITEM_URL.format(native_id),
        author_key=author_key,
        from_brand=matcher.official_brand(handle),
        in_reply_to=mention_id(source, str(parent)) if isinstance(parent, int | str) and parent != "" else None,
        platform=PLATFORM,
        engagement=engagement,
        raw=_scrubbed(hit, author_key),
    )


def parse_page(
    payload: Any, source: str, context: CollectContext, brand: str, matcher: BrandMatcher | None = None
) -> Page:
    """A `search_by_date` JSON page; ParseError when it is not one at all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("hits"), list):
        raise ParseError(f"{source}: expected an Algolia page with `hits`, got {shape(payload)}")
    matcher = matcher or context.matcher()
    parsed = parse_items(
        payload["hits"],
        lambda hit: parse_hit(hit, source, context, matcher, brand),
        _scrubbed,
        source=source,
        brand=brand,
        expect="a hit object",
    )
    return Page(
        mentions=parsed.mentions,
        rejected=parsed.rejected,
        page=count(payload, "page") or 0,
        pages=count(payload, "nbPages") or 0,
        oldest=parsed.mentions[-1].published_at if parsed.mentions else None,
    )


class HackerNewsConnector:
    """Searches HN stories and comments for each brand's query, newest first."""

    kind: ClassVar[str] = "hackernews"

    def __init__(self, source: HackerNewsSource) -> None:
        self.source = source
        self.name = source.name

    def params(self, search: str, since: datetime | None, page: int) -> dict[str, str | int]:
        tags = self.source.tags
        params: dict[str, str | int] = {
            "query": search,
            "tags": tags[0] if len(tags) == 1 else f"({','.join(tags)})",  # (a,b) is Algolia's OR
            "page": page,
            "hitsPerPage": HITS_PER_PAGE,
        }
        if since is not None:
            params["numericFilters"] = f"created_at_i>{int(since.replace(tzinfo=UTC).timestamp())}"
        return params

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        url = f"{self.source.base_url.rstrip('/')}/search_by_date"
        queries, matcher = context.queries, context.matcher()
        batch = Batch()
        index: dict[str, int] = {}  # native id -> position in batch.mentions
        for brand in context.brands:
            since = context.since_for(brand.name)
            # Algolia has no OR: one search per alternative of the query (`zelia OR zelia.fr`: two).
            for search in to_searches(queries[brand.name], "algolia"):
                for number in range(context.max_pages):  # the page cap applies to each search
                    payload = await fetcher.get_json(url, params=self.params(search, since, number))
                    page = parse_page(payload, self.name, context, brand.name, matcher)
                    # The API filters by time already; this guards against a server that ignores the filter.
                    for mention in page.mentions:
                        if since is None or mention.published_at >= since:
                            add_mention(batch, index, mention)
                    batch.rejected.extend(page.rejected)
                    older = since is not None and page.oldest is not None and page.oldest < since
                    if older or (not page.mentions and not page.rejected) or page.page + 1 >= page.pages:
                        break
        return batch
