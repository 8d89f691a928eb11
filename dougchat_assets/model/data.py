"""Training data, streamed from a split version's per-VOD Parquet shards.

Nothing holds an epoch in memory: shards are read in record batches, VOD order is shuffled
per epoch and pairs pass through a bounded shuffle buffer, then each pair is tokenised with
the frozen prompt (:func:`dougchat_assets.prompt.encode_example`).  Same seed and epoch,
same order: resuming a run skips exactly the examples it had consumed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from dougchat_assets.model.train import EncodedExample
from dougchat_assets.prompt import encode_example

PAIR_COLUMNS = ["pair_id", "vod_id", "msg_id", "variant", "sent_at_utc_ms", "viewer_audio_s", "context", "reply", "weight"]


def shard_paths(folder: Path, split: str) -> list[Path]:
    return sorted((folder / "shards" / split).glob("*.parquet"))


def iter_pairs(paths: list[Path], *, originals_only: bool = False, batch_rows: int = 1024) -> Iterator[dict[str, Any]]:
    """Pairs as dicts, shard by shard, batch by batch (bounded memory on any split size)."""
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=PAIR_COLUMNS):
            for row in batch.to_pylist():
                if not originals_only or row["variant"] == "orig":
                    yield row


def shuffle_buffer(items: Iterator[dict], size: int, rng: random.Random) -> Iterator[dict]:
    """Streamed shuffle: hold ``size`` items, emit a random one as each new one arrives."""
    buffer: list[dict] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        i = rng.randrange(size)
        yield buffer[i]
        buffer[i] = item
    rng.shuffle(buffer)
    yield from buffer


@dataclass
class TrainingStream:
    """``train_source(epoch)`` for :func:`dougchat_assets.model.train.train_lora`."""

    folder: Path
    tokenizer: Any
    seed: int = 0
    buffer: int = 4096
    max_pairs: int | None = None

    def __call__(self, epoch: int) -> Iterator[EncodedExample]:
        rng = random.Random(self.seed * 1_000_003 + epoch)
        paths = shard_paths(self.folder, "train")
        rng.shuffle(paths)
        for n, pair in enumerate(shuffle_buffer(iter_pairs(paths), self.buffer, rng)):
            if self.max_pairs is not None and n >= self.max_pairs:
                return
            yield encode(self.tokenizer, pair)


def encode(tokenizer: Any, pair: dict) -> EncodedExample:
    ids, labels = encode_example(tokenizer, pair["context"], pair["reply"])
    return EncodedExample(ids, labels, float(pair["weight"]))


def sample_pairs(folder: Path, split: str, limit: int, seed: int = 0) -> list[dict]:
    """A deterministic sample of a split's original pairs (validation loss, parity, evaluation)."""
    pairs = list(iter_pairs(shard_paths(folder, split), originals_only=True))
    if len(pairs) > limit:
        pairs = random.Random(seed).sample(pairs, limit)
        pairs.sort(key=lambda p: (p["vod_id"], p["sent_at_utc_ms"], p["pair_id"]))
    return pairs
