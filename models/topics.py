"""Topics of mentions: BERTopic over precomputed embeddings, with assignments that stay put.

The pipeline embeds each mention once and passes the embeddings in; nothing here embeds text.

How a fit works:

1. Each embedding is centred on the mean embedding of its language (English, French, or
   the corpus mean when the language is unclear), then re-normalised. Multilingual e5
   places "card declined" and "carte refusée" close, but a shared language direction
   still makes UMAP + HDBSCAN split one theme into a French and an English cluster;
   per-language centring removes that direction (Libovický et al., 2020, "On the
   Language Neutrality of Pre-trained Multilingual Representations").
2. UMAP + HDBSCAN cluster (a deterministic sample of) the centred embeddings.
3. Each cluster's centroid becomes a topic embedding, and *every* document, outliers
   included, is assigned to its nearest topic embedding (cosine). ``transform`` applies
   exactly the same rule, before and after ``save``/``load``, so a document always gets
   the topic ``fit`` gave it. BERTopic's own ``reduce_outliers`` + ``update_topics`` +
   reload path is inconsistent (BERTopic #1809, #2198), so it is not used.
4. BERTopic, in its "manual" mode (no reducer, no clusterer, topics given as ``y``),
   computes c-TF-IDF keywords for those final topics.

``save`` writes a BERTopic safetensors directory (with c-TF-IDF, so analysts can open it
with ``BERTopic.load``) plus this module's own files; ``load`` reads only the latter, so
``transform`` after a load needs neither bertopic, umap nor torch.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.errors import ModelError, ModelNotFound

UMAP_NEIGHBORS = 15
UMAP_COMPONENTS = 5
LABEL_TERMS = 4
TOP_KEYWORDS = 10
REPRESENTATIVE_DOCS = 3
# Softmax temperature turning cosine similarities to the topic embeddings into probabilities.
PROBABILITY_TEMPERATURE = 0.05
# Rows of the stored language means; "*" (the corpus mean) serves every other language.
LANGUAGES = ("*", "en", "fr")

_FORMAT = 1
_META_FILE = "ecoute_topics.json"
_TENSORS_FILE = "ecoute_topics.safetensors"
_STOPWORDS_DIR = Path(__file__).parent / "stopwords"
_EMPTY_DOC = "emptydoc"  # what BERTopic puts in place of a topic with no text

# Keywords are words of 3+ letters, accented letters included, no digits.
KEYWORD_TOKEN = r"(?u)\b[^\W\d_]{3,}\b"
_KEYWORD_TOKEN = re.compile(KEYWORD_TOKEN)
_WORD = re.compile(r"[^\W\d_]+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\ufe0f\u200d\U000e0020-\U000e007f]")


@dataclass(frozen=True)
class TopicInfo:
    topic_id: int
    label: str
    keywords: list[str]
    size: int
    representative_docs: list[str]


@dataclass(frozen=True)
class TopicAssignment:
    topic_ids: list[int]
    probabilities: list[float]


class TopicModel:
    """Topics for mentions, fitted on precomputed L2-normalised embeddings.

    ``identity`` is ``bertopic==<version>/<fingerprint>``; the fingerprint hashes the
    parameters and the fitted topic embeddings, so it changes when a refit gives different
    topics and survives ``save``/``load``.
    """

    def __init__(
        self,
        *,
        min_topic_size: int = 15,
        extra_stop_words: Sequence[str] = (),
        seed: int = 42,
        max_fit_docs: int = 20000,
    ) -> None:
        if min_topic_size < 2:
            raise ValueError(f"min_topic_size must be >= 2, got {min_topic_size}")
        if max_fit_docs < 1:
            raise ValueError(f"max_fit_docs must be >= 1, got {max_fit_docs}")
        if isinstance(extra_stop_words, str):
            raise TypeError("extra_stop_words takes a sequence of words, not one string")
        self.min_topic_size = min_topic_size
        self.extra_stop_words = tuple(extra_stop_words)
        self.seed = seed
        self.max_fit_docs = max_fit_docs
        self.identity = ""
        self._centroids: np.ndarray | None = None  # (topics, dim), row i is topic i
        self._language_means: np.ndarray | None = None  # (len(LANGUAGES), dim)
        self._topics: list[TopicInfo] = []
        self._bertopic: Any = None
        self._saved_at: Path | None = None

    def _params(self) -> dict[str, Any]:
        return {
            "min_topic_size": self.min_topic_size,
            "extra_stop_words": list(self.extra_stop_words),
            "seed": self.seed,
            "max_fit_docs": self.max_fit_docs,
        }

    def fit(self, docs: Sequence[str], embeddings: np.ndarray) -> TopicAssignment:
        """Learn topics from (a sample of at most ``max_fit_docs``) docs; assign all docs."""
        docs, vectors = _check_inputs(docs, embeddings)
        if not docs:
            raise ValueError("fit() needs at least one document")
        rng = np.random.default_rng(self.seed)
        if len(docs) > self.max_fit_docs:
            sample = np.sort(rng.choice(len(docs), self.max_fit_docs, replace=False))
        else:
            sample = np.arange(len(docs))
        languages = np.array([_language(doc) for doc in docs])
        self._language_means = _language_means(vectors[sample], languages[sample], self.min_topic_size)
        centred = self._centre(vectors, languages)
        clusters = self._cluster(centred[sample])
        centroids = _centroids(centred[sample], clusters)
        topic_ids = _nearest(centred, centroids)
        # A cluster whose members are all nearer other centroids is dropped.
        while len(kept := np.unique(topic_ids[sample])) < len(centroids):
            centroids = centroids[kept]
            topic_ids = _nearest(centred, centroids)

        bertopic, order = self._fit_keywords([docs[i] for i in sample], centred[sample], topic_ids[sample])
        self._centroids = centroids[order]
        bertopic.topic_embeddings_ = self._centroids
        self._bertopic = bertopic
        self._saved_at = None
        topic_ids = np.argsort(order)[topic_ids]  # renumber to BERTopic's ids
        sizes = np.bincount(topic_ids, minlength=len(order))
        self._topics = []
        for topic in range(len(order)):
            keywords = [w for w, score in bertopic.get_topic(topic) if w and w != _EMPTY_DOC and score > 0]
            members = sample[topic_ids[sample] == topic]
            scores = centred[members] @ self._centroids[topic]
            ranked = [docs[i] for i in members[np.argsort(-scores, kind="stable")]]
            info = TopicInfo(
                topic_id=topic,
                label=_label(keywords) or f"topic {topic}",
                keywords=keywords,
                size=int(sizes[topic]),
                representative_docs=_distinct(ranked, REPRESENTATIVE_DOCS),
            )
            self._topics.append(info)
        bertopic.set_topic_labels({t.topic_id: t.label for t in self._topics})
        bertopic.representative_docs_ = {t.topic_id: t.representative_docs for t in self._topics}
        self.identity = f"bertopic=={version('bertopic')}/{self._fingerprint()}"
        return self._assignment(centred, topic_ids)

    def transform(self, docs: Sequence[str], embeddings: np.ndarray) -> TopicAssignment:
        """Assign each doc to its nearest topic (the rule ``fit`` used for its own docs)."""
        centroids = self._fitted()
        docs, vectors = _check_inputs(docs, embeddings)
        if vectors.shape[1] != centroids.shape[1]:
            raise ValueError(
                f"embeddings have {vectors.shape[1]} dimensions; this model was fitted on {centroids.shape[1]}"
            )
        centred = self._centre(vectors, np.array([_language(doc) for doc in docs]))
        return self._assignment(centred, _nearest(centred, centroids))

    def topics(self) -> list[TopicInfo]:
        """The topics, by id (largest first); there is no outlier topic."""
        self._fitted()
        return list(self._topics)

    @property
    def topic_embeddings(self) -> np.ndarray:
        """Unit vectors, row i for topic i, in the language-centred embedding space."""
        return self._fitted().copy()

    @property
    def bertopic(self) -> Any:
        """The underlying ``bertopic.BERTopic`` (keywords, c-TF-IDF, plots); loaded lazily."""
        self._fitted()
        if self._bertopic is None and self._saved_at is not None:
            from bertopic import BERTopic
            from bertopic.backend import BaseEmbedder

            with _quiet_bertopic():
                self._bertopic = BERTopic.load(str(self._saved_at), embedding_model=BaseEmbedder())
        return self._bertopic

    def save(self, path: Path) -> None:
        """Write the model to the directory ``path`` (created if needed)."""
        centroids = self._fitted()
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with _quiet_bertopic():
            self.bertopic.save(
                path,
                serialization="safetensors",
                save_ctfidf=True,
                save_embedding_model=False,
            )
        assert self._language_means is not None
        save_file(
            {"topic_embeddings": centroids, "language_means": self._language_means},
            str(path / _TENSORS_FILE),
        )
        meta = {
            "format": _FORMAT,
            "identity": self.identity,
            "params": self._params(),
            "languages": list(LANGUAGES),
            "topics": [asdict(t) for t in self._topics],
        }
        (path / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> TopicModel:
        """Read a model written by ``save``; needs neither bertopic nor umap to transform."""
        from safetensors.numpy import load_file

        path = Path(path)
        if not (path / _META_FILE).is_file() or not (path / _TENSORS_FILE).is_file():
            raise ModelNotFound(f"no topic model at {path} ({_META_FILE} is missing)")
        meta = json.loads((path / _META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT or meta.get("languages") != list(LANGUAGES):
            raise ModelError(f"{path} holds a topic model in an unsupported format")
        tensors = load_file(str(path / _TENSORS_FILE))
        model = cls(**meta["params"])
        model.identity = meta["identity"]
        model._centroids = tensors["topic_embeddings"]
        model._language_means = tensors["language_means"]
        model._topics = [TopicInfo(**t) for t in meta["topics"]]
        model._saved_at = path
        if len(model._topics) != len(model._centroids):
            raise ModelError(f"{path} is inconsistent: topic count differs from embeddings")
        return model

    def __repr__(self) -> str:
        return f"TopicModel({self.identity or 'unfitted'!r}, topics={len(self._topics)})"

    def _fitted(self) -> np.ndarray:
        if self._centroids is None:
            raise ModelError("this TopicModel is not fitted; call fit() or load()")
        return self._centroids

    def _centre(self, vectors: np.ndarray, languages: np.ndarray) -> np.ndarray:
        assert self._language_means is not None
        rows = np.array([LANGUAGES.index(lang) for lang in languages], dtype=np.intp)
        return _unit(vectors - self._language_means[rows])

    def _cluster(self, centred: np.ndarray) -> np.ndarray:
        """UMAP + HDBSCAN labels (-1: outlier); all zeros when there is no structure to find."""
        if len(centred) < 2 * self.min_topic_size:
            return np.zeros(len(centred), dtype=np.intp)
        from hdbscan import HDBSCAN

        with warnings.catch_warnings():
            # umap announces on import that its optional TensorFlow part is unavailable
            warnings.filterwarnings("ignore", "Tensorflow not installed", ImportWarning)
            from umap import UMAP

        reduced = UMAP(
            n_neighbors=UMAP_NEIGHBORS,
            n_components=UMAP_COMPONENTS,
            min_dist=0.0,
            metric="cosine",
            random_state=self.seed,
            n_jobs=1,  # what random_state implies; said explicitly to avoid UMAP's warning
        ).fit_transform(centred)
        # No prediction_data: new documents go to the nearest topic embedding, not through
        # HDBSCAN's approximate_predict, so that fit and transform agree.
        labels = (
            HDBSCAN(
                min_cluster_size=self.min_topic_size,
                metric="euclidean",
                cluster_selection_method="eom",
            )
            .fit(reduced)
            .labels_
        )
        if labels.max() < 0:
            return np.zeros(len(centred), dtype=np.intp)
        return labels

    def _fit_keywords(self, docs: list[str], centred: np.ndarray, topic_ids: np.ndarray) -> tuple[Any, np.ndarray]:
        """Fit BERTopic's c-TF-IDF on given topics; return it and its-id -> our-id order.

        The embeddings are passed only so that BERTopic never looks for an embedding model.
        """
        from bertopic import BERTopic
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction
        from bertopic.vectorizers import ClassTfidfTransformer
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(
            stop_words=stop_words() + _single_words(self.extra_stop_words),
            token_pattern=KEYWORD_TOKEN,
            ngram_range=(1, 2),
            min_df=1,  # c-TF-IDF counts topics here, not documents
        )
        bertopic = BERTopic(
            embedding_model=None,
            umap_model=BaseDimensionalityReduction(),
            hdbscan_model=BaseCluster(),
            vectorizer_model=vectorizer,
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            top_n_words=TOP_KEYWORDS,
            # "english" (the default) strips every non-ASCII character before counting
            language="multilingual",
        )
        brands = phrase_pattern(self.extra_stop_words)
        texts = [keyword_text(doc, brands) for doc in docs]
        # BERTopic renumbers topics by size; read its numbering back rather than guess ties.
        with _quiet_bertopic():
            assigned, _ = bertopic.fit_transform(texts, centred, y=topic_ids.tolist())
        pairs = set(zip(topic_ids.tolist(), assigned, strict=True))
        order = np.empty(len(pairs), dtype=np.intp)
        for ours, theirs in pairs:
            order[theirs] = ours
        if len(pairs) != len(set(assigned)) or sorted(order) != list(range(len(pairs))):
            raise ModelError("BERTopic did not keep the given topics one-to-one")
        return bertopic, order

    def _assignment(self, centred: np.ndarray, topic_ids: np.ndarray) -> TopicAssignment:
        centroids = self._fitted()
        logits = (centred @ centroids.T) / PROBABILITY_TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        chosen = weights[np.arange(len(topic_ids)), topic_ids] / weights.sum(axis=1)
        return TopicAssignment(topic_ids=topic_ids.tolist(), probabilities=chosen.tolist())

    def _fingerprint(self) -> str:
        digest = hashlib.sha256(json.dumps(self._params(), sort_keys=True).encode())
        assert self._centroids is not None and self._language_means is not None
        digest.update(np.ascontiguousarray(self._centroids, dtype="<f4").tobytes())
        digest.update(np.ascontiguousarray(self._language_means, dtype="<f4").tobytes())
        digest.update(json.dumps([t.keywords for t in self._topics], ensure_ascii=False).encode())
        return digest.hexdigest()[:16]


def map_topics(old: TopicModel, new: TopicModel, min_similarity: float = 0.6) -> dict[int, int | None]:
    """Map each old topic id to the most similar new topic, or None below ``min_similarity``.

    Similarity is the cosine of the topic embeddings. Two old topics may map to the same
    new one (they merged); a new topic no old topic maps to is new.
    """
    similarity = old.topic_embeddings @ new.topic_embeddings.T
    best = similarity.argmax(axis=1)
    return {
        old_id: int(best[old_id]) if similarity[old_id, best[old_id]] >= min_similarity else None
        for old_id in range(len(similarity))
    }


def keyword_text(doc: str, brands: re.Pattern[str] | None = None) -> str:
    """The text keywords are taken from: no URLs, @handles, emoji or brand names."""
    text = _EMOJI.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", doc)))
    if brands is not None:
        text = brands.sub(" ", text)
    return " ".join(text.split())


@functools.cache
def stop_words() -> list[str]:
    """English (scikit-learn's plus ``en_extra.txt``) and French (``fr.txt``) stop words.

    Includes the pieces the tokenizer leaves of elided forms ("c'est" -> "est"), which
    scikit-learn otherwise warns about.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) | _word_list("en_extra.txt") | _word_list("fr.txt")
    words |= {piece for word in words for piece in _KEYWORD_TOKEN.findall(word)}
    return sorted(words)


@functools.cache
def _word_list(name: str) -> frozenset[str]:
    lines = (_STOPWORDS_DIR / name).read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


@functools.cache
def _language_words() -> tuple[frozenset[str], frozenset[str]]:
    """Function words that are only English, and only French."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    english = frozenset(ENGLISH_STOP_WORDS) | _word_list("en_extra.txt")
    french = _word_list("fr.txt")
    return english - french, french - english


def _language(doc: str) -> str:
    """'en' or 'fr' by counting function words; '*' when neither clearly wins."""
    english, french = _language_words()
    words = _WORD.findall(_URL.sub(" ", doc).lower())
    en = sum(w in english for w in words)
    fr = sum(w in french for w in words)
    return "en" if en > fr else "fr" if fr > en else "*"


def _language_means(vectors: np.ndarray, languages: np.ndarray, min_docs: int) -> np.ndarray:
    """Mean vector per LANGUAGES row; a language with under ``min_docs`` docs gets the corpus mean."""
    corpus = vectors.mean(axis=0)
    rows = [
        vectors[languages == lang].mean(axis=0) if lang != "*" and (languages == lang).sum() >= min_docs else corpus
        for lang in LANGUAGES
    ]
    return np.array(rows, dtype=np.float32)


def _centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit mean vector of each cluster (outliers excluded), largest cluster first."""
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    ids = ids[np.argsort(-counts, kind="stable")]
    return _unit(np.array([vectors[labels == i].mean(axis=0) for i in ids]))


def _nearest(centred: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.asarray((centred @ centroids.T).argmax(axis=1), dtype=np.intp)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _label(keywords: list[str]) -> str:
    """The first LABEL_TERMS keywords, skipping those whose words are all already shown."""
    shown: set[str] = set()
    terms: list[str] = []
    for keyword in keywords:
        words = set(keyword.split())
        if words <= shown:
            continue
        terms.append(keyword)
        shown |= words
        if len(terms) == LABEL_TERMS:
            break
    return ", ".join(terms)


def _distinct(docs: list[str], n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for doc in docs:
        key = " ".join(doc.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append(doc)
            if len(out) == n:
                break
    return out


def _single_words(words: Sequence[str]) -> list[str]:
    """The lower-cased ``words`` that the tokenizer keeps whole (others go by ``_phrases``)."""
    return sorted({w.lower() for w in words if _KEYWORD_TOKEN.fullmatch(w.lower())})


def phrase_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of ``words`` (brand names) as whole words."""
    words = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _check_inputs(docs: Sequence[str], embeddings: np.ndarray) -> tuple[list[str], np.ndarray]:
    if isinstance(docs, str):
        raise TypeError("docs must be a sequence of texts, not a single string")
    docs = [d if isinstance(d, str) else str(d) for d in docs]
    vectors = np.asarray(embeddings, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(docs):
        raise ValueError(f"embeddings must have one row per doc: got shape {vectors.shape} for {len(docs)} docs")
    if not np.isfinite(vectors).all():
        raise ValueError("embeddings contain NaN or infinite values")
    return docs, vectors


class _DropNoEmbeddingModelWarnings(logging.Filter):
    """BERTopic warns on save/load that no embedding model is attached; here that is by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without explicitly defining an embedding model" not in record.getMessage()


@contextlib.contextmanager
def _quiet_bertopic() -> Iterator[None]:
    logger, drop = logging.getLogger("BERTopic"), _DropNoEmbeddingModelWarnings()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
