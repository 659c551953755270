"""Near-duplicates: copies, retweets and syndicated stories share a group; different posts do not.

The hand-made pairs below are French and English posts about the demo's two neobanks;
each case says why it is (or is not) a copy. The demo corpus check runs on
``ecoute.demo.corpus.generate(seed=7, scale=0.2)``, ~1,100 posts.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from ecoute.demo.corpus import generate
from ecoute.models.duplicates import (
    INDEX_WINDOW,
    MAX_GAP,
    DuplicateGrouper,
    DuplicateIndex,
    NewMention,
    clean_text,
)
from ecoute.models.errors import ModelError, ModelMismatch
from ecoute.warehouse.connection import connect, run
from ecoute.warehouse.load import upsert_mentions

T0 = datetime(2026, 10, 12, 9, 30)

COPIES = [
    pytest.param(
        "Ma carte Zelia a encore été refusée au supermarché, c'est la troisième fois cette semaine.",
        "RT @julie_m: Ma carte Zelia a encore été refusée au supermarché, c'est la troisième fois cette semaine.",
        id="retweet-prefix",  # a retweet adds only "RT @user:"
    ),
    pytest.param(
        "My Zelia card got declined at the pharmacy again, third time this week. Not impressed.",
        "My Zelia card got declined at the pharmacy again, third time this week. Not impressed. https://t.co/a8Xk2",
        id="link-added",  # the copy carries a link
    ),
    pytest.param(
        "Norvo vient d'augmenter ses frais de tenue de compte sans prévenir personne #arnaque",
        "Norvo vient d'augmenter ses frais de tenue de compte sans prévenir personne",
        id="hashtag-removed",  # the copy drops a hashtag
    ),
    pytest.param(
        "Just switched from Zelia to Norvo and the onboarding took five minutes flat",
        "Just swtiched from Zelia to Norvo and the onbaording took five minutes flat",
        id="typos",  # two letter swaps, as typed in a hurry
    ),
    pytest.param(
        "Le virement instantané chez Norvo est vraiment rapide, arrivé en dix secondes",
        "Le virement instantané chez Norvo est vraiment rapide, arrivé en dix secondes 😍🔥",
        id="trailing-emoji",  # emoji appended to a copy
    ),
    pytest.param(
        "Les virements Zelia sont bloqués depuis ce matin, impossible de payer mon loyer",
        "les virements zelia sont bloques depuis ce matin, impossible de payer mon loyer",
        id="case-and-accents",  # retyped in lower case without accents
    ),
    pytest.param(
        "Zelia confirme une panne géante des paiements par carte dans toute la France",
        "Zelia confirme une panne géante des paiements par carte dans toute la France | Le Parisien",
        id="syndicated-outlet-name",  # one wire headline, a site appends its name
    ),
    pytest.param(
        "Norvo launches Norvo Metal, a €9.99/month premium card with travel insurance",
        "BREAKING: Norvo launches Norvo Metal, a €9.99/month premium card with travel insurance - Fintech Daily",
        id="syndicated-kicker-and-outlet",  # a site adds a kicker and its name
    ),
    pytest.param(
        "Norvo lance Norvo Metal, une carte premium à 9,99 €/mois avec assurance voyage. "
        "La néobanque vise les grands voyageurs.",
        "Norvo lance Norvo Metal, une carte premium à 9,99 €/mois avec assurance voyage. "
        "La néobanque vise les grands voyageurs et les freelances.",
        id="syndicated-lead-extended",  # a site extends the wire lead by a few words
    ),
    pytest.param(
        "Is anyone else's Zelia app stuck on the loading screen since the update?",
        "Is anyone else's Zelia app stuck on the loading screen since the update??",
        id="doubled-punctuation",  # a copy but for one more question mark
    ),
    pytest.param(
        "@zelia_help mon paiement a été refusé trois fois aujourd'hui, vous pouvez regarder ?",
        "@zelia_help mon paiement a été refusé trois fois aujourd'hui, vous pouvez regarder ? (via @marc_dupont)",
        id="via-credit",  # a copy credited with "via @user"
    ),
    pytest.param(
        "Zelia est en panne ?",
        "RT @lea_b: Zelia est en panne ?",
        id="short-retweet",  # a short text still groups with its exact retweet
    ),
    pytest.param(
        "Norvo cashback is honestly the best thing about this bank, got 12 euros back this month",
        "Norvo cashback is honestly the best thing about this bank, got 12 euros back this month",
        id="exact-copy",  # word for word
    ),
]

DIFFERENT = [
    pytest.param(
        "My Zelia card was declined at the supermarket this morning, so embarrassing",
        "Zelia declined my card at the petrol station, third time this month, I'm done",
        id="two-declined-card-complaints",  # same topic, two people's own words
    ),
    pytest.param(
        "Ma carte Zelia refusée à la boulangerie ce matin, la honte",
        "Carte refusée chez Carrefour avec Zelia, impossible de payer mes courses",
        id="two-refused-card-complaints-fr",  # same topic in French, different posts
    ),
    pytest.param(
        "Zelia est en panne ?",
        "Zelia est en panne !!! 😡",
        id="same-short-sentence",  # three common words by two people are not a copy
    ),
    pytest.param(
        "Norvo fees went up again this month, really thinking about leaving",
        "Norvo fees went down again this month, really happy I stayed",
        id="same-frame-opposite-message",  # shared frame, opposite news and opinion
    ),
    pytest.param(
        "Zelia confirme une panne géante des paiements par carte dans toute la France",
        "Zelia : la panne des paiements par carte est résolue, la néobanque promet un geste commercial",
        id="two-stories-one-outage",  # two news stories on the same outage
    ),
    pytest.param(
        "Norvo launches Norvo Metal, a €9.99/month premium card with travel insurance",
        "Is Norvo Metal worth €9.99/month? We tested the premium card for a month",
        id="launch-vs-review",  # a launch story and a review of the same product
    ),
    pytest.param(
        "Le service client de Norvo m'a répondu en deux minutes, franchement top",
        "Le service client de Zelia ne répond plus depuis trois jours, franchement nul",
        id="same-shape-other-brand",  # same sentence shape, other brand and opinion
    ),
    pytest.param(
        "Zelia app keeps crashing when I open the savings tab. Anyone else?",
        "Zelia app keeps crashing when I try to add a new payee, any fix?",
        id="two-bug-reports",  # two bug reports sharing their opening words
    ),
    pytest.param(
        "Ouvert un compte Norvo hier, vérification d'identité en dix minutes, rien à redire",
        "Ouverture de compte chez Zelia : trois semaines pour valider mon identité, j'abandonne",
        id="two-onboarding-stories",  # same topic, different brands and outcomes
    ),
    pytest.param(
        "Zelia vs Norvo for travel: Zelia has no FX fees, Norvo has better insurance",
        "Zelia vs Norvo for students: Norvo is free, Zelia gives cashback on food",
        id="two-comparisons",  # two comparisons sharing an opening
    ),
]


def pair_groups(first: str, second: str, gap: timedelta = timedelta(hours=3)) -> list[str]:
    return DuplicateGrouper().assign([("m1", T0, first), ("m2", T0 + gap, second)], DuplicateIndex())


@pytest.mark.parametrize(("original", "copy"), COPIES)
def test_a_copy_joins_the_group_of_its_original(original: str, copy: str) -> None:
    """An edited copy gets the original's mention_id as its group."""
    assert pair_groups(original, copy) == ["m1", "m1"]


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_different_posts_on_one_topic_stay_apart(first: str, second: str) -> None:
    """Two posts that are not copies each keep a group of their own."""
    assert pair_groups(first, second) == ["m1", "m2"]


def test_copies_published_far_apart_are_two_posts() -> None:
    """The same sentence more than MAX_GAP apart counts twice."""
    text = "Zelia a encore changé ses conditions sans prévenir, je regarde ailleurs"
    assert pair_groups(text, text, MAX_GAP + timedelta(hours=1)) == ["m1", "m2"]
    assert pair_groups(text, text, MAX_GAP - timedelta(hours=1)) == ["m1", "m1"]


def test_a_text_with_no_words_is_its_own_group() -> None:
    """Emoji-only posts are not grouped: nothing in them says they were copied."""
    assert pair_groups("😡😡😡", "😡😡😡") == ["m1", "m2"]


def test_cleaning_drops_what_a_copy_adds() -> None:
    """Retweet marks, links, accents, case and emoji do not reach the shingles."""
    assert clean_text("RT @a_b: Carte REFUSÉE chez #Zelia 😡 https://t.co/x (via @c)") == "carte refusee chez zelia"


def test_the_group_is_the_earliest_mention_whatever_the_input_order() -> None:
    """Within a batch, the earliest published copy names the group, and groups come back in input order."""
    text = "Norvo bloque mon virement depuis trois jours pour des vérifications, aucune réponse"
    batch = [
        ("late", T0 + timedelta(hours=2), text),
        ("early", T0, "RT @x: " + text),
        ("mid", T0 + timedelta(hours=1), text),
    ]
    assert DuplicateGrouper().assign(batch, DuplicateIndex()) == ["early", "early", "early"]


def test_groups_stay_put_across_batches() -> None:
    """A later batch joins existing groups by their ids and never renames them."""
    grouper, index = DuplicateGrouper(), DuplicateIndex()
    first = [
        ("a", T0, "Zelia a bloqué ma carte à l'étranger, impossible de payer l'hôtel"),
        ("b", T0 + timedelta(minutes=5), "Norvo Metal arrive : carte en métal et assurance voyage pour 9,99 €/mois"),
    ]
    assert grouper.assign(first, index) == ["a", "b"]
    before = index.groups
    second = [
        ("c", T0 + timedelta(hours=1), "RT @sam: Zelia a bloqué ma carte à l'étranger, impossible de payer l'hôtel 😤"),
        (
            "d",
            T0 + timedelta(hours=2),
            "Norvo Metal arrive : carte en métal et assurance voyage pour 9,99 €/mois - Les Echos",
        ),
        ("e", T0 + timedelta(hours=3), "Something else entirely: Zelia's new savings pots are neat"),
        ("a", T0, "Zelia a bloqué ma carte à l'étranger, impossible de payer l'hôtel"),
    ]
    assert grouper.assign(second, index) == ["a", "b", "e", "a"]
    assert {k: index.groups[k] for k in before} == before


def test_a_batch_with_a_repeated_mention_is_refused() -> None:
    """The same mention_id twice in one batch is a caller's bug, not two mentions."""
    with pytest.raises(ModelError, match="twice"):
        DuplicateGrouper().assign([("a", T0, "x"), ("a", T0, "x")], DuplicateIndex())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[NewMention], dict[str, dict[str, object]]]:
    """The demo corpus (seed 7, scale 0.2) as mentions in time order, with each post's record and truth."""
    corpus = generate(tmp_path_factory.mktemp("demo"), seed=7, scale=0.2)
    labels = json.loads(corpus.truth_path.read_text(encoding="utf-8"))["labels"]
    mentions, info = [], {}
    for line in corpus.mentions_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            published = datetime.fromisoformat(record["created_at"].removesuffix("Z"))
        except (ValueError, KeyError):
            continue  # the three malformed lines planted for the quarantine
        mentions.append(NewMention(record["id"], published, record["text"]))
        info[record["id"]] = {**record, **labels[record["id"]]}
    mentions.sort(key=lambda m: (m.published_at, m.mention_id))
    return mentions, info


def test_incremental_batches_give_the_same_groups_as_one_pass(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Batches, a save/load and a rebuild from rows in between change no group."""
    mentions, _ = demo
    grouper = DuplicateGrouper()
    at_once = grouper.assign(mentions, DuplicateIndex())
    quarter = len(mentions) // 4
    index = DuplicateIndex()
    batched = grouper.assign(mentions[:quarter], index)
    batched += grouper.assign(mentions[quarter : 2 * quarter], index)
    index.save(tmp_path / "dup.npz")
    index = DuplicateIndex.load(tmp_path / "dup.npz")
    batched += grouper.assign(mentions[2 * quarter : 3 * quarter], index)
    rows = [(m.mention_id, m.published_at, m.text, index.group_of(m.mention_id)) for m in mentions[: 3 * quarter]]
    index = grouper.build_index(rows)
    batched += grouper.assign(mentions[3 * quarter :], index)
    assert batched == at_once
    assert len(set(at_once)) < len(at_once)  # the check is not vacuous: there are groups


def test_demo_corpus_groups_are_real_duplicates(demo) -> None:  # type: ignore[no-untyped-def]
    """Every planted cross-post is grouped; every grouped post copies its match and shares its language."""
    mentions, info = demo
    matches = DuplicateGrouper().explain(mentions, DuplicateIndex())
    groups: dict[str, list[str]] = defaultdict(list)
    for match in matches:
        groups[match.duplicate_group].append(match.mention_id)
    shared = [ids for ids in groups.values() if len(ids) > 1]
    assert 20 <= len(shared) <= 60  # measured: 35 (4 cross-posts, 16 brand template replies, 15 reused sentences)

    group_of = {m.mention_id: m.duplicate_group for m in matches}
    cross_posts = [
        (a, b)
        for a, b in itertools.pairwise(mentions)
        if a.text == b.text and info[a.mention_id]["author"] == info[b.mention_id]["author"]
    ]
    assert len(cross_posts) >= 3
    assert all(group_of[a.mention_id] == group_of[b.mention_id] for a, b in cross_posts)

    texts = {m.mention_id: clean_text(m.text) for m in mentions}
    for match in matches:
        if match.duplicate_of == match.mention_id:
            continue
        a, b = texts[match.mention_id], texts[match.duplicate_of]
        blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        # the shorter text is mostly in the longer one, in order: a copy (measured: 0.79 at least)
        assert sum(block.size for block in blocks) >= 0.75 * min(len(a), len(b)), (a, b)
        assert info[match.mention_id]["language"] == info[match.duplicate_of]["language"]


def test_the_index_keeps_only_recent_mentions() -> None:
    """Mentions older than INDEX_WINDOW before the newest leave the index, so it does not grow with the warehouse."""
    grouper, index = DuplicateGrouper(), DuplicateIndex()
    published = {}
    for day in range(30):
        batch = [
            (f"{day}-{i}", T0 + timedelta(days=day, hours=i), f"post {i} of day {day} about Zelia") for i in range(20)
        ]
        published.update({mention_id: at for mention_id, at, _ in batch})
        grouper.assign(batch, index)
    newest = max(published.values())
    assert set(index.groups) == {k for k, at in published.items() if at >= newest - INDEX_WINDOW}
    assert len(index) < 20 * 6


def test_an_index_from_other_settings_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading an index saved with other shingles or thresholds says to rebuild it."""
    index = DuplicateIndex()
    DuplicateGrouper().assign([("a", T0, "Zelia a bloqué ma carte à l'étranger")], index)
    monkeypatch.setattr("ecoute.models.duplicates.IDENTITY", "minhash-other")
    index.save(tmp_path / "dup.npz")
    monkeypatch.undo()
    with pytest.raises(ModelMismatch, match="rebuild"):
        DuplicateIndex.load(tmp_path / "dup.npz")


def test_the_warehouse_query_returns_the_recent_grouped_mentions(warehouse_path: Path) -> None:
    """dup_recent.sql gives grouped mentions of the last INDEX_WINDOW, oldest first, ready for build_index."""
    from ecoute.core.records import Mention

    days = [0, 1, 2, 5, 6, 7]  # the newest is day 7: days 0-2 are outside a 4-day window
    with connect(warehouse_path) as con:
        con.execute("ALTER TABLE enrichments ADD COLUMN IF NOT EXISTS duplicate_group VARCHAR")
        upsert_mentions(
            con,
            [
                Mention("export", str(d), f"Zelia post of day {d}", T0 + timedelta(days=d), T0, ("Zelia",))
                for d in [*days, 8]
            ],
        )
        for d in days:  # day 8 has no enrichment yet
            con.execute(
                "INSERT INTO enrichments (mention_id, language, language_confidence, sentiment, sentiment_score,"
                " p_negative, p_neutral, p_positive, language_model, sentiment_model, encoder, enriched_at,"
                " duplicate_group) VALUES (?, 'en', 1, 'neutral', 0, 0, 1, 0, 'l', 's', 'e', ?, ?)",
                [f"export:{d}", T0, "export:5" if d == 6 else f"export:{d}"],
            )
        rows = run(con, "dup_recent", {"seconds": int(INDEX_WINDOW.total_seconds())}).fetchall()
    assert [r[0] for r in rows] == ["export:5", "export:6", "export:7"]
    index = DuplicateGrouper().build_index(rows)
    assert index.group_of("export:6") == "export:5"
