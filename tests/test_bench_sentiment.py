"""`ecoute bench sentiment` on a user's own text,label CSV, beside or instead of the public sets."""

from __future__ import annotations

import pytest

from ecoute.models.bench_sentiment import format_table, run_benchmark
from ecoute.models.errors import ModelError
from ecoute.models.sentiment import load_sentiment

ROWS = [
    ("I love this app, best bank ever", "positive"),
    ("Worst customer service, still no refund", "negative"),
    ("Ma carte est arrivée aujourd'hui", "neutral"),
    ("Génial, le virement est instantané !", "positive"),
    ("Encore une panne, c'est inadmissible", "negative"),
    ("What time does the branch open?", "neutral"),
]


def test_a_text_label_csv_is_a_set(tmp_path, e5_encoder):
    path = tmp_path / "my_labels.csv"
    path.write_text("text,label\n" + "".join(f'"{t}",{label}\n' for t, label in ROWS), encoding="utf-8")
    results = run_benchmark(tmp_path, e5_encoder, load_sentiment("packaged", e5_encoder), sets=[str(path)])
    figures = results["sets"]["my_labels"]
    assert figures["n"] == len(ROWS) and figures["accuracy"] >= 50, figures
    assert "my_labels" in format_table(results)


def test_a_csv_without_labels_is_refused(tmp_path, e5_encoder):
    path = tmp_path / "unlabelled.csv"
    path.write_text("text\nhello\n", encoding="utf-8")
    with pytest.raises(ModelError, match="lacks column"):
        run_benchmark(tmp_path, e5_encoder, load_sentiment("packaged", e5_encoder), sets=[str(path)])
