"""Row buffers that turn parsed messages into ``RAW_CHAT_SCHEMA`` record batches.

Line-based parsers append one tuple per message (cheaper than one append per column) to a
:class:`BatchBuilder`; the TwitchDownloader parser builds columns directly.  Either way every
``batch_size`` rows become one Arrow batch (:func:`make_batch`) and are dropped, so memory
stays bounded by the batch size whatever the export's length.  List columns (emote spans,
badges) are built from flat child arrays plus offsets, much faster than per-row lists of dicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import accumulate

import pyarrow as pa

from dougchat_assets.chat.emotes import EmoteSpan
from dougchat_assets.chat.schema import EMOTE_SPAN_TYPE, RAW_CHAT_SCHEMA

# The order of a row tuple (see BatchBuilder.add).
ROW_FIELDS = (
    "source_line", "sent_at_utc_ms", "vod_offset_s", "native_id", "user_id", "user_login",
    "user_display_name", "body", "msg_type", "emote_spans", "is_emote_only", "badges",
    "target_user_login", "target_native_id",
)


class MsgIdHasher:
    """Computes :func:`~dougchat_assets.chat.schema.stable_msg_id` with the constant prefix hashed once."""

    def __init__(self, vod_id: str, source_file: str) -> None:
        self._prefix = hashlib.sha1(f"{vod_id}\x1f{source_file}\x1f".encode())

    def __call__(self, source_line: int) -> str:
        digest = self._prefix.copy()
        digest.update(b"%d" % source_line)
        return digest.hexdigest()[:20]


def _clean_strings(values: Sequence) -> list:
    """Make every value a valid string or None, for the rare batch Arrow refuses.

    Lone UTF-16 surrogates (from ``"\\\\ud83d"``-style JSON escapes) become U+FFFD: Arrow
    strings must be valid UTF-8, and one code point for one keeps emote offsets valid.
    Numbers where an export should have strings (ids written as numbers) become text.
    """
    fixed = []
    for value in values:
        if value is not None and not isinstance(value, str):
            value = str(value)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                value = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
        fixed.append(value)
    return fixed


def _string_array(values: Sequence) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except (UnicodeEncodeError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(_clean_strings(values), pa.string())


class BatchBuilder:
    """Buffers rows for one export file and emits ``RAW_CHAT_SCHEMA`` batches.

    Hot loops may append row tuples (in :data:`ROW_FIELDS` order) to :attr:`rows` directly
    and call :meth:`flush` when ``len(rows) >= batch_size``.
    """

    def __init__(self, vod_id: str, source_file: str, source_format: str, batch_size: int, max_bytes: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.vod_id = vod_id
        self.source_file = source_file
        self.source_format = str(source_format)
        self.batch_size = batch_size
        # Flush early once the source text behind the buffered rows passes this (long lines
        # must not pile up batch_size deep); None: by row count only.
        self.max_bytes = max_bytes if max_bytes is not None else float("inf")
        self.pending_bytes = 0
        self.msg_id = MsgIdHasher(vod_id, source_file)
        self.total_rows = 0
        self.rows: list[tuple] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(
        self,
        source_line: int,
        sent_at_utc_ms: int,
        vod_offset_s: float | None,
        native_id: str | None,
        user_id: str | None,
        user_login: str | None,
        user_display_name: str | None,
        body: str,
        msg_type: str,
        spans: Sequence[EmoteSpan],
        emote_only: bool,
        badges: Sequence[str] | None,
        target_user_login: str | None = None,
        target_native_id: str | None = None,
        size: int = 0,
    ) -> bool:
        """Append one row parsed from ``size`` bytes of source text; True when the buffer is full (call :meth:`flush`).

        Full means ``batch_size`` rows, or source text of ``max_bytes`` behind them.
        """
        self.rows.append(
            (source_line, sent_at_utc_ms, vod_offset_s, native_id, user_id, user_login, user_display_name,
             body, msg_type, spans, emote_only, badges, target_user_login, target_native_id)
        )
        self.pending_bytes += size
        return len(self.rows) >= self.batch_size or self.pending_bytes >= self.max_bytes

    def flush(self) -> pa.RecordBatch:
        """Turn the buffered rows into one batch and empty the buffer."""
        rows, self.rows = self.rows, []
        self.pending_bytes = 0
        columns = list(zip(*rows)) if rows else [()] * len(ROW_FIELDS)
        del rows
        self.total_rows += len(columns[0])
        return make_batch(self.vod_id, self.source_format, self.source_file, self.msg_id, *columns)


def make_batch(
    vod_id: str,
    source_format: str,
    source_file: str,
    msg_id: MsgIdHasher,
    lines: Sequence[int],
    sent: Sequence[int] | pa.Array,
    offsets: Sequence[float | None],
    native_ids: Sequence[str | None],
    user_ids: Sequence[str | None],
    logins: Sequence[str | None],
    displays: Sequence[str | None],
    bodies: Sequence[str],
    msg_types: Sequence[str],
    spans_col: Sequence[Sequence[EmoteSpan]],
    emote_only: Sequence[bool],
    badges_col: Sequence[Sequence[str] | None],
    targets: Sequence[str | None],
    target_ids: Sequence[str | None],
) -> pa.RecordBatch:
    """One ``RAW_CHAT_SCHEMA`` batch from columns (``sent`` may already be an int64 array)."""
    count = len(lines)
    flat_spans = [span for spans in spans_col if spans for span in spans]
    starts, ends, emote_ids, names = zip(*flat_spans) if flat_spans else ((), (), (), ())
    span_struct = pa.StructArray.from_arrays(
        [pa.array(starts, pa.int32()), pa.array(ends, pa.int32()), _string_array(emote_ids), _string_array(names)],
        fields=list(EMOTE_SPAN_TYPE),
    )
    span_offsets = pa.array(list(accumulate((len(s) if s else 0 for s in spans_col), initial=0)), pa.int32())
    emote_spans = pa.ListArray.from_arrays(span_offsets, span_struct, type=pa.list_(EMOTE_SPAN_TYPE))
    badge_values = [badge for badges in badges_col if badges for badge in badges]
    badge_offsets = pa.array(list(accumulate((len(b) if b else 0 for b in badges_col), initial=0)), pa.int32())
    badge_mask = pa.array([b is None for b in badges_col], pa.bool_()) if any(b is None for b in badges_col) else None
    badges = pa.ListArray.from_arrays(badge_offsets, _string_array(badge_values), type=pa.list_(pa.string()), mask=badge_mask)
    arrays = [
        pa.array([msg_id(line) for line in lines], pa.string()),
        pa.array([vod_id] * count, pa.string()),
        sent if isinstance(sent, pa.Array) else pa.array(sent, pa.int64()),
        pa.array(offsets, pa.float64()),
        _string_array(native_ids),
        _string_array(user_ids),
        _string_array(logins),
        _string_array(displays),
        _string_array(bodies),
        pa.array(msg_types, pa.string()),
        emote_spans,
        pa.array(emote_only, pa.bool_()),
        badges,
        _string_array(targets),
        _string_array(target_ids),
        pa.array([source_format] * count, pa.string()),
        pa.array([source_file] * count, pa.string()),
        pa.array(lines, pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=RAW_CHAT_SCHEMA)
