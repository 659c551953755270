"""Language identification as the marts use it: does a post in the brands' languages stay
counted, and does a post in another language stay out?

    python -m ecoute.bench.language --data ../shared/benchmarks/sentiment/xlmt/all
    python -m ecoute.bench.language --data ../shared/benchmarks/sentiment/xlmt/all --json
    python -m ecoute.bench.language --data ../shared/benchmarks/sentiment/xlmt/all --split val --grid

The XLM-T ``all`` splits hold eight languages in equal blocks, in the order ar, en, fr, de,
hi, it, pt, es (val: 324 tweets each, test: 870). Two detectors read the same texts:

- before: ``LanguageDetector(normalise=False)``, lid.176's best guess on the text as it is;
- after: ``LanguageDetector(preferred)``, normalised text, and when lid.176 is unsure the
  preferred languages win if it considers one of them.

The marts count a mention for a brand when its language is one of the brand's languages or
``und``. With ``preferred`` as the brand's languages (default fr, en), each set reports:

- accuracy: the detected language is the tweet's (all eight languages);
- kept: the share of tweets in a preferred language that the brand counts;
- pulled in: the share of the other tweets that it counts all the same; ``pulled in (no hi)``
  leaves out the hi block, which is romanized Hindi and English that lid.176 (which knows
  Hindi in Devanagari only) reads as English whatever the rule.

Sets: ``whole`` (the tweets), ``short`` (those under 30 characters), ``first words`` (each
tweet without handles and links, cut to its first words under 30 characters: short posts
with a known language, which the splits have few of). ``--grid`` prints, on a split, the
choices ``MIN_CONFIDENCE`` and ``CANDIDATES`` were picked from (on val, never on test).
The demo corpus (``ecoute.demo.corpus.generate``) is read too: how many of its posts change
language, and how many its brands (fr, en) count before and after.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecoute.demo.corpus import generate
from ecoute.models.language import CANDIDATES, MIN_CONFIDENCE, LanguageDetector, choose

__all__ = [
    "XLMT_ORDER",
    "demo_changes",
    "first_words",
    "grid",
    "grid_table",
    "load_split",
    "main",
    "run",
    "score",
    "table",
]

XLMT_ORDER = ("ar", "en", "fr", "de", "hi", "it", "pt", "es")  # the blocks of xlmt/all, in file order
SHORT_CHARS = 30  # a post under this many characters is short
UNREADABLE = "hi"  # romanized Hindi: lid.176 cannot tell it, before or after
GRID_CONFIDENCES = tuple(round(0.30 + 0.05 * i, 2) for i in range(10))
GRID_CANDIDATES = (2, 3, 5)
GRID_PRIORS = (0.8, 0.9, 0.95)  # share of a brand's mentions written in its languages
_HANDLES_AND_LINKS = re.compile(r"(?:^|\s)(?:RT\b|@\w+:?|https?://\S*|http\b|www\.\S+)")


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    languages: list[str]

    def where(self, keep: Sequence[bool]) -> Labelled:
        pairs = [(t, g) for t, g, k in zip(self.texts, self.languages, keep, strict=True) if k]
        return Labelled([t for t, _ in pairs], [g for _, g in pairs])


def load_split(data: Path, split: str) -> Labelled:
    """``{split}_text.txt`` of XLM-T's ``all`` folder, each tweet with its block's language."""
    path = Path(data) / f"{split}_text.txt"
    lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines: tweets hold U+2028
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or len(lines) % len(XLMT_ORDER):
        raise ValueError(f"{path}: {len(lines)} lines, not {len(XLMT_ORDER)} equal language blocks")
    block = len(lines) // len(XLMT_ORDER)
    return Labelled(lines, [XLMT_ORDER[i // block] for i in range(len(lines))])


def first_words(text: str, limit: int = SHORT_CHARS) -> str:
    """The first words of ``text`` (no handles or links) that fit under ``limit`` characters."""
    kept = ""
    for word in _HANDLES_AND_LINKS.sub(" ", text).split():
        longer = f"{kept} {word}".strip()
        if len(longer) >= limit:
            break
        kept = longer
    return kept


def score(gold: Sequence[str], detected: Sequence[str], preferred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, and the shares kept and pulled in by a brand whose languages are ``preferred``."""
    counted = {*preferred, "und"}
    inside = [d in counted for g, d in zip(gold, detected, strict=True) if g in preferred]
    outside = [(g, d in counted) for g, d in zip(gold, detected, strict=True) if g not in preferred]
    readable = [c for g, c in outside if g != UNREADABLE]
    return {
        "n": len(gold),
        "accuracy": _share([g == d for g, d in zip(gold, detected, strict=True)]),
        "kept": _share(inside),
        "n_preferred": len(inside),
        "pulled_in": _share([c for _, c in outside]),
        "pulled_in_no_hi": _share(readable),
        "n_other": len(outside),
    }


def run(data: Path, split: str = "test", preferred: Sequence[str] = ("fr", "en"), demo: bool = True) -> dict[str, Any]:
    """Before and after on the split's sets (and the demo corpus): see the module's docstring."""
    before, after = LanguageDetector(normalise=False), LanguageDetector(preferred)
    tweets = load_split(data, split)
    cut = [first_words(t) for t in tweets.texts]
    sets = {
        "whole": tweets,
        f"short (<{SHORT_CHARS} chars)": tweets.where([len(" ".join(t.split())) < SHORT_CHARS for t in tweets.texts]),
        "first words": Labelled(cut, tweets.languages).where([len(t.split()) >= 2 for t in cut]),
    }
    result: dict[str, Any] = {
        "data": str(data),
        "split": split,
        "preferred": list(preferred),
        "before": before.identity,
        "after": after.identity,
        "sets": {},
    }
    for name, labelled in sets.items():
        found_before, seconds_before = _timed(before, labelled.texts)
        found_after, seconds_after = _timed(after, labelled.texts)
        result["sets"][name] = {
            "before": score(labelled.languages, found_before, preferred),
            "after": score(labelled.languages, found_after, preferred),
            "changed": sum(b != a for b, a in zip(found_before, found_after, strict=True)),
            "texts_per_second": {
                "before": round(len(labelled.texts) / seconds_before),
                "after": round(len(labelled.texts) / seconds_after),
            },
        }
    if demo:
        result["demo"] = demo_changes(before, after, preferred)
    return result


def demo_changes(before: LanguageDetector, after: LanguageDetector, preferred: Sequence[str]) -> dict[str, Any]:
    """The demo corpus (seed 7, scale 1) read by both detectors."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = generate(Path(tmp), seed=7)
        truth = json.loads(corpus.truth_path.read_text(encoding="utf-8"))["labels"]
        texts, gold = [], []
        for line in corpus.mentions_path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                text, language = record["text"], truth[record["id"]]["language"]
            except (ValueError, KeyError, TypeError):
                continue  # the corpus plants malformed lines for the quarantine
            texts.append(text)
            gold.append(language)
    old = [code for code, _ in before.detect(texts)]
    new = [code for code, _ in after.detect(texts)]
    return {
        "n": len(texts),
        "changed": sum(o != n for o, n in zip(old, new, strict=True)),
        "before": score(gold, old, preferred),
        "after": score(gold, new, preferred),
        "left_out_before": sum(code not in {*preferred, "und"} for code in old),
        "left_out_after": sum(code not in {*preferred, "und"} for code in new),
    }


def grid(data: Path, split: str = "val", preferred: Sequence[str] = ("fr", "en")) -> list[dict[str, Any]]:
    """Kept and pulled in (no hi) on the split's whole tweets and first words together, for
    each ``min_confidence`` and number of candidates; ``gain@p``: the share of a brand's
    mentions counted rightly gained over no fallback, when a share ``p`` of them is written in
    its languages."""
    tweets = load_split(data, split)
    cut = [first_words(t) for t in tweets.texts]
    both = [(t, g) for t, g in zip(tweets.texts, tweets.languages, strict=True)]
    both += [(t, g) for t, g in zip(cut, tweets.languages, strict=True) if len(t.split()) >= 2]
    gold = [g for _, g in both]
    found = LanguageDetector().candidates([t for t, _ in both], k=max(GRID_CANDIDATES))
    none = score(gold, [c[0][0] if c else "und" for c in found], preferred)
    rows = []
    for confidence in GRID_CONFIDENCES:
        for k in GRID_CANDIDATES:
            detected = [choose(c, preferred, confidence, k)[0] for c in found]
            s = score(gold, detected, preferred)
            gains = {
                f"gain@{p}": round(
                    p * (s["kept"] - none["kept"]) - (1 - p) * (s["pulled_in_no_hi"] - none["pulled_in_no_hi"]), 4
                )
                for p in GRID_PRIORS
            }
            rows.append({"min_confidence": confidence, "candidates": k, **s, **gains})
    return rows


def table(result: dict[str, Any]) -> str:
    """The result as a text table, before -> after."""
    lines = [
        f"{result['split']} split of {result['data']}; preferred: {', '.join(result['preferred'])}",
        f"before: {result['before']}",
        f"after:  {result['after']}",
        "",
        f"{'set':20} {'n':>5} {'accuracy':>15} {'kept en/fr':>15} {'pulled in':>15} {'pulled (no hi)':>15} "
        f"{'changed':>7} {'texts/s':>13}",
    ]
    rows = dict(result["sets"])
    if "demo" in result:
        rows["demo corpus"] = result["demo"]
    for name, row in rows.items():
        b, a = row["before"], row["after"]
        speed = row.get("texts_per_second")
        lines.append(
            f"{name:20} {b['n']:>5} {_arrow(b, a, 'accuracy'):>15} {_arrow(b, a, 'kept'):>15} "
            f"{_arrow(b, a, 'pulled_in'):>15} {_arrow(b, a, 'pulled_in_no_hi'):>15} {row['changed']:>7} "
            f"{(str(speed['before']) + '->' + str(speed['after'])) if speed else '':>13}"
        )
    if "demo" in result:
        demo = result["demo"]
        lines.append(
            f"demo: {demo['changed']} of {demo['n']} posts change language; left out of fr/en brands: "
            f"{demo['left_out_before']} before, {demo['left_out_after']} after"
        )
    lines.append("kept: share of en/fr tweets counted; pulled in: share of other tweets counted (hi: romanized Hindi)")
    return "\n".join(lines)


def grid_table(rows: list[dict[str, Any]]) -> str:
    head = f"{'min_conf':>8} {'k':>2} {'kept':>7} {'pulled(no hi)':>13} " + " ".join(
        f"{f'gain@{p}':>10}" for p in GRID_PRIORS
    )
    lines = [head]
    for r in rows:
        mark = " <- chosen" if (r["min_confidence"], r["candidates"]) == (MIN_CONFIDENCE, CANDIDATES) else ""
        lines.append(
            f"{r['min_confidence']:>8.2f} {r['candidates']:>2} {r['kept']:>7.4f} {r['pulled_in_no_hi']:>13.4f} "
            + " ".join(f"{r[f'gain@{p}']:>+10.4f}" for p in GRID_PRIORS)
            + mark
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.bench.language",
        description="Language identification before and after the brands' languages fallback, on XLM-T's eight "
        "languages and the demo corpus.",
        epilog="Example: python -m ecoute.bench.language --data ../shared/benchmarks/sentiment/xlmt/all",
    )
    parser.add_argument("--data", type=Path, required=True, help="XLM-T's all/ folder ({split}_text.txt)")
    parser.add_argument("--split", default="test", help="val or test (default: %(default)s)")
    parser.add_argument(
        "--preferred",
        type=lambda text: [code.strip() for code in text.split(",") if code.strip()],
        default=["fr", "en"],
        help="the brands' languages, comma-separated (default: fr,en)",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not read the demo corpus")
    parser.add_argument("--grid", action="store_true", help="print the choices of min_confidence and candidates")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    if args.grid:
        rows = grid(args.data, args.split, args.preferred)
        print(json.dumps(rows, indent=1) if args.json else grid_table(rows))
        return 0
    result = run(args.data, args.split, args.preferred, demo=not args.no_demo)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


def _timed(detector: LanguageDetector, texts: list[str]) -> tuple[list[str], float]:
    began = time.perf_counter()
    found = detector.detect(texts)
    return [code for code, _ in found], max(time.perf_counter() - began, 1e-9)


def _share(flags: Sequence[bool]) -> float | None:
    """The share of true flags; None for no flags (a set without posts of that kind)."""
    return round(sum(flags) / len(flags), 4) if flags else None


def _arrow(before: dict[str, Any], after: dict[str, Any], key: str) -> str:
    if before[key] is None:
        return "-"
    return f"{before[key]:.3f}->{after[key]:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
