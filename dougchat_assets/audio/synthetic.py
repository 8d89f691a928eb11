"""Generated audio for tests and benchmarks: real encoded files, written block by block.

Tests must run on real audio without shipping large files, and the benchmark needs hours of
it; both are produced here by PyAV so they exercise the same decoders as real VODs.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def write_tone_audio(
    path: Path, seconds: float = 6.0, rate: int = 44_100, *, silent: bool = False, video: bool = False, seed: int = 7
) -> Path:
    """Tone bursts (1 s on, 1 s off) over faint noise; FLAC, or AAC with a black mpeg4 video track."""
    with av.open(str(path), "w") as container:
        video_stream = None
        if video:
            video_stream = container.add_stream("mpeg4", rate=2)
            video_stream.width, video_stream.height, video_stream.pix_fmt = 64, 48, "yuv420p"
        audio_stream = container.add_stream("aac" if video else "flac", rate=rate, layout="mono")
        rng = np.random.default_rng(seed)
        total = int(seconds * rate)
        for start in range(0, total, rate // 10):
            t = np.arange(start, min(start + rate // 10, total)) / rate
            signal = 0.02 * rng.standard_normal(t.size) + 0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(np.pi * t) > 0)
            samples = np.zeros(t.size, np.int16) if silent else (np.clip(signal, -1, 1) * 32767).astype(np.int16)
            _encode(container, audio_stream, samples, rate)
        _flush(container, audio_stream)
        if video_stream is not None:
            for index in range(int(seconds * 2)):
                image = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
                image.pts = index
                for packet in video_stream.encode(image):
                    container.mux(packet)
            _flush(container, video_stream)
    return path


def write_long_audio(path: Path, seconds: float, rate: int = 48_000, seed: int = 3) -> Path:
    """Hours of speech-like AAC (pitch-wobbling bursts, 5 s on / 2 s off, over noise), one second at a time."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        stream.bit_rate = 32_000
        for second in range(int(seconds)):
            t = np.arange(rate) / rate + second
            tone = 0.2 * np.sin(2 * np.pi * (180 + 40 * np.sin(t)) * t) * ((second % 7) < 5)
            _encode(container, stream, ((tone + 0.01 * rng.standard_normal(rate)) * 32767).astype(np.int16), rate)
        _flush(container, stream)
    return path


def _encode(container, stream, samples: np.ndarray, rate: int) -> None:
    frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
    frame.sample_rate = rate
    for packet in stream.encode(frame):
        container.mux(packet)


def _flush(container, stream) -> None:
    for packet in stream.encode(None):
        container.mux(packet)
