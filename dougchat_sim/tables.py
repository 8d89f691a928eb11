"""Generated rows -> the ``raw_chat`` table a parser would have written, plus the label table.

The chat table is exactly :data:`~dougchat_assets.chat.schema.RAW_CHAT_SCHEMA`: rows in send
order, 1-based ``source_line``, emotes marked by :class:`~dougchat_assets.chat.emotes.EmoteMatcher`
as the parsers mark them, and moderation rows shaped like the IRC parser's CLEARCHAT /
CLEARMSG rows (no sender, the target in ``target_user_login`` / ``target_native_id``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dougchat_assets.chat.emotes import EmoteMatcher
from dougchat_assets.chat.schema import EMOTE_SPAN_TYPE, RAW_CHAT_SCHEMA

from dougchat_sim.clock import Clock
from dougchat_sim.messages import LABELS, MSG_TYPES, MTYPE, TEXT_KINDS, Rows
from dougchat_sim.params import StreamParams
from dougchat_sim.population import NEWCOMER, VIEWER, Users
from dougchat_sim.transcript import Speech

SOURCE_FORMAT = "sim"
SOURCE_FILE = "sim.jsonl"
LABEL_SCHEMA = pa.schema(
    [
        pa.field("msg_id", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("text_kind", pa.string(), nullable=False),  # the pool the body came from
        pa.field("burst_id", pa.int32()),  # copypasta / spam burst the row belongs to
        pa.field("reacts_to_segment", pa.int32()),  # row index into SimulatedStream.segments
        pa.field("true_viewer_position_s", pa.float64()),  # audio second the sender's stream showed
        pa.field("latency_s", pa.float64()),  # sender's stream latency for this row
        pa.field("reaction_s", pa.float64()),  # from the reacted segment's end (heard) to sending
    ]
)
_WITH_NATIVE_ID = frozenset(MTYPE[m] for m in ("chat", "command", "sub", "raid", "notice"))


def msg_ids(vod_id: str, seed: int, count: int) -> list[str]:
    """``stable_msg_id``-style ids (sha1, 20 hex) of source position, salted with the seed.

    Two simulated streams share the default vod_id "sim"; the seed keeps their ids apart when
    a benchmark stacks several of them in one table.
    """
    prefix = hashlib.sha1(f"{vod_id}\x1f{SOURCE_FILE}#{seed}\x1f".encode())
    out = []
    for line in range(1, count + 1):
        digest = prefix.copy()
        digest.update(b"%d" % line)
        out.append(digest.hexdigest()[:20])
    return out


def native_ids(rng: np.random.Generator, count: int) -> list[str]:
    """Random version-4 UUID strings, like Twitch message ids."""
    hi = rng.integers(0, 2**64, count, dtype=np.uint64)
    lo = rng.integers(0, 2**64, count, dtype=np.uint64)
    a = (hi >> np.uint64(32)).tolist()
    b = ((hi >> np.uint64(16)) & np.uint64(0xFFFF)).tolist()
    c = ((hi & np.uint64(0x0FFF)) | np.uint64(0x4000)).tolist()
    d = (((lo >> np.uint64(48)) & np.uint64(0x3FFF)) | np.uint64(0x8000)).tolist()
    e = (lo & np.uint64(0xFFFFFFFFFFFF)).tolist()
    return [f"{a_:08x}-{b_:04x}-{c_:04x}-{d_:04x}-{e_:012x}" for a_, b_, c_, d_, e_ in zip(a, b, c, d, e)]


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]`` with nulls where ``index`` < 0."""
    return pc.take(values, pa.array(np.maximum(index, 0), pa.int64(), mask=index < 0))


def _emote_columns(bodies: list[str]) -> tuple[pa.Array, pa.Array]:
    match = EmoteMatcher().match
    cache: dict[str, tuple] = {}
    lengths = np.zeros(len(bodies), dtype=np.int32)
    only = np.zeros(len(bodies), dtype=bool)
    starts: list[int] = []
    ends: list[int] = []
    names: list[str] = []
    for i, body in enumerate(bodies):
        hit = cache.get(body)
        if hit is None:
            spans, emote_only = match(body)
            hit = cache[body] = (tuple(spans), emote_only)
        spans, only[i] = hit
        if spans:
            lengths[i] = len(spans)
            for start, end, _, name in spans:
                starts.append(start)
                ends.append(end)
                names.append(name)
    struct = pa.StructArray.from_arrays(
        [pa.array(starts, pa.int32()), pa.array(ends, pa.int32()), pa.nulls(len(names), pa.string()), pa.array(names, pa.string())],
        fields=list(EMOTE_SPAN_TYPE),
    )
    offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))
    return pa.ListArray.from_arrays(offsets, struct, type=pa.list_(EMOTE_SPAN_TYPE)), pa.array(only, pa.bool_())


def build_tables(rows: Rows, users: Users, clock: Clock, speech: Speech, params: StreamParams, vod_id: str, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    """(raw_chat table, labels table), both in send order."""
    n = len(rows)
    rel_ms = np.round(np.clip(rows.t, 0.0, params.duration_s - 0.001) * 1000.0).astype(np.int64)
    natives = native_ids(rng, n)
    native_col = [natives[i] if m in _WITH_NATIVE_ID else None for i, m in enumerate(rows.mtype.tolist())]
    target_native = [natives[r] if r >= 0 else None for r in rows.target_row.tolist()]
    order = np.lexsort((np.arange(n), rel_ms))
    rows = rows.take(order)
    rel_ms = rel_ms[order]
    native_col = [native_col[i] for i in order.tolist()]
    target_native = [target_native[i] for i in order.tolist()]
    # A viewer line is a command exactly when it starts with "!" (as parsers decide).
    chatty = (rows.mtype == MTYPE["chat"]) | (rows.mtype == MTYPE["command"])
    bang = np.fromiter((b.startswith("!") for b in rows.body), dtype=bool, count=n)
    rows.mtype[chatty] = np.where(bang[chatty], MTYPE["command"], MTYPE["chat"])
    # Truth: latency for every line a watching viewer typed; position and reaction time from it.
    sender = np.maximum(rows.user, 0)
    typed = chatty & (rows.user >= 0) & np.isin(users.kind[sender], (VIEWER, NEWCOMER))
    latency = np.where(typed, rows.latency, np.nan)
    fill = typed & np.isnan(latency)
    latency[fill] = np.maximum(0.2, users.latency[sender[fill]] + rng.normal(0.0, params.latency_jitter_s, int(fill.sum())))
    position = np.full(n, np.nan)
    position[typed] = clock.audio_of_ms(rel_ms[typed] - latency[typed] * 1000.0)
    reaction = np.full(n, np.nan)
    reacting = typed & (rows.seg >= 0)
    reaction[reacting] = rel_ms[reacting] / 1000.0 - latency[reacting] - speech.end_broadcast_s[rows.seg[reacting]]
    ids = msg_ids(vod_id, params.seed, n)
    logins = pa.array(users.login, pa.string())
    spans, emote_only = _emote_columns(rows.body)
    chat = pa.Table.from_arrays(
        [
            pa.array(ids, pa.string()),
            pa.array([vod_id] * n, pa.string()),
            pa.array(rel_ms + clock.started_ms, pa.int64()),
            pa.nulls(n, pa.float64()),
            pa.array(native_col, pa.string()),
            _take(pa.array(users.user_id, pa.string()), rows.user),
            _take(logins, rows.user),
            _take(pa.array(users.display, pa.string()), rows.user),
            pa.array(rows.body, pa.string()),
            pa.array(np.array(MSG_TYPES, dtype=object)[rows.mtype].tolist(), pa.string()),
            spans,
            emote_only,
            _take(pa.array(users.badges, pa.list_(pa.string())), rows.user),
            _take(logins, rows.target_user),
            pa.array(target_native, pa.string()),
            pa.array([SOURCE_FORMAT] * n, pa.string()),
            pa.array([SOURCE_FILE] * n, pa.string()),
            pa.array(np.arange(1, n + 1, dtype=np.int64)),
        ],
        schema=RAW_CHAT_SCHEMA,
    )
    seg = rows.seg.astype(np.int32)
    burst = rows.burst.astype(np.int32)
    labels = pa.Table.from_arrays(
        [
            chat.column("msg_id"),
            pa.array(np.array(LABELS, dtype=object)[rows.label].tolist(), pa.string()),
            pa.array(np.array(TEXT_KINDS, dtype=object)[rows.kind].tolist(), pa.string()),
            pa.array(burst, pa.int32(), mask=burst < 0),
            pa.array(seg, pa.int32(), mask=seg < 0),
            pa.array(position, pa.float64(), mask=np.isnan(position)),
            pa.array(latency, pa.float64(), mask=np.isnan(latency)),
            pa.array(reaction, pa.float64(), mask=np.isnan(reaction)),
        ],
        schema=LABEL_SCHEMA,
    )
    return chat, labels
