"""Fine-tune the sentiment branch of the e5 encoder (see ``models/sentiment_branch.py``).

Example (the packaged branch was built with exactly this, on 2 CPU cores in ~12 minutes)::

    B=../shared/benchmarks/sentiment
    python -m ecoute.models.train_branch --train $B/xlmt/all:train --val $B/xlmt/all:val \\
        --out models/artifacts/sentiment-branch --bench $B

``--train`` repeats (``folder:split`` or an analyst's ``text,label`` CSV). Training also on
``xlmt/all:val``, on TweetEval's val split, or with French and English counted twice
scored within the noise of this recipe (see the closing note of issue 4).

Recipe: the shared layers run once over every training text (their output is cached in
memory); then the branch layers, adapted with LoRA (rank ``--rank``) and their LayerNorms
trained, and a linear head on the mean-pooled states are trained with AdamW, one-cycle
learning rate, bfloat16 autocast, mini-batches of similar length. Macro-F1 on the ``val``
split is printed after each epoch; test sets are only scored once, at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecoute.models.bench_sentiment import as_flat_json, format_table, run_benchmark
from ecoute.models.data import LABELS, read_labelled_csv, read_split, sha256_file, split_files
from ecoute.models.e5 import attention_mask, mean_pool, run_layers
from ecoute.models.encoder import TorchE5Encoder
from ecoute.models.errors import ModelError
from ecoute.models.sentiment_branch import METADATA_FILE, SentimentBranch, adapt_with_lora, save_branch

BATCH = 32
HEAD_LR = 1e-3


class _Collect:
    """A branch that keeps each text's hidden states (bfloat16, padding removed)."""

    def __init__(self, texts: Sequence[str], layer: int) -> None:
        self.branch_layer = layer
        self.states: list[Any] = [None] * len(texts)
        # TorchE5Encoder.run visits texts in this order (see encoder.length_batches)
        self._order = np.argsort([len(t) for t in texts], kind="stable")
        self._seen = 0

    def on_states(self, hidden: Any, padding: Any) -> np.ndarray:
        for row in range(len(hidden)):
            text = self._order[self._seen + row]
            self.states[text] = hidden[row, : int(padding[row].sum())].bfloat16().clone()
        self._seen += len(hidden)
        return np.zeros((len(hidden), 1), np.float32)


def shared_states(encoder: TorchE5Encoder, texts: Sequence[str], layer: int) -> list[Any]:
    """Each text's hidden states after the shared ``layer`` layers."""
    collect = _Collect(texts, layer)
    encoder.run(texts, batch_size=64, branch=collect)
    return collect.states


def _pad(states: list[Any], index: Sequence[int]) -> tuple[Any, Any]:
    import torch  # heavy: torch loads only when a branch is trained

    length = max(states[i].shape[0] for i in index)
    x = torch.zeros(len(index), length, states[index[0]].shape[1])
    mask = torch.zeros(len(index), length, dtype=torch.long)
    for row, i in enumerate(index):
        n = states[i].shape[0]
        x[row, :n] = states[i].float()
        mask[row, :n] = 1
    return x, mask


def _length_bucketed(states: list[Any], rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled mini-batches of texts of similar length (sorted within chunks of 50 batches)."""
    order = rng.permutation(len(states))
    batches = []
    for start in range(0, len(order), BATCH * 50):
        chunk = order[start : start + BATCH * 50]
        chunk = chunk[np.argsort([states[i].shape[0] for i in chunk], kind="stable")]
        batches += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def train_branch(
    encoder: TorchE5Encoder,
    texts: Sequence[str],
    labels: np.ndarray,
    *,
    branch_layer: int = 6,
    rank: int = 16,
    scale: float = 2.0,
    epochs: int = 3,
    lr: float = 5e-4,
    seed: int = 0,
    val: tuple[Sequence[str], np.ndarray] | None = None,
    log: Any = print,
) -> tuple[Any, Any, dict[str, Any]]:
    """Train LoRA branch layers and a head; returns (layers, head, training record)."""
    import torch  # heavy: torch loads only when a branch is trained
    from torch.nn import functional  # heavy, as torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    states = shared_states(encoder, texts, branch_layer)
    val_states = shared_states(encoder, val[0], branch_layer) if val else None
    layers = copy.deepcopy(encoder.layers[branch_layer:])
    for p in layers.parameters():
        p.requires_grad_(False)
    for layer in layers:
        adapt_with_lora(layer, rank, scale)
    head = torch.nn.Linear(encoder.dim, len(LABELS))
    trainable = [p for p in layers.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": trainable, "lr": lr}, {"params": head.parameters(), "lr": HEAD_LR}], weight_decay=0.01
    )
    steps = epochs * -(-len(texts) // BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[lr, HEAD_LR], total_steps=steps, pct_start=0.06, anneal_strategy="linear"
    )
    y = torch.as_tensor(labels)

    def forward(x: Any, mask: Any) -> Any:
        x = run_layers(layers, x, attention_mask(mask))
        return head(mean_pool(x, mask)).float()

    def val_f1() -> float:
        from sklearn.metrics import f1_score  # heavy: scikit-learn loads only to score a validation set

        assert val is not None and val_states is not None
        predicted = np.empty(len(val_states), dtype=np.int64)
        layers.eval()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            for start in range(0, len(val_states), 128):
                index = list(range(start, min(start + 128, len(val_states))))
                predicted[index] = forward(*_pad(val_states, index)).argmax(1).numpy()
        layers.train()
        return round(100 * float(f1_score(val[1], predicted, average="macro")), 2)

    record: dict[str, Any] = {"epochs": [], "trainable_parameters": sum(p.numel() for p in trainable)}
    layers.train()
    for epoch in range(epochs):
        t0, total, batches = time.perf_counter(), 0.0, _length_bucketed(states, rng)
        for index in batches:
            x, mask = _pad(states, list(index))
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = forward(x, mask)
            loss = functional.cross_entropy(logits, y[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
        entry = {"epoch": epoch + 1, "loss": round(total / len(batches), 4), "seconds": round(time.perf_counter() - t0)}
        if val:
            entry["val_macro_f1"] = val_f1()
        record["epochs"].append(entry)
        log(f"epoch {entry}")
    record["seconds"] = round(time.perf_counter() - started)
    return layers.eval(), head.eval(), record


def _read(source: str) -> tuple[list[str], np.ndarray, list[Path]]:
    """``folder:split`` (benchmark layout) or a ``text,label`` CSV."""
    path = Path(source)
    if path.is_file():
        texts, labels = read_labelled_csv(path)
        return texts, labels, [path]
    folder, _, split = source.rpartition(":")
    if not folder:
        raise ModelError(f"{source!r}: give a CSV file or folder:split (e.g. xlmt/all:train)")
    texts, labels = read_split(folder, split)
    return texts, labels, split_files(folder, split)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecoute.models.train_branch", description=__doc__.split("\n")[0])
    parser.add_argument("--train", action="append", required=True, help="folder:split or CSV; repeat to add more")
    parser.add_argument("--val", help="folder:split or CSV scored after each epoch")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the branch into")
    parser.add_argument("--bench", type=Path, help="benchmark folder to score the saved branch on")
    parser.add_argument("--branch-layer", type=int, default=6)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args(argv)

    encoder = TorchE5Encoder()
    texts: list[str] = []
    label_parts: list[np.ndarray] = []
    files: dict[str, str] = {}
    for source in args.train:
        part_texts, part_labels, part_files = _read(source)
        texts += part_texts
        label_parts.append(part_labels)
        files.update({str(f): sha256_file(f) for f in part_files})
    val = _read(args.val)[:2] if args.val else None
    layers, head, record = train_branch(
        encoder,
        texts,
        np.concatenate(label_parts),
        branch_layer=args.branch_layer,
        rank=args.rank,
        epochs=args.epochs,
        lr=args.lr,
        val=val,
    )
    metadata = {
        "command": "python -m ecoute.models.train_branch " + shlex.join(sys.argv[1:] if argv is None else list(argv)),
        "data": {"train": args.train, "val": args.val, "sha256": files, "n": len(texts)},
        "training": {**record, "lr": args.lr, "batch": BATCH, "head_lr": HEAD_LR, "precision": encoder.precision},
    }
    save_branch(
        args.out,
        layers,
        head,
        encoder_identity=encoder.identity,
        branch_layer=args.branch_layer,
        rank=args.rank,
        scale=2.0,
        metadata=metadata,
    )
    print(f"saved {args.out}")
    if args.bench:  # score the saved branch as users will load it, and keep the scores beside it
        results = run_benchmark(args.bench, encoder, SentimentBranch.load(args.out, encoder))
        print(format_table(results))
        record_path = args.out / METADATA_FILE
        saved = json.loads(record_path.read_text())
        saved["scores"] = as_flat_json(results)
        record_path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
