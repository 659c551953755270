"""Sentiment toward each brand a post names, not one sentiment for the whole post.

A post that names several brands is usually a comparison, and one post-level label for all
of them gets it backwards: "Passé de Norvo à Zelia, tellement mieux" is positive, and
counting it as positive for Norvo is counting a lost customer as a happy one. So for a post
that names two or more brands, ``BrandSentiment``:

1. finds where each brand is named (its terms, any case, with or without accents, ``#`` or
   ``@`` in front);
2. cuts the post into clauses (sentence ends, commas, line breaks, emoji, "but"/"mais"/
   "whereas"/"alors que"/"tandis que"/...); a clause that names no brand joins the one before
   it ("Zelia great, Norvo meh" -> two clauses; "... à Zelia, tellement mieux" -> one);
3. scores every clause with the sentiment model, brands masked as the enricher masks them;
   a brand gets the mean of the clauses that name it;
4. reads the cues between the brands (``models/brand_cues.py``). After a comparative or a
   switch, the brand preferred (the winner; the brand moved to, or the one left when the post
   regrets the move) takes the positive side of what the whole post says and the other the
   negative side: "Y c'est pire que X" is a negative post, so Y negative and X positive; a
   post the model reads as neutral still gives the winner positive ("I'd take X over Y").
   After a reference ("compared to X, Y ...") each brand keeps a clause of its own that says
   something, and a brand without one takes the mirror image of the other (or of the post).
   A comparison asked ("is X really better than Y?") is no cue.

A post that names one brand (or none of those given) gets the post's own sentiment, exactly
what the enricher stores; a brand that is not named in the text (matched by a query, not a
name) gets it too. The returned probabilities are the model's, moved between brands by the
rules above: they rank, but they are not calibrated per brand.

Figures, and the alternatives these choices were picked from (on the dev split only):
``python -m ecoute.bench.brand_sentiment --split dev --alternatives``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from ecoute.models.brand_cues import Mention, Relation, fold, relations, sentence_spans
from ecoute.models.contracts import LABELS, SentimentModel
from ecoute.models.mask import HANDLE_TOKEN, BrandMask

__all__ = ["BRAND_SENTIMENT_DATA", "BrandResult", "BrandSentiment", "BrandTerms", "Mention", "find_mentions"]

VERSION = "1"
BRAND_SENTIMENT_DATA = Path(__file__).parent / "data" / "brand_sentiment"  # the labelled comparisons
BrandTerms = Mapping[str, Sequence[str]]  # brand name -> the terms that name it
BrandResult = dict[str, tuple[str, np.ndarray]]  # brand -> (label, probabilities in LABELS order)
Span = Literal["post", "sentence"]
Scorer = Callable[[int, int], np.ndarray]  # (start, end) of a post -> the probabilities of that part

# A clause "says something" about its brand when |p(positive) - p(negative)| reaches this;
# below it, in a reference, the brand takes the mirror of the other brand or of the post
# (0.1 to 0.5 moved dev macro-F1 by under a point).
POLAR = 0.3
# Where a clause ends: "but"-like words start a new one; commas, semicolons, line breaks,
# sentence ends and an emoji followed by more text end one.
_CONNECTORS = (
    r"but|mais|whereas|while|though|although|however|meanwhile|alors que|tandis que|par contre|en revanche"
    r"|pendant ce temps|sauf que|on the other hand|heureusement|luckily|yet"
)
_BOUNDARY = re.compile(
    rf"[,;]+\s*|(?:(?<!\d)[.!?…]+(?!\d)|\n)+\s*|[\U0001F000-\U0001FAFF\u2600-\u27BF\ufe0f]+\s+(?=\S)"
    rf"|(?<=\s)(?=(?:{_CONNECTORS})\b)"
)
_LETTER = re.compile(r"[^\W\d_]")
_LINKS_AND_HANDLES = BrandMask()  # masks handles and links; brand names are masked from their spans


def find_mentions(text: str, brands: BrandTerms) -> list[Mention]:
    """Where each brand is named in ``text``, left to right, without overlaps."""
    pattern, owners = _matcher(tuple((brand, tuple(terms)) for brand, terms in brands.items()))
    if pattern is None:
        return []
    return [Mention(owners[m["term"]], m.start(), m.end()) for m in pattern.finditer(fold(text))]


@lru_cache(maxsize=256)
def _matcher(brands: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    owners: dict[str, str] = {}
    for brand, terms in brands:
        for term in (brand, *terms):
            if isinstance(term, str) and term.strip():
                owners.setdefault(" ".join(fold(term).split()), brand)
    if not owners:
        return None, owners
    words = sorted(owners, key=len, reverse=True)  # "kestrel mobile" before "kestrel"
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    # a plain term also names the brand as "#zelia" or "@zelia", never inside a longer word or handle
    pattern = re.compile(rf"(?<![\w@#])[#@]?(?P<term>{alternatives})(?![\w@])")
    return pattern, owners


@dataclass
class _Post:
    text: str
    brands: list[str]
    mentions: list[Mention] = field(default_factory=list)
    clauses: list[tuple[int, int, frozenset[str]]] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        return len({m.brand for m in self.mentions}) >= 2

    def masked(self, start: int = 0, end: int | None = None) -> str:
        """The text from ``start`` to ``end`` as the sentiment model reads it: brands, handles, links masked."""
        end = len(self.text) if end is None else end
        out, at = [], start
        for m in self.mentions:
            if m.start >= start and m.end <= end:
                out += [self.text[at : m.start], HANDLE_TOKEN]
                at = m.end
        out.append(self.text[at:end])
        return _LINKS_AND_HANDLES.apply("".join(out)).strip()


class BrandSentiment:
    """negative / neutral / positive toward each brand a post names (see the module's docstring).

    ``sentiment``: the post-level model (``load_sentiment``), also run on clauses.
    ``clauses`` and ``cues`` switch steps 2-3 and 4 off (both off: the post's sentiment for
    every brand, as the pipeline did before). ``span``: what a relation reads, the whole post
    or only the sentences it spans. ``polar``: see ``POLAR``. ``decisive``: a comparative or a
    switch in a post read as neutral still gives the winner positive and the other negative.
    """

    def __init__(
        self,
        sentiment: SentimentModel,
        *,
        clauses: bool = True,
        cues: bool = True,
        span: Span = "post",
        polar: float = POLAR,
        decisive: bool = True,
    ) -> None:
        self.sentiment = sentiment
        self.clauses = clauses
        self.cues = cues
        self.span = span
        self.polar = polar
        self.decisive = decisive

    @property
    def identity(self) -> str:
        steps = [s for s, on in (("clauses", self.clauses), ("cues", self.cues)) if on] or ["post"]
        steps += [f"span={self.span}", f"polar={self.polar:g}"]
        steps += ["decisive"] if self.decisive else []
        return f"brand-sentiment-{VERSION}[{','.join(steps)}]/{self.sentiment.identity}"

    def predict(self, text: str, brands: BrandTerms) -> BrandResult:
        """``{brand: (label, probabilities)}`` for each brand of ``brands`` (name -> terms)."""
        return self.predict_many([(text, brands)])[0]

    def predict_many(
        self,
        items: Sequence[tuple[str, BrandTerms]],
        post_probabilities: np.ndarray | None = None,
    ) -> list[BrandResult]:
        """``predict`` for many posts, with one call to the sentiment model for all their texts.

        ``post_probabilities``: the posts' own sentiment (n, 3), when the enricher already has
        it (it must come from the same model on the same masked text); then a post naming one
        brand costs nothing here.
        """
        if isinstance(items, tuple) and len(items) == 2 and isinstance(items[0], str):
            raise TypeError("predict_many() takes a sequence of (text, brands) pairs; use predict() for one")
        posts = [self._read(text, brands) for text, brands in items]
        if post_probabilities is not None and len(post_probabilities) != len(posts):
            raise ValueError(f"{len(posts)} posts but {len(post_probabilities)} post probabilities")
        wanted: dict[str, int] = {}  # each distinct masked text is scored once
        for post in posts:
            if post_probabilities is None:
                wanted.setdefault(post.masked(), len(wanted))
            if post.compared:
                for start, end in self._spans(post):
                    wanted.setdefault(post.masked(start, end), len(wanted))
        scored = np.zeros((0, len(LABELS)), np.float32)
        if wanted:
            scored = np.asarray(self.sentiment.predict(list(wanted)).probabilities, dtype=np.float32)
        results = []
        for i, post in enumerate(posts):
            whole = post_probabilities[i] if post_probabilities is not None else scored[wanted[post.masked()]]
            probabilities = self._compose(post, np.asarray(whole, np.float32), _scorer(post, scored, wanted))
            results.append({b: (LABELS[int(np.argmax(p))], p) for b, p in probabilities.items()})
        return results

    # -- reading a post --------------------------------------------------------------------
    def _read(self, text: str, brands: BrandTerms) -> _Post:
        if not isinstance(text, str):
            raise TypeError(f"a post's text must be a string, not {type(text).__name__}")
        post = _Post(text, list(brands), find_mentions(text, brands))
        if not post.compared:
            return post
        post.clauses = _clauses(text, post.mentions) if self.clauses else [(0, len(text), _named(post.mentions))]
        post.sentences = sentence_spans(text)
        if self.cues:
            post.relations = relations(fold(text), post.mentions)
        return post

    def _spans(self, post: _Post) -> list[tuple[int, int]]:
        """The parts of a post that need a score: its clauses and, per relation, its span."""
        spans = [(s, e) for s, e, _ in post.clauses]
        spans += [self._relation_span(post, r) for r in post.relations]
        return spans

    def _relation_span(self, post: _Post, relation: Relation) -> tuple[int, int]:
        if self.span == "post":
            return 0, len(post.text)
        inside = [(s, e) for s, e in post.sentences if e > relation.start and s < relation.end]
        return inside[0][0], inside[-1][1]

    # -- putting the scores together ---------------------------------------------------------
    def _compose(self, post: _Post, whole: np.ndarray, score: Scorer) -> dict[str, np.ndarray]:
        if not post.compared:
            return {b: whole for b in post.brands}
        named = {m.brand for m in post.mentions}
        own: dict[str, list[np.ndarray]] = {b: [] for b in named}
        for start, end, brands in post.clauses:
            for b in brands:
                own[b].append(score(start, end))
        result = {b: (np.mean(own[b], axis=0) if b in named and own[b] else whole) for b in post.brands}
        moved: dict[str, list[np.ndarray]] = {}
        sides: dict[str, set[int]] = {}
        for relation in post.relations:
            span = score(*self._relation_span(post, relation))
            focus, other = self._resolve(post, relation, span, score)
            moved.setdefault(relation.focus, []).append(focus)
            moved.setdefault(relation.other, []).append(other)
            if relation.directed:
                sides.setdefault(relation.focus, set()).add(+1)
                sides.setdefault(relation.other, set()).add(-1)
        for b, parts in moved.items():
            # a brand preferred to one and not to another ("X > Y > Z"'s Y) keeps its clauses
            if b in result and len(sides.get(b, ())) < 2:
                result[b] = np.mean(parts, axis=0).astype(np.float32)
        return result

    def _resolve(
        self, post: _Post, relation: Relation, span: np.ndarray, score: Scorer
    ) -> tuple[np.ndarray, np.ndarray]:
        """The focus's and the other brand's probabilities under one relation."""
        if relation.directed:  # the cue fixes who wins; the post, how strongly
            return _lean(span, +1, self.decisive), _lean(span, -1, self.decisive)
        # a reference: a brand's own clause (naming it without the other) wins if it says
        # something; else the described brand takes what the post says and the yardstick its mirror
        mine = self._own(post, relation.focus, relation.other, score)
        theirs = self._own(post, relation.other, relation.focus, score)
        if mine is not None and theirs is not None:
            return mine, theirs
        if theirs is not None:
            return _mirror(theirs), theirs
        if mine is not None:
            return mine, _mirror(mine)
        return span, _mirror(span)

    def _own(self, post: _Post, brand: str, other: str, score: Scorer) -> np.ndarray | None:
        parts = [score(s, e) for s, e, brands in post.clauses if brand in brands and other not in brands]
        if not parts:
            return None
        mean = np.mean(parts, axis=0)
        return mean if abs(float(mean[2] - mean[0])) >= self.polar else None

    def __repr__(self) -> str:
        return f"BrandSentiment({self.identity!r})"


def _scorer(post: _Post, scored: np.ndarray, wanted: dict[str, int]) -> Scorer:
    return lambda start, end: scored[wanted[post.masked(start, end)]]


def _mirror(p: np.ndarray) -> np.ndarray:
    """Positive and negative swapped: what a post says for one side, said of the other."""
    return np.asarray(p)[::-1].copy()


def _lean(p: np.ndarray, sign: int, decisive: bool) -> np.ndarray:
    """The larger of the positive and negative probabilities put on the ``sign`` side;
    ``decisive``: when neutral is the largest, it changes places with that side."""
    low, high = sorted((float(p[0]), float(p[2])))
    neutral = float(p[1])
    if decisive and neutral > high:
        high, neutral = neutral, high
    return np.array([low, neutral, high] if sign > 0 else [high, neutral, low], dtype=np.float32)


def _named(mentions: Sequence[Mention]) -> frozenset[str]:
    return frozenset(m.brand for m in mentions)


def _clauses(text: str, mentions: Sequence[Mention]) -> list[tuple[int, int, frozenset[str]]]:
    """The post's clauses, each with the brands it names."""
    cuts = [0]
    for m in _BOUNDARY.finditer(fold(text)):
        if not any(x.start < m.end() < x.end for x in mentions):  # never inside a brand's name
            cuts.append(m.end())
    cuts.append(len(text))
    pieces = []
    for s, e in itertools.pairwise(cuts):
        if text[s:e].strip():
            inside = [m for m in mentions if s <= m.start < e]
            pieces.append((s, e, _named(inside), bool(_LETTER.search(_without(text[s:e], s, inside)))))
    # a piece that is only brand names ("Zelia, Norvo, Kapto : même combat") joins the next one
    joined: list[tuple[int, int, frozenset[str]]] = []
    carried: tuple[int, frozenset[str]] | None = None
    for s, e, brands, words in pieces:
        if carried is not None:
            s, brands, carried = carried[0], carried[1] | brands, None
        if brands and not words:
            carried = (s, brands)
        else:
            joined.append((s, e, brands))
    if carried is not None:
        joined.append((carried[0], len(text), carried[1]))
    # a piece that names no brand goes on saying what the clause before it says (the first
    # ones, what the clause after says)
    clauses: list[tuple[int, int, frozenset[str]]] = []
    leading: int | None = None
    for s, e, brands in joined:
        if not brands:
            if clauses:
                clauses[-1] = (clauses[-1][0], e, clauses[-1][2])
            elif leading is None:
                leading = s
            continue
        clauses.append((s if leading is None else leading, e, brands))
        leading = None
    return clauses


def _without(piece: str, offset: int, mentions: Sequence[Mention]) -> str:
    """``piece`` (which starts at ``offset`` in the post) with the brand names blanked."""
    for m in sorted(mentions, key=lambda m: -m.start):
        piece = piece[: m.start - offset] + " " + piece[m.end - offset :]
    return piece
