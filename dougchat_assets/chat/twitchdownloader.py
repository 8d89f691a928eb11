"""TwitchDownloader JSON exports (lay295/TwitchDownloader; plain or gzip).

The file is one JSON object: ``FileInfo``, ``streamer``, ``video``, ``comments`` (the bulk)
and ``embeddedData`` (images).  The head is decoded whole (it is small), ``comments`` is
streamed, and nothing after it is read: every chat message is in ``comments``, and
``embeddedData`` can be tens of MB of base64 images.  Comments of a minified export (what
TwitchDownloader writes) are decoded ~2,000 at a time by :mod:`~dougchat_assets.chat.bulkjson`;
anything else (pretty-printed files, broken JSON, the last comments) goes through the general
:mod:`~dougchat_assets.chat.jsonstream` reader, which also words the errors.  Both give the
same :class:`Comment` structs, so the rows cannot depend on the path taken.  Both paths refuse
a comment longer than ``ReaderLimits.max_line_bytes`` and truncate bodies to
``max_message_chars`` (see :mod:`~dougchat_assets.chat.limits`).

Known quirk: since 2025 some exports write comment ``created_at`` in the downloader's local
time but label it UTC.  :func:`clock_correction_ms` detects it by comparing each comment's
``created_at - content_offset_seconds`` with ``video.created_at`` (they should agree within a
second or so) and, when they differ by a whole number of quarter hours (> 30 min: the time
zones in use), corrects every comment by that amount.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from dougchat_assets.chat.bulkjson import BulkArrayReader
from dougchat_assets.chat.emotes import EmoteMatcher, EmoteSpan, clean_native_spans
from dougchat_assets.chat.formats import ChatContext, ChatFormat, ExportMetadata
from dougchat_assets.chat.jsonstream import JsonStream
from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, ReadReport
from dougchat_assets.chat.msgtypes import notice_type
from dougchat_assets.chat.rows import MsgIdHasher, make_batch
from dougchat_assets.chat.schema import MsgType
from dougchat_assets.chat.textio import GZIP_ERRORS, UTF8_BOM, open_binary
from dougchat_assets.chat.timeparse import IsoUtcParser
from dougchat_assets.errors import InputError

PARSER_NAME = "twitchdownloader"
PARSER_VERSION = "1.1"  # 1.1: comments capped at max_line_bytes, bodies at max_message_chars

CLOCK_SAMPLE = 50  # comments compared with video.created_at to detect the local-time quirk
_QUARTER_HOUR_MS = 15 * 60 * 1000
_MIN_SKEW_MS = 30 * 60 * 1000
_SKEW_TOLERANCE_MS = 2 * 60 * 1000  # stream delay and whole-second offsets stay far below this
_HEAD_BYTES = 1 << 22  # the head (FileInfo, streamer, video) must start "comments" within 4 MiB for the fast path
_COMMENTS_KEY = re.compile(rb'"comments"[ \t\r\n]*:[ \t\r\n]*\[')
# A value before "comments" (FileInfo, streamer, video) is a few KB; embeddedData (images, MBs)
# comes after comments and is never read.  A larger head value is refused, not decoded whole.
_HEAD_VALUE_CHARS = 1 << 24


# Only the fields the parser reads; msgspec skips the others without building them.  Types
# stay loose (Any) where exports vary; nested objects are structs so a wrong shape is named.
# gc=False: these never form reference cycles, so the cyclic GC need not track millions of them.
class Commenter(msgspec.Struct, gc=False):
    _id: Any = None
    name: Any = None
    display_name: Any = None


class Emoticon(msgspec.Struct, gc=False):
    emoticon_id: Any = None


class Fragment(msgspec.Struct, gc=False):
    text: Any = None
    emoticon: Emoticon | None = None


class Badge(msgspec.Struct, gc=False):
    _id: Any = None
    version: Any = None


class LegacyEmoticon(msgspec.Struct, gc=False):
    """``message.emoticons`` item: ``begin``/``end`` inclusive (v5 API); recent exports write ``end`` wrong."""

    _id: Any = None
    begin: Any = None
    end: Any = None


class NoticeParams(msgspec.Struct, gc=False):
    msg_id: Any = msgspec.field(name="msg-id", default=None)
    msg_id_legacy: Any = msgspec.field(name="msg_id", default=None)  # exports before TwitchDownloader 1.50


class Message(msgspec.Struct, gc=False):
    body: Any = None
    fragments: list[Fragment] | None = None
    user_badges: list[Badge] | None = None
    user_notice_params: NoticeParams | None = None
    emoticons: list[LegacyEmoticon] | None = None


class Comment(msgspec.Struct, gc=False):
    _id: Any = None
    created_at: Any = None
    content_offset_seconds: Any = None
    commenter: Commenter | None = None
    message: Message | None = None


_COMMENTS_DECODER = msgspec.json.Decoder(list[Comment])


def clock_correction_ms(video_created_at_ms: int | None, samples: list[tuple[int, float]]) -> int:
    """Milliseconds to add to every comment time (0 when the clocks agree or nothing tells).

    ``samples`` are ``(created_at_ms, content_offset_seconds)`` of the first comments.  Their
    ``created_at - offset`` should equal the VOD start; the median difference, when it is
    more than 30 minutes and within 2 minutes of a multiple of 15 minutes, is the
    local-time-written-as-UTC error of the exporter and is removed.
    """
    if video_created_at_ms is None or not samples:
        return 0
    skew = statistics.median_low(created - round(offset * 1000) - video_created_at_ms for created, offset in samples)
    if abs(skew) <= _MIN_SKEW_MS:
        return 0
    quarters = round(skew / _QUARTER_HOUR_MS)
    if abs(skew - quarters * _QUARTER_HOUR_MS) > _SKEW_TOLERANCE_MS:
        return 0
    return -quarters * _QUARTER_HOUR_MS


def _validation_field(index: int, error: msgspec.ValidationError) -> str:
    """``comments[12].message.body`` from msgspec's "... - at `$.message.body`"."""
    text = str(error)
    where = text.rsplit("at `$", 1)[1].rstrip("`") if "at `$" in text else ""
    return f"comments[{index}]{where}"


class _Export:
    """An export opened for reading: its head decoded, its comments streamed as :class:`Comment`."""

    def __init__(self, path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> None:
        self.path = path
        self.limits = limits
        self.parse_time = IsoUtcParser(naive_is_utc=True)
        self.head: dict[str, Any] = {}
        self._fast: tuple[int, bytes] | None = None  # (array start byte, bytes read past it)
        self._handle = open_binary(path, limits)
        try:
            self._read_head()
        except BaseException:
            self._handle.close()
            raise

    def close(self) -> None:
        self._handle.close()

    def _read_head(self) -> None:
        """Find the comments array in the first bytes (fast path) or note that we cannot."""
        try:
            data = self._handle.read(_HEAD_BYTES)
        except GZIP_ERRORS:
            return  # the general reader reports the damage with a position
        skip = 3 if data.startswith(UTF8_BOM) else 0
        for match in _COMMENTS_KEY.finditer(data, skip):
            try:
                head = msgspec.json.decode(data[skip : match.start()] + b'"comments":[]}')
            except (msgspec.MsgspecError, ValueError):
                continue
            if isinstance(head, dict) and head.get("comments") == []:
                head.pop("comments")
                self.head = head
                self._fast = (match.end(), data[match.end() :])
                return

    def comments(self) -> Iterator[tuple[int, list[Comment], int]]:
        """(index of the first, comments, size of their JSON text) runs covering every comment in file order."""
        index = 0
        handover = 0
        opened = False
        max_item = self.limits.max_line_bytes
        if self._fast is not None:
            start, pending = self._fast
            bulk = BulkArrayReader(self.path, self._handle, start, pending, _COMMENTS_DECODER, max_item)
            before = bulk.handover_byte
            for items in bulk:
                yield index, items, bulk.handover_byte - before
                before = bulk.handover_byte
                index += len(items)
            handover, opened = bulk.handover_byte, True
        with JsonStream(self.path, handover, limits=self.limits) as stream:
            if not opened:
                self.head = {}
                if stream.peek() != "{":
                    raise stream.error("a TwitchDownloader export must be a JSON object")
                for key in stream.iter_object_keys("export"):
                    if key == "comments":
                        break
                    self.head[key] = stream.value(key, _HEAD_VALUE_CHARS, f"the export's {key!r} value")
                else:
                    raise InputError(self.path, "no 'comments' array: not a chat export, or an export with zero messages", field="comments")
                if stream.peek() != "[":
                    raise stream.error("'comments' must be an array", field="comments")
            elif index == 0 and stream.peek() == "]":
                return  # "comments":[]
            convert = msgspec.convert
            before = stream.offset
            for item in stream.iter_array("comments", opened=opened, first_index=index, max_item_chars=max_item):
                try:
                    comment = convert(item, Comment)
                except msgspec.ValidationError as error:
                    raise InputError(self.path, f"unexpected value: {error}", field=_validation_field(index, error)) from None
                after = stream.offset
                yield index, [comment], after - before
                before = after
                index += 1

    def first_comments(
        self, runs: Iterator[tuple[int, list[Comment], int]], count: int
    ) -> list[tuple[int, list[Comment], int]]:
        """Take runs until they hold ``count`` comments (for the clock check), keeping them for reuse."""
        taken: list[tuple[int, list[Comment], int]] = []
        total = 0
        for run in runs:
            taken.append(run)
            total += len(run[1])
            if total >= count:
                break
        return taken

    def video(self) -> dict[str, Any]:
        video = self.head.get("video")
        return video if isinstance(video, dict) else {}

    def video_created_ms(self) -> int | None:
        created = self.video().get("created_at")
        if not created:
            return None
        try:
            return self.parse_time(created)
        except (ValueError, TypeError) as error:
            raise InputError(self.path, str(error), field="video.created_at") from None

    def sample(self, runs: list[tuple[int, list[Comment], int]]) -> list[tuple[int, float]]:
        samples = []
        for comment in [c for _, run, _ in runs for c in run][:CLOCK_SAMPLE]:
            offset, created = comment.content_offset_seconds, comment.created_at
            if isinstance(offset, (int, float)) and not isinstance(offset, bool) and isinstance(created, str):
                try:
                    samples.append((self.parse_time(created), float(offset)))
                except ValueError:
                    continue
        return samples


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def read_metadata(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> ExportMetadata:
    """Video id, title, start and duration from the head, plus the clock correction."""
    export = _Export(path, limits)
    runs = export.comments()
    try:
        first = export.first_comments(runs, CLOCK_SAMPLE)  # also decodes the head on the slow path
        video = export.video()
        streamer = export.head.get("streamer") if isinstance(export.head.get("streamer"), dict) else {}
        created = export.video_created_ms()
        correction = clock_correction_ms(created, export.sample(first))
    finally:
        runs.close()
        export.close()
    start, end, length = _number(video.get("start")), _number(video.get("end")), _number(video.get("length"))
    started = None if created is None else created + round((start or 0.0) * 1000)
    duration = end - (start or 0.0) if end is not None and end > (start or 0.0) else length
    video_id = video.get("id")
    title = video.get("title")
    name = streamer.get("name")
    return ExportMetadata(
        format=ChatFormat.TWITCHDOWNLOADER,
        video_id=None if video_id is None else str(video_id),
        title=title if isinstance(title, str) else None,
        started_at_utc_ms=started,
        duration_s=duration,
        parser_name=PARSER_NAME,
        parser_version=PARSER_VERSION,
        channel=name if isinstance(name, str) else None,
        clock_correction_ms=correction,
    )


def _fragment_spans(body: str, fragments: list[Fragment]) -> list[EmoteSpan]:
    """Emote spans from ``message.fragments``: offsets found by walking the fragments through the body."""
    spans: list[EmoteSpan] = []
    pos = 0
    for fragment in fragments:
        text = fragment.text
        if type(text) is not str or not text:
            continue
        start = pos if body.startswith(text, pos) else body.find(text, pos)
        if start < 0:
            continue
        pos = start + len(text)
        emoticon = fragment.emoticon
        if emoticon is not None:
            emote_id = emoticon.emoticon_id
            spans.append((start, pos, None if emote_id is None else str(emote_id), text))
    return spans


def _legacy_emoticon_spans(body: str, emoticons: list[LegacyEmoticon]) -> list[EmoteSpan]:
    """Spans from legacy ``message.emoticons`` (``begin``/``end`` inclusive, v5 API)."""
    spans: list[EmoteSpan] = []
    for item in emoticons:
        if type(item.begin) is int and type(item.end) is int:
            start, end = item.begin, item.end + 1
            if 0 <= start < end <= len(body):
                spans.append((start, end, None if item._id is None else str(item._id), body[start:end]))
    return clean_native_spans(body, spans)


def iter_batches(
    path: Path, context: ChatContext, batch_size: int, limits: ReaderLimits = DEFAULT_LIMITS, report: ReadReport | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream ``comments`` as ``RAW_CHAT_SCHEMA`` batches (0-based comment index as ``source_line``)."""
    export = _Export(path, limits)
    report = report if report is not None else ReadReport(max_message_chars=limits.max_message_chars)
    try:
        yield from _batches(export, context, batch_size, report)
    finally:
        export.close()


def _error(path: Path, index: int, field: str, message: str) -> InputError:
    return InputError(path, message, field=f"comments[{index}].{field}" if field else f"comments[{index}]")


# A time Arrow's ISO-8601 cast and IsoUtcParser read identically (both exact to the ms, both
# reject impossible dates); anything else takes the Python parser, row by row.
_CANONICAL_TIME = r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?Z$"
_UTC_MS = pa.timestamp("ms", tz="UTC")


class _Columns:
    """Column lists of the batch being built.

    Column-wise list comprehensions over a run of ~2,000 decoded comments cost much less
    per comment than one Python loop iteration doing everything, and times are parsed for a
    whole batch at once by Arrow.  Every check that can fail is done per column first and
    only on failure row by row, to name the comment that is wrong.
    """

    def __init__(self, export: _Export, context: ChatContext, correction_ms: int, report: ReadReport) -> None:
        self.path = export.path
        self.report = report
        self.vod_id = context.vod_id
        self.msg_id = MsgIdHasher(context.vod_id, export.path.name)
        self.parse_time = export.parse_time
        self.correction_ms = correction_ms
        self.match = EmoteMatcher(context.extra_emotes).match
        self.badge_text: dict[tuple[Any, Any], str] = {}
        self.total_rows = 0
        self._reset()

    def _reset(self) -> None:
        self.lines: list[int] = []
        self.created: list[Any] = []
        self.cols: list[list[Any]] = [[] for _ in range(11)]

    def __len__(self) -> int:
        return len(self.lines)

    def extend(self, first_index: int, comments: list[Comment]) -> None:
        path = self.path
        messages = [c.message for c in comments]
        if any(m is None for m in messages):
            index = first_index + next(i for i, m in enumerate(messages) if m is None)
            raise _error(path, index, "message", "missing")
        bodies = [m.body for m in messages]
        if not all(type(b) is str for b in bodies):
            bodies = [self._body(first_index + i, m) for i, m in enumerate(messages)]
        report = self.report
        if bodies and max(map(len, bodies)) > report.max_message_chars:
            bodies = [report.clip(b, first_index + i) for i, b in enumerate(bodies)]
        offsets = [c.content_offset_seconds for c in comments]
        if not all(o is None or type(o) is float or type(o) is int for o in offsets):
            index, bad = next((first_index + i, o) for i, o in enumerate(offsets) if not (o is None or type(o) in (int, float)))
            raise _error(path, index, "content_offset_seconds", f"not a number: {bad!r}")
        commenters = [c.commenter for c in comments]
        if all(u is not None for u in commenters):
            user_ids = [u._id for u in commenters]
            logins = [u.name for u in commenters]
            displays = [u.display_name for u in commenters]
        else:
            user_ids = [None if u is None else u._id for u in commenters]
            logins = [None if u is None else u.name for u in commenters]
            displays = [None if u is None else u.display_name for u in commenters]
        if not all(type(u) is str for u in user_ids):
            user_ids = [u if u is None or type(u) is str else str(u) for u in user_ids]
        # TwitchDownloader trims display names; old exports may not
        displays = [(d.strip() or None) if type(d) is str else d for d in displays]
        natives = [
            (_fragment_spans(b, f) if len(f) > 1 or f[0].emoticon is not None else None)
            if f
            else (_legacy_emoticon_spans(b, m.emoticons) if m.emoticons else None)
            for b, f, m in zip(bodies, (m.fragments for m in messages), messages)
        ]
        match = self.match
        emotes = [match(b, n, native_clean=True) for b, n in zip(bodies, natives)]
        badges = [self._badges(m.user_badges) for m in messages]
        chat, command = MsgType.CHAT.value, MsgType.COMMAND.value
        msg_types = [
            (command if b.startswith("!") else chat) if p is None or (p.msg_id is None and p.msg_id_legacy is None)
            else notice_type(p.msg_id if p.msg_id is not None else p.msg_id_legacy, b)
            for b, p in zip(bodies, (m.user_notice_params for m in messages))
        ]
        self.lines.extend(range(first_index, first_index + len(comments)))
        self.created.extend(c.created_at for c in comments)
        for column, values in zip(
            self.cols,
            (
                offsets,
                [c._id for c in comments],
                user_ids,
                logins,
                displays,
                bodies,
                msg_types,
                [e[0] for e in emotes],
                [e[1] for e in emotes],
                badges,
                [None] * len(comments),
            ),
        ):
            column.extend(values)

    def _body(self, index: int, message: Message) -> str:
        if type(message.body) is str:
            return message.body
        if message.body is None and message.fragments:
            return "".join(f.text for f in message.fragments if type(f.text) is str)
        raise _error(self.path, index, "message.body", "missing or not a string")

    def _badges(self, badges: list[Badge] | None) -> list[str] | None:
        if not badges:
            return None if badges is None else []
        texts = []
        cache = self.badge_text
        for badge in badges:
            key = (badge._id, badge.version)
            try:
                text = cache.get(key)
            except TypeError:  # an unhashable id: not worth caching
                text = None
            if text is None:
                text = f"{badge._id}/{badge.version}"
                if len(cache) < 10_000 and isinstance(badge._id, str) and isinstance(badge.version, (str, int, type(None))):
                    cache[key] = text
            texts.append(text)
        return texts

    def _times(self) -> pa.Array:
        """Epoch ms of ``created_at`` plus the clock correction, for the whole batch."""
        created = self.created
        ms = None
        if all(type(c) is str for c in created):
            text = pa.array(created, pa.string())
            if pc.all(pc.match_substring_regex(text, _CANONICAL_TIME)).as_py():
                try:
                    ms = text.cast(_UTC_MS).view(pa.int64())
                except pa.ArrowInvalid:
                    ms = None  # an impossible date: the Python parser names the comment
        if ms is None:
            values = []
            parse = self.parse_time
            for index, value in zip(self.lines, created):
                if value is None:
                    raise _error(self.path, index, "created_at", "missing comment time")
                try:
                    values.append(parse(value))
                except (ValueError, TypeError, IndexError) as error:
                    raise _error(self.path, index, "created_at", f"bad comment time: {error}") from None
            ms = pa.array(values, pa.int64())
        if self.correction_ms:
            ms = pc.add(ms, pa.scalar(self.correction_ms, pa.int64()))
        return ms

    def flush(self) -> pa.RecordBatch:
        sent = self._times()
        offsets, native_ids, user_ids, logins, displays, bodies, msg_types, spans, only, badges, nothing = self.cols
        lines = self.lines
        self._reset()
        self.total_rows += len(lines)
        return make_batch(
            self.vod_id, ChatFormat.TWITCHDOWNLOADER.value, self.path.name, self.msg_id, lines, sent, offsets,
            native_ids, user_ids, logins, displays, bodies, msg_types, spans, only, badges, nothing, nothing,
        )


def _batches(export: _Export, context: ChatContext, batch_size: int, report: ReadReport) -> Iterator[pa.RecordBatch]:
    """Runs of decoded comments -> column lists -> a batch every ``batch_size`` comments.

    A batch is also flushed once the JSON text behind it passes ``max_batch_bytes`` (runs are
    at most about 1 MiB, so a batch stays near that bound even when comments are long).
    """
    runs = export.comments()
    first = export.first_comments(runs, CLOCK_SAMPLE)
    correction = clock_correction_ms(export.video_created_ms(), export.sample(first))
    columns = _Columns(export, context, correction, report)
    max_bytes = export.limits.max_batch_bytes
    pending = 0
    for first_index, run, size in chain(first, runs):
        done = 0
        pending += size
        while done < len(run):
            take = min(len(run) - done, batch_size - len(columns))
            columns.extend(first_index + done, run if take == len(run) else run[done : done + take])
            done += take
            if len(columns) >= batch_size or (done == len(run) and pending >= max_bytes):
                yield columns.flush()
                pending = 0
    if len(columns):
        yield columns.flush()
    if columns.total_rows == 0:
        raise InputError(export.path, "the export has zero chat messages", field="comments")
