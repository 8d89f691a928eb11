"""``vod.json``: the optional metadata file of a VOD folder, parsed and range-checked.

A value that parses is not yet a value that makes sense: ``"duration_s": 1e999`` is valid
JSON (Python reads it as ``inf``) and once ran the whole pipeline to "success" with an
infinite VOD.  So every field is checked for its type *and* its range here, before anything
is copied or written, and an error names the file and the field.

Policy for keys this module does not know: they are **refused**, with the nearest known key
as a hint.  A typo such as ``duraton_s`` would otherwise be ignored silently and the chat
export's value used instead, which is the kind of mistake nobody finds.  Keys starting with
``x_`` are the escape hatch for free-form notes: kept, never read.  ``null`` means "not
given" for every field.
"""

from __future__ import annotations

import difflib
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dougchat_assets.chat.timeparse import resolve_timezone
from dougchat_assets.errors import InputError
from dougchat_assets.settings import validate_vod_id

VOD_JSON = "vod.json"
# A metadata file is a few hundred bytes; a bigger one is a wrong file, not metadata.
MAX_BYTES = 1 << 20
# The longest Twitch broadcast is 48 h; a VOD claiming more is a unit mistake (ms for s).
MAX_DURATION_S = 48 * 3600.0
# Streams predate Twitch (Justin.tv, 2007); anything before 2005 is a wrong date, and a start
# more than a day in the future is a clock or time-zone mistake.
EARLIEST_START = datetime(2005, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)
EXTENSION_PREFIX = "x_"

# Free text fields: maximum length and whether line breaks are allowed.
_TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "title": (1_000, False),
    "channel": (100, False),
    "licence": (10_000, True),
    "license": (10_000, True),
    "usage": (10_000, True),
}
KNOWN_FIELDS = ("vod_id", "title", "started_at", "duration_s", "channel", "licence", "license", "usage", "chat_timezone")


def read_vod_json(path: Path, *, now: datetime | None = None) -> dict:
    """Parse ``path`` and check every field; returns the object with ``null`` fields dropped.

    ``now`` (default: the current time) bounds ``started_at`` from above.
    """
    data = _load_object(path)
    for key in data:
        if key not in KNOWN_FIELDS and not key.startswith(EXTENSION_PREFIX):
            close = difflib.get_close_matches(key, KNOWN_FIELDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                path,
                f"unknown field ({hint}known fields: {', '.join(KNOWN_FIELDS)}; "
                f"prefix free-form notes with {EXTENSION_PREFIX!r})",
                field=key,
            )
    data = {key: value for key, value in data.items() if value is not None}
    if "vod_id" in data:
        validate_vod_id(data["vod_id"], source=path)
    for name, (limit, multiline) in _TEXT_FIELDS.items():
        if name in data:
            check_text(data[name], path, name, limit, multiline=multiline)
    if "started_at" in data:
        check_started_at(data["started_at"], path, now=now)
    if "duration_s" in data:
        check_duration_s(data["duration_s"], path, "duration_s")
    if "chat_timezone" in data:
        zone = check_text(data["chat_timezone"], path, "chat_timezone", 64, multiline=False)
        try:
            resolve_timezone(zone)
        except ValueError as error:
            raise InputError(path, str(error), field="chat_timezone") from None
    return data


def _load_object(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from error
    if len(raw) > MAX_BYTES:
        raise InputError(path, f"larger than {MAX_BYTES // 1024} KiB: not a metadata file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from error
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise InputError(path, f"invalid JSON: {error.msg}", line=error.lineno) from error
    except RecursionError:
        raise InputError(path, "invalid JSON: nested too deeply") from None
    except _DuplicateKey as error:
        raise InputError(path, "given twice (which one is meant?)", field=error.key) from None
    if not isinstance(data, dict):
        raise InputError(path, "must be a JSON object")
    return data


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def check_text(value: object, path: Path, name: str, limit: int, *, multiline: bool) -> str:
    """A non-blank string of at most ``limit`` characters, encodable as UTF-8, without control characters.

    A lone surrogate (``"\\ud800"``) parses as JSON but cannot be stored; a NUL or escape
    sequence in a title ends up in reports and terminals.
    """
    if not isinstance(value, str):
        raise InputError(path, f"must be a string, not {_json_type(value)}", field=name)
    if not value.strip():
        raise InputError(path, "is empty (write null or leave the field out)", field=name)
    if len(value) > limit:
        raise InputError(path, f"too long: {len(value):,} characters (at most {limit:,})", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(path, f"not valid Unicode text ({error.reason} at character {error.start})", field=name) from None
    allowed = "\t\n\r" if multiline else ""
    for index, char in enumerate(value):
        if (ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0) and char not in allowed:
            raise InputError(path, f"control character {char!r} at character {index}", field=name)
    return value


def check_started_at(value: object, path: Path, *, now: datetime | None = None) -> int:
    """An ISO-8601 time with a zone, between 2005 and a day from now; returns epoch ms."""
    text = check_text(value, path, "started_at", 64, multiline=False)
    moment_ms = parse_utc_ms(text, path, "started_at")
    latest = (now or datetime.now(timezone.utc)) + FUTURE_SLACK
    if not EARLIEST_START.timestamp() * 1000 <= moment_ms <= latest.timestamp() * 1000:
        raise InputError(
            path,
            f"{text!r} is out of range: expected a time between {EARLIEST_START:%Y-%m-%d} and {latest:%Y-%m-%d %H:%M} UTC",
            field="started_at",
        )
    return moment_ms


def check_duration_s(value: object, path: Path | str, name: str) -> float:
    """A finite number of seconds, > 0 and at most 48 h; ``true`` is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(path, f"must be a number of seconds, not {_json_type(value)}", field=name)
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(path, f"must be a finite number of seconds, not {value}", field=name)
    if not 0 < value <= MAX_DURATION_S:
        shown = f"{value:.6g}" if isinstance(value, float) or abs(value) < 10**15 else f"a {value.bit_length()}-bit integer"
        raise InputError(
            path, f"{shown} s is out of range: a VOD lasts more than 0 s and at most {MAX_DURATION_S / 3600:.0f} h", field=name
        )
    return float(value)


def parse_utc_ms(text: str, path: Path, field_name: str) -> int:
    """ISO-8601 -> epoch ms; a timestamp without a zone is rejected rather than guessed."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InputError(path, f"not an ISO-8601 time: {text!r}", field=field_name) from error
    if moment.tzinfo is None:
        raise InputError(path, f"time {text!r} has no time zone (write it in UTC with 'Z')", field=field_name)
    try:
        return int(round(moment.astimezone(timezone.utc).timestamp() * 1000))
    except (OverflowError, ValueError) as error:  # year 1 or 9999 with an offset leaves datetime's range
        raise InputError(path, f"time {text!r} is out of range", field=field_name) from error


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(type(value), type(value).__name__)
