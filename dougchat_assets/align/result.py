"""The alignment's output records: knots of the offset curve plus the evidence behind them.

The knots are the contract every later stage relies on (see :mod:`.curve`); anchors and
window estimates are kept so a reviewer can see *why* the curve is where it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Knot:
    """One point of the chat->audio curve.

    ``segment`` numbers the stretches of audio between cuts (0, 1, ...); ``confidence`` is
    that segment's confidence in [0, 1]; ``method`` says what placed the knot.
    """

    chat_utc_ms: int
    audio_s: float
    segment: int = 0
    confidence: float = 1.0
    method: str = "echo"


@dataclass(frozen=True)
class Anchor:
    """An anchor event (countdown end, a spoken call) and how far the curve misses it.

    ``audio_s`` is when the streamer finished the event; ``chat_utc_ms`` is the matched-filter
    location of chat's answering burst with the lag prior removed (when the streamer was at
    ``audio_s``, as chat tells it), so ``residual_s = curve(chat_utc_ms) - audio_s``.
    ``weight`` is the number of messages in the burst; the check judges ``residual_s`` in
    units of ``sigma_s``.  Anchors share the lag prior with the
    curve, so they check consistency, not the absolute lag.
    """

    kind: str
    chat_utc_ms: int
    audio_s: float
    weight: float
    residual_s: float
    # how far this anchor may miss a right curve (s): its kind's own spread of reaction
    # timing against echoes, and how sharply its burst locates (see anchors.anchor_sigma)
    sigma_s: float = 1.0

    def as_tuple(self) -> tuple[str, int, float, float, float]:
        return (self.kind, self.chat_utc_ms, self.audio_s, self.weight, self.residual_s)


@dataclass(frozen=True)
class WindowEstimate:
    """A local estimate of audio_s - chat_s from one window of the audio (plot; echo windows
    also feed the segment confidence through ``agrees``).

    ``offset_s`` is in the same units as the curve's offset (audio_s minus chat seconds since
    the reference), at the window's centre; ``score`` is the robust z of its peak (descriptive).
    """

    method: str  # "echo" or "xcorr"
    audio_center_s: float
    chat_center_utc_ms: int
    offset_s: float
    score: float
    n_matches: int
    agrees: bool


@dataclass(frozen=True)
class SegmentInfo:
    """Evidence for one segment (stretch of audio between cuts)."""

    segment: int
    audio_start_s: float
    audio_end_s: float
    intercept_s: float  # chat seconds since the reference at audio 0 on this segment's line
    n_matches: float  # echo pairs at plausible delays, minus those expected by chance
    z: float  # pair-score z of its offset against a reversed-transcript null (see significance.py)
    prominence: float  # robust z of the peak minus that of the best offset > 6 s away (descriptive)
    window_agreement: float  # share of significant windows inside that agree with the curve
    confidence: float
    peak_ratio: float = 0.0  # echo score at its offset / best score at any other offset


@dataclass(frozen=True)
class UncertainSpan:
    """A stretch of chat time whose audio time the curve cannot vouch for.

    ``kind`` is ``"cut"`` (sent during an ad cut: there is no audio for it, the curve maps it
    to the cut point), ``"cut_position"`` (the echoes place the cut anywhere in a range, so
    a message here may be off by up to ``max_error_s``, the cut's length) or
    ``"unsupported"`` (beyond the first or last echo, where the curve is extrapolated and a cut
    would leave no trace: off by up to the largest cut allowed).  Downstream stages should drop
    messages in these spans rather than trust their audio time.
    """

    kind: str
    start_utc_ms: int
    end_utc_ms: int
    max_error_s: float


@dataclass(frozen=True)
class AlignmentResult:
    """Output of :func:`dougchat_assets.align.estimate.estimate_alignment`."""

    knots: list[Knot]
    anchors: list[Anchor]
    window_estimates: list[WindowEstimate]
    segments: list[SegmentInfo]
    reference_utc_ms: int  # zero of the chat clock used for offsets (metadata start, else first message)
    reaction_lag_s: float  # lag removed from echo delays (prior median, or measured: latency_source)
    lag_spread_s: float  # observed inter-quartile range of echo delays (identifiable)
    drift_s_per_h: float  # audio seconds gained per broadcast hour ((k - 1) * 3600)
    offset_s: float  # audio_s - chat seconds since reference, at the first knot
    confidence: float
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    uncertain_spans: list[UncertainSpan] = field(default_factory=list)
    ambiguous_share: float = 0.0  # share of viewer messages inside "cut_position" spans
    # inlier echo matches (message time, audio time of the sentence it echoes), for the plot
    echo_chat_utc_ms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    echo_audio_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # where the split of offset + lag came from (see readaloud.py): "prior", "measured" or "override", the
    # bounds on the lag median from echoes (lower) and read-alouds (upper), and the reads found
    latency_source: str = "prior"
    latency_lo_s: float = 0.0
    latency_hi_s: float = float("inf")
    n_read_alouds: int = 0

    @property
    def drift_ppm(self) -> float:
        return self.drift_s_per_h / 3600.0 * 1e6

    @property
    def anchor_tuples(self) -> list[tuple[str, int, float, float, float]]:
        return [a.as_tuple() for a in self.anchors]

    def knots_as_rows(self) -> list[dict[str, Any]]:
        return [asdict(k) for k in self.knots]

    def uncertain_mask(self, chat_utc_ms: np.ndarray, kinds: tuple[str, ...] = ("cut", "cut_position")) -> np.ndarray:
        """True for chat times inside an uncertain span of the given kinds."""
        t = np.asarray(chat_utc_ms, dtype=np.int64)
        mask = np.zeros(t.shape, dtype=bool)
        for span in self.uncertain_spans:
            if span.kind in kinds:
                mask |= (t >= span.start_utc_ms) & (t < span.end_utc_ms)
        return mask
