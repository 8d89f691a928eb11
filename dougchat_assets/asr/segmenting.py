"""From Whisper's raw output to trustworthy segments: tight word times, pause-sized segments.

Three things in Whisper's output are coarser than the transcript needs:

* Segment times: a segment often "starts" where the previous one ended, across a pause;
  word times (from cross-attention) are tighter, so a segment spans its first to last word.
* Word times at pauses: the word before a pause is often stretched over the silence
  ("it." from 36.6 s to 38.7 s when the voice stopped at 36.8 s).  A word end that falls
  in a VAD silence is pulled back to the speech's end (plus a margin), a word start in a
  silence pushed forward to where speech resumes; chat alignment uses these times.
* Segment size: decoded without timestamp tokens (or, with them, given a prompt) Whisper
  emits a whole 30 s window as one segment; a gate on a 30 s segment rejects or trusts too
  much at once, and a speaker label on it is meaningless.  Segments are split at pauses,
  and at shorter pauses after the end of a sentence.

Whisper's avg_logprob / no_speech_prob belong to the 30 s decoding window and are copied
to each piece; the text compression ratio and the mean word log-probability are computed
per piece, so loops and unsure words are caught where they are.
"""

from __future__ import annotations

import bisect
import math
import zlib
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.asr.vad import SpeechRegion


class SegmentParams(BaseModel):
    """Post-processing knobs (applied to finished chunks: changing them needs no re-decode)."""

    model_config = ConfigDict(frozen=True)

    split_gap_s: float | None = Field(0.6, gt=0, description="split a segment where words pause this long")
    # Whisper decodes without timestamp tokens (AsrConfig.timestamps), so a chunk comes back
    # as one segment; sentences are where it would have cut, and turns between speakers
    # often pause less than split_gap_s (two voices, 0.46 s, in the speaker test's fixture).
    sentence_gap_s: float | None = Field(
        0.2, ge=0, description="also split after a word ending a sentence (. ? !) when the next one starts this much later"
    )
    snap_margin_s: float | None = Field(
        0.15, ge=0, description="word edges in a VAD silence move to the speech edge +/- this; None = off"
    )


@dataclass(frozen=True)
class RawWord:
    start_s: float
    end_s: float
    word: str  # as Whisper wrote it, with its leading space
    probability: float


@dataclass(frozen=True)
class RawSegment:
    start_s: float
    end_s: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    window_compression_ratio: float
    words: tuple[RawWord, ...] = field(default_factory=tuple)


def text_compression_ratio(text: str) -> float:
    """Whisper's measure of repetition: UTF-8 length over zlib-compressed length."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def word_logprob(words: tuple[RawWord, ...]) -> float | None:
    """Mean log word probability (a per-segment analogue of avg_logprob), None without words."""
    if not words:
        return None
    return sum(math.log(max(w.probability, 1e-6)) for w in words) / len(words)


def snap_words(words: tuple[RawWord, ...], regions: list[SpeechRegion], margin_s: float) -> tuple[RawWord, ...]:
    """Pull word edges that lie in VAD silence back to the neighbouring speech (see module doc)."""
    if not regions:
        return words
    out = []
    for w in words:
        start, end = w.start_s, w.end_s
        gap = _silence_around(regions, end)
        if gap is not None and gap[0] + margin_s < end:
            end = max(start, gap[0] + margin_s)
        gap = _silence_around(regions, start)
        if gap is not None and start < gap[1] - margin_s:
            start = min(end, gap[1] - margin_s)
        out.append(replace(w, start_s=round(start, 3), end_s=round(end, 3)))
    return tuple(out)


def _silence_around(regions: list[SpeechRegion], t: float) -> tuple[float, float] | None:
    """The silence (previous core end, next core start) containing ``t``, if it lies between two cores."""
    i = bisect.bisect_right(regions, t, key=lambda r: r.core_start_s)
    if i == 0 or i == len(regions):
        return None  # before the first or after the last speech: nothing to snap towards on one side
    before, after = regions[i - 1], regions[i]
    if before.core_end_s < t < after.core_start_s:
        return before.core_end_s, after.core_start_s
    return None


_SENTENCE_END = (".", "?", "!")


def split_segment(
    segment: RawSegment, split_gap_s: float | None, sentence_gap_s: float | None = None
) -> list[RawSegment]:
    """Cut a segment where consecutive words are ``split_gap_s`` apart, or ``sentence_gap_s``
    apart after a word that ends a sentence; times from the words."""
    words = segment.words
    if not words:
        return [segment]
    groups: list[list[RawWord]] = [[words[0]]]
    for previous, word in zip(words, words[1:]):
        gap = word.start_s - previous.end_s
        if (split_gap_s is not None and gap >= split_gap_s) or (
            sentence_gap_s is not None and gap >= sentence_gap_s and previous.word.rstrip().endswith(_SENTENCE_END)
        ):
            groups.append([])
        groups[-1].append(word)
    if len(groups) == 1:
        return [replace(segment, start_s=words[0].start_s, end_s=max(words[0].start_s, words[-1].end_s))]
    return [
        replace(
            segment,
            start_s=group[0].start_s,
            end_s=max(group[0].start_s, group[-1].end_s),
            text="".join(w.word for w in group).strip(),
            words=tuple(group),
        )
        for group in groups
    ]


def refine(segments: list[RawSegment], regions: list[SpeechRegion], params: SegmentParams) -> list[RawSegment]:
    """Snap word times, then split at pauses; segments keep their order."""
    out: list[RawSegment] = []
    for segment in segments:
        if params.snap_margin_s is not None:
            segment = replace(segment, words=snap_words(segment.words, regions, params.snap_margin_s))
        out.extend(split_segment(segment, params.split_gap_s, params.sentence_gap_s))
    return out
