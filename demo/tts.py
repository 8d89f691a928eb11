"""Speech synthesis with espeak-ng (+ sox for the sample-rate conversion).

Utterance times in the ground truth are measured from these samples, so the leading and
trailing silence espeak-ng adds (up to ~0.3 s) is trimmed: ``broadcast_start_s`` /
``broadcast_end_s`` are then the first and last audible sample, not an estimate.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRIM_BELOW = 10 ** (-50 / 20)  # relative to the utterance peak: -50 dB counts as silence
TRIM_MARGIN_S = 0.005


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice; the guest uses a female variant so a speaker-change detector can find her."""

    name: str  # espeak-ng voice, e.g. "en-us" or "en-us+f3"
    speed_wpm: int
    pitch: int  # espeak-ng 0..99


STREAMER = Voice("en-us", 168, 45)
GUEST = Voice("en-us+f3", 172, 62)
COUNTDOWN = Voice("en-us", 150, 55)


def require_tools() -> None:
    """The generator (never the runtime) needs these Debian tools; say so plainly when missing."""
    missing = [tool for tool in ("espeak-ng", "sox", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing tools: {', '.join(missing)} (apt-get install espeak-ng sox ffmpeg)")


def espeak_version() -> str:
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    return out.strip().split(" Data at")[0]


def synthesize(text: str, voice: Voice, sample_rate: int) -> np.ndarray:
    """Speak ``text`` and return float32 mono samples at ``sample_rate``, edge silence trimmed.

    espeak-ng writes 22.05 kHz; sox converts to the mix rate with its default
    high-quality resampler, which is deterministic.
    """
    with tempfile.TemporaryDirectory(prefix="demo_tts_") as tmp:
        wav = Path(tmp) / "utt.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice.name, "-s", str(voice.speed_wpm), "-p", str(voice.pitch), "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        raw = subprocess.run(
            ["sox", str(wav), "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(sample_rate), "-"],
            check=True,
            capture_output=True,
        ).stdout
    samples = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return trim_silence(samples, sample_rate)


def trim_silence(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut leading/trailing samples quieter than -50 dB below the peak, keeping a 5 ms margin."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak == 0.0:
        raise ValueError("espeak-ng produced silence")
    loud = np.flatnonzero(np.abs(samples) > peak * TRIM_BELOW)
    margin = int(round(TRIM_MARGIN_S * sample_rate))
    start = max(0, int(loud[0]) - margin)
    end = min(samples.size, int(loud[-1]) + 1 + margin)
    return samples[start:end].copy()


def normalise_peak(samples: np.ndarray, peak: float) -> np.ndarray:
    """Scale to a target peak, so loudness is set by the mix (countdown louder than speech)."""
    return (samples * (peak / float(np.max(np.abs(samples))))).astype(np.float32)
