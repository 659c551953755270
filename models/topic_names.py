"""Topic names a marketer can read: the topic's own phrases, chosen by what its posts mean.

c-TF-IDF ranks a topic's words by how much more often they occur in it than elsewhere;
its top four read as a list ("seconds, landed seconds, seconds magic, transfer landed"),
its bigrams are counted with the stop words taken out ("rate wrong" for "the rate is
wrong"), and they often name a detail, not the theme. Here the candidates are phrases as
people wrote them (:func:`candidate_phrases`: one to four words in a row, not starting or
ending with a stop word, found in several of the topic's posts and more often there than
elsewhere), and the encoder that embedded the posts also embeds them; the name is the
candidate nearest to the topic's centroid, and a second, different one is added when it
says something else (maximal marginal relevance, as BERTopic's ``KeyBERTInspired`` and
``MaximalMarginalRelevance`` do, but on our own encoder and offline).

Both sides are centred before comparing: every short phrase shares a direction in e5's
space, and so does every post, and those common directions would otherwise decide.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ecoute.models.contracts import Encoder
from ecoute.models.topic_space import unit

__all__ = ["CANDIDATES", "candidate_phrases", "name_topics"]

CANDIDATES = 20  # c-TF-IDF phrases per topic the name is chosen from
DIVERSITY = 0.6  # MMR weight of relevance against redundancy for the second phrase
SECOND_PHRASE_MIN = 0.7  # the second phrase's relevance, relative to the first's, to be shown
SECOND_PHRASE_MAX_SIMILARITY = 0.5  # and its (centred) cosine with the first: above, it says the same
SEPARATOR = " · "
MAX_PHRASE_WORDS = 4
MIN_PHRASE_DOCS = 3  # a phrase must occur in this many of the topic's posts (or a tenth, if fewer)
_CLAUSES = re.compile(r"[.!?;:,()\[\]\"«»“”…\n]+|\s[-–—]\s")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def candidate_phrases(
    topic_docs: Sequence[Sequence[str]], stop_words: frozenset[str] | set[str], n: int = CANDIDATES
) -> list[list[str]]:
    """For each topic (its docs), up to ``n`` phrases its posts use, most distinctive first.

    A phrase is 1-``MAX_PHRASE_WORDS`` consecutive words of one clause, lower-cased, that does
    not start or end with a stop word nor hold a digit. Its score is the share of the
    topic's posts that hold it times the log of how much more often they do than the posts
    of all topics (a c-TF-IDF over phrases rather than over single counted words).
    """
    per_topic = [Counter(p for doc in docs for p in _phrases(doc, stop_words)) for docs in topic_docs]
    everywhere: Counter[str] = Counter()
    for counts in per_topic:
        everywhere.update(counts)
    total = sum(len(docs) for docs in topic_docs) or 1
    out = []
    for docs, counts in zip(topic_docs, per_topic, strict=True):
        floor = max(2, min(MIN_PHRASE_DOCS, len(docs) // 10))
        scored = []
        for phrase, count in counts.items():
            if count < floor:
                continue
            here, overall = count / len(docs), everywhere[phrase] / total
            # longer phrases read better than their single words: a small bonus per word
            scored.append((here * math.log(1 + here / overall) * (1 + 0.25 * (phrase.count(" "))), phrase))
        scored.sort(key=lambda x: (-x[0], x[1]))
        out.append([phrase for _, phrase in scored[:n]])
    return out


def _phrases(doc: str, stop_words: frozenset[str] | set[str]) -> set[str]:
    """The distinct phrases of one post (a post counts once per phrase)."""
    found: set[str] = set()
    for clause in _CLAUSES.split(doc.lower()):
        words = _TOKEN.findall(clause)
        for start, first in enumerate(words):
            if first in stop_words or len(first) < 3 or any(c.isdigit() for c in first):
                continue
            for end in range(start, min(start + MAX_PHRASE_WORDS, len(words))):
                last = words[end]
                if any(c.isdigit() for c in last):
                    break
                if last not in stop_words and len(last) >= 3:
                    found.add(" ".join(words[start : end + 1]))
    return found


def name_topics(candidates: Sequence[Sequence[str]], centroids: np.ndarray, encoder: Encoder) -> list[str]:
    """One name per topic from its candidate phrases (best first); ``centroids`` are the unit
    means of each topic's post embeddings, in the encoder's own space (row i: topic i)."""
    if len(candidates) != len(centroids):
        raise ValueError(f"{len(candidates)} candidate lists for {len(centroids)} topics")
    phrases = sorted({p for topic in candidates for p in topic})
    if not phrases:
        return ["" for _ in candidates]
    vectors = encoder.encode(phrases)
    vectors = unit(vectors - vectors.mean(axis=0))
    index = {p: i for i, p in enumerate(phrases)}
    topics = unit(centroids - centroids.mean(axis=0)) if len(centroids) > 1 else unit(centroids)
    names = []
    for topic, own in enumerate(candidates):
        if not own:
            names.append("")
            continue
        rows = vectors[[index[p] for p in own]]
        relevance = rows @ topics[topic]
        first = int(relevance.argmax())
        chosen = [first]
        if len(own) > 1 and relevance[first] > 0:
            redundancy = rows @ rows[first]
            mmr = DIVERSITY * relevance - (1 - DIVERSITY) * redundancy
            mmr[first] = -np.inf
            second = int(mmr.argmax())
            distinct = redundancy[second] < SECOND_PHRASE_MAX_SIMILARITY and not _overlaps(own[first], own[second])
            if distinct and relevance[second] >= SECOND_PHRASE_MIN * relevance[first]:
                chosen.append(second)
        names.append(_capitalised(SEPARATOR.join(own[i] for i in chosen)))
    return names


def _overlaps(a: str, b: str) -> bool:
    """Whether one phrase repeats a word of the other ("card declined", "declined")."""
    return bool(set(a.split()) & set(b.split()))


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]
