"""Labelled text: benchmark splits, analysts' CSVs, and an embedding cache.

Benchmark splits follow the cardiffnlp layout: ``<split>_text.txt`` (one text a line) and
``<split>_labels.txt`` (0/1/2 = negative/neutral/positive).
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecoute.models.contracts import LABELS, Encoder
from ecoute.models.errors import ModelError

__all__ = [
    "LABELS",
    "cache_dir",
    "embed_cached",
    "parse_labels",
    "read_labelled_csv",
    "read_split",
    "sha256_file",
    "split_files",
]

_LABEL_ALIASES = {"0": 0, "1": 1, "2": 2, "negative": 0, "neutral": 1, "positive": 2, "neg": 0, "neu": 1, "pos": 2}


def cache_dir() -> Path:
    """Where embeddings of benchmark files are cached (outside the repository)."""
    root = os.environ.get("ECOUTE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "ecoute"
    )
    return Path(root) / "embeddings"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_lines(path: Path) -> list[str]:
    # split on "\n" only: tweets may hold U+2028 and friends, which str.splitlines() would split on
    text = path.read_text(encoding="utf-8")
    return text.removesuffix("\n").split("\n") if text else []


def parse_labels(values: Sequence[str | int]) -> np.ndarray:
    """Map labels given as 0/1/2 or negative/neutral/positive (any case) to ints 0/1/2."""
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        key = str(value).strip().lower()
        if key not in _LABEL_ALIASES:
            raise ModelError(f"label #{i + 1} is {value!r}; expected one of negative/neutral/positive or 0/1/2")
        out[i] = _LABEL_ALIASES[key]
    return out


def read_split(directory: str | Path, split: str) -> tuple[list[str], np.ndarray]:
    """Read ``<split>_text.txt`` and ``<split>_labels.txt`` from a benchmark directory."""
    directory = Path(directory)
    text_path, label_path = directory / f"{split}_text.txt", directory / f"{split}_labels.txt"
    for path in (text_path, label_path):
        if not path.is_file():
            raise ModelError(f"missing benchmark file {path}")
    texts, labels = _read_lines(text_path), _read_lines(label_path)
    if len(texts) != len(labels):
        raise ModelError(f"{text_path} has {len(texts)} lines but {label_path} has {len(labels)}")
    return texts, parse_labels(labels)


def split_files(directory: str | Path, split: str) -> list[Path]:
    directory = Path(directory)
    return [directory / f"{split}_text.txt", directory / f"{split}_labels.txt"]


def read_labelled_csv(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read an analyst's CSV with columns ``text`` and ``label``."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ModelError(f"{path} lacks column(s) {sorted(missing)}; found {reader.fieldnames}")
        rows = [(row["text"], row["label"]) for row in reader]
    return [t for t, _ in rows], parse_labels([label for _, label in rows])


def embed_cached(encoder: Encoder, texts: Sequence[str], directory: Path | None = None) -> np.ndarray:
    """Embed texts, reusing a cached ``.npy`` keyed by the encoder identity and the texts."""
    digest = hashlib.sha256(encoder.identity.encode())
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\x00")
    path = (directory or cache_dir()) / f"{digest.hexdigest()}.npy"
    if path.is_file():
        cached = np.load(path)
        if cached.shape == (len(texts), encoder.dim):
            return cached
    embeddings = encoder.encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, embeddings)
    tmp.replace(path)
    return embeddings
