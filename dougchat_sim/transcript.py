"""What the streamer says, on the audio clock: segments, word timings, and the hidden truth.

The transcript is what an ASR stage would have written (some words wrong, low-confidence
stretches, punctuation); the spoken words are kept beside it because chat echoes what was
*said*, not what the recogniser heard.  Music stretches and the audio points of ad cuts have
no speech, so no segment straddles a cut and every segment end has one broadcast time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from dougchat_sim import text_pools as tp
from dougchat_sim.clock import Clock
from dougchat_sim.params import StreamParams
from dougchat_sim.textgen import SlotFiller, Uniforms, compile_all

SEGMENT_COLUMNS = pa.schema(
    [
        pa.field("vod_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("start_s", pa.float64(), nullable=False),
        pa.field("end_s", pa.float64(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("quality", pa.string(), nullable=False),
        pa.field("speaker", pa.string()),
    ]
)
WORD_COLUMNS = pa.schema(
    [
        pa.field("vod_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("word_index", pa.int32(), nullable=False),
        pa.field("start_s", pa.float64(), nullable=False),
        pa.field("end_s", pa.float64(), nullable=False),
        pa.field("word", pa.string(), nullable=False),
        pa.field("probability", pa.float64()),
    ]
)
_SPEECH = compile_all(tp.SPEECH_TEMPLATES)
_CALLS = {kind: compile_all(lines) for kind, lines in tp.VOTE_CALLS.items()}
_VOTE_KIND_NAMES = tuple(kind for kind, _ in tp.VOTE_KINDS)
_ASR_CONFUSIONS = tuple(sorted(set(tp.THINGS + tp.ADJECTIVES + tp.SPEECH_FILLERS + ("the", "a", "and", "in"))))


@dataclass
class Speech:
    """Segments in audio seconds plus what the chat simulation needs to react to them."""

    start_s: np.ndarray
    end_s: np.ndarray
    end_broadcast_s: np.ndarray  # broadcast second at which each segment's last word ends
    spoken: list[list[str]]  # the words actually said (chat echoes these)
    call_kind: list[str | None]  # vote call kind ("one_two", ...) or None
    heat: np.ndarray  # relative pull on reactions (0 for vote calls)
    segments: pa.Table
    words: pa.Table
    music: list[tuple[float, float]] = field(default_factory=list)  # audio (start, end) of music breaks


def _blocked(
    params: StreamParams, clock: Clock, rng: np.random.Generator, total: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Audio stretches without speech (music breaks and a margin around each cut point), and the music alone."""
    spans = []
    n_music = rng.poisson(params.music_per_hour * max(total, 0.0) / 3600.0)
    for start, scale in zip(rng.uniform(0.0, total, n_music), rng.uniform(0.5, 1.5, n_music)):
        spans.append((float(start), float(start + params.music_len_s * scale)))
    music = sorted((s, min(e, total)) for s, e in spans)
    spans = spans + [(p - 1.5, p + 1.5) for p in clock.cut_points_audio()]
    spans.sort()
    merged: list[tuple[float, float]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged, music


def _sentence_words(filler: SlotFiller, u: Uniforms, target: int) -> list[str]:
    words: list[str] = []
    while len(words) < target:
        if words and u.next() < 0.25:
            words.append(u.pick(tp.SPEECH_FILLERS))
        words.extend(filler.fill(_SPEECH[int(u.next() * len(_SPEECH))]).split())
    return words


def simulate_speech(params: StreamParams, clock: Clock, rng: np.random.Generator, filler: SlotFiller, vod_id: str) -> Speech:
    """Lay speech along the audio: segments of drawn length, pauses, music, calls to vote."""
    u = Uniforms(rng)
    total = clock.audio_duration_s
    blocked, music = _blocked(params, clock, rng, total)
    n_calls = rng.poisson(params.vote_calls_per_hour * max(total, 0.0) / 3600.0)
    call_times = sorted(rng.uniform(0.0, total, n_calls).tolist())
    starts: list[float] = []
    ends: list[float] = []
    spoken: list[list[str]] = []
    call_kind: list[str | None] = []
    speakers: list[str | None] = []
    qualities: list[str] = []
    word_rows: list[tuple[int, float, float, str, float]] = []
    texts: list[str] = []
    speaker_rate = (1.0, 0.8 + 0.4 * u.next())
    current = 0
    t = u.next() * 5.0
    b_index = 0
    while t < total - 2.0:
        while b_index < len(blocked) and blocked[b_index][1] <= t:
            b_index += 1
        if b_index < len(blocked) and blocked[b_index][0] <= t:
            t = blocked[b_index][1] + 0.2 + u.next()
            continue
        limit = min(total - 0.5, blocked[b_index][0] if b_index < len(blocked) else total)
        kind = None
        if call_times and call_times[0] <= t:
            call_times.pop(0)
            kind = _VOTE_KIND_NAMES[int(u.next() * len(_VOTE_KIND_NAMES))]
            lines = _CALLS[kind]
            words = filler.fill(lines[int(u.next() * len(lines))]).replace(",", "").split()
        else:
            target = 1 + rng.poisson(rng.gamma(2.0, max(params.segment_words_mean - 1.0, 0.5) / 2.0))
            words = _sentence_words(filler, u, int(target))
        if params.n_speakers == 2 and u.next() < 0.35:
            current = 1 - current
        wps = params.speech_rate_wps * speaker_rate[current] * (0.85 + 0.3 * u.next())
        lengths = np.array([len(w) + 2.0 for w in words])
        slot = lengths / lengths.sum() * (len(words) / wps)
        if t + slot.sum() > limit:  # cut the sentence short before music or a cut point
            keep = int(np.searchsorted(np.cumsum(slot), limit - t - 0.05))
            if kind is not None or keep < 1:  # a call is said whole, after the break
                if kind is not None:
                    call_times.insert(0, t)
                t = limit + 0.3
                continue
            words, slot = words[:keep], slot[:keep]
        edges = t + np.concatenate(([0.0], np.cumsum(slot)))
        seg = len(starts)
        low = kind is None and u.next() < params.low_confidence_share
        error_rate = 0.25 if low else params.asr_error_rate
        heard: list[str] = []
        probs: list[float] = []
        for word in words:
            wrong = u.next() < error_rate
            heard.append(u.pick(_ASR_CONFUSIONS) if wrong else word)
            if low:
                probs.append(0.15 + 0.6 * u.next())
            else:
                probs.append(0.3 + 0.4 * u.next() if wrong else 1.0 - 0.15 * u.next() ** 2)
        heard[0] = heard[0][:1].upper() + heard[0][1:]  # ASR output is punctuated
        heard[-1] += "?" if kind is not None else ("!" if u.next() < 0.2 else ".")
        word_ends = edges[:-1] + slot * 0.92
        for i, word in enumerate(heard):
            word_rows.append((seg, float(edges[i]), float(word_ends[i]), word, round(probs[i], 4)))
        starts.append(float(edges[0]))
        ends.append(float(word_ends[-1]))
        spoken.append(words)
        call_kind.append(kind)
        qualities.append("low_confidence" if low else "ok")
        texts.append(" ".join(heard))
        if params.n_speakers == 0:
            speakers.append(None)
        else:
            speakers.append(None if u.next() < 0.15 else f"S{current}")
        pause = rng.uniform(3.0, 20.0) if u.next() < params.long_pause_prob else 0.1 + rng.exponential(params.pause_mean_s)
        t = ends[-1] + float(pause)
    start_arr = np.round(np.array(starts, dtype=np.float64), 3)
    end_arr = np.round(np.array(ends, dtype=np.float64), 3)
    ids = _segment_ids(start_arr)
    heat = np.exp(rng.normal(0.0, params.segment_heat_sigma, len(starts)))
    heat[[k is not None for k in call_kind]] = 0.0
    segments = pa.Table.from_arrays(
        [
            pa.array([vod_id] * len(starts), pa.string()),
            pa.array(ids, pa.string()),
            pa.array(start_arr, pa.float64()),
            pa.array(end_arr, pa.float64()),
            pa.array(texts, pa.string()),
            pa.array(qualities, pa.string()),
            pa.array(speakers, pa.string()),
        ],
        schema=SEGMENT_COLUMNS,
    )
    words_table = _words_table(vod_id, ids, word_rows)
    return Speech(
        start_arr, end_arr, clock.broadcast_of_audio(end_arr), spoken, call_kind, heat, segments, words_table, music
    )


def _segment_ids(start_s: np.ndarray) -> list[str]:
    """``CCCCC-NNN`` like the ASR stage: 10-minute chunk index, then position inside the chunk."""
    ids = []
    last_chunk, n = -1, 0
    for start in start_s.tolist():
        chunk = int(math.floor(start / 600.0))
        n = n + 1 if chunk == last_chunk else 0
        last_chunk = chunk
        ids.append(f"{chunk:05d}-{n:03d}")
    return ids


def _words_table(vod_id: str, ids: list[str], rows: list[tuple[int, float, float, str, float]]) -> pa.Table:
    seg = np.array([r[0] for r in rows], dtype=np.int64)
    index = np.zeros(len(rows), dtype=np.int32)
    if len(rows):
        first = np.r_[0, np.flatnonzero(np.diff(seg)) + 1]
        index = (np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))).astype(np.int32)
    return pa.Table.from_arrays(
        [
            pa.array([vod_id] * len(rows), pa.string()),
            pa.array([ids[s] for s in seg.tolist()], pa.string()),
            pa.array(index, pa.int32()),
            pa.array(np.round([r[1] for r in rows], 3), pa.float64()),
            pa.array(np.round([r[2] for r in rows], 3), pa.float64()),
            pa.array([r[3] for r in rows], pa.string()),
            pa.array([r[4] for r in rows], pa.float64()),
        ],
        schema=WORD_COLUMNS,
    )
