"""Train the sentiment head on frozen encoder embeddings.

Example (the packaged head was built with exactly this)::

    python -m ecoute.models.train_sentiment --data /work/shared/benchmarks/sentiment/xlmt/all \\
        --out models/artifacts/sentiment-head --bench /work/shared/benchmarks/sentiment

C is chosen on the ``val`` split by macro-F1, then the final head is fitted on train + val.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.bench_sentiment import run_benchmark
from ecoute.models.data import (
    LABELS,
    embed_cached,
    parse_labels,
    read_labelled_csv,
    read_split,
    sha256_file,
    split_files,
)
from ecoute.models.encoder import DEFAULT_ENCODER, Encoder, load_encoder
from ecoute.models.errors import ModelError
from ecoute.models.sentiment import EmbeddingHead

C_GRID = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
CV_FOLDS = 5


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score  # heavy: scikit-learn loads only when a head is trained

    return float(f1_score(y_true, y_pred, average="macro", labels=list(range(len(LABELS)))))


def _score(C: float, class_weight: str | None, X: np.ndarray, y: np.ndarray, Xv: np.ndarray, yv: np.ndarray) -> float:
    head = EmbeddingHead(C=C, class_weight=class_weight).fit(X, y)
    return _macro_f1(yv, head.predict_proba(Xv).argmax(axis=1))


def _cv_score(C: float, class_weight: str | None, X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.model_selection import StratifiedKFold  # heavy: scikit-learn loads only when a head is trained

    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=0).split(X, y)
    return float(np.mean([_score(C, class_weight, X[a], y[a], X[b], y[b]) for a, b in folds]))


def train_head(
    encoder: Encoder,
    texts: Sequence[str],
    labels: Sequence[str | int] | np.ndarray,
    val_texts: Sequence[str] | None = None,
    val_labels: Sequence[str | int] | np.ndarray | None = None,
    *,
    grid: Sequence[float] = C_GRID,
    class_weight: str | None = None,
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> tuple[EmbeddingHead, dict[str, Any]]:
    """Fit a head on ``encoder`` embeddings, choosing C by macro-F1.

    With a validation set, C is chosen on it and the final head is fitted on train + val;
    without one, C is chosen by stratified 5-fold cross-validation on the training set
    (or left at 1.0 when a class has fewer than 5 examples). Labels are 0/1/2 or
    negative/neutral/positive. ``embed`` replaces ``encoder.encode`` (e.g. a cache).
    """
    embed = embed or encoder.encode
    y = parse_labels(list(labels))
    X = embed(texts)
    if (val_texts is None) != (val_labels is None):
        raise ModelError("give both val_texts and val_labels, or neither")
    counts = np.bincount(y, minlength=len(LABELS))
    report: dict[str, Any] = {"n_train": len(y), "train_per_class": dict(zip(LABELS, counts.tolist(), strict=True))}
    started = time.perf_counter()
    if val_texts is not None and val_labels is not None:
        yv = parse_labels(list(val_labels))
        Xv = embed(val_texts)
        scores = {C: _score(C, class_weight, X, y, Xv, yv) for C in grid}
        report.update(
            n_val=len(yv), val_per_class=dict(zip(LABELS, np.bincount(yv, minlength=3).tolist(), strict=True))
        )
        report["selection"] = "val macro-F1 (head fitted on train), final head fitted on train+val"
        X, y = np.vstack([X, Xv]), np.concatenate([y, yv])
    elif counts.min() >= CV_FOLDS:
        scores = {C: _cv_score(C, class_weight, X, y) for C in grid}
        report["selection"] = f"{CV_FOLDS}-fold cross-validated macro-F1 on train"
    else:
        scores = {}
        report["selection"] = f"none (a class has fewer than {CV_FOLDS} examples): C=1.0"
    best_C = max(scores, key=lambda c: scores[c]) if scores else 1.0
    head = EmbeddingHead(encoder, C=best_C, class_weight=class_weight).fit(X, y)
    report.update(
        C=best_C,
        class_weight=class_weight,
        grid_macro_f1={str(c): round(s, 4) for c, s in scores.items()},
        selection_macro_f1=round(scores[best_C], 4) if scores else None,
        n_fit=len(y),
        fit_seconds=round(time.perf_counter() - started, 1),
    )
    return head, report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.models.train_sentiment",
        description="Train a sentiment head on frozen embeddings of <data>/train_* (C tuned on <data>/val_*).",
        epilog="example: python -m ecoute.models.train_sentiment --data ../shared/benchmarks/sentiment/xlmt/all "
        "--out models/artifacts/sentiment-head --bench ../shared/benchmarks/sentiment",
    )
    parser.add_argument(
        "--data", required=True, type=Path, help="a CSV with text,label columns, or a folder with train_/val_ files"
    )
    parser.add_argument("--out", required=True, type=Path, help="directory to write head.safetensors + head.json")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (default: %(default)s)")
    parser.add_argument("--class-weight", choices=["balanced"], default=None, help="class weights (default: none)")
    parser.add_argument("--grid", type=float, nargs="+", default=list(C_GRID), help="values of C to try")
    parser.add_argument("--bench", type=Path, help="benchmark directory: score the head and record it in head.json")
    parser.add_argument("--no-cache", action="store_true", help="do not cache embeddings under ~/.cache/ecoute")
    args = parser.parse_args(argv)

    encoder = load_encoder(args.encoder)
    embed = encoder.encode if args.no_cache else partial(embed_cached, encoder)
    if args.data.is_file():  # an analyst's CSV (text,label): C is chosen by cross-validation
        texts, labels = read_labelled_csv(args.data)
        val_texts, val_labels, files = None, None, [args.data]
    else:  # the XLM-T layout: train_* and val_* files
        texts, labels = read_split(args.data, "train")
        val_texts, val_labels = read_split(args.data, "val")
        files = split_files(args.data, "train") + split_files(args.data, "val")
    print(f"training on {len(texts)} + {len(val_texts or [])} texts with {encoder.identity}", file=sys.stderr)
    head, report = train_head(
        encoder, texts, labels, val_texts, val_labels, grid=args.grid, class_weight=args.class_weight, embed=embed
    )
    metadata: dict[str, Any] = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": shlex.join(
            ["python", "-m", "ecoute.models.train_sentiment", *(argv if argv is not None else sys.argv[1:])]
        ),
        "data": {"path": str(args.data), "sha256": {p.name: sha256_file(p) for p in files}},
        "training": report,
    }
    if args.bench:
        results = run_benchmark(args.bench, encoder, head, embed=embed)
        metadata["benchmarks"] = {
            name: {k: r[k] for k in ("n", "macro_f1", "accuracy", "macro_recall")}
            for name, r in results["sets"].items()
        }
    head.save(args.out, metadata)
    print(f"saved {head.identity} (C={head.C}) to {args.out}", file=sys.stderr)
    for name, scores in metadata.get("benchmarks", {}).items():
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in scores.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
