"""What every connector shares: the context a collection runs in, brand matching, the protocol."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from bs4 import BeautifulSoup

from ecoute.connectors.errors import ParseError
from ecoute.connectors.http import Fetcher
from ecoute.core.privacy import Pseudonymizer, normalise_handle
from ecoute.core.query import Query, brand_query
from ecoute.core.records import Batch, Mention
from ecoute.core.settings import Brand


def brand_queries(brands: Sequence[Brand]) -> dict[str, Query]:
    return {b.name: brand_query(b.name, b.all_terms, b.query) for b in brands}


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
