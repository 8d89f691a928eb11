"""The one row shape every chat parser produces (table ``raw_chat``).

Parsers differ in what an export carries; the warehouse must not.  Every parser yields
``pyarrow.RecordBatch`` objects with exactly :data:`RAW_CHAT_SCHEMA`, so DuckDB can insert
them in bulk and later stages never branch on the export format.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

import pyarrow as pa


class MsgType(StrEnum):
    """What a chat row is; filters and alignment branch on this, never on the export format."""

    CHAT = "chat"  # an ordinary message
    COMMAND = "command"  # a viewer message starting with "!" (bot commands)
    SUB = "sub"  # sub, resub, gift sub, prime
    RAID = "raid"
    MOD_ACTION = "mod_action"  # ban, unban, clear chat, slow mode... (not timeout/deletion)
    TIMEOUT = "timeout"  # a user timed out (target_user_login says who)
    DELETION = "deletion"  # one message deleted by a moderator (target_native_id says which)
    NOTICE = "notice"  # any other system notice (announcement, bits badge, ...)


EMOTE_SPAN_TYPE = pa.struct(
    [
        pa.field("start", pa.int32()),  # character offset into body, inclusive
        pa.field("end", pa.int32()),  # character offset into body, exclusive
        pa.field("emote_id", pa.string()),
        pa.field("name", pa.string()),
    ]
)

RAW_CHAT_SCHEMA = pa.schema(
    [
        pa.field("msg_id", pa.string(), nullable=False),  # stable_msg_id(vod_id, source_file, source_line)
        pa.field("vod_id", pa.string(), nullable=False),
        pa.field("sent_at_utc_ms", pa.int64(), nullable=False),  # epoch ms, UTC
        pa.field("vod_offset_s", pa.float64()),  # the export's own offset into the VOD, when given
        pa.field("native_id", pa.string()),  # the export's own message id, when given
        pa.field("user_id", pa.string()),
        pa.field("user_login", pa.string()),
        pa.field("user_display_name", pa.string()),
        pa.field("body", pa.string(), nullable=False),
        pa.field("msg_type", pa.string(), nullable=False),  # a MsgType value
        pa.field("emote_spans", pa.list_(EMOTE_SPAN_TYPE)),
        pa.field("is_emote_only", pa.bool_(), nullable=False),
        pa.field("badges", pa.list_(pa.string())),  # "name/version", e.g. "moderator/1"
        pa.field("target_user_login", pa.string()),  # timeouts, bans, deletions
        pa.field("target_native_id", pa.string()),  # deletions: the deleted message's native id
        pa.field("source_format", pa.string(), nullable=False),  # a ChatFormat value
        pa.field("source_file", pa.string(), nullable=False),  # file name inside the VOD folder
        pa.field("source_line", pa.int64(), nullable=False),  # 1-based line (text/JSONL) or 0-based array index (JSON)
    ]
)


def stable_msg_id(vod_id: str, source_file: str, source_line: int) -> str:
    """Id that survives re-ingest: the same file and position always give the same id.

    Lineage (pair -> chat message -> file and line) follows this id, so it must not depend on
    run order, batch size or the time of ingest.
    """
    digest = hashlib.sha1(f"{vod_id}\x1f{source_file}\x1f{source_line}".encode()).hexdigest()
    return digest[:20]
