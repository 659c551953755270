"""The shared record types: the only things every layer may import.

A `Mention` is what every connector produces and the warehouse stores; it is frozen so
that nothing downstream can quietly change what a source said.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

_SPACES = re.compile(r"\s+")
_URLS = re.compile(r"https?://\S+")


def normalise_text(text: str) -> str:
    """Text as compared for cross-post duplicates: NFKC, lower case, no URLs, single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _URLS.sub(" ", folded)).strip()


def content_hash(text: str) -> str:
    """A short stable hash of the normalised text; equal for copy-pasted posts."""
    return hashlib.sha256(normalise_text(text).encode()).hexdigest()[:20]


def as_utc(moment: datetime) -> datetime:
    """A naive UTC datetime (the warehouse stores UTC without a zone); naive input is taken as UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Engagement:
    likes: int | None = None
    replies: int | None = None
    shares: int | None = None


@dataclass(frozen=True)
class Mention:
    """One public post about one or more brands, as a source published it."""

    source: str
    native_id: str
    text: str
    published_at: datetime
    collected_at: datetime
    brands: tuple[str, ...]
    url: str | None = None
    author_key: str | None = None  # keyed hash of the handle, never the handle itself
    from_brand: str | None = None  # set when an official brand account wrote it
    in_reply_to: str | None = None  # mention_id of the parent post, same source
    language: str | None = None  # as the source declares it, when it does (the models detect it anyway)
    platform: str | None = None  # where it was published, when the source is an aggregator or an export
    engagement: Engagement = field(default_factory=Engagement)
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "published_at", as_utc(self.published_at))
        object.__setattr__(self, "collected_at", as_utc(self.collected_at))

    @property
    def mention_id(self) -> str:
        return mention_id(self.source, self.native_id)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


def mention_id(source: str, native_id: str) -> str:
    """The stable key of a mention: the same post from two runs gets the same id."""
    return f"{source}:{native_id}"


@dataclass(frozen=True)
class Rejected:
    """A record a connector could not turn into a Mention, kept with its reason."""

    source: str
    reason: str
    payload: str
    brand: str | None = None

    @property
    def rejected_id(self) -> str:
        return hashlib.sha256(f"{self.source}\x1f{self.payload}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Batch:
    """What one collection produced: mentions and what was rejected on the way, and the parts of
    the source (a feed, an instance) that failed while the others were read."""

    mentions: list[Mention] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    failed_parts: list[str] = field(default_factory=list)  # "<part>: <ErrorType>: <message>"


SPIKE_KINDS = ("volume_spike", "negative_surge")
SPIKE_FAMILY = "spike"  # the kinds' shared name in finding ids (migration 007 writes it too)


@dataclass(frozen=True)
class Finding:
    """Something a detector noticed, with the numbers and posts that show it."""

    kind: str  # volume_spike | negative_surge | emerging_topic | sentiment_shift | share_of_voice_shift
    brand: str
    scope: str  # "brand", "topic:<id>", "source:<name>", "language:<code>"
    period_start: date
    period_end: date
    observed: float
    baseline: float
    magnitude: float  # robust z-score or ratio, per kind
    confidence: float  # 0..1
    headline: str  # one plain sentence a marketer can read
    grain: str = "day"  # "hour", "day" or "week": the finest grain the finding was seen at
    evidence: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def finding_id(self) -> str:
        # a volume spike and a negative surge are one family: an event first heard as a rise in
        # mentions keeps its id when its negative posts make it a surge
        family = SPIKE_FAMILY if self.kind in SPIKE_KINDS else self.kind
        key = f"{family}\x1f{self.brand}\x1f{self.scope}\x1f{self.period_start.isoformat()}"
        return hashlib.sha256(key.encode()).hexdigest()[:20]
