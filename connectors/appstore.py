"""Apple App Store reviews through Apple's public customer-reviews feed (JSON flavour), no key.

`GET {base_url}/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/json`
gives 50 reviews a page, newest first, for one app in one storefront; Apple serves 10 pages
at most (the 500 most recent reviews). Reviews are about the app's brand whatever they say,
so every review gets `brands=(app.brand,)` and the source does not filter by query.

`parse_feed` is pure (one JSON page in, Mentions, rejections and paging facts out);
`AppStoreConnector.collect` pages through each app and storefront from the brand's watermark.

Google Play is not supported, on purpose: Google has no public reviews API. The Play
Developer API (`reviews.list`) only serves reviews of apps in the caller's own developer
account, with that account's service credentials; everything else would mean scraping
private, undocumented endpoints of play.google.com, which its terms forbid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ecoute.connectors.base import BrandMatcher, CollectContext, parse_items, parse_time, shape
from ecoute.connectors.errors import ParseError
from ecoute.connectors.http import Fetcher
from ecoute.core.records import Batch, Mention, Rejected
from ecoute.core.source_settings import App, AppStoreSource

PLATFORM = "appstore"
MAX_PAGES = 10  # Apple answers an error past page 10 of a customer-reviews feed
FEED_URL = "{base}/{country}/rss/customerreviews/page={page}/id={app}/sortby=mostrecent/json"
APP_URL = "https://apps.apple.com/{country}/app/id{app}"
_LAST_PAGE = re.compile(r"/page=(\d+)/")

Entry = dict[str, Any]


@dataclass
class FeedPage:
    """One page of an app's reviews in one storefront, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    reviews: int = 0  # review entries on the page, parsed or not (the app's own entry excluded)
    last_page: int | None = None  # from the feed's rel="last" link, when Apple gives it
    oldest: datetime | None = None  # publication time of the oldest review parsed


def _label(entry: Entry, key: str) -> str | None:
    """`{"key": {"label": "..."}}`, the shape of every field of this feed; None when absent or not text."""
    node = entry.get(key)
    value = node.get("label") if isinstance(node, dict) else None
    return value if isinstance(value, str) else None


def _author(entry: Entry) -> str | None:
    author = entry.get("author")
    name = _label(author, "name") if isinstance(author, dict) else None
    return name.strip() if name and name.strip() else None


def _scrubbed(entry: Entry, author_key: str | None) -> Entry:
    """The entry as received, minus the reviewer: the nickname, and the profile URL (it holds the account id)."""
    raw = dict(entry)
    if isinstance(raw.get("author"), dict):
        raw["author"] = {"name": {"label": author_key}}
    return raw


def _is_app_entry(entry: Entry) -> bool:
    """Older feeds open page 1 with the app itself (name, icon, price): not a review, nothing to reject."""
    return "im:name" in entry and "im:rating" not in entry


def _last_page(feed: dict[str, Any]) -> int | None:
    links = feed.get("link")
    for link in links if isinstance(links, list) else [links]:
        attributes = link.get("attributes") if isinstance(link, dict) else None
        if isinstance(attributes, dict) and attributes.get("rel") == "last":
            found = _LAST_PAGE.search(str(attributes.get("href", "")))
            return int(found.group(1)) if found else None
    return None


def parse_review(
    entry: Entry, source: str, app: App, country: str, context: CollectContext, matcher: BrandMatcher
) -> Mention:
    """One review as a Mention of the app's brand; ParseError naming the field when it is malformed."""
    native_id = _label(entry, "id")
    if not native_id or not native_id.strip():
        raise ParseError(f"id.label is missing or empty (got {entry.get('id')!r})")
    native_id = native_id.strip()
    rating_text = _label(entry, "im:rating")
    if rating_text is None or not rating_text.strip().isdigit() or not 1 <= int(rating_text) <= 5:
        raise ParseError(f"review {native_id}: im:rating should be 1 to 5, got {entry.get('im:rating')!r}")
    published_at = parse_time(_label(entry, "updated"), "updated")  # ISO 8601, Apple writes Pacific time
    title, body = (_label(entry, "title") or "").strip(), (_label(entry, "content") or "").strip()
    if not body and not title:
        raise ParseError(f"review {native_id}: title.label and content.label are both missing or empty")
    handle = _author(entry)
    author_key = context.pseudonymizer.author_key(PLATFORM, handle) if handle else None
    link = entry.get("link")
    attributes = link.get("attributes") if isinstance(link, dict) else None
    href = attributes.get("href") if isinstance(attributes, dict) else None
    return Mention(
        source=source,
        native_id=native_id,
        text="\n".join(part for part in (title, body) if part),
        published_at=published_at,
        collected_at=context.collected_at,
        brands=(app.brand,),
        # Apple gives no per-review permalink: the link is the app's reviews page in that storefront.
        url=href if isinstance(href, str) and href else APP_URL.format(country=country, app=app.id),
        author_key=author_key,
        from_brand=matcher.official_brand(handle),
        platform=PLATFORM,
        # The feed declares no language; the storefront says where the reviewer shops, kept for analysts.
        raw={**_scrubbed(entry, author_key), "storefront": country, "rating": int(rating_text), "app_id": app.id},
    )


def parse_feed(
    payload: Any, source: str, app: App, country: str, context: CollectContext, matcher: BrandMatcher | None = None
) -> FeedPage:
    """One customer-reviews JSON page; ParseError when it is not such a feed at all."""
    feed = payload.get("feed") if isinstance(payload, dict) else None
    if not isinstance(feed, dict):
        raise ParseError(f"{source}: expected a customer-reviews feed with `feed`, got {shape(payload)}")
    entries = feed.get("entry")
    if entries is None:  # no review at all (or an unknown app): Apple leaves `entry` out
        entries = []
    elif isinstance(entries, dict):  # a single review comes as an object, not a list of one
        entries = [entries]
    elif not isinstance(entries, list):
        raise ParseError(f"{source}: feed.entry should be a list, got {type(entries).__name__}: {entries!r:.200}")
    matcher = matcher or context.matcher()
    reviews = [entry for entry in entries if not (isinstance(entry, dict) and _is_app_entry(entry))]
    parsed = parse_items(
        reviews,
        lambda entry: parse_review(entry, source, app, country, context, matcher),
        _scrubbed,
        source=source,
        brand=app.brand,
        where=f"{country}/{app.id}",
        expect="a review object",
    )
    return FeedPage(
        mentions=parsed.mentions,
        rejected=parsed.rejected,
        reviews=len(reviews),
        last_page=_last_page(feed),
        oldest=min((mention.published_at for mention in parsed.mentions), default=None),
    )


class AppStoreConnector:
    """Reads the most recent reviews of each app in each storefront, back to the brand's watermark."""

    kind: ClassVar[str] = "appstore"

    def __init__(self, source: AppStoreSource) -> None:
        self.source = source
        self.name = source.name

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        brands = {brand.name.casefold(): brand.name for brand in context.brands}
        matcher = context.matcher()
        batch = Batch()
        for app in self.source.apps:
            brand = brands.get(app.brand.casefold())
            if brand is None:  # this run listens for other brands
                continue
            app = app.model_copy(update={"brand": brand})  # the configured spelling of the brand
            for country in self.source.countries:
                await self._collect_app(app, country.lower(), context, fetcher, matcher, batch)
        return batch

    async def _collect_app(
        self,
        app: App,
        country: str,
        context: CollectContext,
        fetcher: Fetcher,
        matcher: BrandMatcher,
        batch: Batch,
    ) -> None:
        since = context.since_for(app.brand)
        base = self.source.base_url.rstrip("/")
        for number in range(1, min(MAX_PAGES, context.max_pages) + 1):
            url = FEED_URL.format(base=base, country=country, page=number, app=app.id)
            page = parse_feed(await fetcher.get_json(url), self.name, app, country, context, matcher)
            # Reviews come newest first: keep what is newer than the watermark (ties too: loads are upserts).
            batch.mentions.extend(m for m in page.mentions if since is None or m.published_at >= since)
            batch.rejected.extend(page.rejected)
            if page.reviews == 0 or (page.last_page is not None and number >= page.last_page):
                return
            if since is not None and page.oldest is not None and page.oldest < since:
                return
