"""Near-duplicate mentions: copies, copy-pastes and syndicated news share one group.

    grouper = DuplicateGrouper()
    index = grouper.build_index(rows)             # from the warehouse (dup_recent.sql), or
    index = DuplicateIndex.load(path)             # from a file saved with index.save(path)
    groups = grouper.assign(new_mentions, index)  # one duplicate_group per new mention

A mention's ``duplicate_group`` is the mention_id of the first mention of its group, so
counting distinct groups instead of rows keeps a retweet, a cross-post or one wire story
on five news sites from counting five times.

How two mentions are compared:

1. Their text is normalised (``ecoute.core.records.normalise_text``: NFKC, case-folded, URLs
   out), a leading ``RT @x:`` and a trailing ``via @x`` go, accents are dropped (hurried
   French typing loses them) and everything that is neither a letter nor a digit (emoji,
   punctuation, the ``#``/``@`` of tags) becomes a space.
2. The result is cut into overlapping character 4-grams. Characters, not words: one typo
   in a ten-word tweet breaks three of its eight word trigrams but only 4 of its ~50
   character 4-grams, so a typo or a dropped accent keeps the Jaccard similarity high.
3. MinHash (``NUM_PERM`` hash functions) summarises each set of shingles, and LSH
   (``BANDS`` bands of ``ROWS`` rows) finds the candidates that share a band: one lookup
   per band, so a batch costs the same whatever the size of the warehouse.
4. A candidate is a duplicate when the estimated Jaccard similarity reaches
   ``JACCARD_THRESHOLD`` and the two were published at most ``MAX_GAP`` apart; a short
   text needs an exact copy (``MIN_CHARS``).

A new mention joins the group of its most similar duplicate, or starts its own group (so
a group can chain: C joins A's group through B, a copy of A). Groups never change once
given (a mention that resembles two groups joins one; groups are not merged), so stored
enrichments stay valid. Within a batch, mentions are taken in (published_at, mention_id)
order, so feeding mentions in consecutive batches gives the same groups as one call with
all of them.

No embedding check: on the hand-made pairs of ``tests/test_duplicates.py`` e5 cosine
similarity put copies at 0.97-1.0 but also different posts on one topic at 0.90-0.96,
and a cosine >= 0.95 confirmation changed no group on the demo corpus (scale 0.2).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ecoute.core.records import as_utc, normalise_text
from ecoute.models.errors import ModelError, ModelMismatch

# Characters per shingle. On the hand-made pairs, 4 left the widest gap between the copies
# (lowest 0.73) and the different posts (highest 0.45); 3-grams are shared by unrelated
# texts ("ent", "the"), 5- and 6-grams lose more to each typo.
SHINGLE_CHARS = 4
# 128 hash functions estimate a Jaccard similarity of 0.6 to +/- 0.04 (one standard deviation).
NUM_PERM = 128
# 32 bands of 4 rows: a pair with Jaccard 0.5 shares a band with probability 0.87, one with
# 0.6 with probability 0.99, one with 0.3 with probability 0.23 (and is then rejected by
# the Jaccard check): pairs at the threshold are found, few useless candidates are.
BANDS, ROWS = 32, 4
# Estimated Jaccard similarity from which two mentions are copies. On the hand-made pairs,
# copies with a prefix, a tag, an outlet name or a typo score 0.73-1.0 and different posts
# on one topic, even those sharing a phrase, 0.45 at most: 0.6 sits between, with room.
JACCARD_THRESHOLD = 0.6
# Mentions published further apart are never grouped: cross-posts, retweets and syndicated
# stories come within hours or a day or two, while the same sentence written days apart is
# more likely two people than one copy.
MAX_GAP = timedelta(days=2)
# How far back, from the newest mention, the index keeps mentions (and the pipeline reads
# them back from the warehouse): twice MAX_GAP, so a batch a little out of time order
# still finds the mentions it could match.
INDEX_WINDOW = 2 * MAX_GAP
# A text with fewer letters and digits than this only groups with exact copies of it
# (RT and via marks aside): "Zelia est en panne ?" and "Zelia est en panne !!! 😡" are
# two people, not one copy, though their few shingles are all the same.
MIN_CHARS = 24

IDENTITY = f"minhash-char{SHINGLE_CHARS}-{NUM_PERM}x{BANDS}-j{JACCARD_THRESHOLD}"
_FORMAT = 1
_SEED = 20261101
_EMPTY = np.uint32(0xFFFFFFFF)  # the signature of a text without a single shingle

_RETWEET = re.compile(r"^(?:rt\s+@[\w.]+:?\s*)+")
_VIA = re.compile(r"\s*[(\[]?\s*via\s+@[\w.]+\s*[)\]]?$")
_NOT_WORD = re.compile(r"[\W_]+")


class NewMention(NamedTuple):
    mention_id: str
    published_at: datetime  # naive datetimes are taken as UTC, as in the warehouse
    text: str


class Match(NamedTuple):
    """Why a mention got its group: the mention it resembles most (itself when none)."""

    mention_id: str
    duplicate_of: str
    duplicate_group: str
    jaccard: float  # estimated; 1.0 for a mention that starts its group


def copied_text(text: str) -> str:
    """The text as a copy reproduces it: normalised, without ``RT @x:`` or ``via @x``."""
    return _VIA.sub("", _RETWEET.sub("", normalise_text(text))).strip()


def clean_text(text: str) -> str:
    """The text that shingles are cut from: ``copied_text`` without accents or symbols."""
    return _strip(copied_text(text))


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", text).strip()


def shingle_hashes(cleaned: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Stable 64-bit hashes of the overlapping character shingles of cleaned texts.

    Returns the hashes of all texts one after the other, and how many each text has (a
    text shorter than a shingle is one padded shingle; an empty text has none).
    """
    padded = [c.ljust(SHINGLE_CHARS, "\0") if c else "" for c in cleaned]
    counts = np.array([max(len(c) - SHINGLE_CHARS + 1, 0) for c in padded], dtype=np.int64)
    joined = "".join(padded)
    if not joined:
        return np.empty(0, dtype=np.uint64), counts
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE_CHARS + 1
    rolled = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE_CHARS):  # a polynomial hash of each window, wrapping at 2^64
        rolled = rolled * np.uint64(0x100000001B3) + codes[j : j + n]
    # keep the windows that lie inside one text
    starts = np.cumsum([0] + [len(c) for c in padded[:-1]])
    keep = np.concatenate([np.arange(s, s + k) for s, k in zip(starts, counts, strict=True)])
    hashes = rolled[keep]
    # splitmix64's finaliser spreads the rolling hashes over all 64 bits
    hashes ^= hashes >> np.uint64(30)
    hashes *= np.uint64(0xBF58476D1CE4E5B9)
    hashes ^= hashes >> np.uint64(27)
    hashes *= np.uint64(0x94D049BB133111EB)
    return hashes ^ (hashes >> np.uint64(31)), counts


def _epoch(moment: datetime) -> int:
    return int(as_utc(moment).replace(tzinfo=UTC).timestamp())


def _band_keys(signatures: np.ndarray) -> np.ndarray:
    """(n, NUM_PERM) signatures -> (n, BANDS) uint64 keys, one hash of each band's ROWS values."""
    bands = signatures.reshape(len(signatures), BANDS, ROWS).astype(np.uint64)
    keys = bands[:, :, 0]
    for r in range(1, ROWS):
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + bands[:, :, r]
    return keys


@dataclass(frozen=True)
class _Entry:
    mention_id: str
    published: int  # seconds since the epoch, UTC
    group: str
    chars: int  # letters and digits in the cleaned text; 0 means it is never matched
    copy_digest: bytes  # equal for texts equal once normalised, RT/via marks aside
    signature: np.ndarray  # (NUM_PERM,) uint32
    bands: list[int]  # the LSH bucket key of each band


class DuplicateIndex:
    """Recent mentions in LSH buckets, with their groups; ``save``/``load`` as one ``.npz``."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._slots: dict[str, int] = {}
        self._buckets: list[dict[int, set[int]]] = [{} for _ in range(BANDS)]
        self._next = 0
        self.newest: int | None = None  # epoch seconds of the newest mention ever added

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, mention_id: object) -> bool:
        return mention_id in self._slots

    def group_of(self, mention_id: str) -> str | None:
        slot = self._slots.get(mention_id)
        return None if slot is None else self._entries[slot].group

    @property
    def groups(self) -> dict[str, str]:
        """mention_id -> duplicate_group of every indexed mention."""
        return {e.mention_id: e.group for e in self._entries.values()}

    def _add(self, entry: _Entry) -> None:
        if entry.mention_id in self._slots:
            raise ModelError(f"mention {entry.mention_id!r} is already in the duplicate index")
        slot, self._next = self._next, self._next + 1
        self._entries[slot] = entry
        self._slots[entry.mention_id] = slot
        if entry.chars:
            for band, key in enumerate(entry.bands):
                self._buckets[band].setdefault(key, set()).add(slot)
        self.newest = entry.published if self.newest is None else max(self.newest, entry.published)

    def _candidates(self, entry: _Entry) -> list[_Entry]:
        slots: set[int] = set()
        for band, key in enumerate(entry.bands):
            slots |= self._buckets[band].get(key, set())
        return [self._entries[s] for s in sorted(slots)]

    def prune(self, before: datetime | int) -> int:
        """Drop the mentions published before `before` (a datetime or epoch seconds); returns how many."""
        cutoff = before if isinstance(before, int) else _epoch(before)
        old = [slot for slot, e in self._entries.items() if e.published < cutoff]
        for slot in old:
            entry = self._entries.pop(slot)
            del self._slots[entry.mention_id]
            if entry.chars:
                for band, key in enumerate(entry.bands):
                    bucket = self._buckets[band][key]
                    bucket.discard(slot)
                    if not bucket:
                        del self._buckets[band][key]
        return len(old)

    def save(self, path: str | Path) -> None:
        entries = list(self._entries.values())
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps({"format": _FORMAT, "identity": IDENTITY, "newest": self.newest})),
                mention_ids=np.array([e.mention_id for e in entries], dtype=str),
                groups=np.array([e.group for e in entries], dtype=str),
                published=np.array([e.published for e in entries], dtype=np.int64),
                chars=np.array([e.chars for e in entries], dtype=np.int64),
                copy_digests=np.array([list(e.copy_digest) for e in entries], dtype=np.uint8).reshape(-1, 16),
                signatures=np.array([e.signature for e in entries], dtype=np.uint32).reshape(-1, NUM_PERM),
            )

    @classmethod
    def load(cls, path: str | Path) -> DuplicateIndex:
        """Read a saved index; one written with other settings is refused (rebuild it instead)."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != _FORMAT or meta.get("identity") != IDENTITY:
                raise ModelMismatch(
                    f"{path} holds a duplicate index from {meta.get('identity')} (format {meta.get('format')}), "
                    f"not {IDENTITY} (format {_FORMAT}): rebuild it from the warehouse"
                )
            index = cls()
            columns = zip(
                data["mention_ids"].tolist(),
                data["published"].tolist(),
                data["groups"].tolist(),
                data["chars"].tolist(),
                data["copy_digests"],
                data["signatures"],
                strict=True,
            )
            bands = _band_keys(data["signatures"]).tolist()
            for (mention_id, published, group, chars, digest, signature), keys in zip(columns, bands, strict=True):
                index._add(_Entry(mention_id, published, group, chars, digest.tobytes(), signature.copy(), keys))
            index.newest = meta["newest"]
        return index


class DuplicateGrouper:
    """Gives each mention a ``duplicate_group``: the mention_id of the first of its near-copies."""

    identity = IDENTITY

    def __init__(self, *, jaccard_threshold: float = JACCARD_THRESHOLD, max_gap: timedelta = MAX_GAP) -> None:
        if not 0 < jaccard_threshold <= 1:
            raise ValueError(f"jaccard_threshold must be in (0, 1], got {jaccard_threshold}")
        if max_gap < timedelta(0):
            raise ValueError(f"max_gap must not be negative, got {max_gap}")
        self.jaccard_threshold = jaccard_threshold
        self.max_gap = max_gap
        rng = np.random.default_rng(_SEED)
        # multiply-shift hashing: the top 32 bits of a*x + b (mod 2^64), with a odd
        self._a = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._b = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures (n, NUM_PERM) uint32; a text without shingles gets all-max values."""
        return self._signatures([clean_text(t) for t in texts])

    def _signatures(self, cleaned: Sequence[str], chunk: int = 2048) -> np.ndarray:
        hashes, counts = shingle_hashes(cleaned)
        out = np.full((len(cleaned), NUM_PERM), _EMPTY, dtype=np.uint32)
        ends = np.cumsum(counts)
        rows = np.flatnonzero(counts)
        start = 0
        while start < len(rows):  # texts whose shingles fill about `chunk` rows at a time
            first = ends[rows[start]] - counts[rows[start]]
            stop = max(int(np.searchsorted(ends[rows], first + chunk, side="right")), start + 1)
            block = rows[start:stop]
            last = ends[block[-1]]
            hashed = (hashes[first:last, None] * self._a + self._b) >> np.uint64(32)
            offsets = ends[block] - counts[block] - first
            out[block] = np.minimum.reduceat(hashed, offsets, axis=0).astype(np.uint32)
            start = stop
        return out

    def _entries(self, mentions: Sequence[NewMention], groups: Sequence[str | None]) -> list[_Entry]:
        copied = [copied_text(m.text) for m in mentions]
        cleaned = [_strip(c) for c in copied]
        signatures = self._signatures(cleaned)
        bands = _band_keys(signatures).tolist()
        return [
            _Entry(
                mention_id=m.mention_id,
                published=_epoch(m.published_at),
                group=group or m.mention_id,
                chars=len(clean) - clean.count(" "),
                copy_digest=hashlib.blake2b(copy.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
                signature=signature,
                bands=keys,
            )
            for m, copy, clean, signature, keys, group in zip(
                mentions, copied, cleaned, signatures, bands, groups, strict=True
            )
        ]

    def _match(self, entry: _Entry, index: DuplicateIndex) -> Match:
        alone = Match(entry.mention_id, entry.mention_id, entry.mention_id, 1.0)
        if not entry.chars:
            return alone
        gap = int(self.max_gap.total_seconds())
        candidates = [
            other
            for other in index._candidates(entry)
            if abs(other.published - entry.published) <= gap
            and (min(entry.chars, other.chars) >= MIN_CHARS or entry.copy_digest == other.copy_digest)
        ]
        if not candidates:
            return alone
        agree = np.count_nonzero(np.stack([c.signature for c in candidates]) == entry.signature, axis=1)
        best = int(np.argmax(agree))  # the first of the most similar: the earliest indexed
        jaccard = float(agree[best]) / NUM_PERM
        if jaccard < self.jaccard_threshold:
            return alone
        return Match(entry.mention_id, candidates[best].mention_id, candidates[best].group, jaccard)

    def assign(self, new: Iterable[NewMention | tuple[str, datetime, str]], index: DuplicateIndex) -> list[str]:
        """The duplicate_group of each new mention, in input order; adds the mentions to `index`.

        A mention already in the index keeps its group. Afterwards the index drops the
        mentions published more than ``INDEX_WINDOW`` before the newest one.
        """
        return [m.duplicate_group for m in self.explain(new, index)]

    def explain(self, new: Iterable[NewMention | tuple[str, datetime, str]], index: DuplicateIndex) -> list[Match]:
        """Like ``assign``, with the mention each one resembles most and their similarity."""
        mentions = [NewMention(*m) for m in new]
        if len({m.mention_id for m in mentions}) != len(mentions):
            raise ModelError("a mention_id appears twice in one batch")
        order = sorted(range(len(mentions)), key=lambda i: (_epoch(mentions[i].published_at), mentions[i].mention_id))
        results: dict[int, Match] = {}
        fresh = []
        for i in order:
            group = index.group_of(mentions[i].mention_id)
            if group is None:
                fresh.append(i)
            else:
                results[i] = Match(mentions[i].mention_id, mentions[i].mention_id, group, 1.0)
        entries = self._entries([mentions[i] for i in fresh], [None] * len(fresh))
        for i, entry in zip(fresh, entries, strict=True):
            match = self._match(entry, index)
            index._add(replace(entry, group=match.duplicate_group))
            results[i] = match
        if index.newest is not None:
            index.prune(index.newest - int(max(INDEX_WINDOW, 2 * self.max_gap).total_seconds()))
        return [results[i] for i in range(len(mentions))]

    def build_index(self, rows: Iterable[tuple[str, datetime, str, str | None]]) -> DuplicateIndex:
        """An index of mentions already grouped: rows of (mention_id, published_at, text, duplicate_group).

        The pipeline reads them with ``warehouse/sql/dup_recent.sql`` (``$seconds`` =
        ``INDEX_WINDOW``). A row without a group (enriched before grouping existed) is its own group.
        """
        rows = list(rows)
        index = DuplicateIndex()
        for entry in self._entries([NewMention(*r[:3]) for r in rows], [r[3] for r in rows]):
            index._add(entry)
        return index
