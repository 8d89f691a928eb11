"""Evidence stage, metadata: what the metadata alone says about the offset, and how far to search around it.

Metadata is a hint, never the answer: ``started_at`` can be missing or minutes off, the
download can start late, and ads can be cut.  It sets the *search range* for the content
signals and gives a fallback guess; the export's own offsets (TwitchDownloader
``content_offset_seconds``) cross-check ``started_at``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.inputs import AlignmentInputs
from dougchat_assets.align.params import AlignmentParams


@dataclass(frozen=True)
class FirstGuess:
    """Offsets are ``theta`` = chat seconds since the reference minus audio seconds."""

    theta_s: float  # best metadata guess
    theta_lo: float  # search range for the content signals
    theta_hi: float
    source: str  # what the guess rests on
    export_start_utc_ms: int | None  # VOD start implied by the export's own offsets
    start_disagreement_s: float | None  # export start minus metadata start


def first_guess(inputs: AlignmentInputs, ref_utc_ms: int, params: AlignmentParams) -> FirstGuess:
    """Metadata guess of theta and the range the content search covers.

    With a metadata start, the chat clock is broadcast time and ``theta`` is the broadcast
    time missing before/inside the audio (late start + cuts, ~0-15 min) plus drift; if the
    chat runs to the end of the broadcast, ``chat end - audio duration`` estimates it.
    Without one, every overlap of the two clocks is searched.
    """
    chat = inputs.chat
    duration = float(inputs.meta.audio_duration_s)
    usable = chat.usable
    t = chat.timing_s(ref_utc_ms)[usable] if usable.any() else chat.timing_s(ref_utc_ms)
    c_min = float(t.min()) if t.size else 0.0
    c_max = float(t.max()) if t.size else duration

    export_start: int | None = None
    disagreement: float | None = None
    has_off = np.isfinite(chat.vod_offset_s)
    if has_off.sum() >= 10:
        implied = chat.sent_at_utc_ms[has_off] - np.round(chat.vod_offset_s[has_off] * 1000.0).astype(np.int64)
        export_start = int(np.median(implied))
        if inputs.meta.started_at_utc_ms is not None:
            disagreement = (export_start - int(inputs.meta.started_at_utc_ms)) / 1000.0

    if inputs.meta.started_at_utc_ms is not None:
        missing = max(0.0, c_max - duration)
        lo = -params.search_before_s
        hi = max(missing, 0.0) + params.search_after_s
        return FirstGuess(missing, lo, hi, "metadata start + chat span vs audio duration", export_start, disagreement)
    if export_start is not None:
        base = (export_start - ref_utc_ms) / 1000.0
        missing = max(0.0, c_max - base - duration)
        return FirstGuess(
            base + missing,
            base - params.search_before_s,
            base + missing + params.search_after_s,
            "export offsets + chat span vs audio duration",
            export_start,
            None,
        )
    return FirstGuess(
        max(0.0, c_max - duration), c_min - duration - 60.0, c_max + 60.0, "no start: whole overlap", None, None
    )
