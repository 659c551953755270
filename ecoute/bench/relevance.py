"""Relevance: of the posts a brand's keyword matched, which are about the brand?

    python -m ecoute.bench.relevance                       # the packaged set, test split
    python -m ecoute.bench.relevance --split dev --json
    python -m ecoute.bench.relevance --fit                 # refit the weights on dev, print them
    python -m ecoute.bench.relevance --stored              # as the pipeline scores: stored (masked) embeddings

Each row of the set (``models/data/relevance/relevance.csv``, described in its README) is a
post that carries a brand's name, labelled 1 when it is about the brand. Two rules are scored
on the same posts, per brand and overall:

- baseline: every keyword match is relevant (what the pipeline counted before): its precision
  is the share of relevant posts, its recall 1, its ROC-AUC 0.5;
- scorer: ``RelevanceScorer`` with the packaged weights, relevant when its score reaches the
  threshold; ``no about`` is the same scorer on brands without an ``about`` description.

Figures: precision, recall and F1 of "relevant", ROC-AUC of the score, n, and texts per
second (the encoder pass included). ``--fit`` fits the weights on dev and picks the threshold
that maximises F1 on dev's leave-one-brand-out scores (each brand scored by weights fitted
on the others, as a new brand would be), then prints them as ``models/relevance.py`` pins them.

``--stored`` scores as the pipeline does: on the embeddings enrichment stores, of posts whose
brand words are masked (no second encoder pass), with the weights and threshold fitted for
them (``STORED_WEIGHTS``). With ``--fit``, the threshold is then the highest that keeps every
one of dev's relevant posts (leave-one-brand-out): a post set aside is left out of every count, so
the pipeline errs on keeping.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.contracts import Encoder
from ecoute.models.encoder import DEFAULT_ENCODER, load_encoder
from ecoute.models.mask import BrandMask
from ecoute.models.relevance import (
    RELEVANCE_DATA,
    RelevanceData,
    RelevanceScorer,
    fit_weights,
    read_relevance_csv,
)

__all__ = ["choose_threshold", "evaluate", "fit", "leave_one_brand_out", "main", "roc_auc", "run", "table"]

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


def roc_auc(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float | None:
    """The chance that a relevant post outscores an off-topic one (ties count half); None without both."""
    y, s = np.asarray(labels), np.asarray(scores, dtype=np.float64)
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return None
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return round(float(wins / (len(pos) * len(neg))), 4)


def evaluate(labels: Sequence[int] | np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    """Precision, recall and F1 of ``scores >= threshold`` as "relevant", and ROC-AUC."""
    y = np.asarray(labels)
    kept = np.asarray(scores) >= threshold
    hits = int((kept & (y == 1)).sum())
    precision = hits / kept.sum() if kept.sum() else 0.0
    recall = hits / (y == 1).sum() if (y == 1).sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(y),
        "relevant": int((y == 1).sum()),
        "kept": int(kept.sum()),
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1": round(float(f1), 4),
        "auc": roc_auc(y, scores),
    }


def post_embeddings(encoder: Encoder, rows: RelevanceData, *, stored: bool) -> np.ndarray:
    """The posts' embeddings: as written, or (``stored``) as enrichment stores them, brand words masked."""
    if not stored:
        return encoder.encode(list(rows.texts))
    return encoder.encode(
        [BrandMask(brand.words).apply(text) for text, brand in zip(rows.texts, rows.brands, strict=True)]
    )


def _scorer(encoder: Encoder | None, stored: bool) -> RelevanceScorer:
    encoder = encoder if encoder is not None else _default_encoder()
    return RelevanceScorer.for_stored_embeddings(encoder) if stored else RelevanceScorer(encoder)


def run(
    data: Path = RELEVANCE_DATA,
    split: str = "test",
    encoder: Encoder | None = None,
    no_about: bool = True,
    stored: bool = False,
) -> dict[str, Any]:
    """The baseline and the scorer on one split (``dev``, ``test`` or ``all``) of a labelled CSV."""
    rows = read_relevance_csv(data).where(split)
    if not len(rows):
        raise ValueError(f"{data}: no rows in split {split!r}")
    scorer = _scorer(encoder, stored)
    scorer.score_pairs(rows.texts[:1], rows.brands[:1])  # warm up: the prototypes, the first batch
    began = time.perf_counter()
    embeddings = post_embeddings(scorer.encoder, rows, stored=stored)
    scores = scorer.score_pairs(rows.texts, rows.brands, embeddings)
    seconds = max(time.perf_counter() - began, 1e-9)
    everything = np.ones(len(rows))
    groups: dict[str, np.ndarray] = {"all": np.ones(len(rows), dtype=bool)}
    groups.update({f"lang:{g}": np.array([lang == g for lang in rows.languages]) for g in sorted(set(rows.languages))})
    groups.update({b: np.array([p.name == b for p in rows.brands]) for b in sorted({p.name for p in rows.brands})})
    result: dict[str, Any] = {
        "data": str(data),
        "split": split,
        "scorer": scorer.identity,
        "embeddings": "stored (brand words masked)" if stored else "posts as written",
        "threshold": scorer.threshold,
        "texts_per_second": round(len(rows) / seconds, 1),
        "groups": {
            name: {
                "baseline": evaluate(rows.labels[keep], everything[keep], 0.5),
                "scorer": evaluate(rows.labels[keep], scores[keep], scorer.threshold),
            }
            for name, keep in groups.items()
        },
    }
    if no_about:
        bare = [dataclasses.replace(b, about=None) for b in rows.brands]
        plain = scorer.score_pairs(rows.texts, bare, embeddings)
        result["groups"]["all"]["no about"] = evaluate(rows.labels, plain, scorer.threshold)
    result["mistakes"] = [
        {"brand": b.name, "text": t, "relevant": int(y), "score": round(float(s), 3)}
        for t, b, y, s in zip(rows.texts, rows.brands, rows.labels, scores, strict=True)
        if (s >= scorer.threshold) != bool(y)
    ]
    return result


def leave_one_brand_out(features: np.ndarray, rows: RelevanceData, C: float = 1.0) -> np.ndarray:
    """Each brand's scores from weights fitted on the other brands: how a new brand would fare."""
    names = np.array([b.name for b in rows.brands])
    scores = np.zeros(len(rows), dtype=np.float32)
    for name in np.unique(names):
        held = names == name
        scores[held] = fit_weights(features[~held], rows.labels[~held], C).probabilities(features[held])
    return scores


def choose_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold of ``THRESHOLDS`` with the best F1 (the lowest of equals: it keeps more posts)."""
    return max(THRESHOLDS, key=lambda t: (evaluate(labels, scores, t)["f1"], -t))


def keeping_threshold(labels: np.ndarray, scores: np.ndarray, keep: float = 1.0) -> float:
    """The highest threshold of ``THRESHOLDS`` that still keeps ``keep`` of the relevant posts."""
    kept = [t for t in THRESHOLDS if evaluate(labels, scores, t)["recall"] >= keep]
    return max(kept) if kept else THRESHOLDS[0]


def fit(
    data: Path = RELEVANCE_DATA, encoder: Encoder | None = None, C: float = 1.0, stored: bool = False
) -> dict[str, Any]:
    """Weights fitted on the dev split and the threshold chosen there (see the module's docstring)."""
    rows = read_relevance_csv(data).where("dev")
    scorer = RelevanceScorer(encoder if encoder is not None else _default_encoder(), C=C)
    features = scorer.features(rows.texts, rows.brands, post_embeddings(scorer.encoder, rows, stored=stored))
    held_out = leave_one_brand_out(features, rows, C)
    threshold = keeping_threshold(rows.labels, held_out) if stored else choose_threshold(rows.labels, held_out)
    return {
        "weights": dataclasses.asdict(fit_weights(features, rows.labels, C)),
        "threshold": threshold,
        "leave_one_brand_out": evaluate(rows.labels, held_out, threshold),
        "n": len(rows),
        "C": C,
        "encoder": scorer.encoder.identity,
        "embeddings": "stored (brand words masked)" if stored else "posts as written",
    }


def table(result: dict[str, Any]) -> str:
    """The result as text: one line a group, baseline -> scorer."""
    lines = [
        f"{result['split']} split of {result['data']}",
        f"scorer {result['scorer']} on {result['embeddings']}, threshold {result['threshold']}, "
        f"{result['texts_per_second']} texts/s",
        "",
        f"{'group':12} {'n':>4} {'rel':>4}  {'baseline P/F1':>13}  {'P':>6} {'R':>6} {'F1':>6} {'AUC':>6}",
    ]
    for name, row in result["groups"].items():
        base, ours = row["baseline"], row["scorer"]
        auc = "-" if ours["auc"] is None else f"{ours['auc']:.3f}"
        lines.append(
            f"{name:12} {ours['n']:>4} {ours['relevant']:>4}  {base['precision']:>6.3f}/{base['f1']:.3f}  "
            f"{ours['precision']:>6.3f} {ours['recall']:>6.3f} {ours['f1']:>6.3f} {auc:>6}"
        )
    plain = result["groups"]["all"].get("no about")
    if plain:
        lines.append(
            f"{'no about':12} {plain['n']:>4} {plain['relevant']:>4}  {'':>13}  {plain['precision']:>6.3f} "
            f"{plain['recall']:>6.3f} {plain['f1']:>6.3f} {plain['auc']:>6.3f}"
        )
    lines.append("baseline: every keyword match counts (recall 1, AUC 0.5); rel: posts labelled relevant")
    lines.append(f"{len(result['mistakes'])} mistakes (--json lists them)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.bench.relevance",
        description="Is a keyword match about the brand? The relevance scorer against counting every match, "
        "per brand and overall, on a labelled CSV (text,language,brand,about,relevant,split).",
        epilog="Example: python -m ecoute.bench.relevance --split test",
    )
    parser.add_argument("--data", type=Path, default=RELEVANCE_DATA, help="labelled CSV (default: the packaged set)")
    parser.add_argument("--split", choices=("test", "dev", "all"), default="test", help="default: %(default)s")
    parser.add_argument("--fit", action="store_true", help="fit the weights and threshold on dev and print them")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument(
        "--stored", action="store_true", help="as the pipeline scores: on stored (brand-masked) embeddings"
    )
    args = parser.parse_args(argv)
    if args.fit:
        print(json.dumps(fit(args.data, stored=args.stored), indent=1))
        return 0
    result = run(args.data, args.split, stored=args.stored)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


def _default_encoder() -> Encoder:
    return load_encoder(DEFAULT_ENCODER)


if __name__ == "__main__":
    raise SystemExit(main())
