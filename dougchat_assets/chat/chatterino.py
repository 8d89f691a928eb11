"""Chatterino text logs: ``[HH:mm:ss] login: text`` lines under ``# Start logging at ...`` headers.

Lines carry only a wall-clock time.  The date comes from the latest ``# Start logging at
YYYY-MM-DD HH:mm:ss ZONE`` header, else from a date in the file name
(``dougdoug-2024-03-02.log``), else from the VOD start in ``vod.json``; the zone from the
header, else ``chat_timezone`` in ``vod.json``; failing those the log cannot be placed in
time and an :class:`InputError` says what to add.  A time more than an hour before the
previous one means midnight has passed (per-stream logs span days); smaller steps back
(DST, reordering) do not.

System lines (timeouts, bans, deletions, subs, raids, mode changes) are recognised by
Chatterino's wording; anything else without a ``login:`` is kept as a notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

import pyarrow as pa

from dougchat_assets.chat.emotes import EmoteMatcher
from dougchat_assets.chat.formats import ChatContext, ChatFormat, ExportMetadata
from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, ReadReport
from dougchat_assets.chat.msgtypes import user_message_type
from dougchat_assets.chat.rows import BatchBuilder
from dougchat_assets.chat.schema import MsgType
from dougchat_assets.chat.textio import iter_text_lines
from dougchat_assets.chat.timeparse import resolve_timezone
from dougchat_assets.errors import InputError

PARSER_NAME = "chatterino"
PARSER_VERSION = "1.1"  # 1.1: lines capped at max_line_bytes, bodies at max_message_chars

ROLLOVER_TOLERANCE_S = 3600  # a step back larger than this is the next day

HEADER = re.compile(r"^# (Start|Stop) logging at (\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})(?: +(.*?))?\s*$")
LINE = re.compile(
    r"^\[(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?\]\s+(.*)$", re.DOTALL
)
# "login: text" or "LocalizedName login: text" (Chatterino writes a localized, non-Latin
# display name before the login).  The name's bounded repeats keep a failed match linear: with
# unbounded ``\S*`` on both sides, a long line of non-ASCII letters backtracked quadratically
# (2 s for 20k characters).  Twitch display names are at most 25 characters.
USER_LINE = re.compile(r"^(?:(\S{0,40}[^\x00-\x7f]\S{0,40}) )?([A-Za-z0-9_]{1,25}): (.*)$", re.DOTALL)
FILE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

_NAME = r"(\S+)"
# (pattern, msg_type, group of the acting user or 0, group of the target user or 0)
SYSTEM_LINES: list[tuple[re.Pattern[str], str, int, int]] = [
    (re.compile(rf"^{_NAME} has been timed out(?: for .+)?\.?(?: \(\d+ times?\))?$"), MsgType.TIMEOUT, 0, 1),
    (re.compile(rf"^{_NAME} timed out {_NAME} for .+$"), MsgType.TIMEOUT, 1, 2),
    (re.compile(rf"^{_NAME} has been (?:permanently )?banned\b.*$"), MsgType.MOD_ACTION, 0, 1),
    (re.compile(rf"^{_NAME} (?:permanently )?banned ([^\s:.]+)[:.]?.*$"), MsgType.MOD_ACTION, 1, 2),
    (re.compile(rf"^{_NAME} (?:unbanned|untimedout|un-timed out|removed the timeout on) ([^\s:.]+)\.?.*$"), MsgType.MOD_ACTION, 1, 2),
    (re.compile(rf"^A message from {_NAME} was deleted(?:: .*)?$", re.DOTALL), MsgType.DELETION, 0, 1),
    (re.compile(rf"^{_NAME} deleted message from {_NAME}(?: saying: .*)?$", re.DOTALL), MsgType.DELETION, 1, 2),
    (re.compile(r"^Chat has been cleared by a moderator\.?$"), MsgType.MOD_ACTION, 0, 0),
    (re.compile(rf"^{_NAME} cleared the chat\.?$"), MsgType.MOD_ACTION, 1, 0),
    (re.compile(r"^This room is (?:now|no longer) in .*mode.*$"), MsgType.MOD_ACTION, 0, 0),
    (re.compile(rf"^{_NAME} (?:turned|has turned|enabled|disabled) .*mode.*$"), MsgType.MOD_ACTION, 1, 0),
    (re.compile(rf"^{_NAME} subscribed (?:at Tier \d|with (?:Twitch )?Prime)\b.*$"), MsgType.SUB, 1, 0),
    (re.compile(rf"^{_NAME} (?:gifted|is gifting) .*(?:[Ss]ub|[Ss]ubs)\b.*$"), MsgType.SUB, 1, 0),
    (re.compile(r"^An anonymous (?:user|gifter) (?:gifted|is gifting) .*$"), MsgType.SUB, 0, 0),
    (re.compile(rf"^{_NAME} (?:converted from a|is continuing the Gift Sub|is paying forward the Gift Sub|extended their) .*$"), MsgType.SUB, 1, 0),
    (re.compile(rf"^{_NAME} is raiding with a party of \d+.*$"), MsgType.RAID, 1, 0),
    (re.compile(rf"^\d+ raiders from {_NAME} have joined.*$"), MsgType.RAID, 1, 0),
]
_ASCII_NAME = re.compile(r"[A-Za-z0-9_]{1,25}")


def _login(name: str | None) -> str | None:
    """Logins are lowercase ASCII; a display name in other case maps to its login, others to None."""
    if name is None:
        return None
    name = name.rstrip(".,:!")
    return name.lower() if _ASCII_NAME.fullmatch(name) else None


def classify_system_line(text: str) -> tuple[str, str | None, str | None]:
    """(msg_type, acting user login, target user login) of a line that is not ``login: text``."""
    for pattern, msg_type, actor, target in SYSTEM_LINES:
        match = pattern.match(text)
        if match:
            return msg_type, _login(match.group(actor)) if actor else None, _login(match.group(target)) if target else None
    return MsgType.NOTICE, None, None


class _Clock:
    """Turns ``[HH:mm:ss]`` into UTC epoch ms while walking the log (date, zone, rollover)."""

    def __init__(self, path: Path, context: ChatContext) -> None:
        self.path = path
        self.context = context
        self.zone: tzinfo | None = None
        self.day: date | None = None
        self.prev: int | None = None  # seconds of day of the previous line
        self.anchor_pending = False  # the day came from the VOD start: settle it on the first line
        name_date = FILE_DATE.search(path.name)
        self.file_day = None
        if name_date:
            try:
                self.file_day = date(*map(int, name_date.groups()))
            except ValueError:
                self.file_day = None

    def header(self, number: int, match: re.Match[str]) -> None:
        kind, year, month, day, hour, minute, second, zone_text = match.groups()
        if kind == "Stop":
            return
        try:
            self.day = date(int(year), int(month), int(day))
        except ValueError:
            raise InputError(self.path, f"bad date in the log header: {match.group(0)!r}", line=number, field="date") from None
        self.zone = None
        if zone_text:
            try:
                self.zone = resolve_timezone(zone_text)
            except ValueError as error:
                if not self.context.timezone:
                    raise InputError(
                        self.path, f"{error}; or set chat_timezone in vod.json", line=number, field="time zone"
                    ) from None
        self.prev = int(hour) * 3600 + int(minute) * 60 + int(second)
        self.anchor_pending = False

    def _zone(self) -> tzinfo:
        if self.zone is None:
            if not self.context.timezone:
                raise InputError(
                    self.path,
                    "the log has no time zone in a '# Start logging at' header: add \"chat_timezone\" "
                    "(an IANA name such as \"America/New_York\" or an offset such as \"-05:00\") to vod.json",
                    field="time zone",
                )
            try:
                self.zone = resolve_timezone(self.context.timezone)
            except ValueError as error:
                raise InputError(self.path, f"chat_timezone from vod.json: {error}", field="chat_timezone") from None
        return self.zone

    def _start_day(self, number: int) -> date:
        if self.file_day is not None:
            return self.file_day
        if self.context.started_at_utc_ms is not None:
            self.anchor_pending = True
            return datetime.fromtimestamp(self.context.started_at_utc_ms / 1000, self._zone()).date()
        raise InputError(
            self.path,
            "the log has no '# Start logging at' header and no date in its file name: "
            "add \"started_at\" to vod.json so the log's times can be dated",
            line=number,
            field="date",
        )

    def utc_ms(self, number: int, match: re.Match[str]) -> int:
        year, month, day, hour, minute, second, ampm = match.groups()[:7]
        h, m, s = int(hour), int(minute), int(second or 0)
        if ampm:
            if not 1 <= h <= 12:
                raise InputError(self.path, f"bad time [{match.group(0).split(']')[0][1:]}]", line=number, field="time")
            h = h % 12 + (12 if ampm.lower() == "pm" else 0)
        if h > 23 or m > 59 or s > 59:
            raise InputError(self.path, f"bad time [{match.group(0).split(']')[0][1:]}]", line=number, field="time")
        secs = h * 3600 + m * 60 + s
        zone = self._zone()
        if year:
            try:
                self.day = date(int(year), int(month), int(day))
            except ValueError:
                raise InputError(self.path, "bad date in the line's timestamp", line=number, field="date") from None
            self.anchor_pending = False
        elif self.day is None:
            self.day = self._start_day(number)
        elif self.prev is not None and secs < self.prev - ROLLOVER_TOLERANCE_S:
            self.day += timedelta(days=1)
        self.prev = secs
        if self.anchor_pending:
            # The day is the VOD start's local date; the first line may belong to the day before
            # or after (stream started near midnight): take whichever lies closest to the start.
            self.anchor_pending = False
            start_ms = self.context.started_at_utc_ms
            self.day = min(
                (self.day + timedelta(days=shift) for shift in (-1, 0, 1)),
                key=lambda d: abs(self._to_ms(d, h, m, s, zone) - start_ms),
            )
        return self._to_ms(self.day, h, m, s, zone)

    @staticmethod
    def _to_ms(day: date, h: int, m: int, s: int, zone: tzinfo) -> int:
        return int(datetime(day.year, day.month, day.day, h, m, s, tzinfo=zone).timestamp()) * 1000


def iter_batches(
    path: Path, context: ChatContext, batch_size: int, limits: ReaderLimits = DEFAULT_LIMITS, report: ReadReport | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream the log's messages (``source_line`` = 1-based line)."""
    builder = BatchBuilder(context.vod_id, path.name, ChatFormat.CHATTERINO, batch_size, limits.max_batch_bytes)
    report = report if report is not None else ReadReport(max_message_chars=limits.max_message_chars)
    max_chars = report.max_message_chars
    match_emotes = EmoteMatcher(context.extra_emotes).match
    clock = _Clock(path, context)
    for number, text in iter_text_lines(path, limits):
        if not text.strip():
            continue
        line = LINE.match(text)
        if line is None:
            header = HEADER.match(text)
            if header is not None:
                clock.header(number, header)
                continue
            if text.startswith("# "):
                continue  # other comment lines
            raise InputError(path, f"not a Chatterino log line (expected '[HH:mm:ss] ...'): {text[:80]!r}", line=number)
        sent = clock.utc_ms(number, line)
        rest = line.group(8)
        user = USER_LINE.match(rest)
        target = None
        if user is not None:
            localized, name, body = user.groups()
            login = name.lower()
            display = localized or (name if name != login else None)
            msg_type = user_message_type(body)
        else:
            body = rest
            msg_type, login, target = classify_system_line(rest)
            display = None
        if len(body) > max_chars:
            body = report.clip(body, number)
        spans, emote_only = match_emotes(body)
        if builder.add(
            number, sent, None, None, None, login, display, body, msg_type, spans, emote_only, None, target, None, size=len(text)
        ):
            yield builder.flush()
    if len(builder):
        yield builder.flush()
    if builder.total_rows == 0:
        raise InputError(path, "the log has zero chat messages")


def read_metadata(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> ExportMetadata:
    """Chatterino logs say nothing about the VOD itself."""
    return ExportMetadata.nothing_known(ChatFormat.CHATTERINO, PARSER_NAME, PARSER_VERSION)
