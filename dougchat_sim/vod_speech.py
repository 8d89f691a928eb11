"""The spoken side of a simulated VOD: words on the audio clock, edits, ASR noise, energy.

:mod:`dougchat_sim.transcript` lays out ordinary speech.  An alignment VOD then *overlays*
utterances chosen after the chat exists (the countdown, chat messages read aloud): every
ordinary segment that overlaps an overlay is removed, so the transcript never holds two
voices at once, and the chat rows that reacted to a removed segment are dropped by the
caller.  What the streamer said (:class:`Spoken`) drives the energy frames; what the
recogniser wrote (after :func:`recognise`) is the estimator's input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.inputs import EnergyFrames, WordTimings

from dougchat_sim.align_params import AlignmentKnobs
from dougchat_sim.transcript import Speech

FRAME_S = 0.1  # the audio_energy asset's frame
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
)
_DIGITS = {w: str(i) for i, w in enumerate(NUMBER_WORDS)}
_TRAIL = ".,!?"


@dataclass
class Spoken:
    """Words as said, in audio seconds; ``seg`` numbers utterances, ``loud`` marks shouting."""

    start: np.ndarray
    end: np.ndarray
    word: list[str]
    seg: np.ndarray  # int64
    ok: np.ndarray  # bool: the segment's ASR quality is "ok"
    prob: np.ndarray
    loud: np.ndarray  # bool

    @property
    def n(self) -> int:
        return len(self.word)

    def take(self, index: np.ndarray) -> Spoken:
        return Spoken(
            self.start[index], self.end[index], [self.word[i] for i in index.tolist()], self.seg[index],
            self.ok[index], self.prob[index], self.loud[index],
        )


def concat_spoken(parts: list[Spoken]) -> Spoken:
    return Spoken(
        np.concatenate([p.start for p in parts]), np.concatenate([p.end for p in parts]),
        [w for p in parts for w in p.word], np.concatenate([p.seg for p in parts]),
        np.concatenate([p.ok for p in parts]), np.concatenate([p.prob for p in parts]),
        np.concatenate([p.loud for p in parts]),
    )


def from_speech(speech: Speech) -> Spoken:
    """The ordinary transcript (``seg`` = row of ``speech.segments``)."""
    words = speech.words
    n = words.num_rows
    first = words.column("word_index").to_numpy() == 0
    seg = np.cumsum(first) - 1 if n else np.zeros(0, np.int64)
    seg_ok = np.array([q == "ok" for q in speech.segments.column("quality").to_pylist()], dtype=bool)
    return Spoken(
        words.column("start_s").to_numpy().astype(np.float64),
        words.column("end_s").to_numpy().astype(np.float64),
        words.column("word").to_pylist(),
        seg.astype(np.int64),
        seg_ok[seg] if n else np.zeros(0, bool),
        words.column("probability").to_numpy(zero_copy_only=False).astype(np.float64),
        np.zeros(n, bool),
    )


def utterance(words: list[str], start: float, wps: float, seg: int, loud: bool = False) -> Spoken:
    """One utterance said at ``wps`` words a second from ``start`` (longer words take longer)."""
    lengths = np.array([len(w) + 2.0 for w in words])
    slot = lengths / lengths.sum() * (len(words) / wps)
    edges = start + np.concatenate(([0.0], np.cumsum(slot)))
    n = len(words)
    return Spoken(
        edges[:-1].copy(), edges[:-1] + 0.92 * slot, list(words), np.full(n, seg, np.int64), np.ones(n, bool),
        np.full(n, 0.95), np.full(n, loud),
    )


def countdown(at_s: float, seg: int) -> tuple[Spoken, float]:
    """ "Ten, nine, ... one. Let's go!" — one number a second, shouted; returns (words, end)."""
    numbers = [w.capitalize() if i == 0 else w for i, w in enumerate(NUMBER_WORDS[10:0:-1])]
    n = len(numbers)
    start = at_s + np.arange(n, dtype=np.float64)
    part = Spoken(
        start, start + 0.45, [w + "," if i < n - 1 else w + "." for i, w in enumerate(numbers)],
        np.full(n, seg, np.int64), np.ones(n, bool), np.full(n, 0.97), np.ones(n, bool),
    )
    shout = utterance(["Let's", "go!"], float(start[-1]) + 1.0, 2.5, seg + 1, loud=True)
    return concat_spoken([part, shout]), float(shout.end[-1])


def overlay(base: Spoken, spans: list[tuple[float, float]], parts: list[Spoken]) -> tuple[Spoken, np.ndarray]:
    """``base`` without every segment touching a span, plus ``parts``; also the removed segment ids."""
    if spans and base.n:
        lo = np.array([s for s, _ in spans])
        hi = np.array([e for _, e in spans])
        seg_ids = np.unique(base.seg)
        first = np.searchsorted(base.seg, seg_ids, side="left")
        last = np.searchsorted(base.seg, seg_ids, side="right") - 1
        s0, s1 = base.start[first], base.end[last]
        hit = ((s0[:, None] < hi[None, :]) & (s1[:, None] > lo[None, :])).any(axis=1)
        removed = seg_ids[hit]
    else:
        removed = np.zeros(0, np.int64)
    kept = base.take(np.flatnonzero(~np.isin(base.seg, removed)))
    out = concat_spoken([kept, *parts])
    order = np.argsort(out.start, kind="stable")
    return out.take(order), removed


def recognise(spoken: Spoken, knobs: AlignmentKnobs, rng: np.random.Generator) -> WordTimings:
    """What an ASR stage writes for ``spoken``: jittered times, drops, misspellings, digits."""
    n = spoken.n
    jitter = rng.normal(0.0, 1.0, (2, n)) * knobs.asr_jitter_s
    drop = rng.random(n) < knobs.asr_drop_rate
    misspell = rng.random(n) < knobs.asr_misspell_rate
    digit = rng.random(n) < knobs.digit_share
    letter = rng.random(n)
    words = list(spoken.word)
    for i in np.flatnonzero(digit).tolist():
        w = words[i]
        core = w.rstrip(_TRAIL)
        d = _DIGITS.get(core.lower())
        if d is not None:
            words[i] = d + w[len(core) :]
    for i in np.flatnonzero(misspell).tolist():
        w = words[i]
        core = w.rstrip(_TRAIL)
        if len(core) >= 4 and core.isalpha():
            k = 1 + int(letter[i] * (len(core) - 2))
            swap = "e" if core[k] != "e" else "a"
            words[i] = core[:k] + swap + core[k + 1 :] + w[len(core) :]
    keep = np.flatnonzero(~drop)
    start = spoken.start + jitter[0]
    end = np.maximum(spoken.end + jitter[1], start + 0.03)
    return WordTimings.from_arrays(
        start[keep], end[keep], [" " + words[i] for i in keep.tolist()], spoken.prob[keep], spoken.ok[keep]
    )


def _mask(frames: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """Frames whose start lies in any of ``spans`` (spans may overlap)."""
    if not spans:
        return np.zeros(frames.size, bool)
    lo = np.searchsorted(frames, [s for s, _ in spans], side="left")
    hi = np.searchsorted(frames, [e for _, e in spans], side="left")
    delta = np.zeros(frames.size + 1, np.int64)
    np.add.at(delta, lo, 1)
    np.add.at(delta, hi, -1)
    return np.cumsum(delta[:-1]) > 0


def energy(
    spoken: Spoken, music: list[tuple[float, float]], audio_s: float, knobs: AlignmentKnobs, rng: np.random.Generator
) -> EnergyFrames:
    """RMS dBFS per 100 ms frame: noise floor, music beds, speech on words, shouting louder."""
    frames = np.arange(0.0, audio_s, FRAME_S)
    level = rng.normal(knobs.noise_floor_db, 2.0, frames.size)
    level = np.where(_mask(frames, music), rng.normal(knobs.music_db, 1.5, frames.size), level)
    centre = frames + FRAME_S / 2
    order = np.argsort(spoken.start, kind="stable")
    starts, ends, loud = spoken.start[order], spoken.end[order], spoken.loud[order]
    wi = np.searchsorted(starts, centre, side="right") - 1
    safe = np.maximum(wi, 0)
    in_word = (wi >= 0) & (centre < ends[safe]) if starts.size else np.zeros(frames.size, bool)
    level = np.where(in_word, rng.normal(knobs.speech_db, 3.0, frames.size), level)
    shout = in_word & loud[safe] if starts.size else in_word
    level = np.where(shout, rng.normal(knobs.loud_db, 1.0, frames.size), level)
    return EnergyFrames.from_arrays(frames, np.minimum(level, 0.0))
