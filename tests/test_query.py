"""The query language: precedence, local matching, syntax errors, and each API's translation."""

from __future__ import annotations

import pickle
import re

import httpx
import pytest
from connector_harness import context, run_connector

from ecoute.connectors import connector_for
from ecoute.connectors.base import BrandMatcher, planned_searches
from ecoute.connectors.errors import ConnectorError
from ecoute.connectors.query_translate import DIALECTS, to_search, to_searches
from ecoute.core.query import Expr, Literal, Near, Not, Query, QuerySyntaxError, brand_query, parse_query
from ecoute.core.settings import Brand
from ecoute.core.source_settings import (
    BlueskySource,
    HackerNewsSource,
    MastodonSource,
    RedditSource,
    RssSource,
    Source,
    YouTubeSource,
)

BRAND = '(zelia OR "zelia bank" OR @zelia_help) AND NOT (zelia_jobs OR recrutement) -giveaway lang:fr'
NEAR = '"carte refusée" NEAR/3 zelia'
APP = "zelia AND (app OR appli) lang:en"
PREFIX = 'refus* zelia -#concours -"carte bleue"'


def sexp(expr: Expr) -> str:
    if isinstance(expr, Literal):
        return str(expr)
    if isinstance(expr, Not):
        return f"(NOT {sexp(expr.item)})"
    if isinstance(expr, Near):
        return f"(NEAR/{expr.distance} {sexp(expr.left)} {sexp(expr.right)})"
    return f"({type(expr).__name__.upper()} {' '.join(sexp(item) for item in expr.items)})"


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("a b OR c", "(OR (AND a b) c)"),  # implicit AND binds tighter than OR
        ("a OR b AND c", "(OR a (AND b c))"),  # explicit AND too
        ("a and b or c AND d", "(OR (AND a b) (AND c d))"),  # operators in any case
        ("NOT a b", "(AND (NOT a) b)"),  # NOT takes one operand
        ("-a b", "(AND (NOT a) b)"),  # `-` is NOT
        ("NOT (a OR b) c", "(AND (NOT (OR a b)) c)"),  # parentheses group
        ("a NEAR/2 b c", "(AND (NEAR/2 a b) c)"),  # NEAR binds tighter than AND
        ("a OR b near/2 c", "(OR a (NEAR/2 b c))"),  # ... and than OR, in any case
        ('"x y" OR z*', '(OR "x y" z*)'),  # phrase and prefix leaves
        ("(a b) (c)", "(AND a b c)"),  # nested ANDs flatten
        ("((a))", "a"),  # redundant parentheses vanish
        ("NOT NOT a", "(NOT (NOT a))"),  # double negation kept as written
        ("@zelia #zelia e-banking l'appli zelia.com", "(AND @zelia #zelia e-banking l'appli zelia.com)"),  # word shapes
    ],
)
def test_precedence(query: str, tree: str) -> None:
    assert sexp(parse_query(query).expr) == tree


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("zelia AND refusee", "Ma carte Zélia refusée 😡", True),  # accents and case folded on both sides
        ("zélia", "ZELIA", True),  # accent in the query
        ("strasse", "Straße", True),  # casefold, not lower
        ("zelia", "zelianet est lent", False),  # whole words only
        ("zelia", "@Zelia help", True),  # a bare term matches the handle
        ("zelia", "#zelia ❤️", True),  # ... and the hashtag
        ("zelia", "@zelia_help", False),  # `_` belongs to the word
        ("@zelia", "zelia", False),  # a handle term needs its @
        ("@zelia", "#zelia", False),  # ... not a #
        ("@zelia", "merci @Zélia !", True),  # ... and then folds like any term
        ("#zelia", "#ZELIA 🎉", True),  # hashtag term
        ("refus*", "carte refusée", True),  # prefix
        ("refus*", "refus", True),  # prefix matches the bare stem
        ("refus*", "irrefusable", False),  # prefix anchored at the word start
        ('"carte refusée"', "carte, refusée !", True),  # punctuation between phrase words
        ('"carte refusée"', "refusée carte", False),  # phrase order
        ('"carte refusée"', "carte bien refusée", False),  # phrase words consecutive
        ("zelia -giveaway", "Zelia GIVEAWAY 🎁", False),  # exclusion
        ("zelia -giveaway", "Zelia", True),  # exclusion absent
        ('zelia -"carte bleue"', "zelia carte bleue", False),  # excluded phrase
        ('zelia -"carte bleue"', "zelia carte verte, bleue", True),  # excluded phrase not consecutive
        ("zelia NOT (jobs OR recrutement)", "Zelia recrutement", False),  # NOT over a group
        ("zelia OR norvo", "Norvo", True),  # OR
        ("zelia norvo", "Norvo", False),  # implicit AND
        ("l'appli", "J’adore l’appli", True),  # curly apostrophes
        ("appli", "J'adore l'appli", True),  # the word after an elision
        ("e-banking", "le e-banking chez zelia", True),  # inner hyphen
        ("zelia.com", "ZÉLIA.COM est en panne", True),  # inner dot
        ("東京", "東京 zelia テスト", True),  # non-latin script
        ("zelia", "zelia's app", True),  # English possessive
        ('"not" zelia', "Not the bank you think: zelia", True),  # quoted reserved word
    ],
)
def test_matching(query: str, text: str, expected: bool) -> None:
    assert parse_query(query).matches(text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("zelia NEAR/2 refusee", "zelia carte refusée", True),  # 2 words apart
        ("zelia NEAR/1 refusee", "zelia carte refusée", False),  # NEAR/1 is side by side
        ("zelia NEAR/2 refusee", "refusée, carte de zelia", False),  # 3 apart
        ("zelia NEAR/3 refusee", "refusée, carte de zelia", True),  # either order
        ("zelia NEAR/1 refusee", "refusée... Zélia", True),  # punctuation is not a word
        (NEAR, "carte refusée a b zelia", True),  # phrase end to term: 3 apart, the boundary
        (NEAR, "carte refusée a b c zelia", False),  # 4 apart
        (NEAR, "zelia a b carte refusée", True),  # the boundary in the other order
        (NEAR, "zelia a b c carte refusée", False),  # 4 apart, other order
        ("zelia NEAR/3 zelia", "zelia", False),  # two occurrences needed
        ("zelia NEAR/1 zelia", "zelia zelia", True),  # ... and found
        ("@zelia NEAR/1 refusee", "@zelia refusée 😡", True),  # a handle is one word
    ],
)
def test_near(query: str, text: str, expected: bool) -> None:
    assert parse_query(query).matches(text) is expected


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("zelia lang:fr", "fr", True),  # allowed language
        ("zelia lang:fr", "en", False),  # other language
        ("zelia lang:fr", None, True),  # unknown language passes
        ("zelia lang:fr", "und", True),  # undetermined (models.language) passes
        ("zelia lang:FR", "fr-FR", True),  # region and case ignored
        ("zelia lang:fr lang:en", "en", True),  # several lang: mean any of them
        ("zelia lang:fr OR lang:en", "en", True),  # OR between lang: reads the same
        ("zelia (lang:fr OR lang:en)", "de", False),  # ... as does a group
        ("zelia", "de", True),  # no restriction
    ],
)
def test_language(query: str, language: str | None, expected: bool) -> None:
    assert parse_query(query).matches("Zelia", language) is expected


def test_languages_are_lifted_out_of_the_expression() -> None:
    query = parse_query("lang:fr zelia lang:en OR lang:de")
    assert query.languages == {"fr", "en", "de"}
    assert sexp(query.expr) == "zelia"
    assert Query("zelia", frozenset({"EN"})).languages == {"en"}


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("", 0, "empty query"),  # nothing at all
        ("   ", 0, "empty query"),  # only spaces
        ("zelia AND", 9, "expected a term after AND"),  # operator without right operand
        ("OR zelia", 0, "expected a term before OR"),  # operator without left operand
        ("NOT", 3, "expected a term after NOT"),  # NOT alone
        ("zelia AND (OR x)", 11, "expected a term before OR"),  # operator first in a group
        ("zelia NEAR/2", 12, "expected a term after NEAR/2"),  # NEAR without right operand
        ("zelia ()", 7, "expected a term after '('"),  # empty group
        ("(zelia OR x", 0, "unclosed parenthesis"),  # missing )
        ("zelia (a (b)", 6, "unclosed parenthesis"),  # the outer one is unclosed
        ("zelia)", 5, "unmatched ')'"),  # missing (
        ('zelia "carte refusée', 6, "unterminated quote"),  # missing closing quote
        ("a NEAR/x b", 7, "expected a number after NEAR/"),  # distance not a number
        ("a NEAR/ b", 7, "expected a number after NEAR/"),  # distance missing
        ("a NEAR b", 2, "NEAR needs a distance"),  # slash missing
        ("a NEAR/0 b", 7, "NEAR distance must be at least 1"),  # zero distance
        ("(a OR b) NEAR/2 c", 9, "NEAR joins two terms or phrases"),  # group operand
        ("a NEAR/2 b NEAR/2 c", 11, "combine NEARs with AND"),  # chained NEAR
        ("zelia lang:", 11, "expected a language code after lang:"),  # code missing
        ("zelia lang:french", 11, "bad language code 'french'"),  # not ISO 639-1
        ("lang:fr-FR zelia", 5, "bad language code 'fr-FR'"),  # region not accepted
        ('zelia ""', 6, 'empty phrase ""'),  # empty phrase
        ('zelia "!?"', 6, 'empty phrase ""'),  # phrase without a word
        ("zelia -", 6, "expected a term after '-'"),  # bare minus at the end
        ("zelia - jobs", 6, "expected a term after '-'"),  # bare minus before a space
        ("zelia OR lang:fr", 9, "lang: restricts the whole query"),  # lang: as an alternative
        ("-lang:fr zelia", 1, "lang: restricts the whole query"),  # lang: negated
        ("lang:fr", 0, "no term besides lang:"),  # only a restriction
        ("zelia!", 5, "unexpected character '!'"),  # stray punctuation
    ],
)
def test_syntax_errors(query: str, position: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert reason in str(caught.value)


def test_syntax_error_message_shows_a_caret_and_survives_pickling() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("zelia AND (OR x)")
    assert str(caught.value) == (
        "query error at position 11: expected a term before OR\n    zelia AND (OR x)\n               ^"
    )
    assert isinstance(caught.value, ConnectorError)
    assert pickle.loads(pickle.dumps(caught.value)).position == 11


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        (BRAND, ["zelia", "zelia bank", "@zelia_help"]),  # exclusions left out, @ kept
        ("Zelia zélia ZELIA", ["Zelia"]),  # deduplicated after folding
        ('refus* NOT x -"a b" ("c d" NEAR/2 e)', ["refus*", "c d", "e"]),  # prefix kept, NEAR operands in
        ("NOT NOT zelia", ["zelia"]),  # double negation is positive
        ("NOT zelia", []),  # nothing positive
    ],
)
def test_positive_terms(query: str, terms: list[str]) -> None:
    assert parse_query(query).positive_terms() == terms


@pytest.mark.parametrize(
    ("name", "terms", "query", "text"),
    [
        ("Zelia", ["zelia bank", "Zélia", "@zelia_help"], None, '("zelia bank" OR Zélia OR @zelia_help)'),  # terms only
        ("Zelia", ["zelia", "ZELIA"], None, "zelia"),  # deduplicated
        ("Zelia", [], None, "Zelia"),  # no terms: the name alone
        ("Zelia", ["not", 'say "hi"'], None, '("not" OR "say hi")'),  # reserved word and quotes
        ("Zélia & Co", [], None, '"Zélia & Co"'),  # punctuation makes a phrase
        ("Zelia", ["x"], "zelia -jobs", "zelia -jobs"),  # an explicit query wins
    ],
)
def test_brand_query(name: str, terms: list[str], query: str | None, text: str) -> None:
    assert brand_query(name, terms, query).text == text


ZELIA_APP = Brand(name="Zelia", terms=["Zelia app", "@zelia"])
AMERICAN = Brand(name="American", terms=["American Airlines", "@AmericanAir"])
NIECE = Brand(name="Zelia", query='zelia -niece -"my daughter"')


@pytest.mark.parametrize(
    ("brand", "text", "matched"),
    [
        (ZELIA_APP, "zelia is also my niece's name", False),  # the name is not a term of a brand with terms
        (ZELIA_APP, "Zélia", False),  # ... whatever its case and accents
        (ZELIA_APP, "the Zelia app crashed again", True),  # a term
        (ZELIA_APP, "@zelia my card is blocked", True),  # the handle term
        (ZELIA_APP, "#zelia", False),  # `@zelia` is the handle only
        (AMERICAN, "Waterbury Republican American, Sunday edition", False),  # seen in production
        (AMERICAN, "African American Film Festival opens", False),  # seen in production
        (AMERICAN, "Flew American Airlines to Boston", True),
        (AMERICAN, "@AmericanAir lost my bag", True),
        (Brand(name="Zelia"), "zelia is also my niece's name", True),  # no terms: the name is searched
        (NIECE, "zelia is also my niece's name", False),  # excluded word
        (NIECE, "Zelia refused my card", True),
    ],
)
def test_a_brand_matches_its_terms_only(brand: Brand, text: str, matched: bool) -> None:
    """What assign_brands keeps: a post about a brand is one its query (its terms) matches."""
    assert (BrandMatcher([brand]).brands_in(text) == (brand.name,)) is matched


@pytest.mark.parametrize(
    ("dialect", "query", "search"),
    [
        ("plain", BRAND, 'zelia OR "zelia bank" OR zelia_help'),  # positive terms ORed
        ("plain", NEAR, '"carte refusée" OR zelia'),
        ("plain", PREFIX, "zelia"),  # a prefix is not a keyword
        ("plain", "zelia OR NOT jobs", ""),  # a match may hold no positive term
        ("algolia", NEAR, '"carte refusée"'),  # the phrase is the most selective
        ("algolia", APP, "zelia"),  # the one word every match holds
        ("algolia", "refus* OR refus*", "refus"),  # Algolia prefix-matches the last word
        ("algolia", BRAND, ""),  # no single word is required: see to_searches
        (
            "reddit",
            BRAND,
            '(zelia OR "zelia bank" OR zelia_help) AND NOT zelia_jobs AND NOT recrutement AND NOT giveaway',
        ),
        ("reddit", NEAR, '"carte refusée" AND zelia'),  # NEAR widened to AND
        ("reddit", PREFIX, 'zelia AND NOT "carte bleue"'),  # prefix and #tag exclusion dropped
        ("reddit", "zelia OR NOT jobs", ""),  # a lone NOT in an OR cannot be said
        ("bluesky", APP, "zelia lang:en"),  # Bluesky's own lang:
        ("bluesky", NEAR, '"carte refusée" zelia'),
        ("bluesky", PREFIX, 'zelia -"carte bleue"'),
        ("bluesky", "zelia lang:fr lang:en", "zelia"),  # two lang: would mean both at once
        ("youtube", BRAND, "zelia|zelia_help -zelia_jobs -recrutement -giveaway"),  # "zelia bank" holds zelia
        ("youtube", APP, "zelia app|appli"),  # | binds tighter than the spaces
        ("youtube", PREFIX, 'zelia -"carte bleue"'),
        ("youtube", '"not" OR zelia_help', '"not"|zelia_help'),  # reserved word stays quoted
        ("google_news", BRAND, "(zelia OR zelia_help) -zelia_jobs -recrutement -giveaway"),
        ("google_news", APP, "zelia (app OR appli)"),
        ("google_news", "zelia OR norvo", "zelia OR norvo"),  # a lone OR needs no parentheses
        ("google_news", "NOT (a NEAR/2 b) zelia -@zelia_jobs", "zelia"),  # NOT NEAR and @ exclusion dropped
        ("mastodon", BRAND, "#zelia #zelia_help"),  # hashtags of positive single words
        ("mastodon", APP, "#zelia #app #appli"),
        ("mastodon", '"carte refusée" e-banking Zélia', "#zélia"),  # phrases and hyphens make no tag
    ],
)
def test_to_search(dialect: str, query: str, search: str) -> None:
    assert to_search(parse_query(query), dialect) == search


@pytest.mark.parametrize(
    ("dialect", "query", "searches"),
    [
        ("algolia", BRAND, ["zelia", "zelia_help"]),  # one search per alternative ("zelia bank" holds zelia)
        ("algolia", "zelia OR norvo", ["zelia", "norvo"]),
        ("bluesky", APP, ["zelia app lang:en", "zelia appli lang:en"]),
        ("bluesky", "zelia x OR zelia", ["zelia"]),  # an alternative implied by another is dropped
        ("bluesky", "zelia OR NOT jobs", [""]),  # one alternative requires nothing
        ("mastodon", BRAND, ["#zelia", "#zelia_help"]),  # one tag timeline each
        ("youtube", APP, ["zelia app|appli"]),  # dialects with OR need one search
    ],
)
def test_to_searches(dialect: str, query: str, searches: list[str]) -> None:
    assert to_searches(parse_query(query), dialect) == searches


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown search dialect 'twitter'"):
        to_search(parse_query("zelia"), "twitter")


PROPERTY_QUERIES = [
    BRAND,
    NEAR,
    APP,
    PREFIX,
    "zelia OR NOT jobs",
    "NOT (a NEAR/2 b) zelia -@zelia_jobs",
    "zelia OR norvo",
    '(zelia OR norvo) (app OR appli) -"carte bleue"',
    "zelia -(bank OR app)",
    '"not" zelia',
    "#zelia OR @zelia_help",
    "NOT NOT zelia",
    "zelia (recrute OR hiring) lang:fr lang:en",
    '(zelia OR "zelia bank") NOT (giveaway OR "carte bleue" OR -norvo)',
    "(zelia refus*) OR (norvo NEAR/2 bank) OR (appli -zelia)",
]
PROPERTY_TEXTS = [
    "Ma carte Zélia refusée 😡",
    "@zelia_help ma carte est refusée depuis ce matin",
    "Zelia Bank recrute ! #recrutement",
    "zelia_jobs: we're hiring",
    "zelia recrute via zelia_jobs",
    "Giveaway Zélia : gagnez 100 €",
    "J'adore l'appli Zelia",
    "The Zelia app keeps crashing",
    "norvo bank vs ZELIA?",
    "carte refusée chez norvo, zelia marche",
    "#zelia ❤️",
    "ZÉLIA.COM est en panne",
    "refus de paiement zelia",
    "Rien à voir",
    "Not the bank you think: zelia",
    "carte bleue zelia app",
    "l'appli de norvo",
    "日本語 zelia テスト",
]


def holds(dialect: str, search: str, text: str, language: str | None) -> bool:
    """A simple reading of a translated search, by the dialect's documented rules."""
    if not search:
        return True  # nothing to narrow with: everything is fetched
    if dialect == "youtube":  # `a|b` is one alternative; spaces AND them
        clauses = re.findall(r'-?(?:"[^"]*"|[^\s"|]+)(?:\|(?:"[^"]*"|[^\s"|]+))*', search)
        search = " ".join(f"({clause.replace('|', ' OR ')})" for clause in clauses)
    return parse_query(search).matches(text, language)  # the others read as our own grammar


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "mastodon"])  # tag timelines are narrower by nature
def test_translation_is_never_narrower(dialect: str) -> None:
    matched = 0
    for text_query in PROPERTY_QUERIES:
        query = parse_query(text_query)
        search, searches = to_search(query, dialect), to_searches(query, dialect)
        for text in PROPERTY_TEXTS:
            for language in (None, "fr", "en"):
                if query.matches(text, language):
                    matched += 1
                    assert holds(dialect, search, text, language), (text_query, search, text, language)
                    assert any(holds(dialect, s, text, language) for s in searches), (text_query, searches, text)
    assert matched > 100  # the property is not vacuous


SEARCHING = [
    HackerNewsSource(name="hn", kind="hackernews"),
    RedditSource(name="reddit", kind="reddit"),
    BlueskySource(name="bsky", kind="bluesky"),
    YouTubeSource(name="yt", kind="youtube"),
    RssSource(name="news", kind="rss", news_search=True),
    MastodonSource(name="masto", kind="mastodon", instances=["https://mastodon.example"]),
    MastodonSource(name="tags", kind="mastodon", instances=["https://mastodon.example"], hashtags=["#ZeliaBank"]),
]
EMPTY = {  # an answer with nothing in it, in each API's format
    "hackernews": {"hits": [], "page": 0, "nbPages": 0},
    "reddit": {"kind": "Listing", "data": {"children": [], "after": None}},
    "bluesky": {"posts": []},
    "youtube": {"items": []},
    "mastodon": [],
}


def sent_searches(source: Source, request: httpx.Request) -> list[str]:
    if source.kind == "mastodon" and "/timelines/tag/" in request.url.path:
        return ["#" + request.url.path.rsplit("/", 1)[1]]
    return [request.url.params["query" if source.kind == "hackernews" else "q"]]


def empty_answer(source: Source, request: httpx.Request) -> httpx.Response:
    if source.kind == "rss":
        return httpx.Response(
            200, text="<rss><channel></channel></rss>", headers={"content-type": "application/rss+xml"}
        )
    if source.kind == "mastodon" and request.url.path.endswith("/search"):
        return httpx.Response(200, json={"statuses": []})
    return httpx.Response(200, json=EMPTY[source.kind])


@pytest.mark.parametrize("source", SEARCHING, ids=lambda source: source.name)
@pytest.mark.parametrize(
    "brand", [ZELIA_APP, AMERICAN, NIECE, Brand(name="Zelia")], ids=["terms", "airline", "query", "name"]
)
def test_check_shows_the_searches_the_connectors_send(
    source: Source, brand: Brand, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ecoute check` promises "this is what is searched": each connector must send exactly those searches."""
    for name in ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD", "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YOUTUBE_API_KEY", "k")
    monkeypatch.setenv("MASTODON_TOKEN", "t")  # so that Mastodon's full-text searches are sent too
    run = run_connector(connector_for(source), lambda request: empty_answer(source, request), context(brands=[brand]))
    assert run.error is None, run.error
    sent = [search for request in run.requests for search in sent_searches(source, request)]
    planned = [search for searches in planned_searches(source, brand.search_query).values() for search in searches]
    assert list(dict.fromkeys(sent)) == [search for search in planned if search]
