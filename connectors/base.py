"""What every connector shares: the brand matcher and the context a collection runs in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ecoute.privacy import Pseudonymizer, normalise_handle
from ecoute.records import Batch
from ecoute.settings import Brand


class BrandMatcher:
    """Finds which configured brands a text talks about (whole words, any case, with @ or #)."""

    def __init__(self, brands: Sequence[Brand]) -> None:
        self._patterns = [
            (
                brand.name,
                re.compile("|".join(rf"(?<!\w)[@#]?{re.escape(t)}(?!\w)" for t in brand.all_terms), re.IGNORECASE),
            )
            for brand in brands
        ]
        self._handles = {normalise_handle(h): brand.name for brand in brands for h in brand.handles}

    def brands_in(self, text: str) -> tuple[str, ...]:
        return tuple(name for name, pattern in self._patterns if pattern.search(text))

    def official_brand(self, handle: str | None) -> str | None:
        """The brand whose official account `handle` is, if any."""
        return self._handles.get(normalise_handle(handle)) if handle else None


@dataclass(frozen=True)
class CollectContext:
    """Everything a connector needs besides its own settings."""

    brands: Sequence[Brand]
    pseudonymizer: Pseudonymizer
    collected_at: datetime
    since: datetime | None = None  # watermark: only what was published after this


class Connector(Protocol):
    name: str

    def collect(self, context: CollectContext) -> Batch: ...
