"""Raw Twitch IRC logs (tmi.twitch.tv with IRCv3 tags), one message per line.

``PRIVMSG`` is a viewer message; ``USERNOTICE`` a sub/raid/announcement (its ``msg-id`` tag
decides); ``CLEARCHAT`` a timeout (``ban-duration``), a ban, or a whole-chat clear (no user);
``CLEARMSG`` one deleted message.  Times come from ``tmi-sent-ts`` (epoch ms).  Protocol
lines without it (PING, numerics, JOIN, ROOMSTATE...) are skipped; a chat event without it
cannot be placed in time and is an error.  Emote positions in the ``emotes`` tag count
Unicode code points, which is what Python string indices count, so emoji before an emote
need no correction.  A logger's ``[timestamp] `` before the line is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from dougchat_assets.chat.emotes import EmoteMatcher, EmoteSpan, parse_inclusive_ranges
from dougchat_assets.chat.formats import ChatContext, ChatFormat, ExportMetadata
from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, ReadReport
from dougchat_assets.chat.msgtypes import notice_type, server_notice_type
from dougchat_assets.chat.rows import BatchBuilder
from dougchat_assets.chat.schema import MsgType
from dougchat_assets.chat.textio import iter_text_lines
from dougchat_assets.errors import InputError

PARSER_NAME = "irc"
PARSER_VERSION = "1.1"  # 1.1: lines capped at max_line_bytes, bodies at max_message_chars

EVENT_COMMANDS = frozenset({"PRIVMSG", "USERNOTICE", "CLEARCHAT", "CLEARMSG"})
_COMMAND = re.compile(r"^(?:[A-Z]+|\d{3})$")  # tmi.twitch.tv sends commands in upper case
_LOGGER_STAMP = re.compile(r"^\[[^\]]{1,40}\] +(?=[@:A-Z])")
_TAG_ESCAPE = re.compile(r"\\(.?)", re.DOTALL)
_TAG_ESCAPES = {"s": " ", ":": ";", "\\": "\\", "r": "\r", "n": "\n"}
_ACTION_PREFIX = "\x01ACTION "


def unescape_tag(value: str) -> str:
    """IRCv3 tag value unescaping: ``\\s`` space, ``\\:`` ``;``, ``\\\\``, ``\\r``, ``\\n``; others drop the backslash."""
    if "\\" not in value:
        return value
    return _TAG_ESCAPE.sub(lambda m: _TAG_ESCAPES.get(m.group(1), m.group(1)), value)


def parse_tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in text.split(";"):
        if item:
            key, _, value = item.partition("=")
            tags[key] = unescape_tag(value)
    return tags


def split_line(line: str) -> tuple[dict[str, str], str | None, str, str, str | None] | None:
    """(tags, prefix, command, middle params, trailing) of an IRC line; None if it is not IRC."""
    text = line
    if text.startswith("["):
        stamp = _LOGGER_STAMP.match(text)
        if stamp:
            text = text[stamp.end() :]
    tags: dict[str, str] = {}
    if text.startswith("@"):
        space = text.find(" ")
        if space < 0:
            return None
        tags = parse_tags(text[1:space])
        text = text[space + 1 :].lstrip(" ")
    prefix = None
    if text.startswith(":"):
        space = text.find(" ")
        if space < 0:
            return None
        prefix = text[1:space]
        text = text[space + 1 :].lstrip(" ")
    command, _, params = text.partition(" ")
    if not _COMMAND.match(command):
        return None
    trailing = None
    if params.startswith(":"):
        middle, trailing = "", params[1:]
    else:
        cut = params.find(" :")
        if cut >= 0:
            middle, trailing = params[:cut], params[cut + 2 :]
        else:
            middle = params
    return tags, prefix, command, middle, trailing


def emote_tag_spans(body: str, value: str) -> list[EmoteSpan]:
    """Spans from ``emotes=25:0-4,12-16/1902:6-10`` (end inclusive, code points)."""
    spans: list[EmoteSpan] = []
    for group in value.split("/"):
        emote_id, sep, ranges = group.partition(":")
        if sep and emote_id:
            spans.extend(parse_inclusive_ranges(body, emote_id, ranges.split(",")))
    return spans


def _badges(tags: dict[str, str]) -> list[str] | None:
    value = tags.get("badges")
    if value is None:
        return None
    return [badge for badge in value.split(",") if badge]


def iter_batches(
    path: Path, context: ChatContext, batch_size: int, limits: ReaderLimits = DEFAULT_LIMITS, report: ReadReport | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream the log's chat events (``source_line`` = 1-based line)."""
    builder = BatchBuilder(context.vod_id, path.name, ChatFormat.IRC, batch_size, limits.max_batch_bytes)
    report = report if report is not None else ReadReport(max_message_chars=limits.max_message_chars)
    max_chars = report.max_message_chars
    match_emotes = EmoteMatcher(context.extra_emotes).match
    for number, text in iter_text_lines(path, limits):
        if not text.strip():
            continue
        parts = split_line(text)
        if parts is None:
            raise InputError(path, f"not an IRC line: {text[:80]!r}", line=number)
        tags, prefix, command, middle, trailing = parts
        stamp = tags.get("tmi-sent-ts")
        if stamp is None:
            if command in EVENT_COMMANDS:
                raise InputError(path, f"{command} without a tmi-sent-ts tag: cannot place it in time", line=number, field="tmi-sent-ts")
            continue
        if command not in EVENT_COMMANDS and command != "NOTICE":
            continue
        stamp = stamp.strip()
        if not stamp.isdigit() or not stamp.isascii():
            raise InputError(path, f"bad tmi-sent-ts {stamp!r} (expected epoch milliseconds)", line=number, field="tmi-sent-ts")
        sent = int(stamp)
        login = tags.get("login") or (prefix.split("!", 1)[0] if prefix and "!" in prefix else None)
        display = (tags.get("display-name") or "").strip() or None
        user_id = tags.get("user-id") or None
        native_id = tags.get("id") or None
        badges = _badges(tags)
        target = target_id = None
        native: list[EmoteSpan] | None = None
        if command == "PRIVMSG":
            body = trailing or ""
            if body.startswith(_ACTION_PREFIX):
                body = body[len(_ACTION_PREFIX) :].removesuffix("\x01")
            msg_type = notice_type(tags.get("msg-id"), body)
        elif command == "USERNOTICE":
            body = trailing if trailing is not None else tags.get("system-msg", "")
            msg_type = notice_type(tags.get("msg-id") or "notice", body)
        elif command == "CLEARCHAT":
            body = ""
            target = (trailing or "").strip() or None
            if target is None:
                msg_type = MsgType.MOD_ACTION  # /clear
            else:
                msg_type = MsgType.TIMEOUT if tags.get("ban-duration") else MsgType.MOD_ACTION
            login = display = user_id = None  # CLEARCHAT names only the target
            badges = None
        elif command == "CLEARMSG":
            body = trailing or ""
            target = tags.get("login") or None
            target_id = tags.get("target-msg-id") or None
            msg_type = MsgType.DELETION
            login = display = user_id = None
        else:  # NOTICE with a timestamp
            body = trailing or ""
            msg_type = server_notice_type(tags.get("msg-id"))
            login = display = user_id = None
        if len(body) > max_chars:
            body = report.clip(body, number)
        emotes = tags.get("emotes")
        if emotes and command in ("PRIVMSG", "USERNOTICE") and trailing is not None:
            native = emote_tag_spans(body, emotes)
        spans, emote_only = match_emotes(body, native)
        if builder.add(
            number, sent, None, native_id, user_id, login, display, body, msg_type, spans, emote_only, badges, target, target_id,
            size=len(text),
        ):
            yield builder.flush()
    if len(builder):
        yield builder.flush()
    if builder.total_rows == 0:
        raise InputError(path, "the log has zero chat messages (no PRIVMSG/USERNOTICE/CLEARCHAT/CLEARMSG with tmi-sent-ts)")


def read_metadata(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> ExportMetadata:
    """Raw IRC says nothing about the VOD itself."""
    return ExportMetadata.nothing_known(ChatFormat.IRC, PARSER_NAME, PARSER_VERSION)
