"""Topics of mentions: BERTopic over precomputed embeddings, with assignments that stay put.

The pipeline embeds each mention once and passes the embeddings in; nothing here embeds text.

How a fit works:

1. Each embedding is centred on the mean embedding of its language (English, French, or
   the corpus mean for any other language), then re-normalised. The languages are given
   (the pipeline passes the one detected at enrichment, ``enrichments.language``). Multilingual e5
   places "card declined" and "carte refusée" close, but a shared language direction
   still makes UMAP + HDBSCAN split one theme into a French and an English cluster;
   per-language centring removes that direction (Libovický et al., 2020, "On the
   Language Neutrality of Pre-trained Multilingual Representations").
2. A reducer and a clusterer (UMAP + HDBSCAN unless others are given, as BERTopic's
   ``umap_model`` / ``hdbscan_model``) cluster (a deterministic sample of) the centred embeddings.
3. Each cluster's centroid becomes a topic embedding, and *every* document, outliers
   included, is assigned to its nearest topic embedding (cosine). ``transform`` applies
   exactly the same rule, before and after ``save``/``load``, so a document always gets
   the topic ``fit`` gave it. BERTopic's own ``reduce_outliers`` + ``update_topics`` +
   reload path is inconsistent (BERTopic #1809, #2198), so it is not used.
4. BERTopic, in its "manual" mode (no reducer, no clusterer, topics given as ``y``),
   computes c-TF-IDF keywords for those final topics.

``save`` writes a BERTopic safetensors directory (with c-TF-IDF, so analysts can open it
with ``BERTopic.load``) plus this module's own files; ``load`` reads only the latter, so
``transform`` after a load needs neither bertopic, umap nor torch. The words (keyword
text, stop words, labels) are in ``models/topic_words.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.contracts import Encoder
from ecoute.models.errors import ModelError, ModelNotFound
from ecoute.models.topic_names import candidate_phrases, name_topics
from ecoute.models.topic_space import (
    LANGUAGES,
    Clusterer,
    Reducer,
    cluster_labels,
    language_means,
    language_rows,
    nearest,
    topic_centroids,
    unit,
)
from ecoute.models.topic_words import (
    KEYWORD_TOKEN,
    distinct_docs,
    keyword_text,
    phrase_pattern,
    single_words,
    stop_words,
    topic_label,
)

__all__ = ["Clusterer", "Reducer", "TopicAssignment", "TopicInfo", "TopicModel", "map_topics"]

TOP_KEYWORDS = 10
REPRESENTATIVE_DOCS = 3
# Softmax temperature turning cosine similarities to the topic embeddings into probabilities.
PROBABILITY_TEMPERATURE = 0.05
_FORMAT = 1
_META_FILE = "ecoute_topics.json"
_TENSORS_FILE = "ecoute_topics.safetensors"
_EMPTY_DOC = "emptydoc"  # what BERTopic puts in place of a topic with no text


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

    ``umap_model`` (any ``Reducer``) and ``hdbscan_model`` (any ``Clusterer``) replace the
    default UMAP and HDBSCAN, as in BERTopic; they are used by ``fit`` only and not saved.
    ``phrase_encoder``, the encoder that embedded the docs, names each topic with its own
    phrases (``models/topic_names.py``); without it a topic's label is its top keywords.
    """

    def __init__(
        self,
        *,
        min_topic_size: int = 15,
        extra_stop_words: Sequence[str] = (),
        seed: int = 42,
        max_fit_docs: int = 20000,
        umap_model: Reducer | None = None,
        hdbscan_model: Clusterer | None = None,
        phrase_encoder: Encoder | None = None,
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
        self.umap_model = umap_model
        self.hdbscan_model = hdbscan_model
        self.phrase_encoder = phrase_encoder
        self.identity = ""
        # share of the fitted sample the clusterer left as outliers (all are then assigned to
        # their nearest topic); None until fit, and not saved
        self.outlier_share: float | None = None
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

    def fit(
        self, docs: Sequence[str], embeddings: np.ndarray, languages: Sequence[str | None] | None = None
    ) -> TopicAssignment:
        """Learn topics from (a sample of at most ``max_fit_docs``) docs; assign all docs.

        ``languages``: each doc's detected language code (``None`` or any code other than
        en/fr is centred on the corpus mean). Without it the languages are guessed from
        function words, for callers that have none stored.
        """
        docs, vectors = _check_inputs(docs, embeddings)
        if not docs:
            raise ValueError("fit() needs at least one document")
        rng = np.random.default_rng(self.seed)
        if len(docs) > self.max_fit_docs:
            sample = np.sort(rng.choice(len(docs), self.max_fit_docs, replace=False))
        else:
            sample = np.arange(len(docs))
        rows = language_rows(docs, languages)
        self._language_means = language_means(vectors[sample], rows[sample], self.min_topic_size)
        centred = self._centre(vectors, rows)
        clusters = cluster_labels(centred[sample], self.min_topic_size, self.umap_model, self.hdbscan_model, self.seed)
        self.outlier_share = float((clusters < 0).mean())
        centroids = topic_centroids(centred[sample], clusters)
        topic_ids = nearest(centred, centroids)
        # A cluster whose members are all nearer other centroids is dropped.
        while len(kept := np.unique(topic_ids[sample])) < len(centroids):
            centroids = centroids[kept]
            topic_ids = nearest(centred, centroids)

        bertopic, order = self._fit_keywords([docs[i] for i in sample], centred[sample], topic_ids[sample])
        self._centroids = centroids[order]
        bertopic.topic_embeddings_ = self._centroids
        self._bertopic = bertopic
        self._saved_at = None
        topic_ids = np.argsort(order)[topic_ids]  # renumber to BERTopic's ids
        sizes = np.bincount(topic_ids, minlength=len(order))
        keyword_lists = [
            [w for w, score in bertopic.get_topic(topic) if w and w != _EMPTY_DOC and score > 0]
            for topic in range(len(order))
        ]
        names = self._names(docs, vectors, sample, topic_ids[sample], len(keyword_lists))
        self._topics = []
        for topic, keywords in enumerate(keyword_lists):
            members = sample[topic_ids[sample] == topic]
            scores = centred[members] @ self._centroids[topic]
            ranked = [docs[i] for i in members[np.argsort(-scores, kind="stable")]]
            info = TopicInfo(
                topic_id=topic,
                label=names[topic] or topic_label(keywords) or f"topic {topic}",
                keywords=keywords,
                size=int(sizes[topic]),
                representative_docs=distinct_docs(ranked, REPRESENTATIVE_DOCS),
            )
            self._topics.append(info)
        bertopic.set_topic_labels({t.topic_id: t.label for t in self._topics})
        bertopic.representative_docs_ = {t.topic_id: t.representative_docs for t in self._topics}
        self.identity = f"bertopic=={version('bertopic')}/{self._fingerprint()}"
        return self._assignment(centred, topic_ids)

    def transform(
        self, docs: Sequence[str], embeddings: np.ndarray, languages: Sequence[str | None] | None = None
    ) -> TopicAssignment:
        """Assign each doc to its nearest topic (the rule ``fit`` used for its own docs); ``languages`` as in fit."""
        centroids = self._fitted()
        docs, vectors = _check_inputs(docs, embeddings)
        if vectors.shape[1] != centroids.shape[1]:
            raise ValueError(
                f"embeddings have {vectors.shape[1]} dimensions; this model was fitted on {centroids.shape[1]}"
            )
        centred = self._centre(vectors, language_rows(docs, languages))
        return self._assignment(centred, nearest(centred, centroids))

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
            from bertopic import BERTopic  # heavy: bertopic loads only when its model is asked for
            from bertopic.backend import BaseEmbedder  # heavy, as bertopic

            with _quiet_bertopic():
                self._bertopic = BERTopic.load(str(self._saved_at), embedding_model=BaseEmbedder())
        return self._bertopic

    def save(self, path: Path) -> None:
        """Write the model to the directory ``path`` (created if needed)."""
        centroids = self._fitted()
        from safetensors.numpy import save_file  # heavy: safetensors loads only when a model is saved

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
        from safetensors.numpy import load_file  # heavy: safetensors loads only when a model is read

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
        return unit(vectors - self._language_means[rows])

    def _names(
        self, docs: list[str], vectors: np.ndarray, sample: np.ndarray, sample_topics: np.ndarray, topics: int
    ) -> list[str]:
        """Each topic's name from the phrases of its posts, or "" (keywords stand) without an encoder."""
        if self.phrase_encoder is None:
            return ["" for _ in range(topics)]
        brands = phrase_pattern(self.extra_stop_words)
        texts = [keyword_text(docs[i]) for i in sample]
        if brands is not None:  # a brand's name ends a phrase rather than joining its neighbours
            texts = [brands.sub(" , ", text) for text in texts]
        members = [np.flatnonzero(sample_topics == topic) for topic in range(topics)]
        stop = set(stop_words()) | set(single_words(self.extra_stop_words))
        candidates = candidate_phrases([[texts[i] for i in rows] for rows in members], stop)
        centroids = unit(np.array([vectors[sample[rows]].mean(axis=0) for rows in members]))
        return name_topics(candidates, centroids, self.phrase_encoder)

    def _fit_keywords(self, docs: list[str], centred: np.ndarray, topic_ids: np.ndarray) -> tuple[Any, np.ndarray]:
        """Fit BERTopic's c-TF-IDF on given topics; return it and its-id -> our-id order.

        The embeddings are passed only so that BERTopic never looks for an embedding model.
        """
        from bertopic import BERTopic  # heavy: bertopic loads only when topics are fitted
        from bertopic.cluster import BaseCluster  # heavy, as bertopic
        from bertopic.dimensionality import BaseDimensionalityReduction  # heavy, as bertopic
        from bertopic.vectorizers import ClassTfidfTransformer  # heavy, as bertopic
        from sklearn.feature_extraction.text import CountVectorizer  # heavy, as bertopic

        vectorizer = CountVectorizer(
            stop_words=stop_words() + single_words(self.extra_stop_words),
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
