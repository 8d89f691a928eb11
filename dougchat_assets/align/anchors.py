"""Evidence stage, anchors: anchor events — moments both clocks agree on, used to check the curve.

* the loud countdown that ends "starting soon" (from the transcript's descending numbers,
  or from energy alone when the transcript has none), answered by a burst of hype in chat;
* spoken calls ("type one in chat"), answered by a burst of that token.

A burst is located with a matched filter (the lag prior's density) near where the curve
predicts it, so an anchor's residual says how far the curve misses an event that chat
clearly reacted to.  Anchors are consistency checks, not independent ground truth: they
are reactions too, so they carry the same lag prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.calls import find_calls
from dougchat_assets.align.curve import inverse_map, map_chat_to_audio
from dougchat_assets.align.echo import token_messages
from dougchat_assets.align.inputs import AlignmentInputs
from dougchat_assets.align.lag import LagPrior
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import Anchor, Knot
from dougchat_assets.align.score import robust_z
from dougchat_assets.align.text import HYPE_TOKENS, word_token


@dataclass(frozen=True)
class AudioEvent:
    kind: str  # "countdown" or "call"
    audio_s: float  # when the streamer finished it
    tokens: frozenset[str]  # chat tokens answering it
    label: str


@dataclass(frozen=True)
class Burst:
    chat_s: float  # streamer time of the burst on the chat clock (lag removed)
    z: float
    n_messages: int
    spread_s: float = 0.0  # robust spread of the burst's message times


def anchor_sigma(kind: str, burst: Burst, params: AlignmentParams) -> float:
    """How far an anchor of this kind may miss a right curve, three spreads in quadrature:

    * its kind's own timing spread (a countdown's hype and a call's answers scatter);
    * how far the stream's quick answers may lead its echoes (``anchor_lag_sd_s``): both
      carry the stream latency, but typing back a word of what was said takes longer than
      spamming "1" or hype, by an amount that differs from stream to stream and that the lag
      prior, shared by both, cannot know (on the randomised bench, right curves missed their
      only anchor by 5-10 s where viewers were slow to echo);
    * the burst's own location error (spread over sqrt(messages)).
    """
    kind_sd = dict(params.anchor_kind_sd_s).get(kind, max(v for _, v in params.anchor_kind_sd_s))
    located = burst.spread_s / np.sqrt(max(burst.n_messages, 1))
    return float(np.sqrt(kind_sd**2 + params.anchor_lag_sd_s**2 + located**2))


def countdown_event(inputs: AlignmentInputs, search_s: float = 1200.0) -> AudioEvent | None:
    """The end of a spoken "ten, nine, ... one" countdown in the first ``search_s`` of audio.

    From the transcript: >= 5 consecutive descending numbers about a second apart; the end
    is the end of the phrase after the last number ("let's go").  Without one, energy
    alone: the last of >= 5 loud one-second pulses well above the speech level.
    """
    w = inputs.words
    toks = [word_token(x) if ok else None for x, ok in zip(w.word, w.ok, strict=True)]
    best: tuple[int, int] | None = None
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t is not None and t.isdigit() and w.start_s[i] < search_s:
            j = i
            while (
                j + 1 < n
                and toks[j + 1] is not None
                and toks[j + 1].isdigit()
                and int(toks[j + 1]) == int(toks[j]) - 1
                and w.start_s[j + 1] - w.start_s[j] < 2.5
            ):
                j += 1
            if j - i + 1 >= 5 and (best is None or j - i > best[1] - best[0]):
                best = (i, j)
            i = j + 1
        else:
            i += 1
    if best is not None:
        last = best[1]
        end = float(w.end_s[last])
        k = last + 1
        while k < n and w.start_s[k] - end < 1.5 and w.start_s[k] - w.end_s[last] < 3.0:
            end = float(w.end_s[k])
            k += 1
        return AudioEvent("countdown", end, HYPE_TOKENS, "spoken countdown")
    return _energy_countdown(inputs, search_s)


def _energy_countdown(inputs: AlignmentInputs, search_s: float) -> AudioEvent | None:
    e = inputs.energy
    if e.rms_db.size < 100:
        return None
    m = e.frame_start_s < min(search_s, inputs.meta.audio_duration_s)
    secs = np.floor(e.frame_start_s[m]).astype(np.int64)
    if secs.size == 0:
        return None
    peak = np.full(int(secs.max()) + 1, -200.0)
    np.maximum.at(peak, secs, e.rms_db[m])
    floor = float(np.quantile(e.rms_db, 0.1))
    speech = e.rms_db[e.rms_db > floor + 12.0]
    if speech.size == 0:
        return None
    loud = peak > float(np.median(speech)) + 8.0
    # >= 5 loud seconds within a 10 s span
    run = np.convolve(loud.astype(int), np.ones(10, dtype=int), mode="full")[: loud.size]
    hits = np.flatnonzero(run >= 5)
    if hits.size == 0:
        return None
    last_loud = int(np.flatnonzero(loud[: hits[-1] + 1])[-1])
    return AudioEvent("countdown", float(last_loud + 1), HYPE_TOKENS, "loud countdown (energy)")


def call_events(inputs: AlignmentInputs) -> list[AudioEvent]:
    """Spoken calls, one event per call phrase."""
    events: list[AudioEvent] = []
    seen: set[tuple[str, float]] = set()
    for call in find_calls(inputs.words):
        key = (call.token, call.phrase_end_s)
        if key in seen:
            continue
        seen.add(key)
        events.append(AudioEvent("call", call.phrase_end_s, frozenset({call.token}), f"call: {call.token}"))
    return events


def find_burst(
    msg_s: np.ndarray,
    predicted_s: float,
    lag: LagPrior,
    search_s: float,
    min_messages: int = 5,
    min_z: float = 5.0,
    dominance: float = 0.5,
) -> Burst | None:
    """Streamer time of the strongest reaction burst within ``search_s`` of the prediction.

    Matched filter: score(tau) = sum over messages of p_lag(t - tau); significance against
    the same score over a span five times wider (where the burst is not); and the burst must
    dominate its window (a rival peak above ``dominance`` times its height makes it ambiguous).
    """
    lo = predicted_s - 5 * search_s
    hi = predicted_s + 5 * search_s + lag.support_s[1]
    sel = msg_s[(msg_s >= lo) & (msg_s <= hi)]
    if sel.size < min_messages:
        return None
    step = 0.25
    taus = np.arange(lo, hi - lag.support_s[1], step)
    idx = np.floor((sel - lo) / step).astype(np.int64)
    hist = np.bincount(idx, minlength=taus.size + int(lag.support_s[1] / step) + 2).astype(np.float64)
    kern = lag.density((np.arange(int(lag.support_s[1] / step) + 1) + 0.5) * step)
    score = np.zeros(taus.size)
    for k, v in enumerate(kern):
        score += v * hist[k : k + taus.size]
    z, _, _ = robust_z(score)
    near = np.abs(taus - predicted_s) <= search_s
    if not near.any():
        return None
    i = int(np.flatnonzero(near)[np.argmax(score[near])])
    n_in = int(np.sum((sel >= taus[i]) & (sel <= taus[i] + lag.quantile(0.95))))
    if z[i] < min_z or n_in < min_messages:
        return None
    # the burst must stand out in its window: no rival peak of similar height elsewhere in it
    rival = near & (np.abs(taus - taus[i]) > 10.0)
    if rival.any() and score[rival].max() > dominance * score[i]:
        return None
    inside = sel[(sel >= taus[i]) & (sel <= taus[i] + lag.quantile(0.95))]
    q25, q75 = np.quantile(inside, [0.25, 0.75]) if inside.size else (0.0, 0.0)
    return Burst(float(taus[i]), float(z[i]), n_in, float((q75 - q25) / 1.349))


def anchor_residuals(
    inputs: AlignmentInputs, chat_s: np.ndarray, knots: list[Knot], ref: int, p: AlignmentParams
) -> list[Anchor]:
    """Every anchor event chat clearly answered, with how far the fitted ``knots`` miss it."""
    events: list[AudioEvent] = []
    cd = countdown_event(inputs)
    if cd is not None:
        events.append(cd)
    events.extend(call_events(inputs))
    if not events:
        return []
    tok_ids, msg_idx = token_messages(inputs.chat)
    vocab = {t: i for i, t in enumerate(inputs.chat.vocab)}
    anchors: list[Anchor] = []
    for ev in events:
        ids = [vocab[t] for t in ev.tokens if t in vocab]
        if not ids:
            continue
        msgs = np.unique(msg_idx[np.isin(tok_ids, ids)])
        if msgs.size < 5:
            continue
        pred_ms = inverse_map(knots, ev.audio_s)
        burst = find_burst(chat_s[msgs], (pred_ms - ref) / 1000.0, p.lag, search_s=30.0 if ev.kind == "call" else 90.0)
        if burst is None:
            continue
        chat_ms = int(round(ref + 1000.0 * burst.chat_s))
        resid = float(map_chat_to_audio(knots, np.array([chat_ms]))[0] - ev.audio_s)
        anchors.append(
            Anchor(ev.kind, chat_ms, float(ev.audio_s), float(burst.n_messages), resid, anchor_sigma(ev.kind, burst, p))
        )
    return anchors
