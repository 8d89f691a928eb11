"""Evidence stage, read-alouds: chat messages the streamer reads out, which measure the lag split.

Echo evidence pins only ``offset + lag`` (see :mod:`.lag`): a viewer's message follows the
speech it echoes by the stream latency plus a reaction time.  A read-aloud runs the other
way: the streamer sees a message the moment it is sent (no stream latency on their side)
and speaks its words a read delay ``r`` later.  In ``theta`` terms (chat clock minus audio
clock) an echo sits at ``y = theta + lag`` and a read at ``y = theta - r``, so the two bound
the offset from opposite sides:

* every echo says ``theta <= y_echo`` (a reaction cannot precede what it reacts to);
* every read says ``theta >= y_read`` (a message cannot be read before it is sent).

With the echo fit's ``theta_hat`` (lag removed by the prior), each read gives
``d = theta_hat - y_read = r + b`` where ``b = theta_hat - theta`` is the fit's bias from a
wrong lag prior.  :func:`measure_latency` turns the reads into ``b`` (with the read-delay
prior's median for ``r``) and an interval from the two hard bounds above, so the result
records whether the split came from the prior or was measured.

Detection (:func:`find_read_alouds`): a usable message with at least ``min_tokens`` distinct
content tokens, most of which are spoken close together (a compact run of transcript
words) within ``read_window_s`` after the moment the fitted curve says it was sent.  Echoes
of a sentence by viewers fall *before* that moment and are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.calls import phrase_ends
from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_assets.align.inputs import AlignmentInputs, ChatMessages, WordTimings, transcript_tokens
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import Knot


@dataclass(frozen=True)
class ReadAlouds:
    """Detected reads: message chat time, audio time of the first matched spoken word, tokens matched."""

    chat_s: np.ndarray
    audio_s: np.ndarray
    n_tokens: np.ndarray
    msg: np.ndarray  # message index

    @property
    def n(self) -> int:
        return int(self.chat_s.size)


@dataclass(frozen=True)
class LatencyEstimate:
    """The lag removed from echo delays, and where that split came from.

    ``source`` is ``"prior"`` (too few reads: the lag prior's median) or ``"measured"``;
    ``shift_s`` is what the curve moved (audio seconds added to every mapped message:
    ``b`` above); ``lo_s``/``hi_s`` bound the lag median from the echoes and the reads.
    """

    source: str
    lag_s: float
    lo_s: float
    hi_s: float
    n_reads: int
    shift_s: float
    read_messages: tuple[int, ...] = ()  # message indices of the reads (audit)

    def as_dict(self) -> dict[str, float | int | str | list[int]]:
        return {
            "latency_source": self.source,
            "latency_s": self.lag_s,
            "latency_lo_s": self.lo_s,
            "latency_hi_s": self.hi_s,
            "n_read_alouds": self.n_reads,
            "latency_shift_s": self.shift_s,
            "read_messages": list(self.read_messages[:200]),
        }


def sentence_copies(words: WordTimings, chat: ChatMessages, *, min_tokens: int, min_share: float) -> np.ndarray:
    """Messages that restate most of one spoken sentence (and most of whose words it holds).

    Such a message is either a read-aloud (speech after it) or a viewer quoting the line
    (speech before it): its direction is exactly what is unknown, so the echo fit does not
    let it place the main peak (a sparse chat with a few reads would otherwise fit the reads
    as echoes, off by the lag plus the read delay) and :func:`find_read_alouds` decides once
    the curve is known.
    """
    toks, _ = transcript_tokens(words)
    sentence = phrase_ends(words)
    sentence_toks: dict[float, set[str]] = {}
    where: dict[str, set[float]] = {}
    for k, t in enumerate(toks):
        if t is not None:
            sid = float(sentence[k])
            sentence_toks.setdefault(sid, set()).add(t)
            where.setdefault(t, set()).add(sid)
    out = np.zeros(chat.n, dtype=bool)
    counts = np.diff(chat.token_offsets)
    for i in np.flatnonzero(chat.usable & (counts >= min_tokens)).tolist():
        ids = chat.token_ids[chat.token_offsets[i] : chat.token_offsets[i + 1]]
        present = [t for t in (chat.vocab[k] for k in ids.tolist()) if t in where]
        need = max(min_tokens, int(np.ceil(min_share * len(present))))
        if len(present) < need:
            continue
        rarest = min(present, key=lambda t: len(where[t]))
        for sid in where[rarest]:
            said = sentence_toks[sid]
            matched = sum(1 for t in present if t in said)
            if matched >= need and matched >= min_share * len(said):
                out[i] = True
                break
    return out


def find_read_alouds(
    words: WordTimings,
    chat: ChatMessages,
    chat_s: np.ndarray,
    sent_audio_s: np.ndarray,
    *,
    min_tokens: int,
    min_share: float,
    window_s: tuple[float, float],
    span_per_token_s: float,
    copies: np.ndarray | None = None,
) -> ReadAlouds:
    """Messages whose content tokens the streamer speaks soon after they were sent.

    ``sent_audio_s[i]`` is where the fitted (prior-split) curve puts message ``i``; a read is
    looked for in ``sent_audio_s + window_s``.  A match needs ``min_tokens`` distinct tokens
    and ``min_share`` of the message's speakable tokens (those the transcript has at all:
    emotes are never said) within ``span_per_token_s`` per token (plus 2 s), and they must
    make up ``min_share`` of the spoken sentence(s) too: a read-aloud *is* the message, while a
    viewer echoing a few words of a longer sentence is not.  Spoken words claimed by more
    than one message (copies of a message, echoes of the read) are ambiguous and dropped.
    ``copies`` (from :func:`sentence_copies`) limits the search to those messages.
    """
    toks, _ = transcript_tokens(words)
    sentence = phrase_ends(words)
    sentence_toks: dict[float, set[str]] = {}
    positions: dict[str, list[int]] = {}
    for k, t in enumerate(toks):
        if t is not None:
            positions.setdefault(t, []).append(k)
            sentence_toks.setdefault(float(sentence[k]), set()).add(t)
    starts = words.start_s
    index = {t: np.asarray(v, dtype=np.int64) for t, v in positions.items()}
    counts = np.diff(chat.token_offsets)
    found: dict[int, list[tuple[int, int]]] = {}  # first spoken word -> (message, tokens matched)
    candidates = chat.usable & (counts >= min_tokens) if copies is None else copies
    for i in np.flatnonzero(candidates).tolist():
        ids = chat.token_ids[chat.token_offsets[i] : chat.token_offsets[i + 1]]
        present = [t for t in (chat.vocab[k] for k in ids.tolist()) if t in index]
        need = max(min_tokens, int(np.ceil(min_share * len(present))))
        if len(present) < need:
            continue
        lo, hi = sent_audio_s[i] + window_s[0], sent_audio_s[i] + window_s[1]
        hit_w: list[int] = []
        hit_k: list[int] = []
        for k, t in enumerate(present):
            arr = index[t]
            a, b = np.searchsorted(starts[arr], [lo, hi])
            hit_w.extend(arr[a:b].tolist())
            hit_k.extend([k] * (b - a))
        if len(set(hit_k)) < need:
            continue
        order = np.argsort(hit_w, kind="stable")
        hw = np.asarray(hit_w)[order]
        hk = np.asarray(hit_k)[order]
        ht = starts[hw]
        span = span_per_token_s * len(present) + 2.0
        best: tuple[int, int] | None = None
        for s in range(hw.size):
            e = int(np.searchsorted(ht, ht[s] + span, side="right"))
            matched = {present[k] for k in hk[s:e].tolist()}
            if len(matched) < need or (best is not None and len(matched) <= best[0]):
                continue
            said: set[str] = set()
            for sid in {float(sentence[w]) for w in hw[s:e].tolist()}:
                said |= sentence_toks[sid]
            if len(matched) >= min_share * len(said):
                best = (len(matched), int(hw[s]))
        if best is not None:
            found.setdefault(best[1], []).append((i, best[0]))
    rows = sorted((claims[0][0], word, claims[0][1]) for word, claims in found.items() if len(claims) == 1)
    if not rows:
        z = np.zeros(0)
        return ReadAlouds(z, z, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    msg = np.array([r[0] for r in rows], dtype=np.int64)
    return ReadAlouds(
        chat_s[msg], starts[np.array([r[1] for r in rows])], np.array([r[2] for r in rows], dtype=np.int64), msg
    )


def measure_latency(
    reads: ReadAlouds,
    theta_hat_at: np.ndarray,
    echo_delay_s: np.ndarray,
    prior_lag_s: float,
    *,
    read_delay_s: float,
    min_reads: int,
    cluster_s: float,
) -> LatencyEstimate:
    """Split ``offset + lag`` using the reads when at least ``min_reads`` of them agree.

    ``theta_hat_at[j]`` is the fitted theta at read ``j``'s audio time; ``echo_delay_s`` are the
    inlier echo delays under the fit (``y_echo - theta_hat``).  With ``d_j = theta_hat - y_read``:

    * the reads' cluster: the shortest half of the ``d`` and every ``d`` within
      ``cluster_s`` of its median.  Candidates outside it are viewers quoting a short
      sentence (their ``d`` sits near minus the lag) or a message matched to a later line;
      a real streamer's read delays spread a second or two, so the cluster is narrow;
    * point estimate of the fit's bias ``b = median(cluster) - read_delay_s``, so the measured
      lag median is ``prior_lag_s + b``;
    * bounds: reads need ``theta >= y_read`` for (almost) all of the cluster, so ``b <=
      q10(cluster)`` and the lag is at most ``prior_lag_s + q10(cluster)``; echoes need ``theta
      <= y_echo``, so the lag median is at least ``median(echo delays) - q02(echo delays)``.
      The point estimate is clipped to them.  (The bound from every candidate, as before,
      let one quoted sentence at ``d`` = -1 s pin a 15-s bias to the prior.)
    """
    lo_echo = (
        float(np.median(echo_delay_s) - np.quantile(echo_delay_s, 0.02)) if echo_delay_s.size >= 20 else 0.0
    )
    lo_echo = max(lo_echo, 0.0)
    d = theta_hat_at - (reads.chat_s - reads.audio_s)
    cluster = read_cluster(d, cluster_s)
    if cluster.size < min_reads:
        return LatencyEstimate("prior", prior_lag_s, lo_echo, float("inf"), reads.n, 0.0, tuple(reads.msg.tolist()))
    hi_read = prior_lag_s + float(np.quantile(cluster, 0.1))
    b = float(np.median(cluster)) - read_delay_s
    lag = float(np.clip(prior_lag_s + b, lo_echo, max(hi_read, lo_echo)))
    return LatencyEstimate(
        "measured", lag, lo_echo, max(hi_read, lo_echo), int(cluster.size), lag - prior_lag_s,
        tuple(reads.msg.tolist()),
    )


def read_cluster(d: np.ndarray, cluster_s: float) -> np.ndarray:
    """The ``d`` values of the densest group: the shortest half, widened to all within
    ``cluster_s`` of its median (empty when there are fewer than two values)."""
    v = np.sort(np.asarray(d, dtype=np.float64))
    if v.size < 2:
        return v
    centre = shortest_half_centre(v)
    return v[np.abs(v - centre) <= cluster_s]


def reads_around(inputs: AlignmentInputs, knots: list[Knot], params: AlignmentParams) -> tuple[ReadAlouds, np.ndarray]:
    """:func:`find_read_alouds` around the send times a curve gives, with the estimator's read
    knobs (the estimate and a reviewer's curve search alike); also returns those send times
    (audio seconds per message)."""
    ref = inputs.reference_utc_ms()
    chat_s = inputs.chat.timing_s(ref)
    sent_audio = map_chat_to_audio(knots, np.round(ref + 1000.0 * chat_s).astype(np.int64))
    reads = find_read_alouds(
        inputs.words,
        inputs.chat,
        chat_s,
        sent_audio,
        min_tokens=params.read_min_tokens,
        min_share=params.read_min_share,
        window_s=params.read_window_s,
        span_per_token_s=params.read_span_per_token_s,
    )
    return reads, sent_audio


def read_delay_under(
    reads: ReadAlouds, sent_audio_s: np.ndarray, *, cluster_s: float, min_reads: int
) -> tuple[float | None, int]:
    """The streamer's read delay under a curve a person vouched for (a reviewer's override).

    ``reads`` were found around that curve's send times ``sent_audio_s``.  Under the true
    curve a read's first spoken content word follows its message's send time by the read
    delay itself, so the median of the reads' cluster (:func:`read_cluster`) measures it:
    that is what ``[alignment] read_delay_s`` should be for this streamer.  Returns (delay, or
    None when fewer than ``min_reads`` reads agree; reads in the cluster).
    """
    cluster = read_cluster(reads.audio_s - sent_audio_s[reads.msg], cluster_s)
    if cluster.size < min_reads:
        return None, int(cluster.size)
    return float(np.median(cluster)), int(cluster.size)


def shortest_half_centre(x: np.ndarray) -> float:
    """Median of the shortest interval holding half the values (robust to 50 % outliers)."""
    v = np.sort(np.asarray(x, dtype=np.float64))
    h = v.size // 2 + 1
    widths = v[h - 1 :] - v[: v.size - h + 1]
    i = int(np.argmin(widths))
    return float(np.median(v[i : i + h]))
