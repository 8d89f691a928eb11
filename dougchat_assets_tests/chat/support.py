"""Shared helpers for the chat parser tests: fixture paths, rows as dicts, file copies."""

from __future__ import annotations

import gzip
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from dougchat_assets.chat import ChatContext, iter_chat_batches

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Path:
    return FIXTURES / name


def read_table(path: Path, context: ChatContext | None = None, batch_size: int = 50_000) -> pa.Table:
    batches = list(iter_chat_batches(path, context or ChatContext("vod1"), batch_size))
    return pa.Table.from_batches(batches)


def read_rows(path: Path, context: ChatContext | None = None, batch_size: int = 50_000) -> list[dict]:
    return read_table(path, context, batch_size).to_pylist()


def copy_as(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(source, target)
    return target


def gzip_as(source: Path, folder: Path, name: str) -> Path:
    target = folder / name
    with open(source, "rb") as raw, open(target, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed:
        shutil.copyfileobj(raw, packed)
    return target


def utc_ms(text: str) -> int:
    """Epoch ms of an ISO time written with an explicit zone (independent of the parsers)."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return round(moment.astimezone(timezone.utc).timestamp() * 1000)


def spans(row: dict) -> list[tuple]:
    return [(s["start"], s["end"], s["emote_id"], s["name"]) for s in row["emote_spans"]]
