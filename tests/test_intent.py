"""Intent head: the packaged head on obvious posts, persistence, cues, and the labelled set."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ecoute.models import ModelError, ModelMismatch, ModelNotFound
from ecoute.models.data import sha256_file
from ecoute.models.intent import (
    CUES,
    INTENT_DATA,
    INTENTS,
    IntentModel,
    cue_features,
    load_intent,
    read_intent_csv,
    split_intent,
)


class FakeEncoder:
    """A deterministic stand-in: one direction per intent keyword, plus noise."""

    dim = 8
    words = ("broken", "how", "love", "buy", "code", "news")

    def __init__(self, identity: str = "fake-encoder/1") -> None:
        self.identity = identity

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = np.random.default_rng(sum(map(ord, text))).normal(scale=0.2, size=self.dim)
            for j, word in enumerate(self.words):
                out[i, j] += text.count(word)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _toy_set() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for word, intent in zip(FakeEncoder.words, INTENTS, strict=True):
        for k in range(6):
            texts.append(f"{word} {k} " + "x" * k)
            labels.append(intent)
    return texts, labels


@pytest.fixture(scope="session")
def packaged(e5_encoder):
    return load_intent("packaged", e5_encoder)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My Vodafone bill doubled this month and nobody can explain why. Furious.", "complaint"),
        ("Ça fait une semaine que ma box SFR ne marche plus, service client injoignable, j'en ai marre", "complaint"),
        ("Does Monzo charge fees for withdrawing cash abroad?", "question"),
        ("Est-ce que quelqu'un sait comment changer son code PIN chez LCL ?", "question"),
        ("Huge thanks to the Tesco staff who helped me find my lost keys, you're stars", "praise"),
        ("Super accueil à la Fnac de Bordeaux, vendeur très pro, merci !", "praise"),
        ("I'm going to buy the new MacBook from John Lewis this weekend", "purchase_intent"),
        ("Je compte m'abonner à Netflix le mois prochain pour regarder la nouvelle saison", "purchase_intent"),
        ("Get 30% off your first order with code WELCOME30! Shop now at example.com", "promotion"),
        ("-40% sur tout le site ce week-end avec le code PROMO40, foncez !", "promotion"),
        ("Barclays will announce its annual results on Thursday.", "other"),
        ("Orange va ouvrir un nouveau centre de données près de Lyon en 2027", "other"),
    ],
)
def test_packaged_head_gets_obvious_intents(packaged, e5_encoder, text, expected):
    """Each intent, in English and French, on a post that is not in the labelled set."""
    assert packaged.predict([text], e5_encoder.encode([text])) == [expected]


def test_packaged_head_matches_the_labelled_set(packaged, e5_encoder):
    """The packaged head was trained on today's posts.csv with the pipeline's encoder; retrain if the data change."""
    assert packaged.encoder_identity == e5_encoder.identity
    assert packaged.metadata["data"]["sha256"] == sha256_file(INTENT_DATA), (
        "models/data/intent/posts.csv changed: run python -m ecoute.models.bench_intent --train "
        "--save models/artifacts/intent-head"
    )
    assert packaged.metadata["test"]["n"] == len(split_intent(read_intent_csv())[1])


def test_probabilities_are_one_column_per_intent(packaged, e5_encoder):
    """predict_proba gives rows that sum to 1, and predict is their argmax."""
    texts = ["Where is my parcel, Amazon?", "Merci Free !"]
    embeddings = e5_encoder.encode(texts)
    probabilities = packaged.predict_proba(texts, embeddings)
    assert probabilities.shape == (2, len(INTENTS))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert packaged.predict(texts, embeddings) == [INTENTS[i] for i in probabilities.argmax(axis=1)]


def test_save_load_roundtrip(tmp_path: Path):
    """A saved head loads with the same identity and the same probabilities."""
    encoder = FakeEncoder()
    texts, labels = _toy_set()
    head = IntentModel(encoder, C=10.0, cue_scale=0.5).fit(texts, encoder.encode(texts), labels)
    head.save(tmp_path / "head", {"note": "toy"})
    loaded = load_intent(str(tmp_path / "head"), encoder)
    assert loaded.identity == head.identity
    assert loaded.metadata["note"] == "toy"
    queries = ["broken again", "how do I", "buy it", "news today"]
    np.testing.assert_allclose(loaded.predict_proba(queries), head.predict_proba(queries), rtol=1e-6)
    assert loaded.predict(queries) == ["complaint", "question", "purchase_intent", "other"]


def test_head_refuses_a_different_encoder(tmp_path: Path):
    """A head trained on one encoder's embeddings will not load on another's."""
    encoder = FakeEncoder()
    texts, labels = _toy_set()
    IntentModel(encoder).fit(texts, encoder.encode(texts), labels).save(tmp_path)
    with pytest.raises(ModelMismatch, match="fake-encoder/1"):
        IntentModel.load(tmp_path, FakeEncoder("fake-encoder/2"))


def test_head_refuses_other_cues(tmp_path: Path):
    """A head saved with another version of the cues is refused, not silently misread."""
    encoder = FakeEncoder()
    texts, labels = _toy_set()
    IntentModel(encoder).fit(texts, encoder.encode(texts), labels).save(tmp_path)
    metadata = json.loads((tmp_path / "head.json").read_text())
    (tmp_path / "head.json").write_text(json.dumps({**metadata, "cues_version": "cues-v0"}))
    with pytest.raises(ModelError, match="retrain"):
        IntentModel.load(tmp_path, encoder)


def test_fit_needs_every_intent():
    """Training data lacking an intent is refused with the missing names."""
    encoder = FakeEncoder()
    texts, labels = _toy_set()
    keep = [i for i, label in enumerate(labels) if label != "promotion"]
    with pytest.raises(ModelError, match="promotion"):
        IntentModel().fit([texts[i] for i in keep], encoder.encode(texts)[keep], [labels[i] for i in keep])


def test_predict_without_embeddings_or_encoder_is_an_error():
    """With no embeddings and no encoder there is nothing to predict from."""
    encoder = FakeEncoder()
    texts, labels = _toy_set()
    head = IntentModel().fit(texts, encoder.encode(texts), labels)
    assert head.predict([], np.zeros((0, encoder.dim))) == []
    with pytest.raises(ModelError, match="pass embeddings"):
        head.predict(["how?"])


def test_unknown_spec_is_not_found():
    """A spec that is neither 'packaged' nor a directory names nothing."""
    with pytest.raises(ModelNotFound):
        load_intent("no-such-head")


@pytest.mark.parametrize(
    ("text", "fired"),
    [
        ("@Monzo how do I close my account", {"interrogative_start"}),  # leading @handle skipped
        ("Quelqu'un sait si Free marche ?", {"question_mark", "interrogative_start"}),
        ("Claim it here bit.ly/abc", {"url"}),
        ("Booking.com's app crashed", set()),  # a brand name is not a link
        ("-20% avec le code NOEL20", {"promo_words", "discount"}),
        ("5 minutes pour afficher mon solde", set()),  # a bank balance is not a sale
    ],
)
def test_cues(text, fired):
    """Each cue fires on what it names and not on look-alikes."""
    row = cue_features([text])[0]
    assert {name for name, value in zip(CUES, row, strict=True) if value} == fired


def test_labelled_set_is_well_formed():
    """Valid labels, both languages, no duplicates, and every (label, language) cell within 20% of the mean."""
    data = read_intent_csv()
    assert set(data.labels) == set(INTENTS)
    assert set(data.languages) == {"en", "fr"}
    lowered = [t.strip().lower() for t in data.texts]
    assert len(set(lowered)) == len(lowered), "duplicate posts"
    cells = Counter(zip(data.labels, data.languages, strict=True))
    assert len(cells) == len(INTENTS) * 2
    mean = len(data.texts) / len(cells)
    assert all(abs(n - mean) <= 0.2 * mean for n in cells.values()), cells


def test_split_is_deterministic_disjoint_and_stratified():
    """Train and test partition the set, the same way every time, ~30% of every cell in test."""
    data = read_intent_csv()
    train, test = split_intent(data)
    assert (train, test) == split_intent(data)
    assert sorted(train + test) == list(range(len(data.texts)))
    in_test = Counter((data.labels[i], data.languages[i]) for i in test)
    total = Counter(zip(data.labels, data.languages, strict=True))
    assert all(abs(in_test[cell] / n - 0.3) < 0.05 for cell, n in total.items())


def test_reading_a_csv_with_an_unknown_label_fails(tmp_path: Path):
    """A typo in a label is reported with its line, not trained on."""
    path = tmp_path / "bad.csv"
    path.write_text("text,label,language\nhello,greeting,en\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"bad.csv:2: label 'greeting'"):
        read_intent_csv(path)
