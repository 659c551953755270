"""Benchmark a sentiment model on public, human-labelled tweets.

Example::

    python -m ecoute.models.bench_sentiment --data /work/shared/benchmarks/sentiment --json

Sets: XLM-T French test, XLM-T English test (macro-F1 is their metric) and TweetEval test
(macro-recall is its official metric); and any ``text,label`` CSV (a user's own labels,
negative/neutral/positive or 0/1/2), given as ``--data file.csv`` or added with ``--csv``.
Speed counts encoding + the sentiment model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.contracts import SentimentModel, SharedPassSentiment
from ecoute.models.data import LABELS, read_labelled_csv, read_split
from ecoute.models.encoder import DEFAULT_ENCODER, Encoder, load_encoder
from ecoute.models.sentiment import load_sentiment

SETS = {
    "xlmt-french-test": ("xlmt/french", "test"),
    "xlmt-english-test": ("xlmt/english", "test"),
    "tweeteval-test": ("tweeteval", "test"),
}


def score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    # heavy: scikit-learn loads only when a benchmark is scored
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    labels = list(range(len(LABELS)))
    return {
        "macro_f1": round(100 * float(f1_score(y_true, y_pred, average="macro", labels=labels)), 2),
        "accuracy": round(100 * float(accuracy_score(y_true, y_pred)), 2),
        "macro_recall": round(100 * float(recall_score(y_true, y_pred, average="macro", labels=labels)), 2),
    }


def load_set(data_dir: str | Path, name: str) -> tuple[list[str], np.ndarray]:
    """A benchmark set by its name in ``SETS``, or a ``text,label`` CSV by its path."""
    if name in SETS:
        directory, split = SETS[name]
        return read_split(Path(data_dir) / directory, split)
    return read_labelled_csv(name)


def run_benchmark(
    data_dir: str | Path,
    encoder: Encoder,
    sentiment: SentimentModel,
    *,
    sets: Sequence[str] = tuple(SETS),
    limit: int | None = None,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Score ``sentiment`` on each set (a ``SETS`` name or a CSV path); returns scores (in %) and texts/second.

    ``embed`` replaces ``encoder.encode`` (e.g. a cache); the speed then no longer
    measures encoding. ``limit`` keeps the first N texts of each set (quick checks).
    """
    embed = embed or encoder.encode
    results: dict[str, Any] = {
        "sentiment": sentiment.identity,
        # a head reads the encoder's embeddings, a branch its hidden states: either way it is part of the model
        "encoder": encoder.identity
        if sentiment.needs_embeddings or isinstance(sentiment, SharedPassSentiment)
        else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "sets": {},
    }
    for name in sets:
        texts, y = load_set(data_dir, name)
        texts, y = texts[:limit], y[:limit]
        started = time.perf_counter()
        embeddings = embed(texts) if sentiment.needs_embeddings else None
        prediction = sentiment.predict(texts, embeddings)
        seconds = time.perf_counter() - started
        y_pred = np.array([LABELS.index(label) for label in prediction.labels])
        results["sets"][name if name in SETS else Path(name).stem] = {
            "n": len(y),
            **score(y, y_pred),
            "seconds": round(seconds, 1),
            "texts_per_s": round(len(y) / seconds, 1),
        }
    return results


def as_flat_json(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One object keyed by set name, then metric -> value (what scripts and CI read);
    each set also names the model and machine that produced its figures."""
    model = results["sentiment"] + (f" on {results['encoder']}" if results["encoder"] else "")
    return {
        name: {**figures, "model": model, "machine": results["machine"]} for name, figures in results["sets"].items()
    }


def format_table(results: dict[str, Any]) -> str:
    lines = [
        f"sentiment: {results['sentiment']}",
        f"encoder:   {results['encoder']}",
        f"machine:   {results['machine']}",
        f"{'set':<20}{'n':>7}{'macro-F1':>10}{'accuracy':>10}{'macro-rec':>11}{'texts/s':>9}",
    ]
    for name, r in results["sets"].items():
        lines.append(
            f"{name:<20}{r['n']:>7}{r['macro_f1']:>10.2f}{r['accuracy']:>10.2f}"
            f"{r['macro_recall']:>11.2f}{r['texts_per_s']:>9.1f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.models.bench_sentiment",
        description="Score a sentiment model on XLM-T French/English test and TweetEval test.",
        epilog="example: python -m ecoute.models.bench_sentiment --data ../shared/benchmarks/sentiment --json",
    )
    parser.add_argument(
        "--data", required=True, type=Path, help="directory holding xlmt/ and tweeteval/, or a text,label CSV"
    )
    parser.add_argument("--csv", action="append", default=[], type=Path, help="a text,label CSV to add; repeatable")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (default: %(default)s)")
    parser.add_argument("--sentiment", default="packaged", help="'packaged', a head dir, or hf:<model>")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS), help="which sets to run")
    parser.add_argument("--limit", type=int, help="only the first N texts of each set")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    encoder = load_encoder(args.encoder)
    sentiment = load_sentiment(args.sentiment, encoder)
    sets = [str(args.data)] if args.data.is_file() else list(args.sets)
    sets += [str(path) for path in args.csv]
    results = run_benchmark(args.data, encoder, sentiment, sets=sets, limit=args.limit)
    print(json.dumps(as_flat_json(results), indent=2) if args.json else format_table(results), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
