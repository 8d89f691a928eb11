"""What a media file holds, read from its headers only (milliseconds, whatever the file's size).

``dougchat add`` must refuse a video without sound or an audio file of the wrong length
before copying gigabytes, and long before a decode; the headers say both.  Header durations
can be approximate (MP3 without a Xing frame) or lie (a hostile file), so the exact length
is checked again on the decoded samples by ``vod_audio``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import av

from dougchat_assets.errors import InputError


@dataclass(frozen=True)
class MediaProbe:
    """Streams of a media file; ``audio_duration_s`` is None when the headers do not say."""

    path: Path
    container: str
    stream_types: tuple[str, ...]  # e.g. ("video", "audio"), in file order
    audio_codec: str | None
    audio_duration_s: float | None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    def describe_streams(self) -> str:
        return ", ".join(self.stream_types) if self.stream_types else "none"


def probe_media(path: Path) -> MediaProbe:
    """Open ``path`` with PyAV and describe its streams; :class:`InputError` when it cannot be opened."""
    try:
        with av.open(str(path)) as container:
            streams = list(container.streams)
            audio = next((s for s in streams if s.type == "audio"), None)
            return MediaProbe(
                path=Path(path),
                container=container.format.name,
                stream_types=tuple(s.type for s in streams),
                audio_codec=None if audio is None else audio.codec_context.name,
                audio_duration_s=None if audio is None else header_duration_s(container, audio),
            )
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot open as audio/video: {error}") from error


def header_duration_s(container, stream) -> float | None:
    """The stream's duration from its header, else the container's; None when absent or absurd.

    The container's duration covers every stream (a video track may run longer than the
    audio), so the audio stream's own duration is preferred.
    """
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / 1_000_000
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds
