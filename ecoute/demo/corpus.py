"""The demo corpus: eight weeks of posts about two fictional neobanks, with planted truth.

    corpus = generate(Path("demo"), seed=7)  # demo/mentions.jsonl and demo/truth.json
    python -m ecoute.demo.corpus demo --seed 7 --scale 0.1

Zelia (brand A) and Norvo (brand B) are discussed in French and English on six platforms.
Four events are planted and described in truth.json, next to a label (theme, sentiment,
language, event, brand) for every post, so each stage of the pipeline can be checked
against what really happened:

- complaint_spike: a Zelia card-payment outage, a burst of complaints from day 36;
- new_theme: Norvo Metal, a paid metal card that nobody mentions before day 42;
- sentiment_decline: Norvo's share of negative posts grows from 25 % to 50 %;
- share_of_voice_shift: Norvo goes from 40 % to 55 % of brand mentions.

Each event is a layer over the baseline: the decline and the shift are planted on (and
truth.json states them for) posts outside the other events, as its `basis` says.
`strength` scales every planted event (spike and new-theme volumes, the decline's and the
shift's slopes) and `events` picks which are planted: `events=()` writes a flat corpus
whose truth has no events, the control on which a detector must raise nothing.

Three malformed lines are planted in mentions.jsonl too, for the quarantine. Event days
are given for 56 days and scale with `days`. The same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from ecoute.demo import people
from ecoute.demo.world import (
    BASELINE,
    BRAND_A,
    BRAND_ACCOUNTS,
    BRAND_B,
    EVENTS,
    METAL_KEYWORDS,
    MIN_DAYS,
    NEGATIVE_SHARE,
    SHARE_OF_VOICE,
    SPIKE,
    SPIKE_KEYWORDS,
    Plan,
    Post,
    World,
)

PLATFORM_PREFIXES = {
    "twitter": "tw",
    "reddit": "rd",
    "appstore": "as",
    "forum": "fo",
    "news": "nw",
    "mastodon": "ma",
}


@dataclass(frozen=True)
class DemoCorpus:
    mentions_path: Path  # JSONL, one post per line
    truth_path: Path  # JSON
    n_mentions: int  # good records written (excluding the malformed ones)
    start: date
    days: int
    seed: int


def generate(
    out_dir: Path,
    *,
    seed: int = 7,
    start: date = date(2026, 9, 7),
    days: int = 56,
    scale: float = 1.0,
    strength: float = 1.0,
    events: Sequence[str] | None = None,
) -> DemoCorpus:
    """Write `out_dir/mentions.jsonl` and `out_dir/truth.json`; same arguments, same bytes.

    `strength` multiplies the size of every planted event; `events` names those to plant
    (default: all of EVENTS; `()`: none).
    """
    if days < MIN_DAYS:
        raise ValueError(f"the demo corpus needs at least {MIN_DAYS} days, got {days}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if not strength > 0:
        raise ValueError(f"strength must be positive, got {strength}")
    planted = frozenset(EVENTS if events is None else events)
    if unknown := sorted(planted - set(EVENTS)):
        raise ValueError(f"unknown events {unknown}; known: {', '.join(EVENTS)}")
    rng = Random(seed)
    plan = Plan(start, days, strength, planted)
    world = World(rng, plan, people.Authors(rng))
    posts = [post for day in range(days) for post in world.day(day, scale)]
    posts += world.replies(posts)
    order = sorted(range(len(posts)), key=lambda i: (posts[i].at, i))
    posts = [posts[i] for i in order]
    for n, post in enumerate(posts, 1):
        post.id = f"{PLATFORM_PREFIXES[post.platform]}-{n:06d}"
    records = sorted((_record(p) for p in posts), key=lambda r: (r["created_at"], r["id"]))
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    for fraction, line in zip((0.75, 0.5, 0.25), _malformed(world, plan, len(posts)), strict=True):
        lines.insert(int(len(lines) * fraction), line)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mentions_path, truth_path = out_dir / "mentions.jsonl", out_dir / "truth.json"
    mentions_path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    truth = _truth(seed, plan, posts)
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return DemoCorpus(mentions_path, truth_path, len(posts), start, days, seed)


def summarize(corpus: DemoCorpus) -> str:
    """Counts a person checks first: per brand, language, platform and week."""
    labels = json.loads(corpus.truth_path.read_text(encoding="utf-8"))["labels"]
    records = []
    for line in corpus.mentions_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            day = (date.fromisoformat(record["created_at"][:10]) - corpus.start).days
        except (ValueError, KeyError):
            continue
        records.append((record, labels[record["id"]], day))
    ordinary = [(r, lab, d) for r, lab, d in records if r["in_reply_to"] is None]

    def counts(values: Sequence[object]) -> str:
        return ", ".join(f"{key}={n}" for key, n in sorted(Counter(values).items()))

    weeks = {}
    for brand in (BRAND_A, BRAND_B):
        weeks[brand] = [0] * math.ceil(corpus.days / 7)
        for _, lab, day in ordinary:
            weeks[brand][day // 7] += lab["brand"] == brand
    return "\n".join(
        [
            f"{corpus.n_mentions} mentions (+3 malformed lines) -> {corpus.mentions_path}",
            f"posts per brand: {counts([lab['brand'] for _, lab, _ in ordinary])}",
            f"brand replies:   {counts([r['author'] for r, _, _ in records if r['in_reply_to']])}",
            f"languages:       {counts([lab['language'] for _, lab, _ in records])}",
            f"platforms:       {counts([r['platform'] for r, _, _ in records])}",
            f"events:          {counts([lab['event'] for _, lab, _ in records if lab['event']])}",
            f"{BRAND_A} posts per week: {weeks[BRAND_A]}",
            f"{BRAND_B} posts per week: {weeks[BRAND_B]}",
            f"truth -> {corpus.truth_path}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecoute.demo.corpus",
        description="Write the demo corpus (mentions.jsonl, truth.json) into OUT_DIR.",
        epilog="Example: python -m ecoute.demo.corpus demo --seed 7 --scale 0.1",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path)
    parser.add_argument("--seed", type=int, default=7, help="same seed, same bytes")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies all volumes")
    parser.add_argument("--strength", type=float, default=1.0, help="multiplies the size of every planted event")
    parser.add_argument(
        "--events",
        type=lambda text: [e for e in text.split(",") if e],
        default=None,
        help=f"comma-separated events to plant (default: all of {','.join(EVENTS)}; '' for none)",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    corpus = generate(args.out_dir, seed=args.seed, scale=args.scale, strength=args.strength, events=args.events)
    print(summarize(corpus))
    print(f"generated in {time.perf_counter() - began:.1f}s")
    return 0


def _record(post: Post) -> dict[str, object]:
    return {
        "id": post.id,
        "platform": post.platform,
        "url": post.url,
        "author": post.author,
        "text": post.text,
        "created_at": post.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "likes": post.likes,
        "replies": post.replies,
        "shares": post.shares,
        "in_reply_to": post.reply_to.id if post.reply_to else None,
    }


def _malformed(world: World, plan: Plan, n_good: int) -> list[str]:
    """Three lines the file connector must quarantine, not drop, and not crash on."""
    lines = []
    for k, flaw in enumerate(("not json", "no created_at", "bad created_at"), 1):
        post = world.organic(BRAND_A, world.rng.randrange(plan.days))
        post.id = f"{PLATFORM_PREFIXES[post.platform]}-{n_good + k:06d}"
        record = _record(post)
        if flaw == "not json":
            line = json.dumps(record, ensure_ascii=False)
            lines.append(line[: len(line) // 2])
            continue
        if flaw == "no created_at":
            del record["created_at"]
        else:
            record["created_at"] = "yesterday"
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def _truth(seed: int, plan: Plan, posts: Sequence[Post]) -> dict[str, object]:
    spike_days = Counter((p.at.date() - plan.start).days for p in posts if p.event == "complaint_spike")
    peak = max(sorted(spike_days), key=spike_days.__getitem__) if spike_days else plan.spike_day
    last = plan.days - 1
    negative_end = NEGATIVE_SHARE[0] + (NEGATIVE_SHARE[1] - NEGATIVE_SHARE[0]) * plan.strength
    share_end = SHARE_OF_VOICE[0] + (SHARE_OF_VOICE[1] - SHARE_OF_VOICE[0]) * plan.strength
    events = [
        {
            "kind": "complaint_spike",
            "brand": BRAND_A,
            "theme": "card_payments",
            "start": plan.date(plan.spike_day),
            "end": plan.date(plan.spike_day + len(SPIKE) - 1),
            "peak": plan.date(peak),
            "keywords_fr": SPIKE_KEYWORDS["fr"],
            "keywords_en": SPIKE_KEYWORDS["en"],
            "extra_mentions": sum(spike_days.values()),
        },
        {
            "kind": "new_theme",
            "brand": BRAND_B,
            "theme": "norvo_metal",
            "start": plan.date(plan.metal_day),
            "end": plan.date(last),
            "keywords_fr": METAL_KEYWORDS["fr"],
            "keywords_en": METAL_KEYWORDS["en"],
            "mentions": sum(p.event == "new_theme" for p in posts),
        },
        {
            "kind": "sentiment_decline",
            "brand": BRAND_B,
            "start": plan.date(0),
            "end": plan.date(last),
            "negative_share_start": NEGATIVE_SHARE[0],
            "negative_share_end": round(negative_end, 4),
            "basis": BASELINE,
        },
        {
            "kind": "share_of_voice_shift",
            "brand": BRAND_B,
            "start": plan.date(plan.shift_start),
            "end": plan.date(last),
            "share_start": SHARE_OF_VOICE[0],
            "share_end": round(share_end, 4),
            "basis": BASELINE,
        },
    ]
    events = [e for e in events if e["kind"] in plan.events]
    labels = {
        p.id: {
            "theme": p.theme,
            "sentiment": p.sentiment,
            "language": p.lang,
            "event": p.event,
            "brand": p.brand,
        }
        for p in posts
    }
    return {
        "seed": seed,
        "start": plan.start.isoformat(),
        "days": plan.days,
        "brands": {"A": BRAND_A, "B": BRAND_B},
        "brand_accounts": BRAND_ACCOUNTS,
        "events": events,
        "labels": labels,
    }


if __name__ == "__main__":
    raise SystemExit(main())
