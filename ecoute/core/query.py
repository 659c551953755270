"""The boolean query language: parsed once, matched locally, translated to each API's search syntax.

    query    := or_expr                              precedence: NOT > NEAR > AND > OR
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := near (["AND"] near)*                 adjacent terms are ANDed
    near     := unary ["NEAR/n" unary]               a term or phrase on each side
    unary    := ("NOT" | "-") unary | primary
    primary  := term | "exact phrase" | lang:xx | "(" or_expr ")"

A term is letters, digits and `_`, with `-`, `'` or `.` inside, optionally led by `@` or `#`, and a
trailing `*` makes it a prefix (`refus*`). AND, OR, NOT and NEAR are reserved in any case: quote
them ("not") to search for the word. `lang:xx` (ISO 639-1) restricts the whole query, so it must
sit in the top-level AND chain; several of them (`lang:fr lang:en` or `lang:fr OR lang:en`) mean
any of those languages.

Matching is on whole words, ignoring case and accents (`zelia` matches "Zélia"). A term without
`@`/`#` also matches the handle or hashtag ("@Zelia", "#zelia"); `@zelia` matches only "@zelia".
A phrase matches consecutive words, whatever punctuation lies between them. `a NEAR/n b` holds
when a and b are at most n words apart, in either order (NEAR/1: side by side).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from ecoute.core.errors import ConnectorError

_WORD = r"[@#]?\w+(?:[-'’.]\w+)*"
WORD_RE = re.compile(_WORD)
_TERM_RE = re.compile(_WORD + r"\*?")
_LANG_RE = re.compile(r"lang:([\w-]*)", re.IGNORECASE)
RESERVED = frozenset({"and", "or", "not", "near"})
_UNKNOWN_LANGUAGES = frozenset({"", "und"})


class QuerySyntaxError(ConnectorError):
    """A query that does not parse; the message shows the query with a caret under the mistake."""

    def __init__(self, query: str, position: int, reason: str) -> None:
        shown = query.replace("\n", " ").replace("\t", " ")
        super().__init__(f"query error at position {position}: {reason}\n    {shown}\n    {' ' * position}^")
        self.query, self.position, self.reason = query, position, reason

    def __reduce__(self) -> tuple[type[QuerySyntaxError], tuple[str, int, str]]:
        return type(self), (self.query, self.position, self.reason)  # survives pickling (Prefect results)


def normalise(text: str) -> str:
    """Case- and accent-free text: 'Zélia’s' -> "zelia's"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("’", "'")


@dataclass(frozen=True)
class Literal:
    """A term or an exact phrase: the leaves of a query."""

    text: str  # as written, without quotes or the prefix star
    phrase: bool = False
    prefix: bool = False

    @cached_property
    def words(self) -> tuple[str, ...]:
        return tuple(WORD_RE.findall(normalise(self.text)))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        body = r"\W+".join(map(re.escape, self.words)) + (r"\w*" if self.prefix else "")
        return re.compile(rf"(?<!\w){body}(?!\w)")

    def __str__(self) -> str:
        return f'"{self.text}"' if self.phrase else self.text + "*" * self.prefix


@dataclass(frozen=True)
class Not:
    item: Expr


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Near:
    left: Literal
    right: Literal
    distance: int


@dataclass(frozen=True)
class _Lang:  # only while parsing: lifted into Query.languages
    codes: tuple[str, ...]
    position: int


Expr = Literal | Not | And | Or | Near
_Node = Expr | _Lang


@dataclass(frozen=True)
class _Token:
    kind: str  # LIT LANG AND OR NOT NEAR ( ) END
    label: str
    position: int
    literal: Literal | None = None
    value: str = ""


def _lex(query: str) -> list[_Token]:
    def fail(position: int, reason: str) -> QuerySyntaxError:
        return QuerySyntaxError(query, position, reason)

    tokens: list[_Token] = []
    pos = 0
    while pos < len(query):
        char = query[pos]
        if char.isspace():
            pos += 1
        elif char in "()":
            tokens.append(_Token(char, f"'{char}'", pos))
            pos += 1
        elif char == '"':
            end = query.find('"', pos + 1)
            if end < 0:
                raise fail(pos, "unterminated quote")
            if not WORD_RE.search(query[pos + 1 : end]):
                raise fail(pos, 'empty phrase ""')
            tokens.append(_Token("LIT", "phrase", pos, Literal(query[pos + 1 : end], phrase=True)))
            pos = end + 1
        elif char == "-":
            if pos + 1 == len(query) or query[pos + 1].isspace() or query[pos + 1] == ")":
                raise fail(pos, "expected a term after '-'")
            tokens.append(_Token("NOT", "'-'", pos))
            pos += 1
        elif match := _LANG_RE.match(query, pos):
            code = match.group(1)
            if not code:
                raise fail(match.end(), "expected a language code after lang:")
            if not re.fullmatch("[a-zA-Z]{2}", code):
                raise fail(pos + 5, f"bad language code {code!r}: expected two letters (ISO 639-1), e.g. lang:fr")
            tokens.append(_Token("LANG", "lang:", pos, value=code.lower()))
            pos = match.end()
        elif match := _TERM_RE.match(query, pos):
            word, pos = match.group(), match.end()
            if (reserved := word.casefold()) in ("and", "or", "not"):
                tokens.append(_Token(reserved.upper(), reserved.upper(), match.start()))
            elif reserved == "near":
                number = re.match(r"/(\d*)(\w*)", query[pos:])
                if not number:
                    raise fail(match.start(), 'NEAR needs a distance, e.g. NEAR/3 (quote "near" to search the word)')
                if not number.group(1) or number.group(2):
                    raise fail(pos + 1, "expected a number after NEAR/, e.g. NEAR/3")
                if int(number.group(1)) < 1:
                    raise fail(pos + 1, "NEAR distance must be at least 1")
                tokens.append(_Token("NEAR", f"NEAR/{int(number.group(1))}", match.start(), value=number.group(1)))
                pos += number.end()
            else:
                tokens.append(_Token("LIT", "term", match.start(), Literal(word.rstrip("*"), prefix=word[-1] == "*")))
        else:
            raise fail(pos, f"unexpected character {char!r}")
    return [*tokens, _Token("END", "the end", len(query))]


class _Parser:
    STARTS = frozenset({"LIT", "LANG", "NOT", "("})

    def __init__(self, query: str) -> None:
        self.query, self.tokens, self.index = query, _lex(query), 0

    def fail(self, position: int, reason: str) -> QuerySyntaxError:
        return QuerySyntaxError(self.query, position, reason)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def parse(self) -> _Node:
        if self.peek().kind == "END":
            raise self.fail(0, "empty query")
        expr = self.or_expr()
        if (token := self.peek()).kind == ")":
            raise self.fail(token.position, "unmatched ')'")
        return expr

    def or_expr(self) -> _Node:
        items = [self.and_expr()]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.and_expr())
        return _group(Or, items)

    def and_expr(self) -> _Node:
        items = [self.near()]
        while self.peek().kind == "AND" or self.peek().kind in self.STARTS:
            if self.peek().kind == "AND":
                self.take()
            items.append(self.near())
        return _group(And, items)

    def near(self) -> _Node:
        left = self.unary()
        if (operator := self.peek()).kind != "NEAR":
            return left
        self.take()
        right = self.unary()
        if not isinstance(left, Literal) or not isinstance(right, Literal):
            raise self.fail(operator.position, "NEAR joins two terms or phrases")
        if (again := self.peek()).kind == "NEAR":
            raise self.fail(again.position, "NEAR joins two terms or phrases; combine NEARs with AND")
        return Near(left, right, int(operator.value))

    def unary(self) -> _Node:
        if self.peek().kind == "NOT":
            self.take()
            return Not(self.unary())  # type: ignore[arg-type]  # _parse refuses lang: under NOT
        return self.primary()

    def primary(self) -> _Node:
        token = self.take()
        if token.literal is not None:
            return token.literal
        if token.kind == "LANG":  # `lang:fr OR lang:en` is one restriction, whatever surrounds it
            codes = [token.value]
            while self.peek().kind == "OR" and self.tokens[self.index + 1].kind == "LANG":
                codes.append(self.tokens[self.index + 1].value)
                self.index += 2
            return _Lang(tuple(codes), token.position)
        if token.kind == "(":
            expr = self.or_expr()
            if self.peek().kind != ")":
                raise self.fail(token.position, "unclosed parenthesis")
            self.take()
            return expr
        if token.kind in ("AND", "OR", "NEAR"):
            raise self.fail(token.position, f"expected a term before {token.label}")
        raise self.fail(token.position, f"expected a term after {self.tokens[self.index - 2].label}")


def _group(kind: type[And] | type[Or], items: list[_Node]) -> _Node:
    flat = [part for item in items for part in (item.items if isinstance(item, kind) else (item,))]
    return flat[0] if len(flat) == 1 else kind(tuple(flat))  # type: ignore[arg-type]  # _parse lifts the _Langs


def _langs_in(node: object) -> list[_Lang]:
    if isinstance(node, _Lang):
        return [node]
    children = node.items if isinstance(node, And | Or) else (node.item,) if isinstance(node, Not) else ()
    return [lang for child in children for lang in _langs_in(child)]


def _parse(query: str) -> tuple[Expr, frozenset[str]]:
    """The expression without its lang: restrictions, and the languages they allow."""
    root = _Parser(query).parse()
    conjuncts = root.items if isinstance(root, And) else (root,)
    languages: set[str] = set()
    kept: list[Expr] = []
    for item in conjuncts:
        langs = _langs_in(item)
        if isinstance(item, _Lang):
            languages.update(item.codes)
        elif langs:
            raise QuerySyntaxError(
                query, langs[0].position, "lang: restricts the whole query: use it at the top level or ORed with lang:"
            )
        else:
            kept.append(cast(Expr, item))  # holds no _Lang
    if not kept:
        raise QuerySyntaxError(query, 0, "the query has no term besides lang:")
    return (kept[0] if len(kept) == 1 else And(tuple(kept))), frozenset(languages)


class _Text:
    """A text normalised once, with its word positions, for evaluating every literal against it."""

    def __init__(self, text: str) -> None:
        self.text = normalise(text)
        self.starts = [match.start() for match in re.finditer(r"\w+", self.text)]

    def spans(self, literal: Literal) -> list[tuple[int, int]]:
        found = literal.pattern.finditer(self.text)
        return [(bisect_left(self.starts, m.start()), bisect_left(self.starts, m.end()) - 1) for m in found]

    def holds(self, expr: Expr) -> bool:
        if isinstance(expr, Literal):
            return expr.pattern.search(self.text) is not None
        if isinstance(expr, Not):
            return not self.holds(expr.item)
        if isinstance(expr, And):
            return all(self.holds(item) for item in expr.items)
        if isinstance(expr, Or):
            return any(self.holds(item) for item in expr.items)
        return any(
            0 < (b0 - a1 if b0 > a1 else a0 - b1) <= expr.distance
            for a0, a1 in self.spans(expr.left)
            for b0, b1 in self.spans(expr.right)
        )


def literals(expr: Expr, positive: bool = True) -> list[tuple[Literal, bool]]:
    """Every literal with its polarity (False under an odd number of NOTs), in order of appearance."""
    if isinstance(expr, Literal):
        return [(expr, positive)]
    if isinstance(expr, Not):
        return literals(expr.item, not positive)
    items = (expr.left, expr.right) if isinstance(expr, Near) else expr.items
    return [pair for item in items for pair in literals(item, positive)]


@dataclass(frozen=True)
class Query:
    """A parsed query. `Query(text)` parses `text`; `languages` adds to its lang: restrictions."""

    text: str
    languages: frozenset[str] = frozenset()  # from lang:...; empty = any language
    expr: Expr = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expr, languages = _parse(self.text)
        object.__setattr__(self, "expr", expr)
        object.__setattr__(self, "languages", languages | {code.lower() for code in self.languages})

    def matches(self, text: str, language: str | None = None) -> bool:
        """Whether `text` satisfies the query; an unknown language (None, "und") passes lang: restrictions."""
        code = (language or "").lower().replace("_", "-").split("-")[0]
        if self.languages and code not in _UNKNOWN_LANGUAGES and code not in self.languages:
            return False
        return _Text(text).holds(self.expr)

    def positive_terms(self) -> list[str]:
        """Terms (`@x`, `refus*` as written) and phrases (without quotes) not under a NOT, deduplicated."""
        seen: dict[str, str] = {}
        for literal, positive in literals(self.expr):
            shown = " ".join(literal.text.split()) + "*" * literal.prefix
            if positive:
                seen.setdefault(normalise(shown), shown)
        return list(seen.values())


def parse_query(text: str) -> Query:
    return Query(text)


def brand_query(name: str, terms: Sequence[str] = (), query: str | None = None) -> Query:
    """What a brand is searched for: the explicit `query` when given, else its terms ORed
    (`(term1 OR "multi word term" ...)`), else its name alone. The name is never added to terms:
    "American" the airline configured as `["American Airlines", "@AmericanAir"]` must not match
    "African American Film Festival". QuerySyntaxError when nothing in it is a word."""
    if query is not None:
        return parse_query(query)
    alternatives: dict[str, str] = {}
    for raw in terms or (name,):
        term = " ".join(raw.replace('"', " ").split())
        single = WORD_RE.fullmatch(term) and term.casefold() not in RESERVED
        if WORD_RE.search(term):
            alternatives.setdefault(normalise(term), term if single else f'"{term}"')
    shown = list(alternatives.values())
    return parse_query(shown[0] if len(shown) == 1 else f"({' OR '.join(shown)})" if shown else "")
