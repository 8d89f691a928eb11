"""Decode any audio or video file PyAV reads into 16 kHz mono FLAC, streaming.

The source may be a 6-hour VOD (several GB of video); it is decoded frame by frame,
resampled, encoded and metered on the fly, so memory stays flat whatever the length.  The
FLAC is written under a temp name that names its writer and renamed only when complete; a
decode first removes the temp files that killed decodes of the same destination left
behind (``tempfiles``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from dougchat_assets.audio.energy import EnergyMeter
from dougchat_assets.audio.probe import header_duration_s, probe_media
from dougchat_assets.audio.tempfiles import owner_suffix, remove_stale_temp_files
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_path, sha256_file


@dataclass(frozen=True)
class DecodedAudio:
    """What the decode produced: the normalised file, its envelope, and facts about the source."""

    path: Path
    sample_rate: int
    n_samples: int
    sha256: str
    size_bytes: int
    peak_dbfs: float
    energy_db: np.ndarray  # float32 RMS dBFS per frame
    frame_s: float
    source_container: str
    source_codec: str
    source_duration_s: float | None

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate


def probe_has_audio(path: Path) -> bool:
    """True if PyAV opens ``path`` and finds an audio stream (used to classify folder files)."""
    try:
        return probe_media(path).has_audio
    except InputError:
        return False


def decode_to_flac(
    source: Path,
    destination: Path,
    *,
    sample_rate: int = 16_000,
    frame_s: float = 0.1,
    silent_below_dbfs: float = -60.0,
    check_duration: Callable[[float], None] | None = None,
) -> DecodedAudio:
    """Decode ``source``'s first audio stream to mono FLAC at ``destination``.

    Raises :class:`InputError` naming the file when it cannot be opened or decoded, has no
    audio stream, decodes to nothing, or is silent (peak below ``silent_below_dbfs``): a
    silent "VOD" is a broken download, and letting it through would poison alignment.
    ``check_duration`` gets the decoded length in seconds and may raise too; every check
    runs before the rename, so a refused file never replaces a good ``destination``.
    """
    remove_stale_temp_files(destination)
    meter = EnergyMeter(frame_len=int(round(sample_rate * frame_s)))
    try:
        with av.open(str(source)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise InputError(source, "no audio stream in this file")
            container_name = container.format.name
            codec_name = stream.codec_context.name
            source_duration = header_duration_s(container, stream)
            with atomic_path(destination, suffix=owner_suffix(destination)) as tmp:
                _transcode(container, stream, tmp, sample_rate, meter)
                if meter.n_samples == 0:
                    raise InputError(source, "the audio stream decodes to no samples (empty or corrupt file)")
                if meter.peak_dbfs < silent_below_dbfs:
                    raise InputError(
                        source,
                        f"audio is silent: peak {meter.peak_dbfs:.1f} dBFS over "
                        f"{meter.n_samples / sample_rate:.1f} s (threshold {silent_below_dbfs} dBFS)",
                    )
                if check_duration is not None:
                    check_duration(meter.n_samples / sample_rate)
    except av.error.FFmpegError as error:
        raise InputError(source, f"cannot decode audio: {error}") from error
    return DecodedAudio(
        path=destination,
        sample_rate=sample_rate,
        n_samples=meter.n_samples,
        sha256=sha256_file(destination),
        size_bytes=destination.stat().st_size,
        peak_dbfs=meter.peak_dbfs,
        energy_db=meter.finish(),
        frame_s=frame_s,
        source_container=container_name,
        source_codec=codec_name,
        source_duration_s=source_duration,
    )


def _transcode(container, stream, target: Path, sample_rate: int, meter: EnergyMeter) -> None:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
    with av.open(str(target), mode="w", format="flac") as output:
        out_stream = output.add_stream("flac", rate=sample_rate, layout="mono")
        out_stream.format = "s16"

        def write(frames: list) -> None:
            for frame in frames:
                meter.feed(frame.to_ndarray().reshape(-1))
                frame.pts = None
                for packet in out_stream.encode(frame):
                    output.mux(packet)

        for frame in container.decode(stream):
            write(resampler.resample(frame))
        write(resampler.resample(None))
        for packet in out_stream.encode(None):
            output.mux(packet)
