"""Score the intent head on the test split of the hand-written intent set; optionally train it.

Examples::

    python -m ecoute.models.bench_intent                  # score the packaged head
    python -m ecoute.models.bench_intent --json
    python -m ecoute.models.bench_intent --train --save models/artifacts/intent-head   # how it was built

The split is ``models.intent.split_intent`` (70/30, stratified by label and language). With
``--train``, C and the cue scale are chosen by 5-fold cross-validated macro-F1 on the train
split only, and the head is fitted on the train split only, so the test scores describe the
saved head. Speed counts encoding the test texts + the head, on this machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.data import embed_cached, sha256_file
from ecoute.models.encoder import DEFAULT_ENCODER, load_encoder
from ecoute.models.intent import (
    INTENT_DATA,
    INTENTS,
    IntentData,
    IntentModel,
    load_intent,
    read_intent_csv,
    split_intent,
)

C_GRID = (4.0, 8.0, 16.0, 32.0, 64.0, 128.0)
CUE_SCALES = (0.0, 0.5)
CUE_MARGIN = 0.01  # the cues must beat the embedding alone by this much cross-validated macro-F1
CV_FOLDS = 5
BOOTSTRAP = 1000


def _macro_f1(y_true: Sequence[str] | np.ndarray, y_pred: Sequence[str] | np.ndarray) -> float:
    from sklearn.metrics import f1_score  # heavy: scikit-learn loads only when a benchmark is scored

    return float(f1_score(y_true, y_pred, labels=list(INTENTS), average="macro", zero_division=0))


def cross_validate(data: IntentData, X: np.ndarray, C: float, cue_scale: float) -> float:
    """Mean macro-F1 over stratified folds (by label and language) of ``data``."""
    from sklearn.model_selection import StratifiedKFold  # heavy: scikit-learn loads only when a head is tuned

    strata = [f"{label}/{lang}" for label, lang in zip(data.labels, data.languages, strict=True)]
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=0).split(X, strata)
    scores = []
    for fit, held in folds:
        part, rest = data.subset(fit), data.subset(held)
        head = IntentModel(C=C, cue_scale=cue_scale).fit(part.texts, X[fit], part.labels)
        scores.append(_macro_f1(rest.labels, head.predict(rest.texts, X[held])))
    return float(np.mean(scores))


def train(encoder: Any, data: IntentData, X: np.ndarray) -> tuple[IntentModel, dict[str, Any]]:
    """Choose C and cue scale by cross-validation on ``data`` (embedded as ``X``), then fit on all of it.

    The head uses the cues only when they beat the embedding alone by ``CUE_MARGIN``.
    """
    started = time.perf_counter()
    grid = {(C, s): cross_validate(data, X, C, s) for s in CUE_SCALES for C in C_GRID}
    no_cues = max((k for k in grid if k[1] == 0.0), key=lambda k: grid[k])
    with_cues = max((k for k in grid if k[1] > 0.0), key=lambda k: grid[k], default=no_cues)
    C, cue_scale = with_cues if grid[with_cues] >= grid[no_cues] + CUE_MARGIN else no_cues
    head = IntentModel(encoder, C=C, cue_scale=cue_scale).fit(data.texts, X, data.labels)
    report = {
        "n_train": len(data.labels),
        "selection": f"{CV_FOLDS}-fold cross-validated macro-F1 on the train split (cues only if they add "
        f">= {100 * CUE_MARGIN:g} point); final head fitted on train only",
        "C": C,
        "cue_scale": cue_scale,
        "cv_macro_f1": round(grid[(C, cue_scale)], 4),
        "cv_macro_f1_without_cues": {"C": no_cues[0], "macro_f1": round(grid[no_cues], 4)},
        "cv_macro_f1_with_cues": {"C": with_cues[0], "cue_scale": with_cues[1], "macro_f1": round(grid[with_cues], 4)},
        "cv_grid": {f"C={c},cue_scale={s}": round(v, 4) for (c, s), v in grid.items()},
        "fit_seconds": round(time.perf_counter() - started, 1),
    }
    return head, report


def evaluate(labels: Sequence[str], predicted: Sequence[str], languages: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro-F1 (with a bootstrap 95% interval), accuracy, confusions."""
    # heavy: scikit-learn loads only when a benchmark is scored
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y, p = np.asarray(labels), np.asarray(predicted)
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=list(INTENTS), zero_division=0)
    rng = np.random.default_rng(0)
    draws = [_macro_f1(y[i], p[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(BOOTSTRAP))]
    langs = np.asarray(languages)
    matrix = confusion_matrix(y, p, labels=list(INTENTS))
    return {
        "n": len(y),
        "macro_f1": round(100 * _macro_f1(y, p), 1),
        "macro_f1_95ci": [round(100 * float(q), 1) for q in np.percentile(draws, [2.5, 97.5])],
        "accuracy": round(100 * float((y == p).mean()), 1),
        "per_class": {
            name: {"precision": round(100 * pr, 1), "recall": round(100 * rc, 1), "f1": round(100 * f, 1), "n": int(n)}
            for name, pr, rc, f, n in zip(INTENTS, precision, recall, f1, support, strict=True)
        },
        "per_language_macro_f1": {
            lang: round(100 * _macro_f1(y[langs == lang], p[langs == lang]), 1) for lang in sorted(set(languages))
        },
        "confusion": {"rows=true, columns=predicted": list(INTENTS), "matrix": matrix.tolist()},
    }


def run(
    data_path: Path = INTENT_DATA,
    encoder_spec: str = DEFAULT_ENCODER,
    head_spec: str = "packaged",
    *,
    fit: bool = False,
    cache: bool = True,
) -> tuple[IntentModel, dict[str, Any]]:
    encoder = load_encoder(encoder_spec)
    data = read_intent_csv(data_path)
    train_idx, test_idx = split_intent(data)
    train_data, test = data.subset(train_idx), data.subset(test_idx)
    data_sha = sha256_file(data_path)
    results: dict[str, Any] = {
        "data": {"path": _display(data_path), "sha256": data_sha, "n": len(data.labels)},
        "encoder": encoder.identity,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    if fit:
        embed: Callable[[Sequence[str]], np.ndarray] = partial(embed_cached, encoder) if cache else encoder.encode
        train_X = embed(train_data.texts)
        head, results["training"] = train(encoder, train_data, train_X)
    else:
        head = load_intent(head_spec, encoder)
        trained_on = head.metadata.get("data", {}).get("sha256")
        results["data"]["same_as_head_training_data"] = trained_on == data_sha
    started = time.perf_counter()
    embeddings = encoder.encode(test.texts)
    encoded = time.perf_counter()
    predicted = head.predict(test.texts, embeddings)
    finished = time.perf_counter()
    results["intent"] = head.identity
    results["test"] = {
        **evaluate(test.labels, predicted, test.languages),
        "texts_per_s": round(len(test.texts) / (finished - started), 1),
        "head_only_texts_per_s": round(len(test.texts) / max(finished - encoded, 1e-9)),
    }
    if fit:  # for the record only: test scores played no part in selection
        training = results["training"]
        for variant in ("without_cues", "with_cues"):
            best = training[f"cv_macro_f1_{variant}"]
            other = IntentModel(C=best["C"], cue_scale=best.get("cue_scale", 0.0))
            other.fit(train_data.texts, train_X, train_data.labels)
            f1 = _macro_f1(test.labels, other.predict(test.texts, embeddings))
            training[f"test_macro_f1_{variant}"] = round(100 * f1, 1)
    return head, results


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _table(results: dict[str, Any]) -> str:
    test = results["test"]
    lines = [
        f"intent:  {results['intent']}",
        f"encoder: {results['encoder']}",
        f"data:    {results['data']['path']} ({results['data']['n']} posts), test split n={test['n']}",
        f"machine: {results['machine']}",
    ]
    if "training" in results:
        t = results["training"]
        lines.append(f"trained: C={t['C']}, cue_scale={t['cue_scale']}, cv macro-F1={100 * t['cv_macro_f1']:.1f}")
        lines.append(
            f"cues:    cv macro-F1 without {100 * t['cv_macro_f1_without_cues']['macro_f1']:.1f}, "
            f"with {100 * t['cv_macro_f1_with_cues']['macro_f1']:.1f}; test macro-F1 without "
            f"{t['test_macro_f1_without_cues']}, with {t['test_macro_f1_with_cues']} (not used to choose)"
        )
    if results["data"].get("same_as_head_training_data") is False:
        lines.append("WARNING: the data differ from those the head was trained on; test rows may have been seen")
    lines.append(f"{'intent':<17}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
    for name, r in test["per_class"].items():
        lines.append(f"{name:<17}{r['precision']:>10.1f}{r['recall']:>8.1f}{r['f1']:>7.1f}{r['n']:>5}")
    low, high = test["macro_f1_95ci"]
    lines.append(f"macro-F1 {test['macro_f1']:.1f} (95% bootstrap {low}-{high}), accuracy {test['accuracy']:.1f}")
    lines.append("per language macro-F1: " + ", ".join(f"{k} {v}" for k, v in test["per_language_macro_f1"].items()))
    lines.append(f"speed: {test['texts_per_s']} texts/s (encoding + head), head alone {test['head_only_texts_per_s']}")
    lines.append("confusions (true -> predicted: count):")
    matrix = test["confusion"]["matrix"]
    pairs = [(matrix[i][j], INTENTS[i], INTENTS[j]) for i in range(len(INTENTS)) for j in range(len(INTENTS)) if i != j]
    lines += [f"  {a} -> {b}: {n}" for n, a, b in sorted(pairs, reverse=True) if n]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.models.bench_intent",
        description="Score an intent head on the test split of the hand-written intent set (or train one).",
        epilog="example: python -m ecoute.models.bench_intent --train --save models/artifacts/intent-head",
    )
    parser.add_argument("--data", type=Path, default=INTENT_DATA, help="CSV with text,label,language")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (default: %(default)s)")
    parser.add_argument("--head", default="packaged", help="'packaged' or a head directory (ignored with --train)")
    parser.add_argument("--train", action="store_true", help="train a head on the train split instead of loading one")
    parser.add_argument("--save", type=Path, help="with --train: write the head and its metadata here")
    parser.add_argument("--no-cache", action="store_true", help="do not cache train embeddings under ~/.cache/ecoute")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.save and not args.train:
        parser.error("--save needs --train")

    head, results = run(args.data, args.encoder, args.head, fit=args.train, cache=not args.no_cache)
    if args.save:
        command = ["python", "-m", "ecoute.models.bench_intent", *(argv if argv is not None else sys.argv[1:])]
        head.save(
            args.save,
            {
                "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "command": shlex.join(command),
                "data": {**results["data"], "split": "models.intent.split_intent, test_share=0.3, trained on train"},
                "training": results["training"],
                "test": {k: v for k, v in results["test"].items() if "per_s" not in k},
            },
        )
        print(f"saved {head.identity} to {args.save}", file=sys.stderr)
    print(json.dumps(results, indent=2) if args.json else _table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
