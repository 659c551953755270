"""Relevance: a keyword match about the brand scores high, one about a niece named Zelia low."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ecoute.bench import relevance as bench
from ecoute.models import Encoder
from ecoute.models.errors import ModelError
from ecoute.models.relevance import (
    DEFAULT_THRESHOLD,
    PACKAGED_WEIGHTS,
    RELEVANCE_DATA,
    BrandProfile,
    RelevanceScorer,
    cue_features,
    read_relevance_csv,
)

ZELIA = "neobank: mobile banking app, payment card, savings"
AMERICAN = "US airline: flights, bookings, checked bags, delays, AAdvantage miles"


class CountingEncoder:
    """A stand-in encoder: a fixed vector per text, and a record of every text it was asked for."""

    dim = 8
    identity = "counting-encoder"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.random.default_rng(sum(map(ord, t))).normal(size=self.dim) for t in texts]
        out = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def scorer(e5_encoder: Encoder) -> RelevanceScorer:
    return RelevanceScorer(e5_encoder)


# -- the labelled set -------------------------------------------------------------------------
def test_the_labelled_set_has_the_promised_shape() -> None:
    """>= 300 posts, FR and EN halves, >= 8 brands, ~40 % off-topic, dev/test halves by brand."""
    with RELEVANCE_DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["text", "language", "brand", "about", "relevant", "split"]
    assert len(rows) >= 300 and len({r["text"] for r in rows}) == len(rows)
    languages = Counter(r["language"] for r in rows)
    assert set(languages) == {"en", "fr"} and abs(languages["en"] - languages["fr"]) <= 0.05 * len(rows)
    assert 0.3 <= Counter(r["relevant"] for r in rows)["0"] / len(rows) <= 0.5
    brands = Counter(r["brand"] for r in rows)
    assert len(brands) >= 8
    for brand, n in brands.items():
        mine = [r for r in rows if r["brand"] == brand]
        assert len({r["about"] for r in mine}) == 1, f"{brand}: one description"
        assert {(r["split"], r["relevant"]) for r in mine} == {(s, v) for s in ("dev", "test") for v in "01"}
        assert abs(sum(r["split"] == "dev" for r in mine) - n / 2) <= 1, f"{brand}: dev and test halves"


def test_every_post_names_its_brand() -> None:
    """Each row is a keyword match: the name as a word, or at the start of an @handle or #tag."""
    data = read_relevance_csv()
    for text, brand in zip(data.texts, data.brands, strict=True):
        name = re.escape(brand.name)
        assert re.search(rf"[@#]{name}\w*|(?<!\w){name}(?!\w)", text, re.IGNORECASE), (brand.name, text)


def test_a_broken_label_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,brand,relevant\nOrange juice,Orange,maybe\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"bad.csv:2: relevant is 'maybe'"):
        read_relevance_csv(path)


# -- cheap signals ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "brand", "expected"),
    [
        ("@zelia_help my card was declined", BrandProfile("Zelia", ZELIA, ("zelia",)), [1, 0, 1]),  # handle, "card"
        ("Happy birthday to my little Zelia", BrandProfile("Zelia", ZELIA, ("zelia",)), [0, 0, 0]),  # nothing
        ("#AmericanAirlines lost my bags", BrandProfile("American", AMERICAN), [0, 1, 1]),  # hashtag, "bags"/"bag"
        ("#AfricanAmerican history month", BrandProfile("American", AMERICAN), [0, 0, 0]),  # tag not starting so
        ("thanks @AAirCare, rebooked", BrandProfile("American", None, (), ("@AAirCare",)), [1, 0, 0]),  # configured
        ("write to support@zelia.com", BrandProfile("Zelia", ZELIA), [0, 0, 0]),  # an e-mail is not a handle
    ],
)
def test_cues_read_handles_hashtags_and_product_words(text: str, brand: BrandProfile, expected: list[int]) -> None:
    assert cue_features([text], [brand])[0].tolist() == expected


def test_each_distinct_text_and_description_is_embedded_once() -> None:
    """Many pairs share posts and brands: the encoder sees each text once (prototypes once a scorer)."""
    encoder = CountingEncoder()
    scorer = RelevanceScorer(encoder)
    zelia, norvo = BrandProfile("Zelia", ZELIA), BrandProfile("Norvo", "Norvo bank: accounts, cards")
    texts = ["Zelia app down", "Zelia app down", "Norvo card lost", "Zelia app down"]
    scores = scorer.score_pairs(texts, [zelia, zelia, norvo, norvo])
    assert scores.shape == (4,) and ((scores > 0) & (scores < 1)).all()
    scorer.score_pairs(texts[:1], [zelia])
    prototypes = len(scorer.on_topic) + len(scorer.off_topic)
    assert len(encoder.seen) == prototypes + 2 + 2 + 1  # 2 posts, 2 descriptions, the repeated post again
    assert "@user bank: accounts, cards" in encoder.seen  # the name in a description is masked


def test_pairs_must_line_up() -> None:
    scorer = RelevanceScorer(CountingEncoder())
    with pytest.raises(ModelError, match="2 texts but 1 brands"):
        scorer.score_pairs(["a", "b"], [BrandProfile("A")])
    with pytest.raises(ModelError, match="embeddings of shape"):
        scorer.score(["a", "b"], "A", embeddings=np.zeros((3, 8), dtype=np.float32))
    with pytest.raises(TypeError, match="not a single string"):
        scorer.score("Zelia", "Zelia")
    assert scorer.score([], "Zelia").shape == (0,)


# -- the packaged scorer ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("off_topic", "about_the_brand", "brand", "about"),
    [
        # the demo report counted this one
        ("zelia is also my niece's name", "@zelia_help my card was declined", "Zelia", ZELIA),
        ("Ma nièce s'appelle Zelia, elle a eu 4 ans hier 🎂",
         "Zelia a encore bloqué ma carte bancaire, 3e fois ce mois-ci", "Zelia", ZELIA),
        # the airline matched a newspaper and a festival
        ("Waterbury Republican American: school board meeting moved to Thursday",
         "American lost my bag in Dallas, 2 days no news", "American", AMERICAN),
        ("African American Film Festival opens Friday with three premieres",
         "@AmericanAir my flight to Miami is delayed again", "American", AMERICAN),
        ("Jus d'orange pressé au petit déj 🍊", "Ma Livebox Orange plante encore, fibre coupée",
         "Orange", "opérateur télécom : fibre, box internet, forfaits mobiles"),
    ],
)  # fmt: skip
def test_clear_cases_fall_either_side_of_the_threshold(
    scorer: RelevanceScorer, off_topic: str, about_the_brand: str, brand: str, about: str
) -> None:
    low, high = scorer.score([off_topic, about_the_brand], brand, about, [brand])
    assert low < DEFAULT_THRESHOLD <= high, (low, high)
    assert scorer.predict([off_topic, about_the_brand], [BrandProfile(brand, about, (brand,))] * 2).tolist() == [
        False,
        True,
    ]


def test_without_a_description_the_niece_still_scores_lower(scorer: RelevanceScorer) -> None:
    low, high = scorer.score(["zelia is also my niece's name", "@zelia_help my card was declined"], "Zelia", None)
    assert low < high


def test_the_packaged_weights_are_what_fitting_on_dev_gives(scorer: RelevanceScorer) -> None:
    """Whoever changes a feature or a prototype refits (`python -m ecoute.bench.relevance --fit`)."""
    fitted = bench.fit(RELEVANCE_DATA, scorer.encoder)
    # tolerances: the encoder runs bfloat16 or float32 depending on the CPU
    assert abs(fitted["threshold"] - DEFAULT_THRESHOLD) <= 0.1
    assert np.allclose(fitted["weights"]["mean"], PACKAGED_WEIGHTS.mean, atol=0.01)
    assert np.allclose(fitted["weights"]["coef"], PACKAGED_WEIGHTS.coef, atol=0.25)
    assert fitted["leave_one_brand_out"]["f1"] >= 0.85


def test_on_the_test_split_it_beats_counting_every_match(scorer: RelevanceScorer) -> None:
    result = bench.run(RELEVANCE_DATA, "test", scorer.encoder)
    overall = result["groups"]["all"]
    assert overall["scorer"]["f1"] >= overall["baseline"]["f1"] + 0.1
    assert overall["scorer"]["precision"] >= 0.8 and overall["scorer"]["recall"] >= 0.8
    assert overall["scorer"]["auc"] >= 0.9 and overall["baseline"]["auc"] == 0.5


# -- the bench --------------------------------------------------------------------------------
def test_the_bench_runs_on_a_small_csv(
    tmp_path: Path, e5_encoder: Encoder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--data` a 10-row CSV: per brand and overall figures, baseline precision = share relevant."""
    path = tmp_path / "ten.csv"
    with RELEVANCE_DATA.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["brand"] in ("Zelia", "Orange")]
    picked = [
        row
        for brand in ("Zelia", "Orange")
        for label, count in (("1", 3), ("0", 2))
        for row in [r for r in rows if (r["brand"], r["relevant"]) == (brand, label)][:count]
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(picked[0]))
        writer.writeheader()
        writer.writerows(picked)
    monkeypatch.setattr(bench, "_default_encoder", lambda: e5_encoder)
    assert bench.main(["--data", str(path), "--split", "all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    groups = result["groups"]
    assert groups["all"]["scorer"]["n"] == 10 and groups["all"]["baseline"]["precision"] == 0.6
    assert sum(groups[b]["scorer"]["n"] for b in ("Zelia", "Orange")) == 10
    assert result["texts_per_second"] > 0 and "no about" in groups["all"]
    assert bench.main(["--data", str(path), "--split", "all"]) == 0
    assert "baseline P/F1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("labels", "scores", "auc"),
    [
        ([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1], 1.0),  # perfect order
        ([1, 0], [0.5, 0.5], 0.5),  # a tie counts half: the every-match baseline
        ([1, 0, 1, 0], [0.1, 0.9, 0.6, 0.4], 0.25),  # one (relevant, off-topic) pair of four in order
        ([1, 1], [0.2, 0.3], None),  # one class: undefined
    ],
)
def test_roc_auc(labels: list[int], scores: list[float], auc: float | None) -> None:
    assert bench.roc_auc(labels, scores) == auc
