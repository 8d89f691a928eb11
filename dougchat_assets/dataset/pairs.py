"""(context -> chat reply) pairs of one VOD, with their provenance (pure logic).

Input: the messages the chat filters kept, the VOD's transcript words, its offset curve and
the spans that curve cannot vouch for.  Each kept message is placed on the audio clock
(``curve(sent) - latency``: where the viewer's stream was), the context is rendered with
:mod:`dougchat_assets.prompt` (the one template), and the pair carries the ids needed to
follow it back: message id, transcript segments, audio range, curve version and segment.

Steps here extend the filter funnel:

* ``alignment``: messages sent inside an ad cut (no audio: the curve is flat there), in a
  span where the cut's position is uncertain or a reviewer flagged, or placed before the
  audio starts / after it ends, are dropped — their audio time cannot be trusted;
* ``balance``: at most ``max_pairs_per_audio_hour`` pairs per audio hour, chosen by a hash
  of the message id (deterministic, unbiased in time).

Everything is column-wise (numpy + Arrow); the per-pair Python work is one string concat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from dougchat_assets.align.curve import in_flat_span, knot_arrays, map_chat_to_audio
from dougchat_assets.dataset.config import DatasetConfig
from dougchat_assets.dataset.params import stable_hash
from dougchat_assets.privacy import hash_user_column
from dougchat_assets.prompt import (
    CHARS_PER_TOKEN, PROMPT_VERSION, ChatLines, ContextBatch, TranscriptText, WindowParams, build_contexts,
)

LOG_SCHEMA = pa.schema([("msg_id", pa.string()), ("step", pa.string()), ("action", pa.string()), ("reason", pa.string())])


def curve_version(knots: Sequence[tuple[int, float, int, str]]) -> str:
    """Version id of an offset curve: a hash of its knots (chat_utc_ms, audio_s, segment, source)."""
    return stable_hash([(int(ms), round(float(a), 6), int(seg), str(src)) for ms, a, seg, src in knots])


@dataclass(frozen=True)
class CurveKnot:
    chat_utc_ms: int
    audio_s: float
    segment: int
    confidence: float
    source: str = "estimate"


@dataclass(frozen=True)
class Span:
    kind: str
    start_utc_ms: int
    end_utc_ms: int


@dataclass
class VodDataset:
    """Everything pair building reads for one VOD (see ``dataset/warehouse.py`` for the SQL)."""

    vod_id: str
    audio_duration_s: float
    knots: list[CurveKnot]
    spans: list[Span]
    words: pa.Table  # start_s, end_s, word, segment_id, speaker — gated (quality ok) words only

    @property
    def curve_version(self) -> str:
        return curve_version([(k.chat_utc_ms, k.audio_s, k.segment, k.source) for k in self.knots])

    def transcript(self) -> TranscriptText:
        w = self.words
        return TranscriptText(
            w.column("start_s").to_numpy(zero_copy_only=False),
            w.column("end_s").to_numpy(zero_copy_only=False),
            w.column("word").to_pylist(),
            w.column("segment_id").to_pylist(),
            w.column("speaker").to_pylist() if "speaker" in w.column_names else None,
        )

    def viewer_audio_s(self, sent_at_utc_ms: np.ndarray, window: WindowParams) -> np.ndarray:
        """Where the viewer's stream was when they typed: the curve minus the stream latency."""
        return map_chat_to_audio(self.knots, sent_at_utc_ms) - window.latency_s

    def untrusted_reason(self, sent_at_utc_ms: np.ndarray, viewer_s: np.ndarray) -> list[str | None]:
        """Why each message's audio time cannot be trusted (None = it can)."""
        sent = np.asarray(sent_at_utc_ms, dtype=np.int64)
        reasons: list[str | None] = [None] * sent.size
        checks: list[tuple[np.ndarray, str]] = [
            (in_flat_span(self.knots, sent), "sent during an ad cut (no audio)"),
        ]
        for kind, text in (
            ("cut", "sent during an ad cut (no audio)"),
            ("cut_position", "near a cut whose position is uncertain"),
            ("unsupported", "beyond the echo evidence (a cut there would leave no trace)"),
            ("reviewer_flag", "in a stretch a reviewer flagged"),
        ):
            mask = np.zeros(sent.size, dtype=bool)
            for span in self.spans:
                if span.kind == kind:
                    mask |= (sent >= span.start_utc_ms) & (sent < span.end_utc_ms)
            checks.append((mask, text))
        checks.append((viewer_s < 0, "before the audio starts"))
        checks.append((viewer_s > self.audio_duration_s, "after the audio ends"))
        for mask, text in checks:
            for i in np.flatnonzero(mask):
                if reasons[i] is None:
                    reasons[i] = text
        return reasons

    def curve_segment(self, sent_at_utc_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(segment, confidence) of the knot interval each time falls in."""
        kx, _ = knot_arrays(self.knots)
        idx = np.clip(np.searchsorted(kx, np.asarray(sent_at_utc_ms, dtype=np.int64), side="right") - 1, 0, len(kx) - 1)
        seg = np.array([self.knots[i].segment for i in idx], dtype=np.int32)
        conf = np.array([self.knots[i].confidence for i in idx], dtype=np.float64)
        return seg, conf


def _unit_hash(keys: Sequence[str], salt: str) -> np.ndarray:
    """A deterministic number in [0, 1) per key (sampling and jitter that reruns reproduce).

    The first 8 bytes of blake2b("salt\\0key") as a big-endian integer over 2**64; the digests
    are joined and read as one numpy array (an int per key cost as much as the hash).
    """
    fresh = hashlib.blake2b(f"{salt}\0".encode(), digest_size=8).copy  # the salt hashed once, its state copied per key

    def digest(key: str) -> bytes:
        state = fresh()
        state.update(key.encode())
        return state.digest()

    return np.frombuffer(b"".join([digest(k) for k in keys]), dtype=">u8").astype(np.float64) / 2.0**64


def pair_id(vod_id: str, msg_id: str, variant: str) -> str:
    return hashlib.sha256(f"{vod_id}\0{msg_id}\0{variant}".encode()).hexdigest()[:20]


@dataclass
class PairsOutcome:
    pairs: pa.Table
    log: pa.Table  # msg_id, step, action, reason — the steps after the chat filters
    steps: list[tuple[str, int, int]] = field(default_factory=list)  # (step, in, dropped)


def _log_rows(msg_ids: Sequence[str] | pa.Array, step: str, reasons: Sequence[str] | str) -> pa.Table:
    """Drop rows of one step; ``reasons`` one per message, or one for all of them."""
    n = len(msg_ids)
    ids = msg_ids if isinstance(msg_ids, pa.Array) else pa.array(list(msg_ids), pa.string())
    reason = _repeat(reasons, n) if isinstance(reasons, str) else pa.array(list(reasons), pa.string())
    return pa.table(
        {"msg_id": ids.cast(pa.string()), "step": _repeat(step, n), "action": _repeat("drop", n), "reason": reason},
        schema=LOG_SCHEMA,
    )


def _repeat(value: str, n: int) -> pa.Array:
    """``n`` copies of one string as a plain string column (without a Python list of n items)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string())).cast(pa.string())


@dataclass
class ContextSource:
    """Renders the context of any moment of one VOD: the code path of training pairs AND of
    generation / evaluation (which build it from the ``kept_chat`` rows the pairs came from)."""

    vod: VodDataset
    chat: ChatLines
    transcript: TranscriptText
    window: WindowParams

    @classmethod
    def build(cls, vod: VodDataset, kept: pa.Table, window: WindowParams) -> ContextSource:
        """``kept``: msg_id, sent_at_utc_ms, reply (the messages the filters kept, as kept)."""
        chat = ChatLines(
            kept.column("sent_at_utc_ms").to_numpy(zero_copy_only=False).astype(np.int64),
            kept.column("reply").to_pylist(),
            kept.column("msg_id").to_pylist(),
        )
        return cls(vod, chat, vod.transcript(), window)

    def contexts(
        self, sent_at_utc_ms: np.ndarray, msg_ids: Sequence[str] | None = None, *, window_shift_s: np.ndarray | float = 0.0
    ) -> ContextBatch:
        """Contexts of viewers typing at ``sent_at_utc_ms``; ``window_shift_s`` moves only the
        transcript window (jitter copies; the evaluation's 60 s shifted contexts)."""
        sent = np.asarray(sent_at_utc_ms, dtype=np.int64)
        viewer = self.vod.viewer_audio_s(sent, self.window) + window_shift_s
        return build_contexts(self.transcript, self.chat, viewer, sent, self.window, msg_ids)


def build_pairs(vod: VodDataset, kept: pa.Table, config: DatasetConfig, hash_key: bytes) -> PairsOutcome:
    """Pairs for the messages the filters kept.

    ``kept``: msg_id, sent_at_utc_ms, user_key, reply, weight, is_emote_only (the filters'
    output).  Kept messages are also the chat history a context quotes.
    """
    window = config.window
    source = ContextSource.build(vod, kept, window)
    msg_ids = kept.column("msg_id").to_pylist()
    sent = kept.column("sent_at_utc_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    logs: list[pa.Table] = []
    steps: list[tuple[str, int, int]] = []

    viewer = vod.viewer_audio_s(sent, window)
    reasons = vod.untrusted_reason(sent, viewer)
    bad = np.array([r is not None for r in reasons], dtype=bool)
    logs.append(_log_rows([msg_ids[i] for i in np.flatnonzero(bad)], "alignment", [r for r in reasons if r is not None]))
    steps.append(("alignment", len(msg_ids), int(bad.sum())))
    keep = ~bad

    cap = max(1, int(np.ceil(config.balance.max_pairs_per_audio_hour * vod.audio_duration_s / 3600.0)))
    candidates = np.flatnonzero(keep)
    over = np.zeros(len(msg_ids), dtype=bool)
    if candidates.size > cap:
        rank = _unit_hash([msg_ids[i] for i in candidates.tolist()], f"balance:{vod.vod_id}")
        over[candidates[np.argsort(rank, kind="stable")[cap:]]] = True
    logs.append(_log_rows(kept.column("msg_id").combine_chunks().take(pa.array(np.flatnonzero(over))), "balance",
                          f"over the VOD cap of {cap} pairs ({config.balance.max_pairs_per_audio_hour}/audio hour)"))
    steps.append(("balance", int(keep.sum()), int(over.sum())))
    keep &= ~over

    idx = np.flatnonzero(keep)
    variants: list[tuple[str, np.ndarray]] = [("orig", np.zeros(idx.size))]
    for k in range(1, window.jitter_copies + 1):
        shift = (2.0 * _unit_hash([msg_ids[i] for i in idx.tolist()], f"jitter{k}") - 1.0) * window.jitter_s
        variants.append((f"jitter{k}", shift))
    tables = [_pairs_table(source, kept, config, hash_key, name, idx, shift, msg_ids, sent) for name, shift in variants]
    return PairsOutcome(pa.concat_tables(tables), pa.concat_tables(logs), steps)


def _pairs_table(
    source: ContextSource, kept: pa.Table, config: DatasetConfig, hash_key: bytes, variant: str,
    rows: np.ndarray, shift_s: np.ndarray, msg_ids: list[str], sent: np.ndarray,
) -> pa.Table:
    vod, transcript, window = source.vod, source.transcript, config.window
    chosen_ids = [msg_ids[i] for i in rows]
    contexts = source.contexts(sent[rows], chosen_ids, window_shift_s=shift_s)
    segment, confidence = vod.curve_segment(sent[rows])
    filters = config.filters
    n = len(rows)
    take = pa.array(rows, pa.int64())
    chat_ids = source.chat.msg_ids
    context_array = pa.array(contexts.texts, pa.string())
    return pa.table(
        {
            "pair_id": pa.array([pair_id(vod.vod_id, m, variant) for m in chosen_ids], pa.string()),
            "vod_id": pa.array([vod.vod_id] * n, pa.string()),
            "msg_id": pa.array(chosen_ids, pa.string()),
            "variant": pa.array([variant] * n, pa.string()),
            "user_hash": hash_user_column(hash_key, kept.column("user_key").take(take)),
            "sent_at_utc_ms": pa.array(sent[rows], pa.int64()),
            "viewer_audio_s": pa.array(contexts.audio_end_s - shift_s, pa.float64()),
            "audio_start_s": pa.array(contexts.audio_start_s, pa.float64()),
            "audio_end_s": pa.array(contexts.audio_end_s, pa.float64()),
            "segment_ids": _segments_between(transcript, contexts.word_lo, contexts.word_hi),
            "chat_context_msg_ids": _list_ranges(
                pa.array(chat_ids, pa.string()), np.asarray(contexts.chat_lo), np.asarray(contexts.chat_hi)
            ),
            "context": context_array,
            "reply": kept.column("reply").take(take).cast(pa.string()),
            "weight": kept.column("weight").take(take).cast(pa.float64()),
            "is_emote_only": kept.column("is_emote_only").take(take).cast(pa.bool_()),
            "approx_tokens": _estimate_tokens(context_array),
            "curve_version": pa.array([vod.curve_version] * n, pa.string()),
            "curve_segment": pa.array(segment, pa.int32()),
            "curve_confidence": pa.array(confidence, pa.float64()),
            "filter_preset": pa.array([filters.preset] * n, pa.string()),
            "filter_params_hash": pa.array([filters.params_hash()] * n, pa.string()),
            "window_params_hash": pa.array([window.params_hash()] * n, pa.string()),
            "prompt_version": pa.array([PROMPT_VERSION] * n, pa.string()),
        }
    )


def _estimate_tokens(texts: pa.Array) -> pa.Array:
    """:func:`dougchat_assets.prompt.estimate_tokens` of each text, column-wise (characters / 2.5, rounded up)."""
    import pyarrow.compute as pc

    chars = pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.float64)
    return pa.array(np.ceil(chars / CHARS_PER_TOKEN).astype(np.int32), pa.int32())


def _list_ranges(values: pa.Array, lo: np.ndarray, hi: np.ndarray) -> pa.ListArray:
    """``[values[lo:hi] for each (lo, hi)]`` as one list column, built from offsets and one take."""
    lo = np.asarray(lo, dtype=np.int64)
    counts = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    offsets = np.zeros(lo.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    take = np.repeat(lo - offsets[:-1], counts) + np.arange(offsets[-1], dtype=np.int64)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32), pa.int32()), values.take(pa.array(take, pa.int64())))


def _segments_between(transcript: TranscriptText, lo: np.ndarray, hi: np.ndarray) -> pa.ListArray:
    """:meth:`TranscriptText.segments_between` for every [lo, hi), column-wise.

    A context's segments are the segment of its first word and of every word in (lo, hi)
    that starts a new run of segment ids: found with searchsorted on the run starts, so the
    cost is per segment, not per word (a context shows ~80 words from a few segments).
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    ids = transcript.segment_ids
    if len(ids) == 0 or lo.size == 0:
        return _list_ranges(pa.array([], pa.string()), np.zeros(lo.size, np.int64), np.zeros(lo.size, np.int64))
    codes = pa.array(ids, pa.string()).dictionary_encode().indices.to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])  # word index opening each run
    run_ids = pa.array([ids[i] for i in starts.tolist()], pa.string())
    first = np.searchsorted(starts, lo, side="right") - 1  # the run holding word lo
    last = np.searchsorted(starts, hi, side="left")  # runs opening before hi: [first, last)
    return _list_ranges(run_ids, first, np.where(hi <= lo, first, last))
