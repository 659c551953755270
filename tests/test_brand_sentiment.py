"""Sentiment per (post, brand): the labelled comparisons, the cues, the model, the bench."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ecoute.bench.brand_sentiment import DEFAULT_DATA, LabelledPost, main, read_posts, read_terms, score
from ecoute.models.brand_cues import fold, relations
from ecoute.models.brand_sentiment import BRAND_SENTIMENT_DATA, BrandSentiment, find_mentions
from ecoute.models.contracts import LABELS
from ecoute.models.enrich import Enricher
from ecoute.models.mask import BrandMask

PATTERNS = {
    "switch",
    "comparison",
    "contrast",
    "both_negative",
    "both_positive",
    "neutral_mention",
    "question",
    "sarcasm",
}
TERMS = {"Zelia": ["Zelia", "@zelia_help"], "Norvo": ["Norvo", "@norvo"], "Kapto": ["Kapto"]}


@pytest.fixture(scope="module")
def posts() -> list[LabelledPost]:
    return read_posts(DEFAULT_DATA, "all")


@pytest.fixture(scope="module")
def terms(posts: list[LabelledPost]) -> dict[str, list[str]]:
    return read_terms(BRAND_SENTIMENT_DATA / "brands.json", sorted({b for p in posts for b in p.labels}))


@pytest.fixture(scope="module")
def model(enricher: Enricher) -> BrandSentiment:
    return BrandSentiment(enricher.sentiment)


# -- the labelled set ---------------------------------------------------------------------
def test_the_set_has_enough_posts_in_both_languages_and_both_splits(posts: list[LabelledPost]) -> None:
    assert len(posts) >= 220
    languages = Counter(p.language for p in posts)
    assert set(languages) == {"fr", "en"} and min(languages.values()) >= 0.45 * len(posts)
    cells = Counter((p.split, p.language) for p in posts)
    assert set(cells) == {(s, g) for s in ("dev", "test") for g in ("fr", "en")}
    assert min(cells.values()) >= 0.2 * len(posts)  # about a quarter each: split ~50/50 within language
    assert {p.pattern for p in posts} == PATTERNS
    assert all(2 <= len(p.labels) <= 3 for p in posts)


def test_every_row_is_a_valid_label_for_a_brand_named_in_its_text(
    posts: list[LabelledPost], terms: dict[str, list[str]]
) -> None:
    unnamed = [
        (b, p.text) for p in posts for b in p.labels if b not in {m.brand for m in find_mentions(p.text, {b: terms[b]})}
    ]
    assert unnamed == []
    assert {label for p in posts for label in p.labels.values()} == set(LABELS)


def test_the_csv_has_the_documented_columns() -> None:
    with DEFAULT_DATA.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["text", "language", "brand", "sentiment", "pattern", "split"]


# -- finding brands and reading cues (no model) ------------------------------------------
@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Passé de #norvo à ZELIA", ["Norvo", "Zelia"]),  # any case, hashtag
        ("@zelia_help et @norvo : même combat", ["Zelia", "Norvo"]),  # handles listed as terms
        ("Zelianne et Norvos ne sont pas des marques", []),  # never inside a longer word
        ("@norvo_support ne répond pas", []),  # nor inside a longer handle
        ("Bleu Telecom rame", ["Bleu Télécom"]),  # written without accents
        ("Kestrel Mobile > Vireo", ["Kestrel", "Vireo"]),  # the longer term is one mention
    ],
)
def test_find_mentions(text: str, named: list[str]) -> None:
    brands = {**TERMS, "Bleu Télécom": ["Bleu Télécom"], "Kestrel": ["Kestrel", "Kestrel Mobile"], "Vireo": []}
    found = find_mentions(text, brands)
    assert [m.brand for m in found] == named
    for m in found:  # the span is a term, or "#"/"@" and a term
        span, named_by = fold(text)[m.start : m.end], {fold(t) for t in (m.brand, *brands[m.brand])}
        assert span in named_by or (span[0] in "#@" and span[1:] in named_by)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Passé de Norvo à Zelia, tellement mieux", ("switch", "Zelia", "Norvo")),
        ("j'ai quitté @norvo pour Kapto", ("switch", "Kapto", "Norvo")),  # the handle is the mention
        ("switched to Kapto from Norvo last week", ("switch", "Kapto", "Norvo")),  # target named first
        ("Left Zelia for Kapto and I regret it so much", ("switch", "Zelia", "Kapto")),  # a regretted switch
        ("Left Zelia for Kapto, no regrets", ("switch", "Kapto", "Zelia")),  # a denied regret is none
        ("Zelia is way better than Norvo", ("preference", "Zelia", "Norvo")),
        ("Norvo c'est pire que Kapto", ("preference", "Kapto", "Norvo")),  # a "worse" names the loser first
        ("Kapto >>> Norvo", ("preference", "Kapto", "Norvo")),
        ("je préfère Zelia à Norvo", ("preference", "Zelia", "Norvo")),
        ("Comparé à Norvo, Kapto c'est le luxe", ("reference", "Kapto", "Norvo")),
        ("Is Zelia really better than Norvo for travel?", None),  # asked, not claimed
        ("Norvo is even worse than Kapto", None),  # both on the same side
        ("Kapto a pas mieux géré que Norvo", None),  # negated comparative
        ("Zelia great, Norvo meh", None),  # no cue: the clauses decide
    ],
)
def test_relations(text: str, expected: tuple[str, str, str] | None) -> None:
    found = relations(fold(text), find_mentions(text, TERMS))
    assert [(r.kind, r.focus, r.other) for r in found] == ([expected] if expected else [])


# -- the model ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Passé de Norvo à Zelia, tellement mieux", {"Norvo": "negative", "Zelia": "positive"}),
        ("Zelia is way better than Norvo", {"Zelia": "positive", "Norvo": "negative"}),
        (
            "Norvo c'est pire que Kapto niveau appli, ça plante à chaque virement",
            {"Norvo": "negative", "Kapto": "positive"},
        ),
        ("@zelia_help great as always, @norvo app down again, useless", {"Zelia": "positive", "Norvo": "negative"}),
        ("Zelia ou Norvo pour partir 6 mois en Australie ?", {"Zelia": "neutral", "Norvo": "neutral"}),
    ],
)
def test_each_brand_gets_its_own_side(model: BrandSentiment, text: str, expected: dict[str, str]) -> None:
    found = model.predict(text, {b: TERMS[b] for b in expected})
    assert {b: label for b, (label, _) in found.items()} == expected
    for _, probabilities in found.values():
        assert probabilities.shape == (3,) and abs(float(probabilities.sum()) - 1) < 1e-4


def test_the_post_level_baseline_gives_every_brand_the_same_label(enricher: Enricher) -> None:
    baseline = BrandSentiment(enricher.sentiment, clauses=False, cues=False)
    found = baseline.predict("Passé de Norvo à Zelia, tellement mieux", TERMS)
    assert found["Norvo"][0] == found["Zelia"][0] == "positive"  # what the pipeline did: the bug this fixes


def test_a_post_naming_one_brand_keeps_the_enrichers_sentiment(model: BrandSentiment, enricher: Enricher) -> None:
    texts = [
        "Zelia m'a bloqué ma carte 3 fois ce mois-ci, j'en ai marre",
        "@norvo thanks for sorting my refund so fast!!",
        "Kapto lance une carte ado, dispo la semaine prochaine",
    ]
    masked = Enricher(
        enricher.encoder,
        enricher.language,
        enricher.sentiment,
        enricher.intent,
        BrandMask([t for terms in TERMS.values() for t in terms]),
    )
    stored = masked.enrich(texts)
    found = model.predict_many([(t, TERMS) for t in texts])
    for i, result in enumerate(found):
        assert set(result) == set(TERMS)  # a brand the text does not name gets the post's sentiment too
        for label, probabilities in result.values():
            assert label == stored.sentiments[i]
            np.testing.assert_allclose(probabilities, stored.probabilities[i], atol=2e-3)


def test_given_post_probabilities_are_reused_not_recomputed(model: BrandSentiment) -> None:
    given = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]], dtype=np.float32)
    found = model.predict_many([("Zelia, top", TERMS), ("Passé de Norvo à Zelia", TERMS)], post_probabilities=given)
    assert found[0]["Zelia"][0] == "positive" and np.array_equal(found[0]["Zelia"][1], given[0])
    assert found[1]["Zelia"][0] == "positive" and found[1]["Norvo"][0] == "negative"  # a switch: the post's lean
    assert found[1]["Kapto"][0] == "negative"  # not named: the post's own sentiment
    with pytest.raises(ValueError, match="2 posts but 1"):
        model.predict_many([("a", TERMS), ("b", TERMS)], post_probabilities=given[:1])
    with pytest.raises(TypeError):
        model.predict_many(("Zelia", TERMS))  # type: ignore[arg-type]


# -- the bench ---------------------------------------------------------------------------
def test_score_counts_direction_only_on_opposite_pairs() -> None:
    posts = [
        LabelledPost("a", "en", "switch", "test", {"A": "negative", "B": "positive"}),
        LabelledPost("b", "en", "question", "test", {"A": "neutral", "B": "neutral"}),
    ]
    right = score(posts, [{"A": "negative", "B": "positive"}, {"A": "neutral", "B": "neutral"}])
    assert right["accuracy"] == right["macro_f1"] == right["direction_accuracy"] == 100.0
    half = score(posts, [{"A": "positive", "B": "positive"}, {"A": "neutral", "B": "neutral"}])
    assert half["opposite_pairs"] == 1 and half["direction_accuracy"] == 0.0 and half["accuracy"] == 75.0


def test_the_bench_runs_on_a_small_csv(tmp_path: Path, enricher: Enricher, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        ("Passé de Norvo à Zelia, tellement mieux", "fr", "Norvo", "negative"),
        ("Passé de Norvo à Zelia, tellement mieux", "fr", "Zelia", "positive"),
        ("Zelia is way better than Norvo", "en", "Zelia", "positive"),
        ("Zelia is way better than Norvo", "en", "Norvo", "negative"),
        ("Kapto ou Zelia pour voyager ?", "fr", "Kapto", "neutral"),
        ("Kapto ou Zelia pour voyager ?", "fr", "Zelia", "neutral"),
        ("Norvo and Kapto both down again, useless", "en", "Norvo", "negative"),
        ("Norvo and Kapto both down again, useless", "en", "Kapto", "negative"),
        ("Left Kapto for Zelia, never looking back", "en", "Kapto", "negative"),
        ("Left Kapto for Zelia, never looking back", "en", "Zelia", "positive"),
    ]
    data = tmp_path / "pairs.csv"
    with data.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "language", "brand", "sentiment", "pattern"])
        writer.writerows([(*row, "comparison") for row in rows])
    assert main(["--data", str(data), "--json"], sentiment=enricher.sentiment) == 0
    result = json.loads(capsys.readouterr().out)
    before, built = result["methods"].values()
    assert built["all"]["pairs"] == 10 and built["all"]["posts"] == 5
    assert set(built["languages"]) == {"fr", "en"}
    assert built["all"]["opposite_pairs"] == 3
    assert before["all"]["direction_accuracy"] == 0.0  # one label per post can never split a pair
    assert built["all"]["direction_accuracy"] == 100.0
    assert built["texts_per_second"] > 0
    assert main(["--data", str(data)], sentiment=enricher.sentiment) == 0
    printed = capsys.readouterr().out
    assert "post-level (before)" in printed and "clauses + cues (built)" in printed and "direction" in printed


def test_the_bench_says_how_to_use_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert "Example: python -m ecoute.bench.brand_sentiment" in capsys.readouterr().out
