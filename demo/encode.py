"""Encode the distorted audio as a user would receive it, and check PyAV reads it back faithfully.

Opus-in-Ogg (~22 kbps) keeps four 5-minute VODs far under the size budget; one VOD is an
MP4 with a tiny black H.264 track and AAC audio to show that "anything PyAV decodes" works.
``-fflags +bitexact`` stops ffmpeg from writing random Ogg serial numbers and version tags,
so the same samples give the same bytes.

The check decodes the file with PyAV and cross-correlates it with the samples that went
in: the codec delay (Opus pre-skip, AAC priming) must be compensated by the container,
otherwise every audio time in the ground truth would be off by a few milliseconds.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np

OPUS_BITRATE = "22k"
AAC_BITRATE = "32k"
VIDEO_SIZE = "128x72"


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())


def encode(samples: np.ndarray, sample_rate: int, out: Path, *, video: bool) -> None:
    """Write ``out`` (.opus/.ogg: Opus in Ogg; .mp4: black H.264 + AAC)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="demo_enc_") as tmp:
        wav = Path(tmp) / "mix.wav"
        write_wav(wav, samples, sample_rate)
        tmp_out = Path(tmp) / out.name
        common = ["-fflags", "+bitexact", "-map_metadata", "-1"]
        if video:
            duration = math.ceil(samples.size / sample_rate)
            cmd = [
                "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", f"color=c=black:s={VIDEO_SIZE}:r=1:d={duration}",
                "-i", str(wav),
                "-map", "0:v", "-map", "1:a",
                "-c:v", "libx264", "-preset", "medium", "-tune", "stillimage", "-pix_fmt", "yuv420p", "-threads", "1",
                "-c:a", "aac", "-b:a", AAC_BITRATE, "-ac", "1",
                "-flags", "+bitexact", *common, "-movflags", "+faststart", str(tmp_out),
            ]  # fmt: skip
        else:
            cmd = [
                "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-i", str(wav),
                "-c:a", "libopus", "-b:a", OPUS_BITRATE, "-vbr", "on", "-application", "audio", "-ac", "1",
                "-flags:a", "+bitexact", *common, "-f", "ogg", str(tmp_out),
            ]  # fmt: skip
        subprocess.run(cmd, check=True)
        out.write_bytes(tmp_out.read_bytes())


def decode_mono(path: Path, sample_rate: int) -> np.ndarray:
    """All audio samples of ``path`` as float32 mono at ``sample_rate`` (via PyAV's resampler)."""
    chunks = []
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == "audio")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32)


def measure_lag_ms(original: np.ndarray, decoded: np.ndarray, sample_rate: int, at_s: float, window_s: float = 8.0) -> float:
    """Offset of ``decoded`` against ``original`` around ``at_s`` (positive: decoded is late)."""
    start = int(at_s * sample_rate)
    n = int(window_s * sample_rate)
    a = original[start : start + n].astype(np.float64)
    max_lag = int(0.05 * sample_rate)
    best, best_lag = -np.inf, 0
    for lag in range(-max_lag, max_lag + 1):
        b = decoded[start + lag : start + lag + n].astype(np.float64)
        if b.size < n:
            continue
        score = float(np.dot(a, b))
        if score > best:
            best, best_lag = score, lag
    return 1000.0 * best_lag / sample_rate


def verify(path: Path, original: np.ndarray, sample_rate: int, probe_times_s: list[float]) -> dict:
    """Decode with PyAV; check duration (±0.1 s) and timing (±2 ms) against what was encoded."""
    decoded = decode_mono(path, sample_rate)
    expected = original.size / sample_rate
    got = decoded.size / sample_rate
    if abs(got - expected) > 0.1:
        raise ValueError(f"{path.name}: PyAV decodes {got:.3f} s, expected {expected:.3f} s")
    lags = [measure_lag_ms(original, decoded, sample_rate, t) for t in probe_times_s]
    if max(abs(lag) for lag in lags) > 2.0:
        raise ValueError(f"{path.name}: decoded audio is shifted by {lags} ms against the mix")
    return {"decoded_duration_s": round(got, 4), "lag_ms": lags}
