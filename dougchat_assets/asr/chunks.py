"""Cut the speech of a file into Whisper-sized chunks, and map chunk time back to file time.

Whisper decodes 30 s windows; every window costs a full encoder pass whether it holds 30 s
of speech or 3.  So a chunk packs consecutive speech regions until it is full, leaving out
what lies between them when that is long (music, silence): the pieces are joined with a
short stretch of digital silence so Whisper still hears a pause.  Short pauses (under
``keep_gap_s``) are kept as they are, because cutting a breath out of a sentence only
hurts recognition.  A region longer than a chunk is split at its quietest point, so no
word is cut in two.

A chunk's identity is its index plus its pieces' sample ranges; all of it follows from the
audio and the VAD/chunk parameters, so a resumed run finds the same chunks again.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.asr.audio_reader import SAMPLE_RATE, read_window
from dougchat_assets.asr.vad import SpeechRegion


class ChunkParams(BaseModel):
    """How speech is packed into chunks (part of the params hash)."""

    model_config = ConfigDict(frozen=True)

    # 20 s, not Whisper's 30: words in the last seconds of a full window are often left out
    # (its training windows cut such words off).  On generated 5-minute streams (seeds
    # 200-202, bench/asr.py) 30 s gave WER 19.5 %, 24 s 18.3 %, 20 s 18.2 %, 15 s 19.6 %.
    # Fewer, fuller chunks are faster (one encoder pass each, about half the decode time on
    # CPU) but only paid off without timestamp tokens; see AsrConfig.timestamps.  Chunks
    # hold 16 s of audio on average; cutting the region that does not fit at its quietest
    # point, so its head fills a chunk with >= 2 s (3 s) of room, made 12 % (10 %) fewer
    # chunks on the 30-minute streams of seeds 100-102 but raised WER from 26.8 % to 27.2 %
    # (27.5 %): not kept.
    max_s: float = Field(20.0, gt=1.0, le=30.0, description="most seconds of audio Whisper gets per chunk")
    keep_gap_s: float = Field(0.8, ge=0, description="pauses up to this long stay in as real audio")
    join_silence_s: float = Field(0.4, ge=0, description="silence put between pieces whose gap was cut out")
    min_split_fraction: float = Field(
        0.6, gt=0, lt=1, description="a long region is cut at its quietest point after this share of max_s"
    )


@dataclass(frozen=True)
class Piece:
    """A contiguous range of the file, in samples (exact, so reads are reproducible)."""

    start: int
    end: int

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return self.end / SAMPLE_RATE

    @property
    def n(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Chunk:
    """What Whisper gets in one call: pieces of the file joined by ``join_samples`` of silence."""

    index: int
    pieces: tuple[Piece, ...]
    join_samples: int

    @property
    def start_s(self) -> float:
        return self.pieces[0].start_s

    @property
    def end_s(self) -> float:
        return self.pieces[-1].end_s

    @property
    def chunk_id(self) -> str:
        return f"{self.index:05d}-{self.pieces[0].start}-{self.pieces[-1].end}"

    @property
    def n_samples(self) -> int:
        """Length of the joined audio."""
        return sum(p.n for p in self.pieces) + self.join_samples * (len(self.pieces) - 1)

    @property
    def speech_s(self) -> float:
        return sum(p.n for p in self.pieces) / SAMPLE_RATE

    def offsets(self) -> list[int]:
        """Where each piece starts in the joined audio, in samples."""
        out, position = [], 0
        for piece in self.pieces:
            out.append(position)
            position += piece.n + self.join_samples
        return out

    def to_file_time(self, t: float, *, is_end: bool) -> float:
        """Map a time in the joined audio to seconds of the file.

        A time that falls in an inserted silence belongs to no piece: a start snaps
        forward to the next piece, an end back to the previous one.
        """
        sample = max(0.0, t * SAMPLE_RATE)
        offsets = self.offsets()
        k = max(0, bisect.bisect_right(offsets, sample) - 1)
        local = sample - offsets[k]
        piece = self.pieces[k]
        if local > piece.n:  # inside the silence after piece k (or past the end)
            if is_end or k + 1 == len(self.pieces):
                return piece.end_s
            return self.pieces[k + 1].start_s
        return (piece.start + local) / SAMPLE_RATE

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "chunk_id": self.chunk_id,
            "pieces": [[p.start, p.end] for p in self.pieces],
            "join_samples": self.join_samples,
        }


def plan_chunks(
    regions: Iterable[SpeechRegion],
    params: ChunkParams | None = None,
    *,
    find_cut: Callable[[float, float], float] | None = None,
) -> list[Chunk]:
    """Pack speech regions (sorted, non-overlapping) into chunks of at most ``params.max_s``.

    ``find_cut(lo_s, hi_s)`` picks where to split a region longer than a chunk (a time in
    [lo_s, hi_s]); without it the split falls at ``hi_s``.  Use :func:`quiet_cut_finder`
    to cut at the quietest 20 ms of the audio.
    """
    params = params or ChunkParams()
    max_n = int(round(params.max_s * SAMPLE_RATE))
    keep_gap = int(round(params.keep_gap_s * SAMPLE_RATE))
    join = int(round(params.join_silence_s * SAMPLE_RATE))
    chunks: list[Chunk] = []
    pieces: list[Piece] = []
    length = 0

    def close() -> None:
        nonlocal pieces, length
        if pieces:
            chunks.append(Chunk(len(chunks), tuple(pieces), join))
        pieces, length = [], 0

    for part in _split_long(regions, max_n, params.min_split_fraction, find_cut):
        if pieces:
            gap = part.start - pieces[-1].end
            if gap <= keep_gap and length + gap + part.n <= max_n:
                last = pieces.pop()
                pieces.append(Piece(last.start, part.end))
                length += gap + part.n
                continue
            if length + join + part.n <= max_n:
                pieces.append(part)
                length += join + part.n
                continue
            close()
        pieces.append(part)
        length = part.n
    close()
    return chunks


def _split_long(
    regions: Iterable[SpeechRegion],
    max_n: int,
    min_fraction: float,
    find_cut: Callable[[float, float], float] | None,
) -> Iterable[Piece]:
    for region in regions:
        start = int(round(region.start_s * SAMPLE_RATE))
        end = int(round(region.end_s * SAMPLE_RATE))
        while end - start > max_n:
            lo = start + int(max_n * min_fraction)
            hi = start + max_n
            cut = hi
            if find_cut is not None:
                cut = int(round(find_cut(lo / SAMPLE_RATE, hi / SAMPLE_RATE) * SAMPLE_RATE))
                cut = min(max(cut, lo), hi)
            yield Piece(start, cut)
            start = cut
        if end > start:
            yield Piece(start, end)


def quiet_cut_finder(path: Path, frame_s: float = 0.02) -> Callable[[float, float], float]:
    """A ``find_cut`` for :func:`plan_chunks`: the middle of the quietest frame in the range.

    Reads only the range (at most one chunk long).  Ties go to the latest frame, so chunks
    are as full as they can be.
    """

    def find_cut(lo_s: float, hi_s: float) -> float:
        samples = read_window(path, lo_s, hi_s)
        frame = max(1, int(round(frame_s * SAMPLE_RATE)))
        n = samples.size // frame
        if n == 0:
            return hi_s
        energy = np.mean(samples[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1)
        best = n - 1 - int(np.argmin(energy[::-1]))
        return lo_s + (best + 0.5) * frame / SAMPLE_RATE

    return find_cut
