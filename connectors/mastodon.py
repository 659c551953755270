"""Mastodon: public hashtag timelines on each configured instance, plus full-text search with a token.

`parse_statuses` / `parse_search` are pure (one JSON page in, Mentions, rejections and the paging
position out); `MastodonConnector.collect` pages through each timeline, newest first, down to the
watermark. The same post seen from two instances (or two hashtags) is kept once: its id is a hash
of the status `uri`, which the fediverse keeps globally unique.
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from bs4 import BeautifulSoup

from ecoute.connectors.base import BrandMatcher, CollectContext, Parts, count, parse_items, parse_time, shape
from ecoute.connectors.errors import ConnectorError, ParseError
from ecoute.connectors.http import Fetcher, json_of
from ecoute.connectors.query_translate import to_searches
from ecoute.core.query import Query
from ecoute.core.records import Batch, Engagement, Mention, Rejected, mention_id
from ecoute.core.source_settings import MastodonSource

PLATFORM = "mastodon"
TOKEN_ENV = "MASTODON_TOKEN"
PAGE_LIMIT = 40  # the most Mastodon returns per page, for timelines and search alike

Status = dict[str, Any]


@dataclass
class Page:
    """One page of statuses, parsed."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    items: int = 0  # statuses received, parsed or not: a short page is the last one
    last_id: str | None = None  # instance-local id of the last status: the next page's max_id
    oldest: datetime | None = None
    newest: datetime | None = None
    replies: dict[str, str] = field(default_factory=dict)  # native id -> instance-local id of the parent
    local_ids: dict[str, str] = field(default_factory=dict)  # instance-local id -> native id


def status_key(uri: str) -> str:
    """The native id of a status: a hash of its `uri`. The uri is the same from every instance
    (so cross-instance copies dedupe) but holds the author's username, which ids must not."""
    return hashlib.sha256(uri.encode()).hexdigest()[:32]


def html_to_text(value: str) -> str:
    """Status content is sanitised HTML (<p>, <br>, links split in <span>s): plain text, paragraphs kept."""
    if "<" not in value:  # some servers send plain text; BeautifulSoup warns on a bare URL
        return html.unescape(value).strip()
    soup = BeautifulSoup(value, "html.parser")
    for line_break in soup.find_all("br"):
        line_break.replace_with("\n")
    paragraphs = [p.get_text() for p in soup.find_all("p")]
    text = "\n\n".join(paragraphs) if paragraphs else soup.get_text()
    return text.strip()


def full_handle(acct: str, instance_host: str) -> str:
    """`acct` has no domain for the instance's own accounts; with it, an author has one handle everywhere."""
    return acct if "@" in acct else f"{acct}@{instance_host}"


def _scrubbed(status: Status, author_key: str | None) -> Status:
    """The status as received, minus handles: its author's account, the accounts it mentions,
    and the author of a quoted post."""
    raw = dict(status)
    raw["account"] = author_key
    if isinstance(raw.get("mentions"), list):
        raw["mentions"] = [{"id": m.get("id")} if isinstance(m, dict) else None for m in raw["mentions"]]
    if isinstance(raw.get("quote"), dict):
        quoted = raw["quote"].get("quoted_status")
        raw["quote"] = {**raw["quote"], "quoted_status": quoted.get("uri") if isinstance(quoted, dict) else None}
    return raw


def _original(item: Status) -> Status:
    """A boost carries no words of its own: the boosted post is the mention (and dedupes by its uri)."""
    reblog = item.get("reblog")
    return reblog if isinstance(reblog, dict) else item


def parse_status(
    status: Status, source: str, context: CollectContext, matcher: BrandMatcher, brands: tuple[str, ...], host: str
) -> Mention:
    """One status as a Mention; ParseError naming the field when it is malformed."""
    uri = status.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise ParseError(f"uri is missing or not a string (got {uri!r})")
    published_at = parse_time(status.get("created_at"), "created_at")
    content = status.get("content")
    if not isinstance(content, str):
        raise ParseError(f"content is missing or not a string (got {content!r})")
    text = html_to_text(content)
    warning = status.get("spoiler_text")
    if isinstance(warning, str) and warning.strip():  # a content warning is words the author wrote too
        text = f"{warning.strip()}\n\n{text}" if text else warning.strip()
    if not text:
        raise ParseError(f"status {uri}: no text (content {content!r}, media only?)")
    account = status.get("account")
    acct = account.get("acct") if isinstance(account, dict) else None
    if not isinstance(acct, str) or not acct.strip():
        raise ParseError(f"account.acct is missing (got {acct!r})")
    handle = full_handle(acct.strip(), host)
    author_key = context.pseudonymizer.author_key(PLATFORM, handle)
    url = status.get("url") if isinstance(status.get("url"), str) else None
    language = status.get("language")
    return Mention(
        source=source,
        native_id=status_key(uri),
        text=text,
        published_at=published_at,
        collected_at=context.collected_at,
        brands=brands,
        url=url or uri,
        author_key=author_key,
        # `user@server` in a brand's handles pins the server; a bare username matches on any server.
        from_brand=matcher.official_brand(handle) or matcher.official_brand(acct.split("@")[0]),
        in_reply_to=None,  # only an instance-local parent id is given: resolved in `collect` when seen
        language=language if isinstance(language, str) and language else None,
        platform=PLATFORM,
        engagement=Engagement(
            likes=count(status, "favourites_count"),
            replies=count(status, "replies_count"),
            shares=count(status, "reblogs_count"),
        ),
        raw=_scrubbed(status, author_key),
    )


def _scrubbed_item(item: Status, author_key: str) -> Status:
    """A timeline item minus handles: its own, and the boosted post's when it is a boost."""
    reblog = item.get("reblog")
    if isinstance(reblog, dict):
        item = {**item, "reblog": _scrubbed(reblog, author_key)}
    return _scrubbed(item, author_key)


def parse_statuses(
    payload: Any,
    source: str,
    context: CollectContext,
    brands: tuple[str, ...],
    host: str,
    matcher: BrandMatcher | None = None,
) -> Page:
    """A list of statuses (a timeline page); ParseError when the payload is not one at all."""
    if not isinstance(payload, list):
        raise ParseError(f"{source}: expected a JSON list of statuses, got {shape(payload)}")
    matcher = matcher or context.matcher()
    page = Page(items=len(payload))

    def parse(item: Status) -> Mention:
        if isinstance(item.get("id"), str | int):
            page.last_id = str(item["id"])  # the paging position, whether or not the status parses
        status = _original(item)
        mention = parse_status(status, source, context, matcher, brands, host)
        if isinstance(status.get("id"), str | int):
            page.local_ids[str(status["id"])] = mention.native_id
        parent = status.get("in_reply_to_id")
        if isinstance(parent, str | int) and parent != "":
            page.replies[mention.native_id] = str(parent)
        return mention

    brand = brands[0] if len(brands) == 1 else None
    parsed = parse_items(payload, parse, _scrubbed_item, source=source, brand=brand, expect="a status object")
    page.mentions, page.rejected = parsed.mentions, parsed.rejected
    times = [mention.published_at for mention in parsed.mentions]
    page.oldest, page.newest = (min(times), max(times)) if times else (None, None)
    return page


def parse_search(
    payload: Any,
    source: str,
    context: CollectContext,
    brands: tuple[str, ...],
    host: str,
    matcher: BrandMatcher | None = None,
) -> Page:
    """A v2 search result (`{"accounts", "statuses", "hashtags"}`); ParseError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statuses"), list):
        raise ParseError(f"{source}: expected a search result with `statuses`, got {shape(payload)}")
    return parse_statuses(payload["statuses"], source, context, brands, host, matcher)


def hashtags(query: Query) -> list[str]:
    """The hashtags a brand's query names (its required single words), without their `#`."""
    return [tag.lstrip("#") for tag in to_searches(query, "mastodon") if tag.lstrip("#")]


def searches(query: Query) -> list[str]:
    """Full-text searches for a brand: one word or phrase per alternative of its query. Mastodon's
    search has no OR (unprefixed words are alternatives to rank, and "OR" would be one of them);
    the one-term-per-alternative dialect is Algolia's, minus its prefix star."""
    return [s.rstrip("*") for s in to_searches(query, "algolia") if s.rstrip("*")]


def tag_plan(
    source: MastodonSource, context: CollectContext, queries: Mapping[str, Query]
) -> dict[str, tuple[tuple[str, ...], datetime | None]]:
    """Each hashtag to read once, with the brands it is read for and how far back to go.

    Hashtags in the settings serve every brand (each brand's query then sorts their posts);
    otherwise each brand's query names its own tags.
    """
    wanted: dict[str, list[str]] = {}
    for brand in context.brands:
        tags = source.hashtags or hashtags(queries[brand.name])
        for tag in tags:
            wanted.setdefault(tag.lstrip("#").casefold(), []).append(brand.name)
    plan: dict[str, tuple[tuple[str, ...], datetime | None]] = {}
    for tag, names in wanted.items():
        watermarks = [context.since_for(name) for name in names]
        since = None if any(w is None for w in watermarks) else min(w for w in watermarks if w is not None)
        plan[tag] = (tuple(names), since)
    return plan


class MastodonConnector:
    """Reads brand hashtags on each instance (and searches posts with MASTODON_TOKEN), newest first."""

    kind: ClassVar[str] = "mastodon"

    def __init__(self, source: MastodonSource) -> None:
        self.source = source
        self.name = source.name
        self._token = os.environ.get(TOKEN_ENV) or None
        # A token belongs to one instance: it only ever goes to the first one listed.
        self._token_host = urlsplit(self._base(source.instances[0])).netloc

    @staticmethod
    def _base(instance: str) -> str:
        instance = instance.strip().rstrip("/")
        return instance if "://" in instance else f"https://{instance}"

    def _headers(self, url: str) -> dict[str, str] | None:
        if self._token and urlsplit(url).netloc == self._token_host:
            return {"Authorization": f"Bearer {self._token}"}
        return None

    async def _timeline(
        self,
        fetcher: Fetcher,
        context: CollectContext,
        base: str,
        tag: str,
        brands: tuple[str, ...],
        since: datetime | None,
    ) -> list[Page]:
        url: str | None = f"{base}/api/v1/timelines/tag/{quote(tag, safe='')}"
        params: dict[str, Any] | None = {"limit": PAGE_LIMIT}
        host, matcher, pages = urlsplit(base).netloc, context.matcher(), []
        for _ in range(context.max_pages):
            if url is None:
                break
            response = await fetcher.get(url, params=params, headers=self._headers(url))
            page = parse_statuses(json_of(response, url), self.name, context, brands, host, matcher)
            pages.append(page)
            # Timelines run newest first: once a page reaches the watermark, older pages add nothing.
            if not page.items or (since is not None and page.oldest is not None and page.oldest < since):
                break
            following = response.links.get("next", {}).get("url")
            if following:
                url, params = following, None
            elif page.items >= PAGE_LIMIT and page.last_id:
                params = {"limit": PAGE_LIMIT, "max_id": page.last_id}
            else:
                url = None
        return pages

    async def _search(
        self, fetcher: Fetcher, context: CollectContext, base: str, brand: str, search: str, since: datetime | None
    ) -> list[Page]:
        url = f"{base}/api/v2/search"
        host, matcher, pages = urlsplit(base).netloc, context.matcher(), []
        for number in range(context.max_pages):
            params = {"q": search, "type": "statuses", "resolve": "false", "limit": PAGE_LIMIT,
                      "offset": number * PAGE_LIMIT}  # fmt: skip
            payload = await fetcher.get_json(url, params=params, headers=self._headers(url))
            page = parse_search(payload, self.name, context, (brand,), host, matcher)
            pages.append(page)
            # Search order is the server's: stop only once a whole page is older than the watermark.
            if page.items < PAGE_LIMIT or (since is not None and page.newest is not None and page.newest < since):
                break
        return pages

    async def _reads(
        self,
        fetcher: Fetcher,
        context: CollectContext,
        base: str,
        host: str,
        plan: dict[str, tuple[tuple[str, ...], datetime | None]],
    ) -> list[tuple[Sequence[Page], datetime | None]]:
        """Every page one instance gives: its tag timelines, and searches where the token belongs."""
        reads: list[tuple[Sequence[Page], datetime | None]] = []
        for tag, (brands, since) in plan.items():
            reads.append((await self._timeline(fetcher, context, base, tag, brands, since), since))
        if self._token and host == self._token_host:
            for brand in context.brands:
                since = context.since_for(brand.name)
                for search in searches(context.queries[brand.name]):
                    reads.append((await self._search(fetcher, context, base, brand.name, search, since), since))
        return reads

    async def collect(self, context: CollectContext, fetcher: Fetcher) -> Batch:
        plan = tag_plan(self.source, context, context.queries)
        batch, seen = Batch(), set()
        replies: dict[str, tuple[str, str]] = {}  # native id -> (instance host, local parent id)
        local_ids: dict[tuple[str, str], str] = {}
        instances = Parts(batch, len(self.source.instances))
        for instance in self.source.instances:
            base = self._base(instance)
            host = urlsplit(base).netloc
            try:
                reads = await self._reads(fetcher, context, base, host, plan)
            except ConnectorError as error:  # a dead instance fails alone: the others are still read
                instances.failed(host, error)
                continue
            for pages, since in reads:
                for page in pages:
                    batch.rejected.extend(page.rejected)
                    local_ids.update({(host, local): native for local, native in page.local_ids.items()})
                    for mention in page.mentions:
                        if mention.native_id in seen or (since is not None and mention.published_at < since):
                            continue
                        seen.add(mention.native_id)
                        batch.mentions.append(mention)
                        if mention.native_id in page.replies:
                            replies[mention.native_id] = (host, page.replies[mention.native_id])
        instances.check()
        # A reply names its parent by an instance-local id: link it when the parent was read in this run.
        for index, mention in enumerate(batch.mentions):
            where = replies.get(mention.native_id)
            parent = local_ids.get(where) if where else None
            if parent:
                batch.mentions[index] = replace(mention, in_reply_to=mention_id(self.name, parent))
        return batch
