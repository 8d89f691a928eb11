"""Which chat export a file is, decided from its first 64 KiB (decompressed), never its name.

A VOD folder's chat file may be called ``chat.txt`` or ``export.bin``; the ingest layer also
asks this about every unknown file (a video included), so only the head is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dougchat_assets.chat.formats import ChatFormat
from dougchat_assets.chat.textio import UTF8_BOM, encoding_problem, read_head
from dougchat_assets.errors import InputError

HEAD_BYTES = 1 << 16
_TD_KEYS = frozenset({"FileInfo", "streamer", "video", "comments", "embeddedData"})
_CD_KEYS = frozenset({"message_id", "message", "timestamp", "time_in_seconds", "time_text", "author", "message_type", "action_type"})
_WS = re.compile(r"[ \t\r\n]*")
_IRC_LINE = re.compile(r"^(?:\[[^\]]{1,40}\] +)?(?:@\S+ +:\S+ +[A-Z]+\b|:\S+ +(?:[A-Z]+|\d{3})\b|(?:PING|PONG)\b)")
_CHATTERINO_LINE = re.compile(
    r"^(?:# (?:Start|Stop) logging at \d{4}-\d{2}-\d{2} |\[(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?\]\s)"
)
_decode = json.JSONDecoder().raw_decode


def _first_object_keys(text: str, start: int) -> list[str]:
    """Top-level keys of the object at ``start``, as far as the head holds them."""
    keys: list[str] = []
    pos = _WS.match(text, start + 1).end()
    try:
        while pos < len(text) and text[pos] == '"':
            key, pos = _decode(text, pos)
            keys.append(key)
            pos = _WS.match(text, pos).end()
            if text[pos : pos + 1] != ":":
                break
            pos = _WS.match(text, pos + 1).end()
            _, pos = _decode(text, pos)
            pos = _WS.match(text, pos).end()
            if text[pos : pos + 1] != ",":
                break
            pos = _WS.match(text, pos + 1).end()
    except (json.JSONDecodeError, IndexError):
        pass  # the head ends inside a value: judge by the keys seen so far
    return keys


def _unknown(path: Path, why: str, line: int | None = None) -> InputError:
    return InputError(
        path,
        f"unknown chat format: {why} (expected TwitchDownloader JSON, chat-downloader JSON/JSONL, "
        "a Chatterino log or a raw Twitch IRC log)",
        line=line,
    )


def detect_format(path: Path) -> ChatFormat:
    """Sniff the content of ``path`` (gunzipped if it starts with the gzip magic).

    Raises :class:`InputError` for a missing, empty, non-UTF-8 or unrecognised file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "not a file")
    head = read_head(path, HEAD_BYTES)
    if head.startswith(UTF8_BOM):
        head = head[3:]
    elif (problem := encoding_problem(head)) is not None:
        raise InputError(path, problem, line=1)
    text = head.decode("utf-8", "replace")
    start = _WS.match(text).end()
    if start >= len(text):
        raise InputError(path, "the file is empty (no chat messages)")
    first = text[start]
    if first == "{":
        keys = _first_object_keys(text, start)
        if _TD_KEYS.intersection(keys):
            return ChatFormat.TWITCHDOWNLOADER
        if _CD_KEYS.intersection(keys):
            return ChatFormat.CHAT_DOWNLOADER  # JSON Lines
        raise _unknown(path, f"a JSON object with keys {keys[:8]}")
    if first == "[":
        pos = _WS.match(text, start + 1).end()
        if text[pos : pos + 1] == "]":
            raise InputError(path, "an empty JSON array: the export has zero chat messages")
        if text[pos : pos + 1] == "{":
            keys = _first_object_keys(text, pos)
            if _CD_KEYS.intersection(keys):
                return ChatFormat.CHAT_DOWNLOADER
            raise _unknown(path, f"a JSON array of objects with keys {keys[:8]}")
        if not _CHATTERINO_LINE.match(text[start:]):
            raise _unknown(path, "a JSON array that does not hold message objects")
    lines = text.split("\n")
    if len(head) >= HEAD_BYTES and len(lines) > 1:
        lines.pop()  # possibly cut
    for number, line in enumerate(lines, start=1):
        line = line.lstrip("\ufeff").rstrip("\r")
        if not line.strip():
            continue
        if _IRC_LINE.match(line):
            return ChatFormat.IRC
        if _CHATTERINO_LINE.match(line):
            return ChatFormat.CHATTERINO
        raise _unknown(path, f"line {number} starts with {line[:60]!r}", line=number)
    raise InputError(path, "the file is empty (no chat messages)")
