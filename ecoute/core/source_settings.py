"""Settings of each connector kind (`[[sources]]` in ecoute.toml), one model per kind.

`kind` picks the model, so a key that belongs to another kind is an error naming it.
Credentials never live here: each kind names the environment variables it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SOURCE_NAME = r"^[a-z0-9][a-z0-9_.-]*$"
WEB_SCHEMES = ("http", "https")


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in WEB_SCHEMES and bool(parts.hostname) and url == url.strip()
    except ValueError:  # an unclosed [IPv6] bracket, a port that is not a number
        return False


def _web_url(url: str) -> str:
    """`url` as written, when it is absolute http(s) with a host: connectors join paths onto it as
    text, so "mastodon.social" or "ftp://x" would otherwise fail only at run time, far from the file."""
    if _is_web_url(url):
        return url
    scheme, found, rest = url.strip().partition("://")
    if url != url.strip():
        reason, example = "spaces around it", url.strip()
    elif not found and url.lower().startswith(("http:", "https:")):
        reason, example = "no // after the scheme", ""
    elif not found:
        reason, example = "no scheme", f"https://{url}"
    elif scheme.lower() not in WEB_SCHEMES:
        reason, example = f"scheme {scheme!r}", f"https://{rest}"
    else:
        reason, example = "no host name", ""
    # the value put right when that is plain (a bare host name), else a URL of the same shape
    example = example if _is_web_url(example) else "https://example.com"
    raise ValueError(f"{url!r} is not an http(s) URL ({reason}); e.g. {example!r}")


WebUrl = Annotated[str, AfterValidator(_web_url)]
"""An absolute http:// or https:// URL, kept as written."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceBase(_Strict):
    name: Annotated[
        str, Field(min_length=1, pattern=SOURCE_NAME, description="Unique source name, stored with every mention.")
    ]
    brands: list[str] = Field(default_factory=list, description="Brands this source listens for; empty = all.")
    max_pages: int = Field(default=5, ge=1, le=1000, description="Most pages fetched per brand and run.")
    min_interval_seconds: float = Field(default=1.0, ge=0, description="Least time between two requests to one host.")
    match_query: bool | None = Field(
        default=None,
        description="Keep only posts matching the brand query (default: yes, except app-store reviews, "
        "which are about the app's brand whatever they say).",
    )

    # Whether this kind filters by the brand query when `match_query` is not set.
    default_match_query: ClassVar[bool] = True

    @property
    def filters_by_query(self) -> bool:
        return self.default_match_query if self.match_query is None else self.match_query


class FileMapping(_Strict):
    """Which column of an export holds which Mention field."""

    id: str = "id"
    text: str = "text"
    published_at: str = "created_at"
    author: str | None = "author"
    url: str | None = "url"
    platform: str | None = "platform"
    likes: str | None = "likes"
    replies: str | None = "replies"
    shares: str | None = "shares"
    in_reply_to: str | None = "in_reply_to"
    language: str | None = "language"


class FileSource(SourceBase):
    kind: Literal["file"]
    path: Path = Field(description="A CSV, JSONL or Parquet export.")
    format: Literal["jsonl", "csv", "parquet"] | None = Field(default=None, description="Default: from the extension.")
    mapping: FileMapping = Field(default_factory=FileMapping, description="Column mapping.")


class RssSource(SourceBase):
    kind: Literal["rss"]
    feeds: list[WebUrl] = Field(default_factory=list, description="RSS or Atom feed URLs.")
    news_search: bool = Field(default=False, description="Also read a news-search feed built from the brand query.")
    news_search_url: WebUrl = Field(
        default="https://news.google.com/rss/search", description="News-search feed endpoint (takes q, hl, gl, ceid)."
    )
    news_language: str = Field(default="fr", description="Language of the news search (hl).")
    news_country: str = Field(default="FR", description="Country of the news search (gl).")

    @model_validator(mode="after")
    def _something_to_read(self) -> RssSource:
        if not self.feeds and not self.news_search:
            raise ValueError("an rss source needs `feeds` or `news_search = true`")
        return self


class HackerNewsSource(SourceBase):
    kind: Literal["hackernews"]
    tags: list[Literal["story", "comment"]] = Field(default=["story", "comment"], description="What to search.")
    base_url: WebUrl = Field(default="https://hn.algolia.com/api/v1", description="Algolia HN Search API.")


class RedditSource(SourceBase):
    kind: Literal["reddit"]
    min_interval_seconds: float = Field(
        default=6.0, ge=0, description="Reddit allows about 10 unauthenticated requests a minute."
    )
    subreddits: list[str] = Field(
        default_factory=list, description="Restrict to these subreddits; empty = all of Reddit."
    )
    include_comments: bool = Field(default=True, description="Also search comments.")
    base_url: WebUrl = Field(default="https://www.reddit.com", description="Public listing host (no credentials).")
    oauth_url: WebUrl = Field(
        default="https://oauth.reddit.com", description="API host when REDDIT_CLIENT_ID/SECRET are set."
    )
    token_url: WebUrl = Field(default="https://www.reddit.com/api/v1/access_token", description="OAuth token endpoint.")


class MastodonSource(SourceBase):
    kind: Literal["mastodon"]
    instances: list[WebUrl] = Field(min_length=1, description="Instance base URLs, e.g. https://mastodon.social.")
    hashtags: list[str] = Field(default_factory=list, description="Hashtags to follow; default: from the brand query.")


class BlueskySource(SourceBase):
    kind: Literal["bluesky"]
    appview: WebUrl = Field(
        default="https://public.api.bsky.app", description="AppView serving app.bsky.feed.searchPosts."
    )
    pds: WebUrl = Field(
        default="https://bsky.social", description="Where BLUESKY_HANDLE/BLUESKY_APP_PASSWORD sign in, if set."
    )


class YouTubeSource(SourceBase):
    kind: Literal["youtube"]
    base_url: WebUrl = Field(default="https://www.googleapis.com/youtube/v3", description="YouTube Data API v3.")
    max_videos: int = Field(default=10, ge=1, le=50, description="Videos matching the query whose comments are read.")


class App(_Strict):
    brand: str = Field(description="The brand the app belongs to.")
    id: str = Field(pattern=r"^\d+$", description="Numeric App Store id (the digits after `id` in the app's URL).")


class AppStoreSource(SourceBase):
    kind: Literal["appstore"]
    apps: list[App] = Field(min_length=1, description="Apps whose reviews to read.")
    countries: list[str] = Field(default_factory=lambda: ["fr", "us"], description="Storefronts (ISO country codes).")
    base_url: WebUrl = Field(
        default="https://itunes.apple.com", description="Apple's public customer-reviews feed host."
    )
    default_match_query: ClassVar[bool] = False


class WebPage(_Strict):
    url: WebUrl = Field(description="Page to read (http or https).")
    item: str = Field(description="CSS selector of one post or review on the page.")
    text: str = Field(description="CSS selector of the text, inside an item.")
    id: str | None = Field(
        default=None, description="Attribute of the item holding a stable id (default: hash of the text)."
    )
    author: str | None = Field(default=None, description="CSS selector of the author, inside an item.")
    date: str | None = Field(default=None, description="CSS selector of the date (its datetime attribute or text).")
    link: str | None = Field(default=None, description="CSS selector of a permalink, inside an item.")
    next_page: str | None = Field(default=None, description="CSS selector of the next page's link.")


class WebSource(SourceBase):
    kind: Literal["web"]
    pages: list[WebPage] = Field(min_length=1, description="Pages with the selectors that find posts on them.")


Source = Annotated[
    FileSource
    | RssSource
    | HackerNewsSource
    | RedditSource
    | MastodonSource
    | BlueskySource
    | YouTubeSource
    | AppStoreSource
    | WebSource,
    Field(discriminator="kind"),
]
