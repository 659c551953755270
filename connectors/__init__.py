"""Connectors: each turns one kind of public source into Mention records.

Each kind lives in its own module and is imported only when a source of that kind runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from ecoute.connectors.base import CollectContext, Connector
from ecoute.connectors.errors import ConnectorError, ParseError, RateLimited, SourceUnavailable
from ecoute.core.source_settings import Source


@dataclass(frozen=True)
class Kind:
    target: str  # "module:Class"
    endpoint: str
    needs: str
    credentials: str


KINDS: dict[str, Kind] = {
    "file": Kind("ecoute.connectors.files:FileConnector", "a local CSV, JSONL or Parquet file",
                 "path; optional format and [sources.mapping]", "none"),
    "rss": Kind("ecoute.connectors.rss:RssConnector",
                "any RSS/Atom feed; news search feed (news.google.com/rss/search)",
                "feeds = [urls] and/or news_search = true", "none"),
    "hackernews": Kind("ecoute.connectors.hackernews:HackerNewsConnector", "hn.algolia.com/api/v1/search_by_date",
                       "optional tags (story, comment)", "none"),
    "reddit": Kind("ecoute.connectors.reddit:RedditConnector",
                   "www.reddit.com/search.json (oauth.reddit.com with credentials)",
                   "optional subreddits, include_comments",
                   "optional REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET; REDDIT_USER_AGENT"),
    "mastodon": Kind("ecoute.connectors.mastodon:MastodonConnector",
                     "<instance>/api/v1/timelines/tag/<tag>, /api/v2/search",
                     "instances = [urls], optional hashtags", "optional MASTODON_TOKEN (enables search)"),
    "bluesky": Kind("ecoute.connectors.bluesky:BlueskyConnector", "<appview>/xrpc/app.bsky.feed.searchPosts",
                    "optional appview",
                    "BLUESKY_HANDLE, BLUESKY_APP_PASSWORD (search needs sign-in since 2025)"),
    "youtube": Kind("ecoute.connectors.youtube:YouTubeConnector", "googleapis.com/youtube/v3/search + commentThreads",
                    "optional max_videos", "YOUTUBE_API_KEY (required)"),
    "appstore": Kind("ecoute.connectors.appstore:AppStoreConnector",
                     "itunes.apple.com/<country>/rss/customerreviews/id=<app>/sortby=mostrecent/json",
                     "apps = [{brand, id}], countries", "none"),
    "web": Kind("ecoute.connectors.web:WebConnector", "any web page (robots.txt honoured)",
                "pages = [{url, item, text, ...CSS selectors}]", "none"),
}  # fmt: skip


def connector_for(source: Source) -> Connector:
    module, _, name = KINDS[source.kind].target.partition(":")
    connector: Connector = getattr(import_module(module), name)(source)
    return connector


__all__ = [
    "KINDS",
    "CollectContext",
    "Connector",
    "ConnectorError",
    "ParseError",
    "RateLimited",
    "SourceUnavailable",
    "connector_for",
]
