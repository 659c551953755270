"""What every connector shares: the context a collection runs in, brand matching, the protocol."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar

from bs4 import BeautifulSoup

from ecoute.connectors.errors import ConnectorError, ParseError
from ecoute.connectors.http import Fetcher
from ecoute.connectors.query_translate import to_search, to_searches
from ecoute.core.privacy import Pseudonymizer, normalise_handle
from ecoute.core.query import Query
from ecoute.core.records import Batch, Mention, Rejected
from ecoute.core.settings import Brand
from ecoute.core.source_settings import (
    BlueskySource,
    HackerNewsSource,
    MastodonSource,
    RedditSource,
    RssSource,
    Source,
    YouTubeSource,
)


def brand_queries(brands: Sequence[Brand]) -> dict[str, Query]:
    return {b.name: b.search_query for b in brands}


def planned_searches(source: Source, query: Query) -> dict[str, list[str]]:
    """What `source`'s connector asks its API for one brand's query, by kind of request: the
    translations of query_translate, as `ecoute check` shows them. {} when the kind searches nothing
    (it reads whole files, feeds, pages or app reviews). A "" search says nothing: Bluesky and YouTube
    skip it, the other APIs answer it with their latest posts, which the query then sorts locally.
    A test runs each connector and compares what it sent with this."""
    match source:
        case HackerNewsSource():
            return {"searches": to_searches(query, "algolia")}  # no OR: one search per alternative
        case RedditSource():
            return {"searches": [to_search(query, "reddit")]}
        case BlueskySource():
            return {"searches": to_searches(query, "bluesky")}  # no OR either
        case YouTubeSource():
            return {"searches": [to_search(query, "youtube")]}
        case RssSource(news_search=True):
            return {"news search": [to_search(query, "google_news")]}
        case MastodonSource():
            tags = source.hashtags or [tag.lstrip("#") for tag in to_searches(query, "mastodon")]
            words = [s.rstrip("*") for s in to_searches(query, "algolia") if s.rstrip("*")]  # no OR, no prefix
            return {
                "hashtags": ["#" + tag.lstrip("#").casefold() for tag in tags],
                "with MASTODON_TOKEN searches": words,
            }
    return {}


class BrandMatcher:
    """Which brands a post is about (their queries) and whether a brand's own account wrote it."""

    def __init__(self, brands: Sequence[Brand], queries: Mapping[str, Query] | None = None) -> None:
        self._queries = dict(queries) if queries is not None else brand_queries(brands)
        self._handles = {normalise_handle(h): brand.name for brand in brands for h in brand.handles}

    def brands_in(self, text: str, language: str | None = None) -> tuple[str, ...]:
        return tuple(name for name, query in self._queries.items() if query.matches(text, language))

    def official_brand(self, handle: str | None) -> str | None:
        """The brand whose official account `handle` is, if any."""
        return self._handles.get(normalise_handle(handle)) if handle else None


@dataclass(frozen=True)
class CollectContext:
    """Everything a connector needs besides its own settings."""

    brands: Sequence[Brand]
    pseudonymizer: Pseudonymizer
    collected_at: datetime
    since: Mapping[str, datetime | None] = field(default_factory=dict)  # per brand: only what is newer
    max_pages: int = 5

    @property
    def queries(self) -> dict[str, Query]:
        return brand_queries(self.brands)

    def since_for(self, brand: str) -> datetime | None:
        return self.since.get(brand)

    @property
    def since_any(self) -> datetime | None:
        """The oldest watermark over the brands: what a source-wide read must go back to."""
        values = [self.since.get(b.name) for b in self.brands]
        return None if not values or any(v is None for v in values) else min(v for v in values if v is not None)

    def matcher(self) -> BrandMatcher:
        return BrandMatcher(self.brands)


class Connector(Protocol):
    kind: ClassVar[str]
    name: str

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch: ...


def assign_brands(batch: Batch, context: CollectContext, *, by_query: bool) -> tuple[Batch, int]:
    """Apply every brand's query locally, whatever the API's own search did.

    A post keeps the brands whose query it matches, plus the brand whose account wrote it;
    a post that matches none is dropped (counted). With `by_query=False` (app reviews)
    the connector's own brand assignment stands. Returns the batch and the dropped count.
    """
    if not by_query:
        return batch, 0
    matcher = context.matcher()
    kept: list[Mention] = []
    for mention in batch.mentions:
        brands = matcher.brands_in(mention.text, mention.language)
        if mention.from_brand and mention.from_brand not in brands:
            brands = (mention.from_brand, *brands)
        if brands:
            kept.append(replace(mention, brands=brands))
    return Batch(mentions=kept, rejected=batch.rejected), len(batch.mentions) - len(kept)


# Block-level tags: a line break before each keeps paragraphs apart once the markup is gone.
BLOCKS = ["p", "br", "div", "li", "pre", "blockquote", "h1", "h2", "h3", "h4", "tr"]


def html_to_text(value: str) -> str:
    """HTML fragments (feed summaries, HN comments) as plain text, one line per paragraph."""
    if "<" in value:  # without markup, BeautifulSoup is not needed (and warns on text that looks like a URL)
        soup = BeautifulSoup(value, "html.parser")
        for block in soup.find_all(BLOCKS):
            block.insert_before("\n")  # inline tags (<i>, <a>) stay inside their line
        value = soup.get_text()
    else:
        value = html.unescape(value)
    lines = (" ".join(line.split()) for line in value.splitlines())
    return "\n".join(line for line in lines if line)


class Parts:
    """A source made of parts read one by one (feeds, instances): a dead part fails only itself.

    `failed(part, error)` records it on the batch and reading goes on; `check()` raises the first
    error once every part has failed, so a source with nothing left to read is a dead source.
    """

    def __init__(self, batch: Batch, total: int) -> None:
        self.batch, self.total, self.errors = batch, total, list[ConnectorError]()

    def failed(self, part: str, error: ConnectorError) -> None:
        self.errors.append(error)
        self.batch.failed_parts.append(f"{part}: {type(error).__name__}: {error}")

    def check(self) -> None:
        if self.errors and len(self.errors) == self.total:
            raise self.errors[0]


def add_mention(batch: Batch, index: dict[str, int], mention: Mention) -> None:
    """Append, or merge the brands into the same post found by an earlier brand's search or feed."""
    at = index.get(mention.native_id)
    if at is None:
        index[mention.native_id] = len(batch.mentions)
        batch.mentions.append(mention)
    else:
        found = batch.mentions[at]
        batch.mentions[at] = replace(found, brands=tuple(dict.fromkeys((*found.brands, *mention.brands))))


def parse_time(value: Any, name: str) -> datetime:
    """An ISO 8601 / RFC 3339 time from an API field, as naive UTC; ParseError naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{name} is missing (got {value!r})")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"{name} {value!r} is not an ISO 8601 time") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


REMOVED = "(removed)"  # what stands for the author in a quarantined payload

Item = TypeVar("Item")


def parse_items(
    items: Iterable[Item | Rejected],
    parse: Callable[[Item], Mention],
    scrub: Callable[[Item, str], Any],
    *,
    source: str,
    brand: str | None = None,
    where: str | None = None,
    expect: str | None = None,
) -> Batch:
    """Parse each item into a Mention, or quarantine it: the one parse-or-reject loop of the connectors.

    An item `parse` refuses (ParseError) becomes a Rejected with the error as its reason (after
    `where`, e.g. the page's URL, when given) and the item as its payload, scrubbed of its author
    by `scrub(item, REMOVED)`. With `expect` (e.g. "a hit object"), an item that is not a JSON
    object is rejected as it came, without calling `parse`. An item a reader already rejected
    (a line that is not JSON) is kept in its place. Mentions and rejections keep the items' order.
    """
    batch = Batch()
    for item in items:
        if isinstance(item, Rejected):
            batch.rejected.append(item)
            continue
        try:
            if expect is not None and not isinstance(item, dict):
                raise ParseError(f"expected {expect}, got {type(item).__name__}")
            batch.mentions.append(parse(item))
        except ParseError as error:
            raw = scrub(item, REMOVED) if expect is None or isinstance(item, dict) else item
            reason = f"{where}: {error}" if where else str(error)
            payload = json.dumps(raw, ensure_ascii=False, default=str)
            batch.rejected.append(Rejected(source, reason, payload, brand=brand))
    return batch


def count(item: Mapping[str, Any], key: str) -> int | None:
    """A count field (likes, replies, shares): a whole number of at least 0, else None."""
    value = item.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def shape(payload: Any) -> str:
    """What a payload that is not the expected page looks like: its first keys (or its type) and its start."""
    keys = sorted(payload)[:10] if isinstance(payload, dict) else type(payload).__name__
    return f"{keys!r}: {str(payload)[:200]!r}"
