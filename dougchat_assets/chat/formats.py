"""The small value types shared by every chat parser.

They live apart from the parsers so the ingest layer can name a format, pass what it knows
about a VOD, and read what an export says about itself without importing any parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChatFormat(StrEnum):
    """The chat export formats we can read; detected from content, never from the extension."""

    TWITCHDOWNLOADER = "twitchdownloader"  # lay295/TwitchDownloader JSON (plain or gzip)
    CHAT_DOWNLOADER = "chat_downloader"  # xenova/chat-downloader JSON array or JSONL
    CHATTERINO = "chatterino"  # Chatterino text logs: "[HH:mm:ss] login: text"
    IRC = "irc"  # raw tmi.twitch.tv IRC lines with IRCv3 tags


@dataclass(frozen=True)
class ChatContext:
    """What the caller knows about the VOD (from ``vod.json``), used where an export lacks it.

    Chatterino logs carry wall-clock times without a date or zone in every line; the VOD start
    gives the date and ``timezone`` the zone when the log's header does not.
    """

    vod_id: str
    started_at_utc_ms: int | None = None  # VOD start, epoch ms UTC
    timezone: str | None = None  # IANA name ("Europe/Berlin") or offset ("+01:00")
    extra_emotes: tuple[str, ...] = ()  # channel emote names to detect by name, beside the defaults


@dataclass(frozen=True)
class ExportMetadata:
    """What an export says about its VOD (None where it says nothing).

    ``clock_correction_ms`` is what the parser adds to every message time: non-zero only for
    TwitchDownloader exports whose comment times are local time written as UTC (see
    :func:`dougchat_assets.chat.twitchdownloader.clock_correction_ms`).
    """

    format: ChatFormat
    video_id: str | None
    title: str | None
    started_at_utc_ms: int | None
    duration_s: float | None
    parser_name: str
    parser_version: str  # bumped whenever the parser's output changes; recorded in the manifest
    channel: str | None = None
    clock_correction_ms: int = 0

    @classmethod
    def nothing_known(cls, fmt: ChatFormat, parser_name: str, parser_version: str) -> ExportMetadata:
        """Text logs (Chatterino, raw IRC) say nothing about the VOD itself."""
        return cls(fmt, None, None, None, None, parser_name, parser_version)
