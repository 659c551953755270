"""Topic discovery scored against human themes: NMI/ARI, topics found, outliers, a KMeans baseline.

    ecoute bench topics --data ../shared/benchmarks/topics/banking77          # test.csv
    ecoute bench topics --data my_labelled.csv --json                         # text,theme CSV

The texts go through what the pipeline does before topics: the encoder input is masked
(``models/mask.py``), embedded by the e5 encoder, the language detected, then
``TopicModel.fit`` with the pipeline's settings. It is never told how many themes there are.
In the same run, on the same embeddings, KMeans is given k = the true number of themes (a
baseline told the answer's size).

Brand invariance: each text is run a second time with a handle of one of six brands
prepended at random (``@Zelia I still have not received my card``). Topics should not
move (NMI with the theme close to the plain run) and should not follow the brand (NMI
with the injected brand near 0). The same injected texts *unmasked* show what the mask
is for.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.encoder import DEFAULT_ENCODER, Encoder, load_encoder
from ecoute.models.language import LanguageDetector
from ecoute.models.mask import BrandMask
from ecoute.models.topics import TopicModel

INJECTED_BRANDS = ("Zelia", "Norvo", "AirLune", "BanqueVerte", "Skyward", "Monéo")
THEME_COLUMNS = ("category", "theme", "topic", "label")
DEFAULT_MIN_TOPIC_SIZE = 15  # the pipeline's default ([topics] min_topic_size)


@dataclass(frozen=True)
class RunScore:
    name: str
    topics: int
    outlier_share: float
    nmi: float
    ari: float
    nmi_brand: float | None
    kmeans_nmi: float
    kmeans_ari: float
    seconds: float
    examples: list[tuple[str, str]]  # (topic label, the human theme most of its texts carry)


def read_themes(data: Path, split: str = "test") -> tuple[list[str], list[str]]:
    """Texts and their human theme from a ``text,<theme>`` CSV, or ``<data>/<split>.csv``."""
    path = data if data.is_file() else data / f"{split}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (give a CSV or a folder holding {split}.csv)")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        column = next((c for c in THEME_COLUMNS if c in (reader.fieldnames or [])), None)
        if "text" not in (reader.fieldnames or []) or column is None:
            raise ValueError(f"{path}: needs a 'text' column and one of {THEME_COLUMNS}; has {reader.fieldnames}")
        rows = [(row["text"], row[column]) for row in reader if row["text"].strip()]
    return [text for text, _ in rows], [theme for _, theme in rows]


def inject_handles(texts: Sequence[str], seed: int) -> tuple[list[str], list[str]]:
    """Each text with ``@<brand> `` of a random brand in front, and the brand drawn."""
    rng = np.random.default_rng(seed)
    brands = [INJECTED_BRANDS[i] for i in rng.integers(len(INJECTED_BRANDS), size=len(texts))]
    return [f"@{brand} {text}" for brand, text in zip(brands, texts, strict=True)], brands


def score_run(
    name: str,
    texts: Sequence[str],
    themes: Sequence[str],
    brands: Sequence[str] | None,
    *,
    encoder: Encoder,
    detector: LanguageDetector,
    mask: BrandMask | None,
    min_topic_size: int,
    seed: int,
) -> RunScore:
    from sklearn.cluster import KMeans  # heavy: scikit-learn loads only when a bench runs
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # heavy, as above

    started = time.perf_counter()
    encoder_input = mask.apply_all(texts) if mask is not None else list(texts)
    embeddings = encoder.encode(encoder_input)
    languages = [code for code, _ in detector.detect(texts)]
    model = TopicModel(min_topic_size=min_topic_size, seed=seed, phrase_encoder=encoder)
    topics = np.array(model.fit(list(texts), embeddings, languages).topic_ids)
    k = len(set(themes))
    kmeans = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(embeddings)
    majority: dict[int, str] = {}
    for topic in range(len(model.topics())):
        members = [themes[int(i)] for i in np.flatnonzero(topics == topic)]
        majority[topic] = max(set(members), key=members.count) if members else ""
    return RunScore(
        name=name,
        topics=len(model.topics()),
        outlier_share=round(model.outlier_share or 0.0, 3),
        nmi=round(float(normalized_mutual_info_score(themes, topics)), 3),
        ari=round(float(adjusted_rand_score(themes, topics)), 3),
        nmi_brand=None if brands is None else round(float(normalized_mutual_info_score(brands, topics)), 3),
        kmeans_nmi=round(float(normalized_mutual_info_score(themes, kmeans)), 3),
        kmeans_ari=round(float(adjusted_rand_score(themes, kmeans)), 3),
        seconds=round(time.perf_counter() - started, 1),
        examples=[(t.label, majority[t.topic_id]) for t in model.topics()[:8]],
    )


def run_bench(
    data: Path,
    *,
    split: str = "test",
    encoder_spec: str = DEFAULT_ENCODER,
    min_topic_size: int = DEFAULT_MIN_TOPIC_SIZE,
    seed: int = 0,
    invariance: bool = True,
) -> dict[str, Any]:
    texts, themes = read_themes(data, split)
    encoder = load_encoder(encoder_spec)
    detector = LanguageDetector()
    common: dict[str, Any] = {
        "encoder": encoder,
        "detector": detector,
        "min_topic_size": min_topic_size,
        "seed": seed,
    }
    runs = [score_run("plain", texts, themes, None, mask=BrandMask(), **common)]
    if invariance:
        injected, brands = inject_handles(texts, seed)
        runs.append(score_run("brand handles, masked", injected, themes, brands, mask=BrandMask(), **common))
        runs.append(score_run("brand handles, unmasked", injected, themes, brands, mask=None, **common))
    return {
        "data": str(data if data.is_file() else data / f"{split}.csv"),
        "texts": len(texts),
        "themes": len(set(themes)),
        "encoder": getattr(encoder, "identity", encoder_spec),
        "min_topic_size": min_topic_size,
        "runs": [asdict(run) for run in runs],
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['data']}: {result['texts']} texts, {result['themes']} human themes; encoder {result['encoder']}",
        f"TopicModel (min_topic_size {result['min_topic_size']}, k not given) vs KMeans (k = {result['themes']}), "
        "same embeddings",
        f"{'run':<26}{'topics':>7}{'outliers':>9}{'NMI':>7}{'ARI':>7}{'NMI brand':>10}"
        f"{'KM NMI':>8}{'KM ARI':>8}{'s':>7}",
    ]
    for run in result["runs"]:
        brand = "-" if run["nmi_brand"] is None else f"{run['nmi_brand']:.3f}"
        lines.append(
            f"{run['name']:<26}{run['topics']:>7}{run['outlier_share']:>9.1%}{run['nmi']:>7.3f}{run['ari']:>7.3f}"
            f"{brand:>10}{run['kmeans_nmi']:>8.3f}{run['kmeans_ari']:>8.3f}{run['seconds']:>7.0f}"
        )
    lines.append("topic labels (plain run) beside the human theme most of their texts carry:")
    lines += [f"  {label!r:<50} {theme}" for label, theme in result["runs"][0]["examples"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ecoute bench topics",
        description="Topic discovery against human themes (NMI, ARI, topics, outliers) beside KMeans told k.",
        epilog="example: ecoute bench topics --data ../shared/benchmarks/topics/banking77 --json",
    )
    parser.add_argument("--data", type=Path, required=True, help="a text,<theme> CSV, or a folder holding SPLIT.csv")
    parser.add_argument("--split", default="test", help="file name in a folder (default: %(default)s)")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (default: %(default)s)")
    parser.add_argument("--min-topic-size", type=int, default=DEFAULT_MIN_TOPIC_SIZE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-invariance", action="store_true", help="skip the two injected-handle runs")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    result = run_bench(
        args.data,
        split=args.split,
        encoder_spec=args.encoder,
        min_topic_size=args.min_topic_size,
        seed=args.seed,
        invariance=not args.no_invariance,
    )
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
