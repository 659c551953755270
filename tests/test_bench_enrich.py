"""The enrichment speed bench: its result, and that the fast path gives the slow path's answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecoute.bench.enrich import concat, enrich_batched, enrich_naive, enrich_naive_workers, run_bench, table
from ecoute.models.enrich import Enricher

TEXTS = [
    "Zelia a encore bloqué ma carte, trois jours sans pouvoir payer. Inadmissible.",
    "Just opened a Norvo account, the app is really smooth 👌",
    "ok",
    "",
    "Quel est le taux du livret chez Norvo en ce moment ?",
    "Just opened a Norvo account, the app is really smooth 👌",  # a copy: enriched once
    "Customer support never answered my ticket. " * 80,  # ~700 tokens: two encoder windows
    "RT @someone: Zelia app down again?? #fail",
    "Service client au top, merci Zelia 💚",
]


def test_tiny_run_reports_speeds_and_per_batch_costs(enricher: Enricher, tmp_path: Path) -> None:
    """A run on 40 texts gives positive speeds for both paths and a per-batch time per warehouse size."""
    result = run_bench(
        40,
        batch_size=16,
        naive_n=8,
        warehouse_sizes=(100, 300),
        batches=1,
        topics=False,
        enricher=enricher,
        work_dir=tmp_path,
    )
    assert result["batched"]["mentions"] == 40 and result["naive"]["mentions"] == 8
    assert all(result[path]["mentions_per_s"] > 0 for path in ("batched", "naive", "naive_workers"))
    fastest_naive = max(result["naive"]["mentions_per_s"], result["naive_workers"]["mentions_per_s"])
    # the speed-up is printed to two decimals, so compare to within that rounding
    assert result["speedup"] == pytest.approx(result["batched"]["mentions_per_s"] / fastest_naive, abs=0.0051)
    for key in ("per_batch_seconds", "warehouse_seconds_per_batch"):
        assert set(result[key]) == {"100", "300"} and all(s > 0 for s in result[key].values())
    assert "topics_seconds_per_batch" not in result
    assert set(result["models"]) == {"encoder", "language_model", "sentiment_model", "intent_model"}
    assert {"machine", "load_average"} <= set(result)
    assert "speed-up" in table(result)


def test_batched_enrichment_equals_one_text_at_a_time(enricher: Enricher) -> None:
    """Batching (and enriching a repeated text once) changes no label, probability or embedding."""
    batched = concat(enrich_batched(enricher, TEXTS, batch_size=4))
    for naive in (concat(enrich_naive(enricher, TEXTS)), concat(enrich_naive_workers(enricher, TEXTS))):
        assert batched.languages == naive.languages
        assert batched.sentiments == naive.sentiments
        assert batched.intents == naive.intents
        np.testing.assert_allclose(batched.language_confidences, naive.language_confidences, rtol=1e-6)
        # in bfloat16 another batch shape sums in another order: equal to the third decimal
        np.testing.assert_allclose(batched.probabilities, naive.probabilities, atol=5e-3)
        np.testing.assert_allclose(batched.embeddings, naive.embeddings, atol=5e-3)
    assert batched.embeddings.shape == (len(TEXTS), enricher.encoder.dim)
    assert batched.sentiments[1] == batched.sentiments[5] == "positive"


def test_one_call_for_a_whole_batch_equals_small_calls(enricher: Enricher) -> None:
    """The encoder batch size is a speed setting only: one call or many, the same embeddings."""
    whole = enricher.enrich(TEXTS)
    pieces = enricher.enrich(TEXTS, batch_size=2)
    assert whole.sentiments == pieces.sentiments
    np.testing.assert_allclose(whole.embeddings, pieces.embeddings, atol=5e-3)
