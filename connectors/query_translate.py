"""A parsed Query in each API's own search syntax: broader than the query if need be, never narrower.

Connectors fetch with the translation and then keep what `Query.matches` accepts, so whatever a
dialect cannot say is widened away: NEAR becomes AND, an unsupported piece becomes "anything", an
OR a dialect cannot write keeps only what all its alternatives share. Widening rules:

- Negations are pushed down to the terms first (NOT (a OR b) = NOT a AND NOT b; NOT (a NEAR b) is
  dropped). An exclusion survives only beside a required term (search engines read a lone `-x`
  or `a OR -x` badly), and never for `@handle`/`#tag` terms: our `-@zelia_jobs` keeps "zelia_jobs",
  an API that drops the `@` would not.
- `@`/`#` are dropped from required terms (the API then finds the bare word too).
- Prefix terms (`refus*`) are only said to Algolia, which prefix-matches the last query word.
- lang: is left to the callers' language parameters, except in Bluesky's own `lang:xx` (when the
  query allows exactly one language: several lang: there would mean all of them at once).
- "" means the dialect cannot narrow this query at all: fetch without a query, or use to_searches.

Dialects: plain (the positive terms ORed, when every match holds one of them), algolia (HN: one word or phrase, the
most selective that every match must contain: most words, then not a prefix, then longest),
reddit (AND, OR, NOT, parentheses, quotes), bluesky (space = AND, `-x`, quotes, lang:xx),
youtube (`a|b` = OR, binding tighter than the spaces that AND, `-x`), google_news (`OR`, `-x`,
quotes), mastodon (`#tags` of the positive single-word terms: tag timelines are narrower by nature,
so this one dialect can miss posts that say the words without the tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from ecoute.core.query import RESERVED, WORD_RE, And, Expr, Literal, Near, Not, Query

DIALECTS = ("plain", "algolia", "reddit", "bluesky", "youtube", "google_news", "mastodon")
_MAX_SEARCHES = 8  # to_searches: more alternatives than this fall back to one broad search
_MAX_CLAUSES = 64  # bigger CNF expansions are dropped (widened to "anything")


@dataclass(frozen=True)
class _Lit:
    literal: Literal
    positive: bool

    @property
    def key(self) -> tuple[tuple[str, ...], bool, bool]:
        return self.literal.words, self.literal.prefix, self.positive


@dataclass(frozen=True)
class _All:  # _All(()) is "anything"
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Any:
    items: tuple[_Node, ...]


_Node = _Lit | _All | _Any
_TRUE = _All(())
_Clause = tuple[_Lit, ...]


def _all(items: tuple[_Node, ...]) -> _Node:
    flat = tuple(part for item in items for part in (item.items if isinstance(item, _All) else (item,)))
    return flat[0] if len(flat) == 1 else _All(flat)


def _any(items: tuple[_Node, ...]) -> _Node:
    if _TRUE in items:
        return _TRUE
    flat = tuple(part for item in items for part in (item.items if isinstance(item, _Any) else (item,)))
    return flat[0] if len(flat) == 1 else _Any(flat)


def _supported(literal: Literal, positive: bool, dialect: str) -> bool:
    if literal.prefix:
        return positive and dialect == "algolia"
    return positive or not any(word[0] in "@#" for word in literal.words)


def _nnf(expr: Expr, dialect: str, positive: bool = True) -> _Node:
    """Negation pushed down to the literals; NEAR as AND; what the dialect cannot say as _TRUE."""
    if isinstance(expr, Literal):
        return _Lit(expr, positive) if _supported(expr, positive, dialect) else _TRUE
    if isinstance(expr, Not):
        return _nnf(expr.item, dialect, not positive)
    if isinstance(expr, Near):
        return _nnf(And((expr.left, expr.right)), dialect) if positive else _TRUE
    items = tuple(_nnf(item, dialect, positive) for item in expr.items)
    return _all(items) if isinstance(expr, And) == positive else _any(items)


def _implies(stronger: Literal, weaker: Literal) -> bool:
    """Whether every text holding `stronger` holds `weaker` too (a phrase holds its words)."""
    if stronger.prefix or weaker.prefix:
        return stronger == weaker
    inner, outer = weaker.words, stronger.words

    def same(word: str, other: str) -> bool:  # `zelia` is found in "@zelia", not the other way round
        return word == other or (word[0] not in "@#" and other.lstrip("@#") == word)

    starts = range(len(outer) - len(inner) + 1)
    return any(all(map(same, inner, outer[i : i + len(inner)])) for i in starts)


def _cnf(node: _Node) -> list[_Clause]:
    """Clauses (ORs of literals) that every match satisfies; [] is "anything"."""
    if isinstance(node, _Lit):
        return [(node,)]
    if isinstance(node, _All):
        return [clause for item in node.items for clause in _cnf(item)]
    clauses: list[_Clause] = [()]
    for item in node.items:
        if not (options := _cnf(item)) or len(clauses) * len(options) > _MAX_CLAUSES:
            return []
        clauses = [left + right for left, right in product(clauses, options)]
    return clauses


def _dnf(node: _Node) -> list[_Clause]:
    """Alternatives (ANDs of literals) that together cover every match; [()] is "anything"."""
    if isinstance(node, _Lit):
        return [(node,)]
    if isinstance(node, _Any):
        return [conjunct for item in node.items for conjunct in _dnf(item)]
    conjuncts: list[_Clause] = [()]
    for item in node.items:
        options = _dnf(item)
        if len(conjuncts) * len(options) > _MAX_CLAUSES:
            return [()]
        conjuncts = [left + right for left, right in product(conjuncts, options)]
    return conjuncts


def _lit_implies(x: _Lit, y: _Lit) -> bool:
    if x.positive != y.positive:
        return False
    return _implies(x.literal, y.literal) if x.positive else _implies(y.literal, x.literal)


def _tidy(groups: list[_Clause], disjunctive: bool) -> list[_Clause]:
    """Groups of literals (clauses ORed inside, else alternatives ANDed inside) without duplicates,
    without groups holding x and NOT x (always true as clauses, never as alternatives), without
    clause literals implying a sibling, and without groups that another group makes redundant."""
    tidy: list[_Clause] = []
    for group in groups:
        unique = tuple({lit.key: lit for lit in group}.values())
        if len({lit.key[:2] for lit in unique}) < len(unique):
            continue
        if disjunctive:
            unique = tuple(a for a in unique if not any(b != a and _lit_implies(a, b) for b in unique))
        tidy.append(unique)

    # a clause is redundant when another clause implies it; an alternative, when it implies another
    def redundant(group: _Clause, other: _Clause) -> bool:
        if disjunctive:
            return all(any(_lit_implies(x, y) for y in group) for x in other)
        return all(any(_lit_implies(x, y) for x in group) for y in other)

    return [
        group
        for i, group in enumerate(tidy)
        if not any(
            j != i and redundant(group, other) and (j < i or not redundant(other, group))
            for j, other in enumerate(tidy)
        )
    ]


def _show(literal: Literal) -> str:
    words = [word.lstrip("@#") for word in WORD_RE.findall(literal.text)]
    text = " ".join(words)
    return f'"{text}"' if len(words) > 1 or text.casefold() in RESERVED else text


def _show_signed(lit: _Lit, minus: str = "-") -> str:
    return _show(lit.literal) if lit.positive else minus + _show(lit.literal)


def _boolean(node: _Node, top: bool = True) -> str:
    """Reddit's AND/OR/NOT, every group in parentheses (Lucene's precedence is not the usual one)."""
    if isinstance(node, _Lit):
        return _show_signed(node, "NOT ")
    text = (" OR " if isinstance(node, _Any) else " AND ").join(_boolean(item, False) for item in node.items)
    return text if top else f"({text})"


def _anchored(node: _Node) -> _Node:
    """The node with each exclusion kept only beside a required term, else widened to anything."""
    if isinstance(node, _Lit):
        return node if node.positive else _TRUE
    if isinstance(node, _Any):
        return _any(tuple(_anchored(item) for item in node.items))
    kept = _all(tuple(item if isinstance(item, _Lit) else _anchored(item) for item in node.items))
    members = kept.items if isinstance(kept, _All) else (kept,)
    return kept if any(not isinstance(m, _Lit) or m.positive for m in members) else _TRUE


def _conjunction(conjunct: _Clause, dialect: str, languages: frozenset[str]) -> str:
    """One AND of literals in a dialect without OR (bluesky, algolia); "" when nothing is required."""
    required = [lit for lit in conjunct if lit.positive]
    if not required:
        return ""
    if dialect == "algolia":
        best = max(required, key=lambda lit: (len(lit.literal.words), not lit.literal.prefix, len(lit.literal.text)))
        return _show(best.literal)
    lang = [f"lang:{code}" for code in languages if len(languages) == 1]
    return " ".join([*(_show_signed(lit) for lit in conjunct), *lang])


def _covered(node: _Node) -> bool:
    """Whether every match holds at least one of the node's required literals."""
    if isinstance(node, _Lit):
        return node.positive
    return (any if isinstance(node, _All) else all)(_covered(item) for item in node.items)


def _required(node: _Node) -> list[Literal]:
    if isinstance(node, _Lit):
        return [node.literal] if node.positive else []
    return [literal for item in node.items for literal in _required(item)]


def _hashtags(node: _Node) -> list[str]:
    tags = (_show(literal).lower() for literal in _required(node))
    return list(dict.fromkeys(f"#{tag}" for tag in tags if tag.replace("_", "a").isalnum()))


def _check(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown search dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")


def to_search(query: Query, dialect: str) -> str:
    _check(dialect)
    node = _nnf(query.expr, dialect)
    if dialect == "reddit":
        return "" if (anchored := _anchored(node)) == _TRUE else _boolean(anchored)
    if dialect == "plain":
        return " OR ".join(dict.fromkeys(map(_show, _required(node)))) if _covered(node) else ""
    if dialect == "mastodon":
        return " ".join(_hashtags(node))
    clauses = _tidy(_cnf(node), disjunctive=True)
    units = tuple(clause[0] for clause in clauses if len(clause) == 1)
    if dialect in ("bluesky", "algolia"):
        return _conjunction(units, dialect, query.languages)
    ors = [clause for clause in clauses if all(lit.positive for lit in clause)]
    nots = [_show_signed(lit) for lit in units if not lit.positive] if ors else []
    if dialect == "youtube":
        return " ".join(["|".join(_show(lit.literal) for lit in clause) for clause in ors] + nots)
    wrap = len(ors) + len(nots) > 1  # google_news
    shown = [(" OR ".join(_show(lit.literal) for lit in clause), len(clause) > 1) for clause in ors]
    return " ".join([f"({text})" if wrap and several else text for text, several in shown] + nots)


def to_searches(query: Query, dialect: str) -> list[str]:
    """Searches whose results together hold every match: one per alternative in bluesky and algolia
    (which have no OR), one per hashtag in mastodon, else the single `to_search`."""
    _check(dialect)
    node = _nnf(query.expr, dialect)
    if dialect == "mastodon":
        return _hashtags(node)
    if dialect not in ("bluesky", "algolia"):
        return [to_search(query, dialect)]
    alternatives = _tidy(_dnf(node), disjunctive=False)
    if len(alternatives) > _MAX_SEARCHES:
        return [to_search(query, dialect)]
    searches = [_conjunction(conjunct, dialect, query.languages) for conjunct in alternatives]
    return [""] if "" in searches else list(dict.fromkeys(searches))
