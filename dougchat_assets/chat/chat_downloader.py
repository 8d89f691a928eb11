"""chat-downloader output (xenova/chat-downloader): a JSON array of messages, or JSONL.

Each message carries ``timestamp`` in epoch *microseconds*, ``time_in_seconds`` (offset into
the VOD, replays only), ``message``, ``message_id``, ``message_type`` and an ``author``
object (a plain display-name string in files from its predecessor chat-replay-downloader).
The array form is streamed item by item (``source_line`` = 0-based index); JSONL is read line
by line (``source_line`` = 1-based line).
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa

from dougchat_assets.chat.emotes import EmoteMatcher, EmoteSpan, parse_inclusive_ranges
from dougchat_assets.chat.formats import ChatContext, ChatFormat, ExportMetadata
from dougchat_assets.chat.jsonstream import JsonStream
from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, ReadReport
from dougchat_assets.chat.msgtypes import user_message_type
from dougchat_assets.chat.rows import BatchBuilder
from dougchat_assets.chat.schema import MsgType
from dougchat_assets.chat.textio import iter_text_lines, read_head
from dougchat_assets.chat.timeparse import parse_iso_utc_ms
from dougchat_assets.errors import InputError

PARSER_NAME = "chat_downloader"
PARSER_VERSION = "1.1"  # 1.1: lines and items capped at max_line_bytes, bodies at max_message_chars

# chat-downloader's own message_type names (it renames Twitch msg-ids, see its twitch.py)
_USER_MESSAGE_TYPES = frozenset({"text_message", "highlighted_message", "send_message_in_subscriber_only_mode", "paid_message"})
_SUB_TYPES = frozenset(
    {
        "subscription", "resubscription", "subscription_gift", "anonymous_subscription_gift",
        "mystery_subscription_gift", "anonymous_mystery_subscription_gift", "extend_subscription",
        "standard_pay_forward", "community_pay_forward", "prime_community_gift_received",
        "prime_paid_upgrade", "gift_paid_upgrade", "anonymous_gift_paid_upgrade",
    }
)
_MOD_TYPES = frozenset({"clear_chat", "room_state", "ban_success", "unban_success", "timeout_success", "delete_message_success"})
_MOD_PREFIXES = ("enable_", "disable_")
_MOD_SUFFIXES = ("_already_on", "_already_off")
_MIN_US = 946_684_800_000_000  # 2000-01-01 in microseconds
_MAX_US = 4_102_444_800_000_000  # 2100-01-01
_JSONL_START = re.compile(r"\s*\{")
METADATA_SAMPLE = 50


def classify(item: dict, body: str) -> tuple[str, str | None]:
    """(msg_type, target_user_login) of one chat-downloader item."""
    kind = item.get("message_type") or "text_message"
    if kind in _USER_MESSAGE_TYPES:
        return user_message_type(body), None
    if kind in _SUB_TYPES:
        return MsgType.SUB, None
    if kind == "raid":
        return MsgType.RAID, None
    if kind in ("ban_user", "timeout_user"):
        target = item.get("banned_user") or _author_field(item, "name")
        timed = kind == "timeout_user" or item.get("ban_type") == "timeout" or bool(item.get("ban_duration"))
        return (MsgType.TIMEOUT if timed else MsgType.MOD_ACTION), target
    if kind == "delete_message":
        return MsgType.DELETION, _author_field(item, "name") or item.get("author_name")
    if kind in _MOD_TYPES or kind.startswith(_MOD_PREFIXES) or kind.endswith(_MOD_SUFFIXES):
        return MsgType.MOD_ACTION, None
    return MsgType.NOTICE, None


def _author_field(item: dict, key: str) -> str | None:
    author = item.get("author")
    return author.get(key) if isinstance(author, dict) else None


def timestamp_ms(value: Any) -> int:
    """Epoch microseconds (number or digit string; ISO-8601 accepted too) -> epoch ms."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            value = int(text)
        else:
            return parse_iso_utc_ms(text)  # ValueError when it is not a time
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a timestamp: {value!r}")
    if not _MIN_US <= value <= _MAX_US:
        raise ValueError(f"{value!r} is not epoch microseconds between 2000 and 2100")
    return int(value // 1000)


def _emote_spans(body: str, emotes: Any) -> list[EmoteSpan]:
    spans: list[EmoteSpan] = []
    if not isinstance(emotes, list):
        return spans
    for emote in emotes:
        if not isinstance(emote, dict):
            continue
        locations = emote.get("locations")
        if isinstance(locations, str):
            locations = locations.split(",")
        if isinstance(locations, list):
            emote_id = emote.get("id")
            spans.extend(parse_inclusive_ranges(body, None if emote_id is None else str(emote_id), (str(x) for x in locations)))
    return spans


def _user(author: Any) -> tuple[str | None, str | None, str | None, list[str] | None]:
    """(user_id, login, display_name, badges) from ``author``."""
    if isinstance(author, dict):
        user_id = author.get("id")
        badges = author.get("badges")
        if isinstance(badges, list):
            badges = [f"{b.get('name')}/{b.get('version')}" for b in badges if isinstance(b, dict)]
        else:
            badges = None
        display = author.get("display_name")
        return (
            None if user_id is None else str(user_id),
            author.get("name"),
            display.strip() or None if isinstance(display, str) else None,
            badges,
        )
    if isinstance(author, str) and author.strip():
        name = author.strip()
        # chat-replay-downloader wrote the display name only; for ASCII names it is the login in other case
        login = name.lower() if re.fullmatch(r"[A-Za-z0-9_]+", name) else None
        return None, login, name, None
    return None, None, None, None


def _fail(path: Path, where: dict, field: str, message: str) -> InputError:
    """InputError at ``where`` (``{"line": n}`` for JSONL, ``{"field": "[i]"}`` for an array)."""
    if "field" in where:
        return InputError(path, message, field=f"{where['field']}.{field}" if field else where["field"])
    return InputError(path, message, line=where["line"], field=field or None)


def _add(builder: BatchBuilder, match, path: Path, item: Any, line: int, where: dict, size: int, report: ReadReport) -> bool:
    """Append one item (``size``: characters of its JSON text); return True when the batch is full."""
    if not isinstance(item, dict):
        raise _fail(path, where, "", "a message must be a JSON object")
    if "timestamp" not in item:
        raise _fail(path, where, "timestamp", "missing message time")
    try:
        sent = timestamp_ms(item["timestamp"])
    except ValueError as error:
        raise _fail(path, where, "timestamp", f"bad message time: {error}") from None
    offset = item.get("time_in_seconds")
    if offset is not None:
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            raise _fail(path, where, "time_in_seconds", f"not a number: {offset!r}")
        offset = float(offset)
    body = item.get("message")
    if body is None:
        body = item.get("system_message")  # subs and raids without a viewer message
    if body is None:
        body = ""
    elif not isinstance(body, str):
        raise _fail(path, where, "message", f"not a string: {body!r}")
    if len(body) > report.max_message_chars:
        body = report.clip(body, line)
    msg_type, target = classify(item, body)
    user_id, login, display, badges = _user(item.get("author"))
    if msg_type in (MsgType.DELETION, MsgType.TIMEOUT) or (msg_type == MsgType.MOD_ACTION and target):
        # chat-downloader puts the deleted message's author here; bans name only their target
        user_id = login = display = None
        badges = None
    native = _emote_spans(body, item.get("emotes")) if item.get("emotes") else None
    spans, emote_only = match(body, native)
    native_id = item.get("message_id")
    target_id = item.get("target_message_id")
    return builder.add(
        line, sent, offset, native_id, user_id, login, display, body, msg_type, spans, emote_only, badges, target, target_id,
        size=size,
    )


def is_jsonl(path: Path) -> bool:
    """True when the file is JSON Lines (starts with an object) rather than one JSON array."""
    head = read_head(path, 4096).lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
    return bool(_JSONL_START.match(head))


def _iter_items(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> Iterator[tuple[int, Any, dict, int]]:
    """(source_line, item, error position, characters of its JSON text) for every message, in file order.

    Both forms hold at most one item's text at a time, capped at ``limits.max_line_bytes``.
    """
    if is_jsonl(path):
        for number, text in iter_text_lines(path, limits):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except json.JSONDecodeError as error:
                raise InputError(path, f"invalid JSON: {error.msg} (column {error.colno})", line=number) from None
            except RecursionError:
                raise InputError(path, "invalid JSON: nested too deeply", line=number) from None
            yield number, item, {"line": number}, len(text)
        return
    with JsonStream(path, limits=limits) as stream:
        if stream.peek() != "[":
            raise stream.error("a chat-downloader export must be a JSON array or JSON Lines")
        before = stream.offset
        for index, item in enumerate(stream.iter_array("", max_item_chars=limits.max_line_bytes)):
            after = stream.offset
            yield index, item, {"field": f"[{index}]"}, after - before
            before = after
        stream.skip_to_end("")


def iter_batches(
    path: Path, context: ChatContext, batch_size: int, limits: ReaderLimits = DEFAULT_LIMITS, report: ReadReport | None = None
) -> Iterator[pa.RecordBatch]:
    builder = BatchBuilder(context.vod_id, path.name, ChatFormat.CHAT_DOWNLOADER, batch_size, limits.max_batch_bytes)
    report = report if report is not None else ReadReport(max_message_chars=limits.max_message_chars)
    match = EmoteMatcher(context.extra_emotes).match
    for line, item, where, size in _iter_items(path, limits):
        if _add(builder, match, path, item, line, where, size, report):
            yield builder.flush()
    if len(builder):
        yield builder.flush()
    if builder.total_rows == 0:
        raise InputError(path, "the export has zero chat messages")


def read_metadata(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> ExportMetadata:
    """chat-downloader files name no video; the VOD start is implied by the first messages.

    ``timestamp - time_in_seconds`` of a replayed message is the VOD start (to about a
    second, the offsets being whole seconds); the median over the first messages is used.
    """
    starts = []
    for _, item, _, _ in islice(_iter_items(path, limits), METADATA_SAMPLE):
        if isinstance(item, dict) and isinstance(item.get("time_in_seconds"), (int, float)):
            try:
                starts.append(timestamp_ms(item.get("timestamp")) - round(item["time_in_seconds"] * 1000))
            except ValueError:
                continue
    return ExportMetadata(
        format=ChatFormat.CHAT_DOWNLOADER,
        video_id=None,
        title=None,
        started_at_utc_ms=statistics.median_low(starts) if starts else None,
        duration_s=None,
        parser_name=PARSER_NAME,
        parser_version=PARSER_VERSION,
    )
