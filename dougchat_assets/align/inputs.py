"""Inputs of every stage: what the alignment estimator reads, as plain numpy arrays (no DuckDB, no Dagster).

The asset layer reads ``transcript_words``, ``raw_chat`` and ``audio_energy`` and hands them
over here.  Chat is the one big input (a 6-hour VOD can have a million messages), so it is
consumed batch by batch: each body is tokenized on arrival and only integer token ids are
kept (a CSR layout), never the strings themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from dougchat_assets.align.text import DEFAULT_BOTS, bot_set, content_tokens, word_token

# Message types that are viewers typing (everything else is system noise for timing).
_TIMING_TYPES = frozenset({"chat"})
_WHOLE_SECOND_FORMATS = frozenset({"chatterino"})


@dataclass(frozen=True)
class WordTimings:
    """ASR words in audio-file seconds; ``ok`` is False for words of non-ok segments."""

    start_s: np.ndarray
    end_s: np.ndarray
    word: tuple[str, ...]
    probability: np.ndarray
    ok: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.word)
        for name in ("start_s", "end_s", "probability", "ok"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"WordTimings.{name} has {len(getattr(self, name))} rows, word has {n}")

    @classmethod
    def from_arrays(
        cls,
        start_s: Sequence[float] | np.ndarray,
        end_s: Sequence[float] | np.ndarray,
        word: Sequence[str],
        probability: Sequence[float] | np.ndarray | None = None,
        ok: Sequence[bool] | np.ndarray | None = None,
    ) -> WordTimings:
        start = np.asarray(start_s, dtype=np.float64)
        end = np.asarray(end_s, dtype=np.float64)
        words = tuple(str(w) for w in word)
        prob = np.ones(len(words)) if probability is None else np.asarray(probability, dtype=np.float64)
        okm = np.ones(len(words), dtype=bool) if ok is None else np.asarray(ok, dtype=bool)
        order = np.lexsort((end, start))  # deterministic order whatever the caller's row order
        return cls(start[order], end[order], tuple(words[i] for i in order), prob[order], okm[order])

    @classmethod
    def from_arrow(cls, words: pa.Table, segments: pa.Table | None = None) -> WordTimings:
        """From a ``transcript_words``-shaped table (start_s, end_s, word[, probability, segment_id]).

        Segment quality comes either from a ``quality`` column on the words or from a
        ``segments`` table (segment_id, quality); only ``ok`` segments feed the alignment,
        because hallucinated text would echo nothing and low-confidence words are often wrong.
        """
        cols = set(words.column_names)
        prob = words.column("probability").to_numpy(zero_copy_only=False) if "probability" in cols else None
        ok: np.ndarray | None = None
        if "quality" in cols:
            ok = np.array([q is None or q == "ok" for q in words.column("quality").to_pylist()], dtype=bool)
        elif segments is not None and "segment_id" in cols:
            seg_q = dict(
                zip(segments.column("segment_id").to_pylist(), segments.column("quality").to_pylist(), strict=True)
            )
            ok = np.array([seg_q.get(s, "ok") == "ok" for s in words.column("segment_id").to_pylist()], dtype=bool)
        return cls.from_arrays(
            words.column("start_s").to_numpy(zero_copy_only=False),
            words.column("end_s").to_numpy(zero_copy_only=False),
            [w or "" for w in words.column("word").to_pylist()],
            None if prob is None else np.nan_to_num(prob.astype(np.float64), nan=1.0),
            ok,
        )


@dataclass(frozen=True)
class ChatMessages:
    """Chat reduced to what timing needs: times, a usable mask and token ids per message.

    ``sent_at_utc_ms`` keeps every message (the curve is evaluated on all of them);
    ``usable`` marks viewers' own chat (no bots, commands or system notices).  Tokens are a
    CSR layout: message i has ``token_ids[token_offsets[i]:token_offsets[i+1]]``.
    """

    sent_at_utc_ms: np.ndarray  # int64, export order
    usable: np.ndarray  # bool
    whole_seconds: np.ndarray  # bool: the export only has whole seconds (Chatterino)
    vod_offset_s: np.ndarray  # float64, NaN where the export gives none
    token_offsets: np.ndarray  # int64, len n+1
    token_ids: np.ndarray  # int32
    vocab: tuple[str, ...]
    user_ids: np.ndarray  # int32 index into a per-VOD login table (for per-user dedup)

    @property
    def n(self) -> int:
        return int(self.sent_at_utc_ms.size)

    def timing_s(self, ref_utc_ms: int) -> np.ndarray:
        """Best estimate of each message's send time, seconds after ``ref_utc_ms``.

        Whole-second exports floor the time, so the true time is uniform in the next second:
        its expectation is +0.5 s.
        """
        t = (self.sent_at_utc_ms - ref_utc_ms).astype(np.float64) / 1000.0
        return t + np.where(self.whole_seconds, 0.5, 0.0)

    def without(self, drop: np.ndarray) -> ChatMessages:
        """The same chat with the tokens of ``drop`` messages removed (times kept): those
        messages then pair with nothing in the echo index."""
        counts = np.diff(self.token_offsets)
        keep_token = np.repeat(~drop, counts)
        offsets = np.concatenate([[0], np.cumsum(np.where(drop, 0, counts))]).astype(self.token_offsets.dtype)
        return replace(self, token_offsets=offsets, token_ids=self.token_ids[keep_token], usable=self.usable & ~drop)

    @classmethod
    def from_batches(
        cls, batches: Iterable[pa.RecordBatch | pa.Table], bots: Iterable[str] | None = None
    ) -> ChatMessages:
        """Stream ``raw_chat``-shaped batches (sent_at_utc_ms, body, user_login, msg_type, ...).

        Memory is O(messages x tokens) integers; the bodies themselves are dropped per batch.
        """
        builder = _ChatBuilder(bot_set(bots))
        for batch in batches:
            builder.add_batch(batch)
        return builder.finish()

    @classmethod
    def from_arrays(
        cls,
        sent_at_utc_ms: Sequence[int] | np.ndarray,
        body: Sequence[str],
        user_login: Sequence[str | None],
        msg_type: Sequence[str] | None = None,
        vod_offset_s: Sequence[float | None] | None = None,
        source_format: Sequence[str] | str | None = None,
        bots: Iterable[str] | None = None,
    ) -> ChatMessages:
        n = len(body)
        builder = _ChatBuilder(bot_set(bots))
        fmt: Sequence[str | None]
        if source_format is None or isinstance(source_format, str):
            fmt = [source_format] * n
        else:
            fmt = source_format
        builder.add_columns(
            np.asarray(sent_at_utc_ms, dtype=np.int64),
            list(body),
            list(user_login),
            ["chat"] * n if msg_type is None else list(msg_type),
            [None] * n if vod_offset_s is None else list(vod_offset_s),
            list(fmt),
        )
        return builder.finish()


class _ChatBuilder:
    """Accumulates chat columns batch by batch (bodies -> token ids immediately)."""

    def __init__(self, bots: frozenset[str]) -> None:
        self.bots = bots
        self.vocab: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.times: list[np.ndarray] = []
        self.usable: list[np.ndarray] = []
        self.whole: list[np.ndarray] = []
        self.offsets_s: list[np.ndarray] = []
        self.user_ids: list[np.ndarray] = []
        self.tok_counts: list[np.ndarray] = []
        self.tok_ids: list[np.ndarray] = []

    def add_batch(self, batch: pa.RecordBatch | pa.Table) -> None:
        names = set(batch.column_names)
        n = batch.num_rows

        def col(name: str, default: object) -> list:
            return batch.column(name).to_pylist() if name in names else [default] * n

        self.add_columns(
            batch.column("sent_at_utc_ms").to_numpy(zero_copy_only=False).astype(np.int64),
            col("body", ""),
            col("user_login", None),
            col("msg_type", "chat"),
            col("vod_offset_s", None),
            col("source_format", None),
        )

    def add_columns(
        self,
        times: np.ndarray,
        bodies: list,
        logins: list,
        types: list,
        offsets: list,
        formats: list,
    ) -> None:
        n = len(bodies)
        usable = np.zeros(n, dtype=bool)
        whole = np.zeros(n, dtype=bool)
        uid = np.zeros(n, dtype=np.int32)
        counts = np.zeros(n, dtype=np.int64)
        ids: list[int] = []
        for i in range(n):
            login = (logins[i] or "").lower()
            uid[i] = self.users.setdefault(login, len(self.users))
            body = bodies[i] or ""
            mtype = types[i] or "chat"
            whole[i] = (formats[i] or "") in _WHOLE_SECOND_FORMATS
            ok = mtype in _TIMING_TYPES and login not in self.bots and not body.lstrip().startswith("!")
            usable[i] = ok
            if ok:
                toks = sorted(content_tokens(body))
                counts[i] = len(toks)
                ids.extend(self.vocab.setdefault(t, len(self.vocab)) for t in toks)
        self.times.append(np.asarray(times, dtype=np.int64))
        self.usable.append(usable)
        self.whole.append(whole)
        self.offsets_s.append(np.array([np.nan if o is None else float(o) for o in offsets], dtype=np.float64))
        self.user_ids.append(uid)
        self.tok_counts.append(counts)
        self.tok_ids.append(np.asarray(ids, dtype=np.int32))

    def finish(self) -> ChatMessages:
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        counts = cat(self.tok_counts, np.int64)
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        vocab = [""] * len(self.vocab)
        for tok, i in self.vocab.items():
            vocab[i] = tok
        return ChatMessages(
            sent_at_utc_ms=cat(self.times, np.int64),
            usable=cat(self.usable, bool),
            whole_seconds=cat(self.whole, bool),
            vod_offset_s=cat(self.offsets_s, np.float64),
            token_offsets=offsets,
            token_ids=cat(self.tok_ids, np.int32),
            vocab=tuple(vocab),
            user_ids=cat(self.user_ids, np.int32),
        )


@dataclass(frozen=True)
class EnergyFrames:
    """RMS dBFS per fixed audio frame (``frame_start_s`` ascending)."""

    frame_start_s: np.ndarray
    rms_db: np.ndarray

    @classmethod
    def from_arrays(
        cls, frame_start_s: Sequence[float] | np.ndarray, rms_db: Sequence[float] | np.ndarray
    ) -> EnergyFrames:
        start = np.asarray(frame_start_s, dtype=np.float64)
        level = np.asarray(rms_db, dtype=np.float64)
        if start.shape != level.shape:
            raise ValueError("frame_start_s and rms_db differ in length")
        order = np.argsort(start, kind="stable")
        return cls(start[order], level[order])

    @classmethod
    def from_arrow(cls, table: pa.Table) -> EnergyFrames:
        return cls.from_arrays(
            table.column("frame_start_s").to_numpy(zero_copy_only=False),
            table.column("rms_db").to_numpy(zero_copy_only=False),
        )

    @property
    def frame_s(self) -> float:
        if self.frame_start_s.size < 2:
            return 0.1
        return float(np.median(np.diff(self.frame_start_s)))


@dataclass(frozen=True)
class VodMeta:
    """What metadata claims about the VOD; ``started_at_utc_ms`` may be None or minutes off."""

    audio_duration_s: float
    started_at_utc_ms: int | None = None
    bots: tuple[str, ...] = field(default=DEFAULT_BOTS)


@dataclass(frozen=True)
class AlignmentInputs:
    """Everything one VOD's alignment reads."""

    words: WordTimings
    chat: ChatMessages
    energy: EnergyFrames
    meta: VodMeta

    @classmethod
    def from_arrow(
        cls,
        *,
        words: pa.Table,
        chat: pa.Table | Iterable[pa.RecordBatch],
        energy: pa.Table,
        meta: VodMeta,
        segments: pa.Table | None = None,
    ) -> AlignmentInputs:
        """Build from pyarrow tables; ``chat`` may be an iterator of record batches (streamed)."""
        chat_batches: Iterable[pa.RecordBatch | pa.Table] = [chat] if isinstance(chat, pa.Table) else chat
        return cls(
            words=WordTimings.from_arrow(words, segments),
            chat=ChatMessages.from_batches(chat_batches, bots=meta.bots),
            energy=EnergyFrames.from_arrow(energy),
            meta=meta,
        )

    def reference_utc_ms(self) -> int:
        """The zero of the chat clock used internally: metadata start, else the first message."""
        if self.meta.started_at_utc_ms is not None:
            return int(self.meta.started_at_utc_ms)
        if self.chat.n:
            return int(self.chat.sent_at_utc_ms.min())
        return 0


def transcript_tokens(words: WordTimings) -> tuple[list[str | None], np.ndarray]:
    """Matching token per word (None where it has none or its segment is not ok)."""
    toks: list[str | None] = []
    for w, good in zip(words.word, words.ok, strict=True):
        toks.append(word_token(w) if good else None)
    return toks, np.array([t is not None for t in toks], dtype=bool)


def pair_chat_with_audio(chat_from: AlignmentInputs, audio_from: AlignmentInputs) -> AlignmentInputs:
    """One VOD's chat moved to claim the other VOD's start, paired with the other's audio side.

    The worst case for a mismatched export: metadata cannot reveal the mix-up, only content can.
    """
    shift = int(audio_from.meta.started_at_utc_ms or 0) - int(chat_from.meta.started_at_utc_ms or 0)
    moved = replace(chat_from.chat, sent_at_utc_ms=chat_from.chat.sent_at_utc_ms + shift)
    return AlignmentInputs(audio_from.words, moved, audio_from.energy, audio_from.meta)

