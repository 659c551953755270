"""The trend bench: its scoring against truth, and detection on a corpus where nothing happens."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ecoute.bench.trends import CorpusSpec, run_bench, score, table
from ecoute.core.records import Finding
from ecoute.demo.corpus import generate

TRUTH: dict[str, Any] = {
    "days": 60,
    "brands": {"A": "Zelia", "B": "Norvo"},
    "events": [
        {"kind": "complaint_spike", "brand": "Zelia", "start": "2026-10-13", "end": "2026-10-16"},
        {
            "kind": "new_theme",
            "brand": "Norvo",
            "start": "2026-10-19",
            "end": "2026-11-01",
            "keywords_fr": ["Norvo Metal", "carte métal", "métal"],
            "keywords_en": ["Norvo Metal", "metal card", "metal"],
        },
        {"kind": "sentiment_decline", "brand": "Norvo", "start": "2026-09-07", "end": "2026-11-01"},
        {
            "kind": "share_of_voice_shift",
            "brand": "Norvo",
            "start": "2026-10-05",
            "end": "2026-11-01",
            "share_start": 0.4,
            "share_end": 0.55,
        },
    ],
}


def finding(kind: str, brand: str, start: str, end: str, magnitude: float = 5.0, **evidence: Any) -> Finding:
    return Finding(
        kind=kind,
        brand=brand,
        scope="brand",
        period_start=date.fromisoformat(start),
        period_end=date.fromisoformat(end),
        observed=1.0,
        baseline=1.0,
        magnitude=magnitude,
        confidence=0.9,
        headline=f"{kind} {brand} {start}",
        evidence=evidence,
    )


@pytest.fixture(scope="module")
def enricher() -> Any:
    from ecoute.models.enrich import Enricher

    return Enricher.load()


def test_findings_that_match_events_count_as_found_and_the_rest_as_false_alarms() -> None:
    """Each event is found by a matching finding; everything unmatched is a false alarm."""
    findings = [
        finding("negative_surge", "Zelia", "2026-10-13", "2026-10-14"),
        finding("emerging_topic", "Norvo", "2026-10-26", "2026-11-01", keywords=["Métal", "abonnement"], label="x"),
        finding("share_of_voice_shift", "Zelia", "2026-09-07", "2026-11-01", magnitude=-20),
        finding("volume_spike", "Zelia", "2026-09-20", "2026-09-20"),  # before the outage
        finding("volume_spike", "Norvo", "2026-10-14", "2026-10-14"),  # the wrong brand
        finding("emerging_topic", "Norvo", "2026-10-26", "2026-11-01", keywords=["card", "fees"], label="card"),
        finding("sentiment_shift", "Norvo", "2026-09-07", "2026-11-01", magnitude=-12),  # the wrong direction
    ]
    result = score(findings, TRUTH)

    assert {kind: len(hits) for kind, hits in result.found.items()} == {
        "complaint_spike": 1,
        "new_theme": 1,
        "sentiment_decline": 0,
        "share_of_voice_shift": 1,
    }
    assert result.recall == 0.75
    assert result.false_alarms == [f.headline for f in findings[3:]]
    assert result.false_alarms_per_brand_month == pytest.approx(4 / (2 * 60 / 30))


def test_a_share_of_voice_shift_is_found_from_either_brand_in_its_direction() -> None:
    """Norvo rising and Zelia falling both report Norvo's gain; Norvo falling does not."""
    rising = finding("share_of_voice_shift", "Norvo", "2026-09-07", "2026-11-01", magnitude=15)
    falling = finding("share_of_voice_shift", "Norvo", "2026-09-07", "2026-11-01", magnitude=-15)

    assert score([rising], TRUTH).found["share_of_voice_shift"] == [rising.headline]
    assert score([falling], TRUTH).false_alarms == [falling.headline]


def test_no_events_means_no_recall_to_score() -> None:
    """On a corpus with nothing planted, recall is undefined and any finding is a false alarm."""
    result = score([finding("volume_spike", "Zelia", "2026-10-01", "2026-10-01")], {**TRUTH, "events": []})

    assert result.recall is None
    assert len(result.false_alarms) == 1


def test_the_generator_can_plant_no_event(tmp_path: Path) -> None:
    """`events=()` writes a corpus whose truth and labels hold no planted event."""
    corpus = generate(tmp_path, seed=5, scale=0.1, events=())
    truth = json.loads(corpus.truth_path.read_text(encoding="utf-8"))

    assert truth["events"] == []
    assert {label["event"] for label in truth["labels"].values()} == {None}


def test_a_flat_corpus_raises_no_finding(tmp_path: Path, enricher: Any) -> None:
    """End to end on a small corpus where nothing happens: no finding, so no false alarm."""
    result = run_bench([CorpusSpec("flat", seed=5, events=())], tmp_path, scale=0.12, enricher=enricher)

    assert result["corpora"]["flat"]["findings"] == 0, result["corpora"]["flat"]["false_alarms"]
    assert result["recall"] == {"overall": None, "flat": None}
    assert result["false_alarms_per_brand_month"] == {"overall": 0.0, "flat": 0.0}
    assert "flat" in table(result)
