"""The offset-curve contract for the reviewer: chat UTC ms -> audio seconds, and back.

The reviewer shows chat at the audio time the curve gives it, so the server (the chat API) and
the page (``static/app.js``, which re-flows chat after every nudge) must agree.  The forward
map is :func:`dougchat_assets.align.curve.map_chat_to_audio`, the contract's one Python
implementation, re-exported here; ``app.js`` mirrors it:

* knots are sorted by ``chat_utc_ms``; between two consecutive knots the map is linear;
* beyond the ends it extrapolates the first two / last two knots' line;
* a single knot means slope 1 (one chat second is one audio second);
* a discontinuity is two knots 1 ms apart (a steep but still linear piece).

What the reviewer adds is the inverse (audio -> chat), which a nudge needs: "the chat time
currently playing".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_assets.align.result import Knot

__all__ = ["Knot", "default_curve", "map_audio_to_chat", "map_chat_to_audio", "normalize_knots"]


def normalize_knots(knots: Iterable[Knot]) -> tuple[Knot, ...]:
    """Sort by chat time; of knots sharing a chat time keep the last one given.

    Two knots at the same instant would make a zero-width segment, which the contract
    forbids; "last wins" lets a later correction replace an earlier one without the caller
    deleting it first.
    """
    by_time: dict[int, Knot] = {}
    for knot in knots:
        by_time[int(knot.chat_utc_ms)] = knot
    return tuple(by_time[t] for t in sorted(by_time))


def map_audio_to_chat(knots: Sequence[Knot], audio_s: float) -> float:
    """The chat time (ms, not rounded) that the curve maps to ``audio_s``.

    The curve is normally increasing, so there is one answer.  Where it folds back (a
    backward jump), the earliest chat time on a rising piece is returned: that is the
    first time this audio moment is heard.  Where no piece reaches ``audio_s`` (e.g. a
    falling extrapolation), the chat time of the knot closest in audio is the answer.
    Mirrors ``mapAudioToChat`` in ``app.js``.
    """
    ordered = normalize_knots(knots)
    if not ordered:
        raise ValueError("an offset curve needs at least one knot")
    if len(ordered) == 1:
        return ordered[0].chat_utc_ms + (audio_s - ordered[0].audio_s) * 1000.0
    last = len(ordered) - 2
    flat: float | None = None
    falling: float | None = None
    for i in range(last + 1):
        c0, a0 = ordered[i].chat_utc_ms, ordered[i].audio_s
        c1, a1 = ordered[i + 1].chat_utc_ms, ordered[i + 1].audio_s
        lo = -math.inf if i == 0 else c0
        hi = math.inf if i == last else c1
        if a1 == a0:
            if audio_s == a0 and flat is None:
                flat = float(c0)
            continue
        chat = c0 + (audio_s - a0) * (c1 - c0) / (a1 - a0)
        if not lo <= chat <= hi:
            continue
        if a1 > a0:
            return chat
        if falling is None:
            falling = chat
    if flat is not None:
        return flat
    if falling is not None:
        return falling
    nearest = min(ordered, key=lambda k: (abs(k.audio_s - audio_s), k.chat_utc_ms))
    return float(nearest.chat_utc_ms)


def default_curve(start_utc_ms: int) -> tuple[Knot, ...]:
    """The curve to show before any estimate exists: audio second 0 is ``start_utc_ms``, slope 1."""
    return (Knot(int(start_utc_ms), 0.0, confidence=0.0, method="default"),)
