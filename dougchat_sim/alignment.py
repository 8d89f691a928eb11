"""Simulated VODs for the alignment estimator: its inputs plus the truth it should recover.

One generator for tests, benchmarks and the demo's chat: the stream (speech, viewers, every
kind of chat row) comes from :func:`dougchat_sim.chat.generate_rows` with knobs drawn by
:func:`dougchat_sim.align_params.draw_alignment_params`, never from the estimator's own lag
model, so a test measures the estimator on data it was not shaped around.  On top of the
stream this module adds what alignment is about:

* the true clock: late start, drift and ad cuts (``a = (b - L - cut time before b) x (1 + k)``,
  flat inside a cut), kept as knots in the ``align.curve`` contract;
* a "starting soon" countdown answered by a burst of hype (some streams);
* chat messages the streamer reads aloud (some streams), at the audio time of (send time +
  read delay);
* ASR noise, 100 ms energy frames, and the chat export's format (Chatterino's whole
  seconds, TwitchDownloader's offsets).

The output is :class:`~dougchat_assets.align.inputs.AlignmentInputs` built exactly as the
pipeline builds it, plus :class:`AlignmentTruth`.  Same seed and pins, same VOD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dougchat_assets.align.inputs import AlignmentInputs, ChatMessages, VodMeta, pair_chat_with_audio
from dougchat_assets.align.result import Knot

from dougchat_sim.align_params import AlignmentKnobs, draw_alignment_params
from dougchat_sim.chat import generate_rows
from dougchat_sim.components import component_rng
from dougchat_sim.messages import LABEL, LABELS, MSG_TYPES, MTYPE, TEXT_KINDS
from dougchat_sim.params import StreamParams, sample_reaction
from dougchat_sim.population import VIEWER, pick_users
from dougchat_sim.read_aloud import choose_read_alouds
from dougchat_sim.vod_speech import countdown, energy, from_speech, overlay, recognise

_HYPE = (
    "LETS GO", "LETSGOOO", "lets gooo", "PogChamp", "HYPE", "here we go", "finally", "W", "POGGERS", "lets go PogChamp",
    "HYPEEE", "hiii", "GO GO GO", "its time", "letsgo",
)


@dataclass(frozen=True)
class ReadAloud:
    """A chat message the streamer read aloud."""

    msg_index: int  # row of ``SimulatedVod.chat_table`` (and of ``inputs.chat``)
    sent_at_utc_ms: int  # as exported (Chatterino floors it to the second)
    sent_audio_s: float  # true audio time of the exact send moment (what the curve should map it to)
    delay_s: float  # broadcast seconds from sending to the first word said
    audio_start_s: float  # first word of the utterance (including any "<name> says")
    message_start_s: float  # first word of the message itself
    audio_end_s: float
    words: tuple[str, ...]  # as said


@dataclass(frozen=True)
class AlignmentTruth:
    """Everything the bench needs to score an estimate: the curve, the lag, the events, the knobs."""

    knots: tuple[Knot, ...]  # chat_utc_ms -> audio_s, flat inside each cut
    late_start_s: float
    drift_ppm: float
    cuts: tuple[tuple[float, float], ...]  # (broadcast second since start, length)
    cut_spans_utc_ms: tuple[tuple[int, int], ...]  # the same on the chat clock
    cut_audio_points_s: tuple[float, ...]
    latency_median_s: float  # viewers' stream latency median (lag_offset_s included)
    reaction_median_s: float
    reaction_shape: str
    reaction_spread: float
    read_alouds: tuple[ReadAloud, ...]
    countdown_end_s: float | None  # audio second the countdown's "let's go" ends
    # one entry per chat row (export order), NaN / "" where not applicable
    label: np.ndarray  # object: LABELS name ("reaction", "vote", "ordinary", ...)
    text_kind: np.ndarray  # object: TEXT_KINDS name, or "countdown_hype"
    heard_audio_s: np.ndarray  # audio second of the speech the row reacts to (segment end)
    latency_s: np.ndarray  # the sender's stream latency for this row
    reaction_s: np.ndarray  # from hearing that speech to sending
    sent_audio_s: np.ndarray  # true audio second of each row's exact send time
    params: StreamParams
    knobs: AlignmentKnobs

    @property
    def delay_median_s(self) -> float:
        """Median of latency + reaction over the rows that react to speech, as sent (NaN if none).

        What echo evidence actually sees: the drawn medians combine, and chatty viewers weigh
        more, so this differs a little from ``latency_median_s + reaction_median_s``.
        """
        d = self.latency_s + self.reaction_s
        d = d[np.isfinite(d)]
        return float(np.median(d)) if d.size else float("nan")

    def as_dict(self) -> dict:
        """Scalar truth and every drawn knob, JSON-ready (for bench reports)."""
        return {
            "late_start_s": self.late_start_s,
            "drift_ppm": self.drift_ppm,
            "cuts": [list(c) for c in self.cuts],
            "latency_median_s": self.latency_median_s,
            "reaction_median_s": self.reaction_median_s,
            "reaction_shape": self.reaction_shape,
            "reaction_spread": self.reaction_spread,
            "delay_median_s": self.delay_median_s,
            "n_read_alouds": len(self.read_alouds),
            "countdown_end_s": self.countdown_end_s,
            "params": self.params.as_dict(),
            "knobs": self.knobs.as_dict(),
        }


@dataclass(frozen=True)
class SimulatedVod:
    """One simulated VOD: the estimator's inputs plus the truth it should recover."""

    seed: int
    inputs: AlignmentInputs
    true_knots: list[Knot]
    late_start_s: float
    drift_factor: float  # audio time runs this many times broadcast time
    cuts: list[tuple[float, float]]  # (broadcast second, length)
    chat_table: pa.Table  # raw_chat-shaped columns the estimator reads, export order
    message_kind: tuple[str, ...]  # truth label per chat row
    truth: AlignmentTruth

    @property
    def chat_utc_ms(self) -> np.ndarray:
        return self.inputs.chat.sent_at_utc_ms


def simulate_alignment_vod(seed: int, **pins: object) -> SimulatedVod:
    """Simulate the VOD drawn for ``seed``; ``pins`` fix knobs (see :func:`draw_alignment_params`).

    Example: ``simulate_alignment_vod(3, audio_duration_s=600, n_cuts=0, reaction_median_s=8)``.
    """
    params, knobs = draw_alignment_params(seed, **pins)
    g = generate_rows(seed, **{k: v for k, v in params.as_dict().items() if k != "seed"})
    rows, users, clock, speech = g.rows, g.users, g.clock, g.speech
    audio = knobs.audio_duration_s
    viewers = np.flatnonzero(users.kind == VIEWER)

    # speech-driven rows carry a latency; the lag offset moves them, nothing else
    t = rows.t.copy()
    latency = rows.latency.copy()
    tied = rows.seg >= 0
    t[tied] += knobs.lag_offset_s
    latency[tied] += knobs.lag_offset_s
    heard = np.full(t.size, np.nan)
    heard[tied] = speech.end_s[rows.seg[tied]]
    body = list(rows.body)
    user, mtype, label, seg = rows.user.copy(), rows.mtype.copy(), rows.label.copy(), rows.seg.astype(np.int64)
    kind = rows.kind.astype(np.int16)  # TEXT_KINDS code; -1: countdown hype

    n_seg = speech.segments.num_rows
    overlays, busy, music = [], [], list(speech.music)
    cd_end: float | None = None
    if knobs.countdown:
        cd_words, cd_end = countdown(knobs.countdown_at_s, n_seg)
        overlays.append(cd_words)
        busy.append((0.0, cd_end + 1.0))
        music.append((0.0, knobs.countdown_at_s - 0.5))
        rng = component_rng(seed, "align-countdown")
        n = int(rng.poisson(min(knobs.countdown_turnout, max(3.0, 20.0 * params.chat_rate_msgs_per_s))))
        fans = pick_users(rng, users.weight, viewers, n)
        lat = np.maximum(0.2, users.latency[fans] + rng.normal(0.0, params.latency_jitter_s, n)) + knobs.lag_offset_s
        sent = float(clock.broadcast_of_audio(cd_end)) + lat + sample_reaction(rng, params, n)
        t = np.r_[t, sent]
        latency = np.r_[latency, lat]
        heard = np.r_[heard, np.full(n, cd_end)]
        body += [_HYPE[i] for i in rng.integers(0, len(_HYPE), n).tolist()]
        user = np.r_[user, fans]
        mtype = np.r_[mtype, np.full(n, MTYPE["chat"], np.int8)]
        label = np.r_[label, np.full(n, LABEL["reaction"], np.int8)]
        kind = np.r_[kind, np.full(n, -1, np.int16)]
        seg = np.r_[seg, np.full(n, -1, np.int64)]

    # export order: whole milliseconds inside the broadcast, ties in generation order
    inside = np.flatnonzero((t >= knobs.chat_start_s) & (t < params.duration_s))
    rel_ms = np.round(t[inside] * 1000.0).astype(np.int64)
    order = inside[np.lexsort((np.arange(inside.size), rel_ms))]
    rel_ms = np.sort(rel_ms, kind="stable")
    t, latency, heard, user, mtype, label, kind, seg = (
        a[order] for a in (t, latency, heard, user, mtype, label, kind, seg)
    )
    body = [body[i] for i in order.tolist()]
    chatty = (mtype == MTYPE["chat"]) | (mtype == MTYPE["command"])
    bang = np.fromiter((b.startswith("!") for b in body), dtype=bool, count=len(body))
    mtype[chatty] = np.where(bang[chatty], MTYPE["command"], MTYPE["chat"])

    reads = choose_read_alouds(
        rel_ms / 1000.0, body, label, kind,
        mtype, user, users, clock, params, knobs, audio, busy, frozenset(g.emotes), n_seg + 2,
        component_rng(seed, "align-read"),
    )
    spans = busy + [(float(p.start[0]) - 0.3, float(p.end[-1]) + 0.3) for p in reads.utterances]
    spoken, removed = overlay(from_speech(speech), spans, overlays + reads.utterances)

    # rows reacting to speech that the overlays replaced were never sent
    keep = ~np.isin(seg, removed)
    new_index = np.cumsum(keep) - 1
    rel_ms, t, latency, heard, user, mtype, label, kind = (
        a[keep] for a in (rel_ms, t, latency, heard, user, mtype, label, kind)
    )
    body = [b for b, k in zip(body, keep.tolist(), strict=True) if k]

    words = recognise(spoken, knobs, component_rng(seed, "align-asr"))
    frames = energy(spoken, music, audio, knobs, component_rng(seed, "align-energy"))
    chat_table = _export(rel_ms, body, user, mtype, users.login, params, knobs)
    meta = VodMeta(audio_duration_s=audio, started_at_utc_ms=params.started_at_utc_ms)
    chat = ChatMessages.from_batches([chat_table], bots=meta.bots)
    inputs = AlignmentInputs(words=words, chat=chat, energy=frames, meta=meta)

    sent_ms = chat_table.column("sent_at_utc_ms").to_numpy()
    sent_audio = clock.audio_of_ms(rel_ms.astype(np.float64))
    typed = (user >= 0) & np.isnan(latency)
    viewer_latency = np.where(users.kind[np.maximum(user, 0)] == VIEWER, users.latency[np.maximum(user, 0)], np.nan)
    latency = np.where(typed, viewer_latency, latency)
    reaction = np.full(t.size, np.nan)
    fin = np.isfinite(heard)
    reaction[fin] = rel_ms[fin] / 1000.0 - latency[fin] - clock.broadcast_of_audio(heard[fin])
    read_truth = []
    for row, delay, utt, first in zip(
        reads.rows.tolist(), reads.delay_s.tolist(), reads.utterances, reads.first_message_word, strict=True
    ):
        i = int(new_index[row])
        read_truth.append(
            ReadAloud(
                msg_index=i, sent_at_utc_ms=int(sent_ms[i]), sent_audio_s=float(sent_audio[i]), delay_s=delay,
                audio_start_s=float(utt.start[0]), message_start_s=float(utt.start[first]),
                audio_end_s=float(utt.end[-1]), words=tuple(utt.word),
            )
        )
    knots = [Knot(ms, a, segment=i // 2, confidence=1.0, method="truth") for i, (ms, a) in enumerate(clock.knots())]
    label_names = np.array(LABELS, dtype=object)[label]
    truth = AlignmentTruth(
        knots=tuple(knots),
        late_start_s=params.late_start_s,
        drift_ppm=params.drift_ppm,
        cuts=params.cuts,
        cut_spans_utc_ms=tuple((params.started_at_utc_ms + s, params.started_at_utc_ms + e) for s, e in clock.cuts_ms),
        cut_audio_points_s=tuple(clock.cut_points_audio()),
        latency_median_s=params.latency_median_s + knobs.lag_offset_s,
        reaction_median_s=params.reaction_median_s,
        reaction_shape=params.reaction_shape,
        reaction_spread=params.reaction_spread,
        read_alouds=tuple(sorted(read_truth, key=lambda r: r.msg_index)),
        countdown_end_s=cd_end,
        label=label_names,
        text_kind=np.array((*TEXT_KINDS, "countdown_hype"), dtype=object)[kind],
        heard_audio_s=heard,
        latency_s=latency,
        reaction_s=reaction,
        sent_audio_s=sent_audio,
        params=params,
        knobs=knobs,
    )
    return SimulatedVod(
        seed=seed,
        inputs=inputs,
        true_knots=knots,
        late_start_s=params.late_start_s,
        drift_factor=1.0 + params.drift,
        cuts=list(params.cuts),
        chat_table=chat_table,
        message_kind=tuple(label_names.tolist()),
        truth=truth,
    )


def _export(
    rel_ms: np.ndarray, body: list[str], user: np.ndarray, mtype: np.ndarray, logins: list[str],
    params: StreamParams, knobs: AlignmentKnobs,
) -> pa.Table:
    """The columns a parser writes that alignment reads, shaped by the export format."""
    fmt = knobs.export_format
    sent = params.started_at_utc_ms + rel_ms
    if fmt == "chatterino":  # whole seconds only
        sent = (sent // 1000) * 1000
    offsets: pa.Array
    if fmt == "twitchdownloader":
        offsets = pa.array(np.floor(rel_ms / 1000.0), pa.float64())
    elif fmt == "chat_downloader":
        offsets = pa.array(np.round(rel_ms / 1000.0, 3), pa.float64())
    else:
        offsets = pa.nulls(rel_ms.size, pa.float64())
    login_arr = np.array([s.lower() for s in logins] + [None], dtype=object)
    return pa.table(
        {
            "sent_at_utc_ms": pa.array(sent, pa.int64()),
            "body": pa.array(body, pa.string()),
            "user_login": pa.array(login_arr[np.where(user >= 0, user, len(logins))].tolist(), pa.string()),
            "msg_type": pa.array(np.array(MSG_TYPES, dtype=object)[mtype].tolist(), pa.string()),
            "vod_offset_s": offsets,
            "source_format": pa.array([fmt] * rel_ms.size, pa.string()),
        }
    )


def mismatched_inputs(chat_from: SimulatedVod, audio_from: SimulatedVod) -> AlignmentInputs:
    """One VOD's chat paired with another's audio, both claiming the same start (worst case)."""
    return pair_chat_with_audio(chat_from.inputs, audio_from.inputs)
