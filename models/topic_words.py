"""The words of topics: keyword text, stop words, labels, and a fallback language guess.

``models/topics.py`` fits the topics; this module holds what turns posts into the words
c-TF-IDF counts and topics into the labels people read. Nothing here needs bertopic or umap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "KEYWORD_TOKEN",
    "LABEL_TERMS",
    "distinct_docs",
    "guess_language",
    "keyword_text",
    "phrase_pattern",
    "single_words",
    "stop_words",
    "topic_label",
]

LABEL_TERMS = 4
_STOPWORDS_DIR = Path(__file__).parent / "stopwords"

# Keywords are words of 3+ letters, accented letters included, no digits.
KEYWORD_TOKEN = r"(?u)\b[^\W\d_]{3,}\b"
_KEYWORD_TOKEN = re.compile(KEYWORD_TOKEN)
_WORD = re.compile(r"[^\W\d_]+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\ufe0f\u200d\U000e0020-\U000e007f]")


def keyword_text(doc: str, brands: re.Pattern[str] | None = None) -> str:
    """The text keywords are taken from: no URLs, @handles, emoji or brand names."""
    text = _EMOJI.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", doc)))
    if brands is not None:
        text = brands.sub(" ", text)
    return " ".join(text.split())


@functools.cache
def stop_words() -> list[str]:
    """English (scikit-learn's plus ``en_extra.txt``) and French (``fr.txt``) stop words.

    Includes the pieces the tokenizer leaves of elided forms ("c'est" -> "est"), which
    scikit-learn otherwise warns about.
    """
    words = set(_english_stop_words()) | _word_list("en_extra.txt") | _word_list("fr.txt")
    words |= {piece for word in words for piece in _KEYWORD_TOKEN.findall(word)}
    return sorted(words)


def _english_stop_words() -> frozenset[str]:
    # heavy: scikit-learn loads only when keywords are counted or a language guessed
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@functools.cache
def _word_list(name: str) -> frozenset[str]:
    lines = (_STOPWORDS_DIR / name).read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


@functools.cache
def _language_words() -> tuple[frozenset[str], frozenset[str]]:
    """Function words that are only English, and only French."""
    english = _english_stop_words() | _word_list("en_extra.txt")
    french = _word_list("fr.txt")
    return english - french, french - english


def guess_language(doc: str) -> str:
    """'en' or 'fr' by counting function words; '*' when neither clearly wins.

    For callers that have no detected language to give (the pipeline passes the one stored
    with each mention).
    """
    english, french = _language_words()
    words = _WORD.findall(_URL.sub(" ", doc).lower())
    en = sum(w in english for w in words)
    fr = sum(w in french for w in words)
    return "en" if en > fr else "fr" if fr > en else "*"


def topic_label(keywords: list[str]) -> str:
    """The first LABEL_TERMS keywords, skipping those whose words are all already shown."""
    shown: set[str] = set()
    terms: list[str] = []
    for keyword in keywords:
        words = set(keyword.split())
        if words <= shown:
            continue
        terms.append(keyword)
        shown |= words
        if len(terms) == LABEL_TERMS:
            break
    return ", ".join(terms)


def distinct_docs(docs: list[str], n: int) -> list[str]:
    """The first ``n`` docs that differ by more than case and spacing."""
    seen: set[str] = set()
    out: list[str] = []
    for doc in docs:
        key = " ".join(doc.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append(doc)
            if len(out) == n:
                break
    return out


def single_words(words: Sequence[str]) -> list[str]:
    """The lower-cased ``words`` that the tokenizer keeps whole (others go by ``phrase_pattern``)."""
    return sorted({w.lower() for w in words if _KEYWORD_TOKEN.fullmatch(w.lower())})


def phrase_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of ``words`` (brand names) as whole words."""
    words = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
