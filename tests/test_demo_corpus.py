"""The demo corpus: realistic enough to exercise the pipeline, and its planted truth holds."""

from __future__ import annotations

import json
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ecoute.demo.corpus import DemoCorpus, generate, main

KEYS = ["id", "platform", "url", "author", "text", "created_at"]
KEYS += ["likes", "replies", "shares", "in_reply_to"]
PLATFORMS = {"twitter", "reddit", "appstore", "forum", "news", "mastodon"}
ACCOUNTS = {"Zelia": "zelia_help", "Norvo": "norvo_support"}


@dataclass
class Loaded:
    corpus: DemoCorpus
    truth: dict
    records: list[dict]  # the good ones, in file order
    bad_lines: list[str]

    @property
    def labels(self) -> dict[str, dict]:
        return self.truth["labels"]

    def day(self, record: dict) -> int:
        return (date.fromisoformat(record["created_at"][:10]) - self.corpus.start).days

    def event(self, kind: str) -> dict:
        return next(e for e in self.truth["events"] if e["kind"] == kind)

    def posts(self) -> list[dict]:
        """Ordinary posts: everything but the brand accounts' replies."""
        return [r for r in self.records if r["in_reply_to"] is None]


def load(corpus: DemoCorpus) -> Loaded:
    records, bad = [], []
    for line in corpus.mentions_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, KeyError):
            bad.append(line)
            continue
        records.append(record)
    truth = json.loads(corpus.truth_path.read_text(encoding="utf-8"))
    return Loaded(corpus, truth, records, bad)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load(generate(tmp_path_factory.mktemp("full")))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load(generate(tmp_path_factory.mktemp("small"), scale=0.1))


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    """A demo, a doc or a test that quotes the corpus must get the same one every time."""
    first = generate(tmp_path / "a", seed=11, scale=0.1)
    second = generate(tmp_path / "b", seed=11, scale=0.1)
    assert first.mentions_path.read_bytes() == second.mentions_path.read_bytes()
    assert first.truth_path.read_bytes() == second.truth_path.read_bytes()


def test_another_seed_another_corpus(tmp_path: Path) -> None:
    """The seed really drives the draw, so several corpora can be compared."""
    first = generate(tmp_path / "a", seed=11, scale=0.1)
    second = generate(tmp_path / "b", seed=12, scale=0.1)
    assert first.mentions_path.read_bytes() != second.mentions_path.read_bytes()


def test_full_scale_has_enough_of_everything(full: Loaded) -> None:
    """The demo needs thousands of posts, both brands, both languages, every platform."""
    assert full.corpus.n_mentions == len(full.records) >= 5000
    assert {full.day(r) for r in full.records} == set(range(56))
    languages = Counter(full.labels[r["id"]]["language"] for r in full.records)
    assert 0.50 < languages["fr"] / len(full.records) < 0.60
    assert {full.labels[r["id"]]["brand"] for r in full.records} == {"Zelia", "Norvo"}
    assert {r["platform"] for r in full.records} == PLATFORMS


def test_records_have_the_export_format(full: Loaded) -> None:
    """The file connector reads exactly these keys, sorted by time then id."""
    assert all(list(r) == KEYS for r in full.records)
    ids = [r["id"] for r in full.records]
    assert len(set(ids)) == len(ids)
    assert set(ids) == set(full.labels)
    keys = [(r["created_at"], r["id"]) for r in full.records]
    assert keys == sorted(keys)
    assert all(r["shares"] is None for r in full.records if r["platform"] == "appstore")
    assert all(isinstance(r["likes"], int) and r["likes"] >= 0 for r in full.records)


def test_posts_happen_in_european_daytime(full: Loaded) -> None:
    """Hourly charts look real only if nights (UTC 0-5) are quiet."""
    hours = Counter(int(r["created_at"][11:13]) for r in full.records)
    night = sum(hours[h] for h in range(0, 5))
    assert night / len(full.records) < 0.06


def test_every_post_names_its_brand(full: Loaded) -> None:
    """Brand matching finds every ordinary post; replies are found by their thread."""
    missing = [r["text"] for r in full.posts() if full.labels[r["id"]]["brand"].lower() not in r["text"].lower()]
    assert missing == []


def test_some_posts_compare_both_brands(full: Loaded) -> None:
    """About 8% of posts name both brands, the stuff of comparisons."""
    posts = full.posts()
    both = [r for r in posts if "zelia" in r["text"].lower() and "norvo" in r["text"].lower()]
    assert 0.05 < len(both) / len(posts) < 0.11


def test_replies_answer_complaints(full: Loaded) -> None:
    """Each brand reply hangs under a complaint about that brand, never names the rival."""
    by_id = {r["id"]: r for r in full.records}
    replies = [r for r in full.records if r["in_reply_to"] is not None]
    assert replies
    for reply in replies:
        complaint = by_id[reply["in_reply_to"]]
        label = full.labels[complaint["id"]]
        assert label["sentiment"] == "negative"
        assert complaint["in_reply_to"] is None
        assert reply["author"] == ACCOUNTS[label["brand"]]
        assert reply["created_at"] > complaint["created_at"]
        rival = "norvo" if label["brand"] == "Zelia" else "zelia"
        assert rival not in reply["text"].lower()


def test_zelia_answers_more_and_faster_than_norvo(full: Loaded) -> None:
    """The planted difference in care: Zelia ~80% within minutes, Norvo ~40% within hours."""
    by_id = {r["id"]: r for r in full.records}
    answered = Counter(full.labels[r["in_reply_to"]]["brand"] for r in full.records if r["in_reply_to"])
    complaints = Counter(
        full.labels[r["id"]]["brand"]
        for r in full.posts()
        if full.labels[r["id"]]["sentiment"] == "negative"
        and r["platform"] != "news"
        and full.labels[r["id"]]["theme"] not in ("comparison", "off_topic")
    )
    assert 0.7 < answered["Zelia"] / complaints["Zelia"] < 0.85
    assert 0.3 < answered["Norvo"] / complaints["Norvo"] < 0.45

    def median_delay(account: str) -> timedelta:
        def at(record: dict) -> datetime:
            return datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))

        delays = [at(r) - at(by_id[r["in_reply_to"]]) for r in full.records if r["author"] == account]
        return sorted(delays)[len(delays) // 2]

    assert median_delay("zelia_help") < timedelta(hours=1)
    assert median_delay("norvo_support") > timedelta(hours=3)


def test_duplicate_texts_are_rare(full: Loaded) -> None:
    """Templates that repeat would make topic models and dedup look better than they are."""
    texts = [r["text"] for r in full.records]
    assert (len(texts) - len(set(texts))) / len(texts) < 0.02


def test_texts_vary_in_length(full: Loaded) -> None:
    """Real posts run from a few words to several sentences."""
    lengths = [len(r["text"].split()) for r in full.posts()]
    assert min(lengths) <= 4
    assert max(lengths) >= 40
    assert 10 <= statistics.median(lengths) <= 30


@pytest.mark.parametrize("name", ["full", "small"])
def test_spike_week_dwarfs_zelia_baseline(name: str, request: pytest.FixtureRequest) -> None:
    """The outage must stand out as several times Zelia's normal daily volume."""
    loaded: Loaded = request.getfixturevalue(name)
    event = loaded.event("complaint_spike")
    peak = (date.fromisoformat(event["peak"]) - loaded.corpus.start).days
    assert peak == 36
    daily = Counter(loaded.day(r) for r in loaded.posts() if loaded.labels[r["id"]]["brand"] == "Zelia")
    baseline = statistics.median(daily[d] for d in range(35))
    assert daily[36] > 4 * baseline
    assert daily[37] > 3 * baseline
    spike = [r for r in loaded.records if loaded.labels[r["id"]]["event"] == "complaint_spike"]
    assert len(spike) == event["extra_mentions"]
    assert {loaded.day(r) for r in spike} <= {36, 37, 38, 39}
    negatives = [r for r in spike if loaded.labels[r["id"]]["sentiment"] == "negative"]
    assert len(negatives) / len(spike) > 0.8


def test_spike_speaks_of_declined_cards_in_both_languages(full: Loaded) -> None:
    """Keyword-based detection of the spike must work in French and in English."""
    event = full.event("complaint_spike")
    for lang in ("fr", "en"):
        keywords = [folded(k) for k in event[f"keywords_{lang}"]]
        spike = [
            r
            for r in full.records
            if full.labels[r["id"]]["event"] == "complaint_spike" and full.labels[r["id"]]["language"] == lang
        ]
        hits = [r for r in spike if any(k in folded(r["text"]) for k in keywords)]
        assert len(hits) / len(spike) > 0.8


@pytest.mark.parametrize("name", ["full", "small"])
def test_new_theme_vocabulary_is_absent_before_its_start(name: str, request: pytest.FixtureRequest) -> None:
    """A new theme is only new if not one word of it appears earlier."""
    loaded: Loaded = request.getfixturevalue(name)
    event = loaded.event("new_theme")
    start = (date.fromisoformat(event["start"]) - loaded.corpus.start).days
    assert start == 42
    keywords = [folded(k) for k in event["keywords_fr"] + event["keywords_en"]]
    before = [
        r["text"] for r in loaded.records if loaded.day(r) < start and any(k in folded(r["text"]) for k in keywords)
    ]
    assert before == []
    after = [r for r in loaded.records if loaded.labels[r["id"]]["event"] == "new_theme"]
    assert len(after) == event["mentions"]
    assert {loaded.labels[r["id"]]["language"] for r in after} == {"fr", "en"}
    spoken = [r for r in after if any(k in folded(r["text"]) for k in keywords)]
    assert len(spoken) / len(after) > 0.9  # the rest carry typos, as real posts do


def test_new_theme_is_discussed_daily(full: Loaded) -> None:
    """From the day after launch, 25 to 40 posts a day discuss Norvo Metal."""
    daily = Counter(full.day(r) for r in full.records if full.labels[r["id"]]["event"] == "new_theme")
    assert all(15 <= daily[d] <= 50 for d in range(43, 56))
    assert 25 <= statistics.mean(daily[d] for d in range(43, 56)) <= 40


def test_norvo_negative_share_rises(full: Loaded) -> None:
    """The slow sentiment decline: 25% negative in week 1, 50% in week 8."""
    weekly: dict[int, Counter[str]] = {}
    for r in full.posts():
        label = full.labels[r["id"]]
        if label["brand"] == "Norvo" and label["event"] is None:
            weekly.setdefault(full.day(r) // 7, Counter())[label["sentiment"]] += 1
    shares = [weekly[w]["negative"] / sum(weekly[w].values()) for w in range(8)]
    assert 0.22 < shares[0] < 0.28
    assert 0.47 < shares[7] < 0.53
    assert statistics.correlation(range(8), shares) > 0.8
    positives = [weekly[w]["positive"] / sum(weekly[w].values()) for w in range(8)]
    assert positives[7] < positives[0] - 0.1


def test_share_of_voice_shifts_to_norvo(full: Loaded) -> None:
    """Zelia holds ~60% of baseline mentions in weeks 1-4, Norvo reaches ~55% in week 8."""

    def norvo_share(weeks: range, *, baseline: bool) -> float:
        brands = Counter(
            full.labels[r["id"]]["brand"]
            for r in full.posts()
            if full.day(r) // 7 in weeks and not (baseline and full.labels[r["id"]]["event"])
        )
        return brands["Norvo"] / brands.total()

    event = full.event("share_of_voice_shift")
    assert 0.37 < norvo_share(range(4), baseline=True) < 0.43
    assert 0.52 < norvo_share(range(7, 8), baseline=True) < 0.58
    assert event["share_start"] == 0.4 and event["share_end"] == 0.55
    # Counting every post, Norvo Metal talk adds to the shift rather than hiding it.
    assert norvo_share(range(7, 8), baseline=False) > 0.6


def test_exactly_three_malformed_lines(full: Loaded) -> None:
    """The quarantine gets one of each flaw: not JSON, no created_at, unparseable date."""
    assert len(full.bad_lines) == 3
    flaws = []
    for line in full.bad_lines:
        try:
            record = json.loads(line)
        except ValueError:
            flaws.append("not json")
            continue
        flaws.append(record.get("created_at", "missing"))
    assert sorted(flaws) == ["missing", "not json", "yesterday"]
    bad_ids = {line.split('"id": "', 1)[1].split('"', 1)[0] for line in full.bad_lines}
    assert len(bad_ids) == 3
    assert not bad_ids & set(full.labels)


def test_truth_dates_follow_the_start(tmp_path: Path) -> None:
    """Dates in truth.json are computed, so another start moves every event with it."""
    corpus = generate(tmp_path, start=date(2027, 1, 4), scale=0.1)
    truth = json.loads(corpus.truth_path.read_text(encoding="utf-8"))
    events = {e["kind"]: e for e in truth["events"]}
    assert truth["start"] == "2027-01-04"
    assert events["complaint_spike"]["start"] == "2027-02-09"
    assert events["new_theme"]["start"] == "2027-02-15"
    assert events["sentiment_decline"]["end"] == "2027-02-28"


def test_scale_shrinks_volume_not_events(small: Loaded, full: Loaded) -> None:
    """Tests run at scale 0.1 and still see every planted event."""
    assert 0.07 < small.corpus.n_mentions / full.corpus.n_mentions < 0.13
    events = Counter(small.labels[r["id"]]["event"] for r in small.records)
    assert events["complaint_spike"] > 40
    assert events["new_theme"] > 25


def test_strength_scales_every_planted_event(tmp_path: Path, small: Loaded) -> None:
    """At strength 0.5 the spike and the new theme are half as big, the slopes half as steep."""
    half = load(generate(tmp_path, scale=0.1, strength=0.5))
    assert (
        0.4 < half.event("complaint_spike")["extra_mentions"] / small.event("complaint_spike")["extra_mentions"] < 0.6
    )
    assert 0.4 < half.event("new_theme")["mentions"] / small.event("new_theme")["mentions"] < 0.6
    assert half.event("sentiment_decline")["negative_share_end"] == 0.375
    assert half.event("share_of_voice_shift")["share_end"] == 0.475


def test_events_picks_what_is_planted(tmp_path: Path) -> None:
    """A corpus with the outage only: no new theme in its posts or its truth."""
    only = load(generate(tmp_path, scale=0.1, events=["complaint_spike"]))
    assert [e["kind"] for e in only.truth["events"]] == ["complaint_spike"]
    assert {label["event"] for label in only.labels.values()} == {None, "complaint_spike"}


def test_unknown_events_are_refused(tmp_path: Path) -> None:
    """A misspelt event is an error, not a corpus silently missing it."""
    with pytest.raises(ValueError, match="unknown events"):
        generate(tmp_path, scale=0.1, events=["complaint_spikes"])


def test_too_few_days_is_refused(tmp_path: Path) -> None:
    """Events need room: a corpus shorter than two weeks is an error, not a silent mess."""
    with pytest.raises(ValueError, match="at least 14 days"):
        generate(tmp_path, days=7)


def test_command_line_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m ecoute.demo.corpus OUT_DIR` writes both files and says what it wrote."""
    assert main([str(tmp_path), "--seed", "3", "--scale", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "mentions (+3 malformed lines)" in out
    assert "Zelia posts per week" in out
    assert (tmp_path / "mentions.jsonl").exists()
    assert (tmp_path / "truth.json").exists()
