"""Trend detection scored against truth: recall of planted events, false alarms per brand-month.

    python -m ecoute.bench.trends                # the default corpora, full scale
    python -m ecoute.bench.trends --scale 0.15 --json

Each corpus is a demo corpus (`ecoute.demo.corpus.generate`) with its own seed, event
strength and planted events. It goes through the listening steps, without Prefect, into
its own warehouse (collect -> load -> enrich -> topics -> detect -> store), and the
findings are matched to the events in its truth.json:

    planted event         found by a finding of the event's brand, overlapping [start, end], that is
    complaint_spike       a volume_spike or a negative_surge
    new_theme             an emerging_topic whose keywords or label contain one of the event's
                          keywords, a word ("metal") or a phrase ("carte métal"), case and
                          accents aside; the brand's name alone does not count
    sentiment_decline     a sentiment_shift with a rising negative share (magnitude > 0)
    share_of_voice_shift  a share_of_voice_shift in the event's direction (or, for another
                          brand, in the opposite direction: when one brand gains, its rival loses)

Every finding that matches no planted event is a false alarm; false alarms per brand-month
are false alarms / (brands x days / 30). Recall is None for a corpus with no planted event.

Enrichment (embedding and sentiment of every mention) dominates the time, ~90 % of it: about
80 s per full-scale corpus (~5,600 mentions) on 2 idle CPU cores, 2-3 minutes on a busy one
(`enrich_seconds` in the result). `scale` shrinks every corpus: 0.1 runs the four default
corpora in about 90 s, a smoke test only, since the new theme and the slow sentiment decline
then hold too few posts a week to be found (recall 50 %).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from ecoute import pipeline
from ecoute.core.records import Finding
from ecoute.core.settings import parse_settings
from ecoute.demo.corpus import generate
from ecoute.insights.detect import detect, store_findings
from ecoute.pipeline.topics import update_topics
from ecoute.warehouse.connection import connect

DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class CorpusSpec:
    """One demo corpus to score on: its seed, the size of its events and which are planted."""

    name: str
    seed: int
    strength: float = 1.0
    events: tuple[str, ...] | None = None  # None: every event; (): none

    def describe(self) -> str:
        if self.events is None:
            return "all"
        return ",".join(self.events) or "none"


DEFAULT_CORPORA = (
    CorpusSpec("demo", seed=7),  # what `ecoute demo` shows
    CorpusSpec("seed11", seed=11),
    CorpusSpec("seed23-weak", seed=23, strength=0.7),  # every event at 70 % of its size
    CorpusSpec("seed5-flat", seed=5, events=()),  # nothing happens: any finding is a false alarm
)


# --- scoring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    found: dict[str, list[str]]  # event kind -> headlines of the findings that found it
    false_alarms: list[str]  # headlines
    brand_months: float

    @property
    def recall(self) -> float | None:
        return sum(bool(f) for f in self.found.values()) / len(self.found) if self.found else None

    @property
    def false_alarms_per_brand_month(self) -> float:
        return len(self.false_alarms) / self.brand_months


def score(findings: Sequence[Finding], truth: dict[str, Any]) -> Score:
    """Match findings to the planted events of a truth.json (see the module's table)."""
    events = truth["events"]
    found: dict[str, list[str]] = {e["kind"]: [] for e in events}
    false_alarms = []
    for finding in findings:
        matched = [e["kind"] for e in events if matches(finding, e)]
        for kind in matched:
            found[kind].append(finding.headline)
        if not matched:
            false_alarms.append(finding.headline)
    brand_months = len(truth["brands"]) * truth["days"] / DAYS_PER_MONTH
    return Score(found, false_alarms, brand_months)


def matches(finding: Finding, event: dict[str, Any]) -> bool:
    """Whether a finding reports this planted event."""
    start, end = date.fromisoformat(event["start"]), date.fromisoformat(event["end"])
    if finding.period_start > end or finding.period_end < start:
        return False
    same_brand = finding.brand == event["brand"]
    kind = event["kind"]
    if kind == "complaint_spike":
        return same_brand and finding.kind in ("volume_spike", "negative_surge")
    if kind == "new_theme":
        if not same_brand or finding.kind != "emerging_topic":
            return False
        described = [_words(d) for d in [*finding.evidence.get("keywords", []), finding.evidence.get("label") or ""]]
        keywords = {_words(k) for k in [*event.get("keywords_fr", []), *event.get("keywords_en", [])]}
        return any(f" {k} " in f" {d} " for k in keywords - {"", _words(event["brand"])} for d in described)
    if kind == "sentiment_decline":
        return same_brand and finding.kind == "sentiment_shift" and finding.magnitude > 0
    if kind == "share_of_voice_shift":
        if finding.kind != "share_of_voice_shift":
            return False
        rising = event["share_end"] > event["share_start"]
        return (finding.magnitude > 0) == (rising if same_brand else not rising)
    return False


def _words(text: str) -> str:
    """The text's words, lower-cased, without accents, one space apart: "Carte  Métal" -> "carte metal"."""
    folded = unicodedata.normalize("NFD", text.casefold())
    return " ".join(re.findall(r"\w+", "".join(c for c in folded if not unicodedata.combining(c))))


# --- running -------------------------------------------------------------------------


def demo_settings(base_dir: Path, scale: float) -> Any:
    """The settings `ecoute demo` uses; on a shrunk corpus, the volume floors shrink with it."""
    data = tomllib.loads((resources.files("ecoute") / "templates" / "demo.toml").read_text(encoding="utf-8"))
    settings = parse_settings(data, base_dir=base_dir, origin="demo.toml")
    if scale >= 1:
        return settings
    models = settings.models.model_copy(
        update={"min_topic_size": max(5, round(settings.models.min_topic_size * scale))}
    )
    detection = settings.detection.model_copy(
        update={"min_daily_volume": max(2, round(settings.detection.min_daily_volume * scale))}
    )
    return settings.model_copy(update={"models": models, "detection": detection})


@dataclass(frozen=True)
class Listened:
    findings: list[Finding]
    truth: dict[str, Any]
    enrich_seconds: float


def run_corpus(spec: CorpusSpec, folder: Path, *, scale: float, enricher: Any) -> Listened:
    """Generate one corpus in `folder` and listen to it from a fresh warehouse."""
    corpus = generate(folder / "corpus", seed=spec.seed, scale=scale, strength=spec.strength, events=spec.events)
    settings = demo_settings(folder, scale)
    shutil.rmtree(settings.warehouse.path.parent, ignore_errors=True)  # the warehouse, its key and topic model
    with connect(settings.warehouse.path) as con:
        pipeline.sync_brands(con, settings.brands)
        for source in settings.sources:
            collected = pipeline.collect_source(settings, source)
            if collected.error:
                raise RuntimeError(f"{spec.name}: {collected.error}")
            pipeline.load_batch(con, collected)
        began = time.perf_counter()
        per_brand = pipeline.load_per_brand_sentiment(settings, enricher)
        relevance = pipeline.load_match_relevance(settings, enricher)
        pipeline.enrich_pending(
            con, enricher, batch_size=settings.models.batch_size, per_brand=per_brand, relevance=relevance
        )
        enrich_seconds = time.perf_counter() - began
        update_topics(con, settings, enricher.encoder)
        findings = detect(con, settings.brands, settings.detection)
        store_findings(con, findings)
    return Listened(findings, json.loads(corpus.truth_path.read_text(encoding="utf-8")), enrich_seconds)


def run_bench(
    corpora: Sequence[CorpusSpec] = DEFAULT_CORPORA,
    work_dir: Path = Path("ecoute-data/bench-trends"),
    *,
    scale: float = 1.0,
    enricher: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Listen to each corpus in `work_dir/<name>/` and score its findings against its truth.

    Returns {"recall": {"overall": x, name: x...}, "false_alarms_per_brand_month": {...},
    "corpora": {name: {"seed", "strength", "events", "found", "false_alarms", "findings",
    "seconds", "enrich_seconds"}}}. Pass an `enricher` (models.enrich.Enricher) to reuse loaded models.
    """
    if enricher is None:
        enricher = pipeline.load_enricher(demo_settings(Path(work_dir), scale))
    recall: dict[str, float | None] = {}
    alarms: dict[str, float] = {}
    details: dict[str, dict[str, Any]] = {}
    totals = {"found": 0, "events": 0, "false_alarms": 0, "brand_months": 0.0}
    for spec in corpora:
        if progress:
            progress(f"{spec.name}: seed {spec.seed}, strength {spec.strength}, events {spec.describe()}")
        began = time.perf_counter()
        listened = run_corpus(spec, Path(work_dir) / spec.name, scale=scale, enricher=enricher)
        result = score(listened.findings, listened.truth)
        recall[spec.name] = _rounded(result.recall)
        alarms[spec.name] = round(result.false_alarms_per_brand_month, 3)
        details[spec.name] = {
            "seed": spec.seed,
            "strength": spec.strength,
            "events": [e["kind"] for e in listened.truth["events"]],
            "found": result.found,
            "false_alarms": result.false_alarms,
            "findings": len(listened.findings),
            "seconds": round(time.perf_counter() - began, 1),
            "enrich_seconds": round(listened.enrich_seconds, 1),
        }
        totals["found"] += sum(bool(f) for f in result.found.values())
        totals["events"] += len(result.found)
        totals["false_alarms"] += len(result.false_alarms)
        totals["brand_months"] += result.brand_months
    overall_recall = totals["found"] / totals["events"] if totals["events"] else None
    overall_alarms = totals["false_alarms"] / totals["brand_months"] if totals["brand_months"] else 0.0
    return {
        "recall": {"overall": _rounded(overall_recall), **recall},
        "false_alarms_per_brand_month": {"overall": round(overall_alarms, 3), **alarms},
        "corpora": details,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def table(result: dict[str, Any]) -> str:
    """The bench's result as a plain-text table, then what was missed and each false alarm."""
    header = ("corpus", "seed", "strength", "events", "recall", "false alarms", "per brand-month", "findings", "s")
    rows = [(*header, "enrich s")]
    for name, c in result["corpora"].items():
        recall = result["recall"][name]
        rows.append(
            (
                name,
                str(c["seed"]),
                f"{c['strength']:g}",
                str(len(c["events"])),
                "-" if recall is None else f"{recall:.0%}",
                str(len(c["false_alarms"])),
                f"{result['false_alarms_per_brand_month'][name]:.2f}",
                str(c["findings"]),
                f"{c['seconds']:.0f}",
                f"{c['enrich_seconds']:.0f}",
            )
        )
    overall = result["recall"]["overall"]
    rows.append(
        (
            "overall",
            "",
            "",
            "",
            "-" if overall is None else f"{overall:.0%}",
            str(sum(len(c["false_alarms"]) for c in result["corpora"].values())),
            f"{result['false_alarms_per_brand_month']['overall']:.2f}",
            "",
            "",
            "",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    for name, c in result["corpora"].items():
        lines += [f"{name}: missed {kind}" for kind, hits in c["found"].items() if not hits]
        lines += [f"{name}: false alarm: {headline}" for headline in c["false_alarms"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.bench.trends",
        description="Run trend detection on demo corpora with planted events and score it against their truth.",
        epilog="Example: python -m ecoute.bench.trends --scale 0.15 --json",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="corpus size factor (1.0: ~5,600 mentions each)")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("ecoute-data/bench-trends"),
        help="where corpora and warehouses are written",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    result = run_bench(DEFAULT_CORPORA, args.work_dir, scale=args.scale, progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
