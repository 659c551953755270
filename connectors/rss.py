"""RSS 2.0 and Atom feeds, and a news-search feed (Google News RSS) built from each brand's query.

Plain feeds are read once per run and their entries carry no brand (the brand queries pick
them later); the news search is one request per brand. `parse_feed` is pure: feed bytes in,
Mentions and rejections out.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import feedparser

from ecoute.connectors.base import BrandMatcher, CollectContext, Parts, add_mention, html_to_text, parse_items
from ecoute.connectors.errors import ConnectorError, ParseError
from ecoute.connectors.http import Fetcher
from ecoute.connectors.query_translate import to_search
from ecoute.core.records import Batch, Mention, Rejected
from ecoute.core.source_settings import RssSource

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
# What names a person in feedparser's entry (`href` is where it puts an Atom author's <uri>).
AUTHOR_FIELDS = ("author", "author_detail", "authors", "contributors", "publisher", "publisher_detail", "href")

Entry = dict[str, Any]


def _host(url: Any) -> str | None:
    host = urlsplit(url).hostname if isinstance(url, str) else None
    return host.removeprefix("www.") if host else None


def _language(code: Any) -> str | None:
    """`fr-FR` and `fr` both as `fr`, the form brand queries' lang: filters use."""
    if not isinstance(code, str):
        return None
    return code.split("-")[0].strip().lower() or None


def _published(entry: Entry) -> datetime:
    # `in` first: reading a missing `updated_parsed` makes feedparser warn and fall back.
    for key in ("published_parsed", "updated_parsed"):
        if key in entry and isinstance(entry[key], time.struct_time):
            return datetime(*entry[key][:6])  # feedparser's parsed dates are already UTC
    written = entry.get("published") or entry.get("updated")
    if written:
        raise ParseError(f"published/updated {written!r} is not a date")
    raise ParseError("entry has no published or updated date")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):  # feedparser's struct_time copies and *_detail duplicates add nothing
        return {str(k): _jsonable(v) for k, v in value.items() if not str(k).endswith(("_parsed", "_detail"))}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _scrubbed(entry: Entry, author_key: str | None) -> Entry:
    """The entry as feedparser read it (JSON-safe, without its derived copies), minus who wrote it."""
    raw = _jsonable({k: v for k, v in entry.items() if k not in AUTHOR_FIELDS})
    if any(k in entry for k in AUTHOR_FIELDS):
        raw["author"] = author_key
    return dict(raw)


def _summary(entry: Entry) -> str:
    summary = entry.get("summary")
    if not summary and entry.get("content"):  # Atom entries may carry only <content>
        summary = entry["content"][0].get("value")
    return html_to_text(summary) if isinstance(summary, str) else ""


def _text(entry: Entry, publisher: str | None) -> str:
    title = html_to_text(entry.get("title") or "")
    if publisher and title.endswith(f" - {publisher}"):  # Google News appends the publisher to titles
        title = title.removesuffix(f" - {publisher}").strip()
    summary = _summary(entry)
    # Aggregators' descriptions often only repeat the title (and the publisher): keep the words once.
    if summary and set(summary.casefold().split()) <= set(f"{title} {publisher or ''}".casefold().split()):
        summary = ""
    return "\n\n".join(part for part in (title, summary) if part)


def parse_entry(
    entry: Entry,
    source: str,
    context: CollectContext,
    matcher: BrandMatcher,
    *,
    brands: tuple[str, ...],
    language: str | None,
    site: str | None,
) -> Mention:
    """One feed entry as a Mention; ParseError naming what is missing."""
    native_id = entry.get("id") or entry.get("link")
    if not isinstance(native_id, str) or not native_id.strip():
        raise ParseError(f"entry has no guid/id nor link (title {entry.get('title')!r})")
    published_at = _published(entry)
    origin: dict[str, Any] = entry["source"] if isinstance(entry.get("source"), dict) else {}
    publisher = origin.get("title") if isinstance(origin.get("title"), str) else None
    text = _text(entry, publisher)
    if not text:
        raise ParseError(f"entry {native_id!r} has no title nor summary")
    platform = _host(origin.get("href")) or site
    handle = entry.get("author") if isinstance(entry.get("author"), str) and entry.get("author") else None
    author_key = context.pseudonymizer.author_key(platform or source, handle) if handle else None
    detail = entry.get("title_detail")
    return Mention(
        source=source,
        native_id=native_id.strip(),
        text=text,
        published_at=published_at,
        collected_at=context.collected_at,
        brands=brands,
        url=entry.get("link") or None,
        author_key=author_key,
        from_brand=matcher.official_brand(handle),
        language=_language(detail.get("language") if isinstance(detail, dict) else None) or language,
        platform=platform,
        raw=_scrubbed(entry, author_key),
    )


def parse_feed(
    content: bytes,
    source: str,
    context: CollectContext,
    *,
    url: str,
    brand: str | None = None,
    matcher: BrandMatcher | None = None,
) -> tuple[list[Mention], list[Rejected]]:
    """A feed's entries as Mentions (tagged `brand` when it is a brand's search) and rejections.

    ParseError when the content is not a feed at all (an HTML page, JSON, a truncated body).
    """
    parsed = feedparser.parse(content)
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise ParseError(f"{url}: not an RSS or Atom feed ({problem}): {content[:200]!r}")
    matcher = matcher or context.matcher()
    channel = parsed.feed
    language, site = _language(channel.get("language")), _host(channel.get("link")) or _host(url)
    brands = (brand,) if brand else ()
    batch = parse_items(
        parsed.entries,
        lambda entry: parse_entry(entry, source, context, matcher, brands=brands, language=language, site=site),
        _scrubbed,
        source=source,
        brand=brand,
        where=url,
    )
    return batch.mentions, batch.rejected


class RssConnector:
    """Reads the configured feeds, and a news search per brand when `news_search` is on."""

    kind: ClassVar[str] = "rss"

    def __init__(self, source: RssSource) -> None:
        self.source = source
        self.name = source.name

    def news_params(self, search: str) -> dict[str, str]:
        language, country = self.source.news_language, self.source.news_country
        return {"q": search, "hl": language, "gl": country, "ceid": f"{country}:{language}"}

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        matcher = context.matcher()
        batch = Batch()
        index: dict[str, int] = {}  # native id -> position in batch.mentions
        headers = {"Accept": FEED_ACCEPT}

        def keep(mentions: list[Mention], since: datetime | None) -> None:
            for mention in mentions:
                if since is None or mention.published_at >= since:
                    add_mention(batch, index, mention)

        feeds = Parts(batch, len(self.source.feeds) + (len(context.brands) if self.source.news_search else 0))
        for url in self.source.feeds:  # one read per run, whichever brands: the oldest watermark applies
            try:
                response = await fetcher.get(url, headers=headers)
                mentions, rejected = parse_feed(response.content, self.name, context, url=url, matcher=matcher)
            except ConnectorError as error:  # a dead feed fails alone: the others are still read
                feeds.failed(url, error)
                continue
            keep(mentions, context.since_any)
            batch.rejected.extend(rejected)
        if self.source.news_search:
            queries = context.queries
            for brand in context.brands:
                params = self.news_params(to_search(queries[brand.name], "google_news"))
                try:
                    response = await fetcher.get(self.source.news_search_url, params=params, headers=headers)
                    mentions, rejected = parse_feed(
                        response.content, self.name, context, url=str(response.url), brand=brand.name, matcher=matcher
                    )
                except ConnectorError as error:
                    feeds.failed(f"news search for {brand.name}", error)
                    continue
                keep(mentions, context.since_for(brand.name))
                batch.rejected.extend(rejected)
        feeds.check()
        return batch
