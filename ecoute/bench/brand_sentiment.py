"""Sentiment per (post, brand) on posts that name several brands: the post's sentiment for
every brand (what the pipeline did) against ``BrandSentiment``.

    python -m ecoute.bench.brand_sentiment                       # test split of the packaged set
    python -m ecoute.bench.brand_sentiment --split dev --alternatives
    python -m ecoute.bench.brand_sentiment --data my_pairs.csv --split all --json

The data is a ``text,language,brand,sentiment,pattern[,split]`` CSV, one row per (post,
brand), a CSV without ``split`` being all test; by default
``models/data/brand_sentiment/comparisons.csv`` (hand-written, see its README). Brands are
found in the text by the terms in ``brands.json`` beside the CSV (or the packaged one); a
brand neither lists is found by its name.

Printed per language and overall: macro-F1 and accuracy over (post, brand) pairs with a
bootstrap 95% interval (posts resampled), and comparison direction accuracy: over the pairs
of brands in one post that the labels put on opposite sides (one positive, one negative),
the share where both brands get their label. Speed: texts (posts) per second, model calls
included, on this machine. ``--alternatives`` prints the variants the built method was
chosen from; choose on dev, report on test.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.brand_sentiment import BRAND_SENTIMENT_DATA, BrandSentiment
from ecoute.models.contracts import LABELS, SentimentModel
from ecoute.models.encoder import DEFAULT_ENCODER, load_encoder
from ecoute.models.sentiment import DEFAULT_SENTIMENT, load_sentiment

__all__ = ["LabelledPost", "alternatives", "main", "read_posts", "read_terms", "run", "score", "table"]

DEFAULT_DATA = BRAND_SENTIMENT_DATA / "comparisons.csv"
SPLITS = ("dev", "test", "all")
BOOTSTRAP = 1000
BASELINE = "post-level (before)"
BUILT = "clauses + cues (built)"


@dataclass(frozen=True)
class LabelledPost:
    text: str
    language: str
    pattern: str
    split: str
    labels: dict[str, str]  # brand -> negative / neutral / positive


def read_posts(path: Path, split: str = "test") -> list[LabelledPost]:
    """The posts of ``split`` (``all``: every post) with their per-brand labels, in file order."""
    posts: dict[str, LabelledPost] = {}
    with Path(path).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    missing = {"text", "language", "brand", "sentiment"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path}: no column(s) {sorted(missing)}; expected text,language,brand,sentiment,pattern")
    for line, row in enumerate(rows, start=2):
        if row["sentiment"] not in LABELS:
            raise ValueError(f"{path}:{line}: sentiment {row['sentiment']!r} is not one of {list(LABELS)}")
        post = posts.setdefault(
            row["text"],
            LabelledPost(row["text"], row["language"], row.get("pattern") or "", row.get("split") or "test", {}),
        )
        post.labels[row["brand"]] = row["sentiment"]
    return [p for p in posts.values() if split == "all" or p.split == split]


def read_terms(path: Path | None, brands: Sequence[str]) -> dict[str, list[str]]:
    """Each brand's terms from a ``{brand: [terms]}`` JSON file; a brand it lacks is named by itself."""
    listed: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    return {b: listed.get(b, [b]) for b in brands}


def score(posts: Sequence[LabelledPost], predicted: Sequence[dict[str, str]]) -> dict[str, Any]:
    """Macro-F1 and accuracy over (post, brand) pairs, and comparison direction accuracy."""
    gold = [label for p in posts for label in p.labels.values()]
    guess = [predicted[i][b] for i, p in enumerate(posts) for b in p.labels]
    owner = np.array([i for i, p in enumerate(posts) for _ in p.labels])
    y, g = _codes(gold), _codes(guess)
    rng = np.random.default_rng(0)
    draws = []
    for _ in range(BOOTSTRAP if len(posts) > 1 else 0):
        chosen = np.bincount(rng.integers(0, len(posts), len(posts)), minlength=len(posts))
        weight = chosen[owner]
        draws.append(_macro_f1(y, g, weight))
    opposite = [
        predicted[i][a] == p.labels[a] and predicted[i][b] == p.labels[b]
        for i, p in enumerate(posts)
        for a, b in combinations(p.labels, 2)
        if {p.labels[a], p.labels[b]} == {"positive", "negative"}
    ]
    return {
        "posts": len(posts),
        "pairs": len(gold),
        "macro_f1": _pct(_macro_f1(y, g)),
        "macro_f1_95ci": [_pct(q) for q in np.percentile(draws, [2.5, 97.5])] if draws else None,
        "accuracy": _pct(float((y == g).mean())) if len(y) else None,
        "direction_accuracy": _pct(float(np.mean(opposite))) if opposite else None,
        "opposite_pairs": len(opposite),
    }


def run(
    posts: Sequence[LabelledPost],
    sentiment: SentimentModel,
    terms: dict[str, list[str]],
    methods: dict[str, BrandSentiment] | None = None,
) -> dict[str, Any]:
    """Each method's scores overall, per language and per pattern, and its speed."""
    if methods is None:
        methods = {BASELINE: BrandSentiment(sentiment, clauses=False, cues=False), BUILT: BrandSentiment(sentiment)}
    items = [(p.text, {b: terms[b] for b in p.labels}) for p in posts]
    sentiment.predict(["warm up", "on chauffe"])  # the first call pays for lazy initialisation
    result: dict[str, Any] = {"sentiment_model": sentiment.identity, "methods": {}}
    for name, model in methods.items():
        started = time.perf_counter()
        found = model.predict_many(items)
        seconds = max(time.perf_counter() - started, 1e-9)
        predicted = [{b: label for b, (label, _) in f.items()} for f in found]
        by_language = {
            lang: score(*_where(posts, predicted, "language", lang)) for lang in sorted({p.language for p in posts})
        }
        by_pattern = {
            pattern: score(*_where(posts, predicted, "pattern", pattern))["accuracy"]
            for pattern in sorted({p.pattern for p in posts})
        }
        result["methods"][name] = {
            "identity": model.identity,
            "all": score(posts, predicted),
            "languages": by_language,
            "accuracy_by_pattern": by_pattern,
            "texts_per_second": round(len(posts) / seconds, 1),
        }
    return result


def alternatives(sentiment: SentimentModel) -> dict[str, BrandSentiment]:
    """The variants measured on dev before choosing ``BrandSentiment``'s defaults."""
    return {
        BASELINE: BrandSentiment(sentiment, clauses=False, cues=False),
        "clauses only": BrandSentiment(sentiment, cues=False),
        "cues only (post + cues)": BrandSentiment(sentiment, clauses=False),
        "clauses + cues, relation reads its sentences": BrandSentiment(sentiment, span="sentence"),
        **{f"clauses + cues, polar {p:g}": BrandSentiment(sentiment, polar=p) for p in (0.1, 0.5)},
        "clauses + cues, not decisive": BrandSentiment(sentiment, decisive=False),
        BUILT: BrandSentiment(sentiment),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['data']} ({result['split']}): sentiment model {result['sentiment_model']}",
        f"{'method':46} {'set':4} {'posts':>5} {'pairs':>5} {'macro-F1':>8} {'95% CI':>11} {'acc':>5} "
        f"{'direction':>9} {'(n)':>4} {'texts/s':>7}",
    ]
    for name, m in result["methods"].items():
        for key, s in [("all", m["all"]), *m["languages"].items()]:
            ci = "-".join(f"{v:.0f}" for v in s["macro_f1_95ci"]) if s["macro_f1_95ci"] else ""
            direction = f"{s['direction_accuracy']:.1f}" if s["direction_accuracy"] is not None else "-"
            lines.append(
                f"{name if key == 'all' else '':46} {key:4} {s['posts']:>5} {s['pairs']:>5} {s['macro_f1']:>8.1f} "
                f"{ci:>11} {s['accuracy']:>5.1f} {direction:>9} {s['opposite_pairs']:>4} "
                f"{m['texts_per_second'] if key == 'all' else '':>7}"
            )
    lines.append("accuracy by pattern: " + "; ".join(_patterns(result)))
    lines.append(
        "direction: both brands right, over pairs labelled one positive and one negative; 95% CI: posts resampled"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, sentiment: SentimentModel | None = None) -> int:
    """``sentiment``: a model already loaded (tests share one); else the packaged one on ``--encoder``."""
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.bench.brand_sentiment",
        description="Sentiment per (post, brand) on posts naming several brands: the post's sentiment for every "
        "brand against clauses + comparison cues.",
        epilog="Example: python -m ecoute.bench.brand_sentiment --split test",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="text,language,brand,sentiment,pattern CSV")
    parser.add_argument("--split", choices=SPLITS, default="test", help="default: %(default)s (tune on dev)")
    parser.add_argument("--brands", type=Path, help="brand -> terms JSON (default: brands.json beside --data)")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (default: %(default)s)")
    parser.add_argument("--sentiment", default=DEFAULT_SENTIMENT, help="sentiment spec (default: %(default)s)")
    parser.add_argument("--alternatives", action="store_true", help="also print the variants measured on dev")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    posts = read_posts(args.data, args.split)
    if not posts:
        parser.error(f"{args.data} has no posts in split {args.split!r}")
    brands = args.brands or next(
        (p for p in (args.data.parent / "brands.json", BRAND_SENTIMENT_DATA / "brands.json") if p.is_file()), None
    )
    terms = read_terms(brands, sorted({b for p in posts for b in p.labels}))
    if sentiment is None:
        sentiment = load_sentiment(args.sentiment, load_encoder(args.encoder))
    result = run(posts, sentiment, terms, alternatives(sentiment) if args.alternatives else None)
    result = {"data": str(args.data), "split": args.split, "brands": str(brands), **result}
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


def _where(
    posts: Sequence[LabelledPost], predicted: Sequence[dict[str, str]], field: str, value: str
) -> tuple[list[LabelledPost], list[dict[str, str]]]:
    """The posts (and their predictions) whose ``field`` is ``value``."""
    chosen = [i for i, p in enumerate(posts) if getattr(p, field) == value]
    return [posts[i] for i in chosen], [predicted[i] for i in chosen]


def _codes(labels: Sequence[str]) -> np.ndarray:
    return np.array([LABELS.index(label) for label in labels], dtype=np.int64)


def _macro_f1(y: np.ndarray, g: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Macro-F1 over the three labels (a label absent from both counts 0, as scikit-learn's)."""
    w = np.ones(len(y)) if weight is None else weight
    f1 = []
    for k in range(len(LABELS)):
        tp, fp, fn = w[(y == k) & (g == k)].sum(), w[(y != k) & (g == k)].sum(), w[(y == k) & (g != k)].sum()
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(f1))


def _pct(x: float) -> float:
    return round(100 * x, 1)


def _patterns(result: dict[str, Any]) -> list[str]:
    methods = list(result["methods"].values())
    names = methods[0]["accuracy_by_pattern"]
    return [f"{n} " + "/".join(f"{m['accuracy_by_pattern'][n]:.0f}" for m in methods) for n in names]


if __name__ == "__main__":
    raise SystemExit(main())
