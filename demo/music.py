"""Music-like stretches and background noise, made with numpy.

A stream's "starting soon" screen and mid-stream music breaks are loud, tonal and wordless:
exactly what fools a naive speech detector and gives alignment a stretch of high audio
energy with no transcript.  Background noise keeps the file from being studio-silent,
which real VODs never are.  Everything is drawn from the caller's seeded generator.
"""

from __future__ import annotations

import numpy as np

# I-V-vi-IV and vi-IV-I-V: two familiar progressions (semitones above the key root)
PROGRESSIONS = (
    ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)),
    ((9, 12, 16), (5, 9, 12), (0, 4, 7), (7, 11, 14)),
)


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def _note(freq: float, n: int, sr: int, *, harmonics: tuple[float, ...], attack_s: float, decay_s: float) -> np.ndarray:
    """One note: a few harmonics under an attack / exponential-decay envelope."""
    t = np.arange(n, dtype=np.float64) / sr
    wave = np.zeros(n)
    for k, amp in enumerate(harmonics, start=1):
        wave += amp * np.sin(2 * np.pi * freq * k * t)
    env = np.minimum(1.0, t / max(attack_s, 1e-4)) * np.exp(-t / decay_s)
    release = min(n, int(0.02 * sr))
    if release:
        env[-release:] *= np.linspace(1.0, 0.0, release)
    return wave * env


def _add(buf: np.ndarray, start: int, sig: np.ndarray) -> None:
    end = min(buf.size, start + sig.size)
    if start < end:
        buf[start:end] += sig[: end - start]


def music(duration_s: float, sr: int, rng: np.random.Generator, *, style: str) -> np.ndarray:
    """A loopable chord/arpeggio piece, peak-normalised to 1.0.

    ``style="soon"``: slow pads and a gentle arpeggio (a starting-soon screen).
    ``style="break"``: faster arpeggios, bass and a soft kick/hat groove (a music break).
    """
    n_total = int(round(duration_s * sr))
    buf = np.zeros(n_total)
    root = int(rng.integers(55, 63))
    progression = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    bpm = float(rng.uniform(80, 92) if style == "soon" else rng.uniform(112, 128))
    beat = 60.0 / bpm
    bar = 4 * beat
    n_bars = int(np.ceil(duration_s / bar))
    for b in range(n_bars):
        chord = progression[b % len(progression)]
        bar_start = b * bar
        pad_len = int(bar * sr * 1.05)
        for interval in chord:
            pad = _note(midi_hz(root + interval), pad_len, sr, harmonics=(1.0, 0.25, 0.08), attack_s=0.4, decay_s=3.0)
            _add(buf, int(bar_start * sr), 0.18 * pad)
        steps = 8 if style == "soon" else 16
        pattern = [chord[i % 3] + 12 * (1 + (i // 3) % 2) for i in range(steps)]
        for i, interval in enumerate(pattern):
            start = bar_start + i * bar / steps
            length = int(bar / steps * sr * 1.8)
            note = _note(midi_hz(root + interval), length, sr, harmonics=(1.0, 0.4, 0.15, 0.05), attack_s=0.005, decay_s=0.25)
            _add(buf, int(start * sr), (0.22 if style == "soon" else 0.26) * note)
        if style == "break":
            for q in range(4):
                start = int((bar_start + q * beat) * sr)
                bass = _note(midi_hz(root + chord[0] - 12), int(beat * sr), sr, harmonics=(1.0, 0.5), attack_s=0.01, decay_s=0.35)
                _add(buf, start, 0.35 * bass)
                n_kick = int(0.18 * sr)
                t = np.arange(n_kick) / sr
                kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-t / 0.03)) * t) * np.exp(-t / 0.06)
                _add(buf, start, 0.5 * kick)
                n_hat = int(0.05 * sr)
                hat = rng.standard_normal(n_hat) * np.exp(-np.arange(n_hat) / (0.01 * sr))
                _add(buf, int(start + beat * sr / 2), 0.06 * hat)
    fade = min(n_total // 4, int(1.5 * sr))
    buf[:fade] *= np.linspace(0.0, 1.0, fade)
    buf[-fade:] *= np.linspace(1.0, 0.0, fade)
    return (buf / np.max(np.abs(buf))).astype(np.float32)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f) noise with unit RMS, shaped in the frequency domain (one FFT, deterministic)."""
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = 1.0
    spectrum /= np.sqrt(freqs)
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)
