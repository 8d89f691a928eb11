"""Caps that keep every chat reader in bounded memory and time, whatever file it is fed.

A chat export is untrusted input: a damaged download, a file that is not chat at all, or a
file made to hurt (one 2.5 GB line in a 10 MB gzip, a 10 MB "message").  Readers therefore
never hold more than one capped line or JSON item at a time, store at most
``max_message_chars`` of a message body, flush a batch early when the text behind it grows
large, and stop decompressing a gzip that inflates far beyond what real chat does.

The defaults sit far above anything a real export holds (Twitch caps a message at 500
characters; the richest chat-downloader JSONL line, with emote image lists, is well under
100 KB) and far below what hurts (the worst case is a few MB per line and 64 MB per batch).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

_log = logging.getLogger("dougchat_assets.chat")

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class ReaderLimits:
    """Per-file caps applied by every chat reader.

    ``max_line_bytes``: the longest line of a text log or JSONL file, and the longest JSON
    item (a comment, a chat-downloader message) of a JSON array, in bytes (characters for
    JSON items, which are measured after decoding).  A longer one is refused with an
    :class:`~dougchat_assets.errors.InputError` naming the file and line (or item); it is never
    read whole.  Refused rather than dropped: no real export comes near the cap, so a line
    this long means the file is damaged or hostile, and the user should look at it.

    ``max_message_chars``: a message body longer than this is truncated to it (and counted in
    :class:`ReadReport`); the rest of the row is kept, since the message itself is real.

    ``max_decompressed_ratio`` / ``max_decompressed_bytes``: a gzip whose decompressed size
    passes ``ratio x compressed size`` (but never less than ``ratio_exempt_bytes``) or the
    absolute cap is refused as a likely gzip bomb.  Real chat compresses 5-20x; a bomb of
    spaces about 1000x.  Small files are exempt from the ratio because a short, repetitive
    log can compress better than any ratio and is harmless at that size anyway.

    ``max_batch_bytes``: a batch is flushed once the text it was parsed from reaches this,
    even before it holds ``batch_size`` rows, so many long lines cannot pile up.
    """

    max_line_bytes: int = 1 * MIB
    max_message_chars: int = 2000
    max_decompressed_ratio: float = 200.0
    ratio_exempt_bytes: int = 64 * MIB
    max_decompressed_bytes: int = 16 * GIB
    max_batch_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        for name in ("max_line_bytes", "max_message_chars", "ratio_exempt_bytes", "max_decompressed_bytes", "max_batch_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ReaderLimits.{name} must be a positive integer, got {value!r}")
        ratio = self.max_decompressed_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 1 <= ratio < float("inf"):
            raise ValueError(f"ReaderLimits.max_decompressed_ratio must be a finite number >= 1, got {ratio!r}")

    def decompressed_allowance(self, compressed_bytes: int) -> int:
        """How many decompressed bytes a gzip of ``compressed_bytes`` may yield before it is refused."""
        by_ratio = max(int(self.max_decompressed_ratio * compressed_bytes), self.ratio_exempt_bytes)
        return min(by_ratio, self.max_decompressed_bytes)


DEFAULT_LIMITS = ReaderLimits()


@dataclass
class ReadReport:
    """What a reader changed while reading one file (filled in as batches stream out).

    The ingest layer can put :meth:`as_metadata` into the asset's metadata; the reader also
    logs a warning when anything was truncated, so the change is never silent.
    """

    truncated_messages: int = 0
    first_truncated_line: int | None = None  # source_line of the first truncated message
    longest_message_chars: int = 0  # original length of the longest truncated message
    max_message_chars: int = field(default=DEFAULT_LIMITS.max_message_chars)

    def clip(self, body: str, source_line: int) -> str:
        """``body`` cut to ``max_message_chars`` and counted (callers test the length first)."""
        if len(body) <= self.max_message_chars:
            return body
        self.truncated_messages += 1
        if self.first_truncated_line is None:
            self.first_truncated_line = source_line
        self.longest_message_chars = max(self.longest_message_chars, len(body))
        return body[: self.max_message_chars]

    def as_metadata(self) -> dict[str, int | None]:
        return {
            "truncated_messages": self.truncated_messages,
            "first_truncated_line": self.first_truncated_line,
            "longest_truncated_message_chars": self.longest_message_chars,
            "max_message_chars": self.max_message_chars,
        }

    def log(self, path: Path) -> None:
        if self.truncated_messages:
            _log.warning(
                "%s: %d message(s) longer than %d characters truncated (first at source_line %s, longest %d characters)",
                path, self.truncated_messages, self.max_message_chars, self.first_truncated_line, self.longest_message_chars,
            )


def too_long(what: str, limit: int, unit: str = "bytes", setting: str | None = "ReaderLimits.max_line_bytes") -> str:
    """The wording for a refused over-long line or JSON value (one place, so every reader says the same)."""
    where = f" ({setting})" if setting else ""
    return (
        f"{what} is longer than {limit} {unit}{where}; no chat export comes anywhere near this, "
        "so the file is damaged or not a chat export"
    )
