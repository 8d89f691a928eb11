"""Helpers shared by the export writers: time formats and what every writer needs to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from demo.vods import VodSpec


@dataclass(frozen=True)
class ExportContext:
    """The VOD facts a writer needs besides the messages."""

    spec: VodSpec
    started_ms: int
    total_s: float
    seed: int


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def iso_ms(ms: int) -> str:
    """``2026-03-02T19:00:05.123Z``: the shape Twitch's API uses for ``created_at``."""
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_s(ms: int) -> str:
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> int:
    """ISO-8601 with 'Z' -> epoch ms."""
    return int(round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000))
