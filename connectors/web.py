"""Web pages (review sites, forums, blogs) read with CSS selectors, robots.txt honoured.

Before the first page of a host, its `/robots.txt` is read once per run and obeyed for our
product token ("ecoute"): a disallowed page is never requested, and `Crawl-delay` (or
`Request-rate`) spaces our requests to that host. No robots.txt (any 4xx) means no rules;
one we cannot read (5xx after retries, timeout, 429) means the host is off limits this run.

`parse_page` is pure (one HTML page in, Mentions, rejections and the next page's URL out);
`WebConnector.collect` only fetches, following `next_page` up to `context.max_pages` pages.

A post whose date is missing or not understood is still kept: its `published_at` is the
collection time (the warehouse keeps the first one it sees, so it means "first seen"), and
`raw["published_at_from"]` says "collected_at" so analysts can tell it from a real date.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from bs4 import BeautifulSoup, Tag

from ecoute.connectors.base import BrandMatcher, CollectContext, parse_items
from ecoute.connectors.errors import ConnectorError, ParseError, SourceUnavailable
from ecoute.connectors.http import MAX_RETRY_AFTER, Fetcher
from ecoute.core.records import Batch, Mention, Rejected
from ecoute.core.source_settings import WebPage, WebSource

ROBOTS_AGENT = "ecoute"  # the product token of connectors.http.USER_AGENT, as robots.txt groups name it
HTML_TYPES = ("text/html", "application/xhtml+xml")

MONTHS = {
    **dict.fromkeys(("janvier", "janv", "january", "jan"), 1),
    **dict.fromkeys(("février", "fevrier", "févr", "fevr", "february", "feb"), 2),
    **dict.fromkeys(("mars", "march", "mar"), 3),
    **dict.fromkeys(("avril", "avr", "april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "juil", "july", "jul"), 7),
    **dict.fromkeys(("août", "aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "sept", "september", "sep"), 9),
    **dict.fromkeys(("octobre", "oct", "october"), 10),
    **dict.fromkeys(("novembre", "nov", "november"), 11),
    **dict.fromkeys(("décembre", "decembre", "déc", "dec", "december"), 12),
}
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:er|st|nd|rd|th)?\s+([^\W\d_]+)\.?\s+(\d{4})\b")  # 12 octobre 2026
_MONTH_DAY_YEAR = re.compile(r"\b([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")  # October 12, 2026
_TIME = re.compile(r"\b(\d{1,2})\s*[:h]\s*(\d{2})\b")  # 14:03, 14h03


@dataclass
class WebPageResult:
    """One fetched page, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    next_url: str | None = None


def clean(text: str) -> str:
    return " ".join(text.split())


def parse_date(value: str) -> datetime | None:
    """ISO 8601, or a written date in French or English ("12 octobre 2026 à 14h03", "October 12, 2026");
    naive UTC (a time without a zone is taken as UTC: pages rarely say theirs). None when not understood."""
    value = clean(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    lowered = value.casefold()
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        found = pattern.search(lowered)
        if not found:
            continue
        day, month_name = (found.group(1), found.group(2)) if order == "dmy" else (found.group(2), found.group(1))
        month = MONTHS.get(month_name)
        if month is None:
            continue
        clock = _TIME.search(lowered, found.end())
        hour, minute = (int(clock.group(1)), int(clock.group(2))) if clock else (0, 0)
        try:
            return datetime(int(found.group(3)), month, int(day), hour, minute)
        except ValueError:
            return None
    return None


def _href(element: Tag | None, base: str) -> str | None:
    """The absolute URL of a link element, or of the first link inside it."""
    if element is None:
        return None
    link = element if element.has_attr("href") else element.find("a", href=True)
    href = link.get("href") if isinstance(link, Tag) else None
    return urljoin(base, href.strip()) if isinstance(href, str) and href.strip() else None


def _scrubbed_html(item: Tag, author: Tag | None) -> str:
    """The item's HTML with the author element emptied (its name and its profile link)."""
    if author is None:
        return str(item)
    position = next(i for i, element in enumerate(item.find_all(True)) if element is author)
    twin = copy.copy(item)
    element = twin.find_all(True)[position]
    element.attrs = {}
    element.string = "(removed)"
    return str(twin)


def _language(item: Tag, soup: BeautifulSoup) -> str | None:
    """What the page declares: the item's own `lang`, else the document's (`fr-FR` -> `fr`)."""
    holder = item if item.has_attr("lang") else soup.html
    lang = holder.get("lang") if holder is not None else None
    if not isinstance(lang, str) or not lang.strip():
        return None
    return lang.strip().split("-")[0].lower()


def parse_item(
    item: Tag,
    soup: BeautifulSoup,
    page_url: str,
    page: WebPage,
    source: str,
    context: CollectContext,
    matcher: BrandMatcher,
) -> Mention:
    """One post or review as a Mention (brands come from the queries later); ParseError when it has no text."""
    text_element = item.select_one(page.text)
    text = clean(text_element.get_text(" ")) if text_element is not None else ""
    if not text:
        raise ParseError(f"text selector {page.text!r} found {'nothing' if text_element is None else 'no text'}")
    link = _href(item.select_one(page.link), page_url) if page.link else None
    if page.id:
        value = item.get(page.id)
        if not isinstance(value, str) or not value.strip():
            raise ParseError(f"id attribute {page.id!r} is missing or empty (got {value!r})")
        native_id = value.strip()
    else:  # the permalink, else the configured page, with the text: stable across runs and page shifts
        native_id = hashlib.sha256(f"{link or page.url}\n{text}".encode()).hexdigest()[:24]
    host = urlsplit(page_url).hostname or "web"
    author_element = item.select_one(page.author) if page.author else None
    handle = clean(author_element.get_text(" ")) if author_element is not None else ""
    author_key = context.pseudonymizer.author_key(host, handle) if handle else None
    date_element = item.select_one(page.date) if page.date else None
    date_text = None
    if date_element is not None:
        attribute = date_element.get("datetime")
        date_text = attribute if isinstance(attribute, str) and attribute.strip() else date_element.get_text(" ")
    published_at = parse_date(date_text) if date_text else None
    return Mention(
        source=source,
        native_id=native_id,
        text=text,
        published_at=published_at or context.collected_at,
        collected_at=context.collected_at,
        brands=(),
        url=link or page_url,
        author_key=author_key,
        from_brand=matcher.official_brand(handle or None),
        language=_language(item, soup),
        platform=host,
        raw={
            "page": page_url,
            "date": clean(date_text) if date_text else None,
            "published_at_from": "page" if published_at else "collected_at",
            "author": author_key,
            "html": _scrubbed_html(item, author_element),
        },
    )


def parse_page(
    html: str | bytes,
    page_url: str,
    page: WebPage,
    source: str,
    context: CollectContext,
    matcher: BrandMatcher | None = None,
    encoding: str | None = None,
) -> WebPageResult:
    """Every `item` of an HTML page; ParseError when the document is not HTML at all."""
    if isinstance(html, bytes):  # bytes let BeautifulSoup honour a <meta charset> when the header has none
        soup = BeautifulSoup(html, "html.parser", from_encoding=encoding)
    else:
        soup = BeautifulSoup(html, "html.parser")
    if soup.find(True) is None:
        raise ParseError(f"{page_url}: expected an HTML page, got {str(html)[:200]!r}")
    matcher = matcher or context.matcher()
    since = context.since_any
    result = WebPageResult(next_url=_href(soup.select_one(page.next_page), page_url) if page.next_page else None)
    parsed = parse_items(
        soup.select(page.item),
        lambda item: parse_item(item, soup, page_url, page, source, context, matcher),
        lambda item, _: {
            "page": page_url,
            "html": _scrubbed_html(item, item.select_one(page.author) if page.author else None),
        },
        source=source,
        where=page_url,
    )
    result.rejected = parsed.rejected
    # An item dated before every brand's watermark was read by an earlier run.
    result.mentions = [
        mention
        for mention in parsed.mentions
        if since is None or mention.raw["published_at_from"] != "page" or mention.published_at >= since
    ]
    return result


def _looks_like_html(response: httpx.Response) -> bool:
    """For servers that send no Content-Type: the start of the body decides."""
    start = response.content[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<body" in start


def parse_robots(text: str) -> RobotFileParser:
    rules = RobotFileParser()
    rules.parse(text.splitlines())
    return rules


@dataclass
class HostRules:
    """What a host's robots.txt says to us, for this run."""

    rules: RobotFileParser | None = None  # None: no robots.txt, everything allowed
    refused: str | None = None  # why the whole host is off limits this run
    delay: float = 0.0  # least seconds between two of our requests

    def refusal(self, url: str) -> str | None:
        if self.refused:
            return self.refused
        if self.rules is not None and not self.rules.can_fetch(ROBOTS_AGENT, url):
            return f"robots.txt of {urlsplit(url).netloc} disallows {urlsplit(url).path or '/'} for {ROBOTS_AGENT}"
        return None


async def read_robots(fetcher: Fetcher, url: str) -> HostRules:
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        response = await fetcher.get(robots_url)
    except ConnectorError as error:
        # Fetcher reports a 4xx at once and a 5xx or timeout only after its retries; RFC 9309:
        # a 4xx robots.txt means no rules, an unreachable one means "disallow everything".
        if isinstance(error, SourceUnavailable) and error.status_code and 400 <= error.status_code < 500:
            return HostRules()
        return HostRules(refused=f"robots.txt of {parts.netloc} unreachable, host treated as disallowed ({error})")
    rules = parse_robots(response.text)
    delay = float(rules.crawl_delay(ROBOTS_AGENT) or 0)
    rate = rules.request_rate(ROBOTS_AGENT)
    if rate is not None and rate.requests > 0:
        delay = max(delay, rate.seconds / rate.requests)
    if delay > MAX_RETRY_AFTER:
        return HostRules(
            refused=f"robots.txt of {parts.netloc} asks {delay:g} s between requests; we wait at most "
            f"{MAX_RETRY_AFTER:g} s, so the host is skipped"
        )
    if delay:
        fetcher.set_min_interval(parts.netloc, delay)  # the Fetcher then spaces every request to this host
    return HostRules(rules=rules, delay=delay)


async def fetch_html(fetcher: Fetcher, url: str) -> httpx.Response:
    """One page (paced by the host's crawl delay); ParseError when what comes back is not HTML."""
    response = await fetcher.get(url, headers={"Accept": "text/html, application/xhtml+xml;q=0.9"})
    content_type = response.headers.get("content-type", "").lower()
    if not (content_type.startswith(HTML_TYPES) or (not content_type and _looks_like_html(response))):
        raise ParseError(f"{url}: expected an HTML page, got {content_type!r}: {response.text[:200]!r}")
    return response


class WebConnector:
    """Reads configured pages with CSS selectors, politely: robots.txt first, its crawl delay obeyed."""

    kind: ClassVar[str] = "web"

    def __init__(self, source: WebSource) -> None:
        self.source = source
        self.name = source.name

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        matcher = context.matcher()
        hosts: dict[str, HostRules] = {}
        batch = Batch()
        fetched, refusals = 0, []
        for page in self.source.pages:
            url: str | None = page.url
            seen: set[str] = set()
            while url is not None and url not in seen and len(seen) < context.max_pages:
                seen.add(url)
                host = urlsplit(url).netloc
                if host not in hosts:
                    hosts[host] = await read_robots(fetcher, url)
                if reason := hosts[host].refusal(url):
                    refusals.append(reason)
                    batch.rejected.append(
                        Rejected(self.name, f"{url}: not fetched: {reason}", json.dumps({"url": url}))
                    )
                    break
                response = await fetch_html(fetcher, url)
                fetched += 1
                result = parse_page(
                    response.content, str(response.url), page, self.name, context, matcher, response.charset_encoding
                )
                batch.mentions.extend(result.mentions)
                batch.rejected.extend(result.rejected)
                url = result.next_url
        if fetched == 0 and refusals:
            raise SourceUnavailable(f"{self.name}: no page could be read: {'; '.join(refusals)}")
        return batch
