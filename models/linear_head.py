"""A multinomial logistic regression on frozen embeddings, saved as ``head.safetensors`` + ``head.json``.

The shared part of the sentiment ``EmbeddingHead`` and the ``IntentModel``: fitting with
scikit-learn into plain float32 arrays (``coef_``, ``intercept_``), softmax scoring with numpy
alone, the weights hash behind ``identity``, and the files a head is saved to and loaded from.
A saved head records the identity of the encoder it was trained on and refuses any other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ecoute.models.contracts import Encoder
from ecoute.models.errors import ModelError, ModelMismatch, ModelNotFound

WEIGHTS_FILE = "head.safetensors"
METADATA_FILE = "head.json"


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so that it never overflows."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class LinearHead:
    """Logistic-regression weights over features of the encoder's embeddings.

    Subclasses say what the head is (``kind``, used in messages), what its metadata records
    (``_metadata_fields``) and, if the weights alone do not define it, what else goes into
    its hash (``_hash_salt``).
    """

    kind: ClassVar[str] = "head"

    def __init__(self, encoder: Encoder | None, *, C: float, max_iter: int, name: str) -> None:
        self.encoder = encoder
        self.C = C
        self.max_iter = max_iter
        self.name = name
        self.coef_: np.ndarray | None = None  # (classes, features)
        self.intercept_: np.ndarray | None = None  # (classes,)
        self.encoder_identity: str | None = encoder.identity if encoder is not None else None
        self.metadata: dict[str, Any] = {}

    # -- fitting and scoring ------------------------------------------------------------
    def _fit_weights(self, X: np.ndarray, y: np.ndarray, class_weight: str | None = None) -> None:
        # heavy: scikit-learn loads only when a head is trained
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, class_weight=class_weight, max_iter=self.max_iter).fit(X, y)
        self.coef_ = clf.coef_.astype(np.float32)
        self.intercept_ = clf.intercept_.astype(np.float32)

    def _weights(self) -> tuple[np.ndarray, np.ndarray]:
        if self.coef_ is None or self.intercept_ is None:
            raise ModelError(f"this {self.kind} is not fitted; call fit() or {type(self).__name__}.load()")
        return self.coef_, self.intercept_

    def _probabilities(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (float32) of feature rows ``X``."""
        coef, intercept = self._weights()
        return softmax(X @ coef.T + intercept).astype(np.float32)

    @property
    def identity(self) -> str:
        """``<name>@<sha256 of the weights, 12 hex>``: changes whenever the weights do."""
        return f"{self.name}@{self.weights_sha256()[:12]}"

    # -- persistence --------------------------------------------------------------------
    def tensors(self) -> dict[str, np.ndarray]:
        if self.coef_ is None or self.intercept_ is None:
            raise ModelError(f"cannot save an unfitted {self.kind}")
        return {"coef": np.ascontiguousarray(self.coef_), "intercept": np.ascontiguousarray(self.intercept_)}

    def _hash_salt(self) -> bytes:
        """What the hash starts from besides the weights (settings that change the head's meaning)."""
        return b""

    def weights_sha256(self) -> str:
        digest = hashlib.sha256(self._hash_salt())
        for key, array in sorted(self.tensors().items()):
            digest.update(key.encode() + array.tobytes())
        return digest.hexdigest()

    def _metadata_fields(self, tensors: Mapping[str, np.ndarray]) -> dict[str, Any]:
        """What ``save`` records about the head, after the caller's metadata."""
        raise NotImplementedError

    def save(self, path: str | Path, metadata: Mapping[str, Any] | None = None) -> Path:
        """Write ``head.safetensors`` and ``head.json`` (provenance) into directory ``path``."""
        # heavy: safetensors loads only when a head is written
        from safetensors.numpy import save_file

        if self.encoder_identity is None:
            raise ModelError(f"cannot save this {self.kind} without the identity of the encoder it was trained on")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = self.tensors()
        save_file(tensors, str(path / WEIGHTS_FILE))
        self.metadata = {**self.metadata, **(metadata or {}), **self._metadata_fields(tensors)}
        self.metadata.setdefault("saved_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        (path / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def read_metadata(cls, path: Path, encoder: Encoder | None) -> dict[str, Any]:
        """A saved head's ``head.json``; ``ModelMismatch`` if ``encoder`` is not the one it was trained on."""
        if not (path / WEIGHTS_FILE).is_file() or not (path / METADATA_FILE).is_file():
            raise ModelNotFound(f"no {cls.kind} in {path} (expected {WEIGHTS_FILE} and {METADATA_FILE})")
        metadata: dict[str, Any] = json.loads((path / METADATA_FILE).read_text())
        trained_on = metadata.get("encoder_identity")
        if encoder is not None and encoder.identity != trained_on:
            raise ModelMismatch(
                f"{cls.kind} {path} was trained on encoder {trained_on!r}, "
                f"not {encoder.identity!r}; use that encoder or train a head for this one"
            )
        return metadata

    def restore(self, path: Path, metadata: Mapping[str, Any], *, identity_required: bool = True) -> None:
        """Read the weights saved in ``path``; refuse them if they do not hash to the recorded identity."""
        # heavy: safetensors loads only when a head is read
        from safetensors.numpy import load_file

        self.encoder_identity = metadata.get("encoder_identity")
        tensors = load_file(str(path / WEIGHTS_FILE))
        self.coef_, self.intercept_ = tensors["coef"], tensors["intercept"]
        self.metadata = dict(metadata)
        expected = metadata.get("identity")
        if (expected or identity_required) and expected != self.identity:
            raise ModelError(f"{self.kind} {path}: weights do not match the identity recorded in {METADATA_FILE}")
