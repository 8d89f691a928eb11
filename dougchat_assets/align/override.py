"""Beside the stages, overrides: manual alignment overrides, ``warehouse/overrides/<vod_id>.toml``: THE reader, validator and writer.

The file is the hand-off between a person and the pipeline: the reviewer (``dougchat review``)
writes it, ``offset_curve`` reads it and its curve wins over the estimate.  Both sides go
through this module only, so they accept exactly the same files: a file the reviewer saved
always loads in the pipeline, and a file written by hand or by the pipeline's helpers opens
in the reviewer.

Two ways to give the curve (exactly one per file)::

    vod_id = "demo_01"                  # optional; when present it must be the file's VOD
    reviewer = "alice"                  # optional metadata, carried into the manifest
    saved_at = "2026-03-05T12:00:00Z"   # a string or a TOML date-time
    note = "free text"

    [global]
    offset_s = -161.2     # audio_s = (chat_utc_ms - started_at_utc_ms) / 1000 + offset_s

or a full curve (the estimator's knot contract, see curve.py; a jump is two knots 1 ms apart)::

    [[knots]]
    chat_utc_ms = 1772478161900
    audio_s = 0.0

    [[knots]]
    chat_utc_ms = 1772481761900
    audio_s = 3600.0

plus optional notes on stretches of chat the reviewer distrusts::

    [[flags]]
    chat_utc_ms_start = 1772478500000
    chat_utc_ms_end = 1772478560000
    note = "ad break: chat talks about the ad"

Validation happens in two layers, each error an :class:`InputError` naming the file (or the
request) and the field:

* on its own: known keys only (a typo must not silently drop a reviewer's decision), types,
  finite numbers, chat times that are epoch milliseconds (2000-2100: seconds or microseconds
  are a unit slip), knots strictly increasing in chat time, at most :data:`MAX_KNOTS` knots,
  flags with start < end, strings that are valid Unicode and not huge;
* against the VOD (:class:`OverrideBounds`, when the caller knows it): every ``audio_s`` within
  the audio (with :data:`AUDIO_SLACK_S`), every chat time within the VOD's span or its chat
  (with :data:`CHAT_SLACK_MS`), and a global offset whose curve meets the audio.

Both layers run on read *and* on write, so a value that would later break the curve maths
(``audio_s = 1e308`` made ``offset_curve`` die in ``numpy.arange``) never reaches a file, and a
file edited by hand into such a state stops ``offset_curve`` with the file and field named.
"""

from __future__ import annotations

import math
import os
import re
import reprlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import tomli_w

from dougchat_assets.align.result import Knot
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_path
from dougchat_assets.settings import validate_vod_id

MAX_KNOTS = 10_000
MAX_FLAGS = 10_000
MAX_NOTE_CHARS = 4_000
MAX_REVIEWER_CHARS = 100
MAX_SAVED_AT_CHARS = 64
MAX_FILE_BYTES = 4 * 1024 * 1024  # 10,000 knots take about 0.6 MB
# How far outside the audio a knot may sit: a reviewer shifts the whole curve when an estimate
# is off, which moves the knot at audio 0 below zero; ten minutes is the late-start range.
AUDIO_SLACK_S = 600.0
# How far outside the VOD's span (start .. start + audio length, widened to its chat) a chat
# time may sit: the same hour of slack as the raw_chat `chat_within_vod_span` check.
CHAT_SLACK_MS = 3_600_000
# Without a VOD to compare with, audio positions beyond a week are nonsense (Twitch VODs end at 48 h).
MAX_AUDIO_S = 7 * 86_400.0
# Chat times outside 2000-01-01 .. 2100-01-01 are a unit mistake (seconds, or microseconds).
MIN_UTC_MS = 946_684_800_000
MAX_UTC_MS = 4_102_444_800_000

_TOP_KEYS = frozenset({"vod_id", "reviewer", "saved_at", "note", "global", "knots", "flags"})
_GLOBAL_KEYS = frozenset({"offset_s"})
_KNOT_KEYS = frozenset({"chat_utc_ms", "audio_s"})
_FLAG_KEYS = frozenset({"chat_utc_ms_start", "chat_utc_ms_end", "note"})
_LINE_RE = re.compile(r"line (\d+)")
_SHOW = reprlib.Repr()
_SHOW.maxstring = 60
_SHOW.maxother = 60
_SHOW.maxlevel = 2


def _show(value: object) -> str:
    """A short, ASCII-safe rendering of a bad value for an error message (it may be huge or hostile)."""
    return _SHOW.repr(value).encode("ascii", "backslashreplace").decode("ascii")


@dataclass(frozen=True)
class Flag:
    """A chat-time stretch the reviewer doubts, with why (becomes a ``reviewer_flag`` uncertain span)."""

    chat_utc_ms_start: int
    chat_utc_ms_end: int
    note: str = ""


@dataclass(frozen=True)
class Override:
    """A reviewer's curve: either a global ``offset_s`` or explicit ``knots``, plus flags and who/when.

    ``source`` is the file it was read from (not part of the file, not compared).
    """

    knots: tuple[Knot, ...] = ()
    offset_s: float | None = None
    flags: tuple[Flag, ...] = ()
    vod_id: str | None = None
    reviewer: str | None = None
    saved_at: str | None = None
    note: str = ""
    source: str = field(default="", compare=False)

    def to_knots(self, started_at_utc_ms: int | None, audio_duration_s: float | None = None) -> list[Knot]:
        """The override as knots.

        A global offset becomes a slope-1 line through ``(started_at, offset_s)``; with the audio
        length known its two knots sit where the line meets audio 0 and the audio's end (so they
        stay inside the audio), otherwise at the VOD start and an hour later.
        """
        if self.knots:
            return list(self.knots)
        if self.offset_s is None:
            raise InputError(self.source or "override", "needs either [global] offset_s or [[knots]]", field="global")
        if started_at_utc_ms is None:
            raise InputError(
                self.source or "override",
                "a global offset_s needs the VOD's started_at (its metadata has none); give [[knots]] instead",
                field="global.offset_s",
            )
        return _offset_knots(float(self.offset_s), int(started_at_utc_ms), audio_duration_s)

    def to_dict(self) -> dict[str, Any]:
        """The file's content in its fixed key order (tomli_w keeps insertion order: same review, same bytes)."""
        data: dict[str, Any] = {}
        for key in ("vod_id", "reviewer", "saved_at"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.note:
            data["note"] = self.note
        if self.knots:
            data["knots"] = [{"chat_utc_ms": int(k.chat_utc_ms), "audio_s": float(k.audio_s)} for k in self.knots]
        elif self.offset_s is not None:
            data["global"] = {"offset_s": float(self.offset_s)}
        if self.flags:
            data["flags"] = [
                {"chat_utc_ms_start": f.chat_utc_ms_start, "chat_utc_ms_end": f.chat_utc_ms_end, "note": f.note}
                for f in sorted(self.flags, key=lambda f: (f.chat_utc_ms_start, f.chat_utc_ms_end, f.note))
            ]
        return data


def _offset_knots(offset_s: float, started_at_utc_ms: int, audio_duration_s: float | None) -> list[Knot]:
    if audio_duration_s is not None and math.isfinite(audio_duration_s) and audio_duration_s > 0:
        ends = (0.0, float(audio_duration_s))
        return [Knot(started_at_utc_ms + round((a - offset_s) * 1000.0), a, 0, 1.0, "override") for a in ends]
    return [
        Knot(started_at_utc_ms, offset_s, 0, 1.0, "override"),
        Knot(started_at_utc_ms + 3_600_000, offset_s + 3600.0, 0, 1.0, "override"),
    ]


@dataclass(frozen=True)
class OverrideBounds:
    """What one VOD allows an override to name; ``None`` fields are unknown and not checked.

    Built from the same warehouse facts on both sides (``vods.started_at_utc_ms``,
    ``vod_audio.duration_s``, the first and last ``raw_chat`` time), so the reviewer and the
    pipeline judge a file alike.
    """

    started_at_utc_ms: int | None = None
    audio_duration_s: float | None = None
    chat_first_ms: int | None = None
    chat_last_ms: int | None = None

    @property
    def audio_range_s(self) -> tuple[float, float] | None:
        d = self.audio_duration_s
        if d is None or not math.isfinite(d) or d < 0:
            return None
        return -AUDIO_SLACK_S, float(d) + AUDIO_SLACK_S

    @property
    def chat_range_ms(self) -> tuple[int, int] | None:
        """The VOD's span (start .. start + audio length) widened to its chat, plus the slack."""
        points = [t for t in (self.chat_first_ms, self.chat_last_ms) if t is not None]
        if self.started_at_utc_ms is not None:
            points.append(self.started_at_utc_ms)
            audio = self.audio_range_s
            if audio is not None:
                points.append(self.started_at_utc_ms + round((audio[1] - AUDIO_SLACK_S) * 1000.0))
        if not points:
            return None
        return int(min(points)) - CHAT_SLACK_MS, int(max(points)) + CHAT_SLACK_MS


def override_path(overrides_dir: str | Path, vod_id: str) -> Path:
    """``<overrides_dir>/<vod_id>.toml``; an unsafe id is an InputError (it becomes a file name)."""
    return Path(overrides_dir) / f"{validate_vod_id(vod_id)}.toml"


# -- field validators ---------------------------------------------------------------------------


def _table(source: str, value: Any, allowed: frozenset[str], where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(source, f"must be a table, got {_show(value)}", field=where or None)
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise InputError(
            source,
            f"unknown key(s) {', '.join(_show(k)[1:-1] for k in unknown)}; allowed: {', '.join(sorted(allowed))}",
            field=prefix + _show(unknown[0])[1:-1],
        )
    return value


def _array(source: str, value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(source, f"must be an array of tables [[{where}]], got {_show(value)}", field=where)
    if len(value) > limit:
        raise InputError(source, f"{len(value)} entries, more than the {limit} allowed", field=where)
    return value


def _required(source: str, table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise InputError(source, f"missing {key}", field=f"{where}.{key}")
    return table[key]


def _seconds(source: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(source, f"must be a finite number of seconds, got {_show(value)}", field=where)
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise InputError(source, f"must be a finite number of seconds, got {_show(value)}", field=where)
    if abs(number) > MAX_AUDIO_S:
        raise InputError(source, f"{number:g} s is not a position in any VOD's audio (limit {MAX_AUDIO_S:g} s)",
                         field=where)
    return number


def _utc_ms(source: str, value: Any, where: str) -> int:
    # bool is an int subclass; a float like 1.7e12 is a unit or rounding slip.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(source, f"must be an integer of UTC epoch milliseconds, got {_show(value)}", field=where)
    if not MIN_UTC_MS <= value <= MAX_UTC_MS:
        raise InputError(
            source, f"{_show(value)} is not a UTC epoch time in milliseconds (years 2000-2100)", field=where
        )
    return value


def _text(source: str, value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InputError(source, f"must be a string, got {_show(value)}", field=where)
    if len(value) > limit:
        raise InputError(source, f"{len(value)} characters, more than the {limit} allowed", field=where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(source, "is not valid Unicode text (a lone surrogate)", field=where) from None
    return value


def _saved_at(source: str, value: Any) -> str:
    if isinstance(value, (datetime, date, time)):  # an unquoted TOML date-time
        value = value.isoformat()
    return _text(source, value, "saved_at", MAX_SAVED_AT_CHARS)


# -- range checks against the VOD -----------------------------------------------------------------


def _in_audio(source: str, audio_s: float, where: str, bounds: OverrideBounds | None) -> None:
    span = bounds.audio_range_s if bounds else None
    if span is not None and not span[0] <= audio_s <= span[1]:
        raise InputError(
            source,
            f"{audio_s:g} s is outside the audio ({bounds.audio_duration_s:g} s long, "  # type: ignore[union-attr]
            f"{AUDIO_SLACK_S:g} s of slack either side)",
            field=where,
        )


def _in_span(source: str, chat_utc_ms: int, where: str, bounds: OverrideBounds | None) -> None:
    span = bounds.chat_range_ms if bounds else None
    if span is not None and not span[0] <= chat_utc_ms <= span[1]:
        raise InputError(
            source,
            f"{chat_utc_ms} is outside the VOD's span and chat ({span[0] + CHAT_SLACK_MS} .. "
            f"{span[1] - CHAT_SLACK_MS} UTC ms, {CHAT_SLACK_MS // 60_000} min of slack either side)",
            field=where,
        )


def _check_offset(source: str, offset_s: float, bounds: OverrideBounds | None) -> None:
    """A global offset is checked as the knots it becomes (where its line meets the audio)."""
    if bounds is None or bounds.started_at_utc_ms is None:
        return
    for knot in _offset_knots(offset_s, bounds.started_at_utc_ms, bounds.audio_duration_s):
        try:
            _in_audio(source, float(knot.audio_s), "global.offset_s", bounds)
            _in_span(source, int(knot.chat_utc_ms), "global.offset_s", bounds)
        except InputError as error:
            raise InputError(
                source,
                f"offset {offset_s:g} s puts audio {knot.audio_s:g} s at chat time {knot.chat_utc_ms}: {error.reason}",
                field="global.offset_s",
            ) from None


# -- parse / load / write -----------------------------------------------------------------------


def override_from_dict(
    data: Any, source: str | Path, *, vod_id: str | None = None, bounds: OverrideBounds | None = None
) -> Override:
    """Validate a decoded override (TOML from a file, or the reviewer page's JSON).

    ``vod_id``, when given, must match the file's own ``vod_id`` (when it has one); ``bounds``,
    when given, range-checks every time against that VOD.  Every problem is an InputError
    naming ``source`` and the field.
    """
    src = str(source)
    top = _table(src, data, _TOP_KEYS, "")
    found_id = top.get("vod_id")
    if found_id is not None:
        if not isinstance(found_id, str):
            raise InputError(src, f"must be a VOD id string, got {_show(found_id)}", field="vod_id")
        validate_vod_id(found_id, source=src)
        if vod_id is not None and found_id != vod_id:
            raise InputError(src, f"this override is for VOD {found_id!r}, not {vod_id!r}", field="vod_id")
    reviewer = top.get("reviewer")
    if reviewer is not None:
        reviewer = _text(src, reviewer, "reviewer", MAX_REVIEWER_CHARS).strip() or None
    saved_at = _saved_at(src, top["saved_at"]) if top.get("saved_at") is not None else None
    note = _text(src, top.get("note", ""), "note", MAX_NOTE_CHARS)

    if "global" in top and "knots" in top:
        raise InputError(src, "give either [global] offset_s or [[knots]], not both", field="knots")
    offset: float | None = None
    if "global" in top:
        table = _table(src, top["global"], _GLOBAL_KEYS, "global")
        offset = _seconds(src, _required(src, table, "offset_s", "global"), "global.offset_s")
        _check_offset(src, offset, bounds)

    knots: list[Knot] = []
    if "knots" in top:
        items = _array(src, top["knots"], "knots", MAX_KNOTS)
        if not items:
            raise InputError(src, "must hold at least one [[knots]] table", field="knots")
        for i, item in enumerate(items):
            where = f"knots[{i}]"
            table = _table(src, item, _KNOT_KEYS, where)
            t = _utc_ms(src, _required(src, table, "chat_utc_ms", where), f"{where}.chat_utc_ms")
            a = _seconds(src, _required(src, table, "audio_s", where), f"{where}.audio_s")
            if knots and t <= knots[-1].chat_utc_ms:
                raise InputError(
                    src,
                    f"chat_utc_ms {t} is not after the previous knot's {knots[-1].chat_utc_ms}: knots must increase "
                    "strictly in chat time (a jump is two knots 1 ms apart)",
                    field=f"{where}.chat_utc_ms",
                )
            _in_span(src, t, f"{where}.chat_utc_ms", bounds)
            _in_audio(src, a, f"{where}.audio_s", bounds)
            knots.append(Knot(t, a, 0, 1.0, "override"))
    if offset is None and not knots:
        raise InputError(src, "needs either [global] offset_s or [[knots]]", field="global")

    flags: list[Flag] = []
    for i, item in enumerate(_array(src, top.get("flags", []), "flags", MAX_FLAGS)):
        where = f"flags[{i}]"
        table = _table(src, item, _FLAG_KEYS, where)
        start = _utc_ms(src, _required(src, table, "chat_utc_ms_start", where), f"{where}.chat_utc_ms_start")
        end = _utc_ms(src, _required(src, table, "chat_utc_ms_end", where), f"{where}.chat_utc_ms_end")
        if end <= start:
            raise InputError(src, f"ends ({end}) at or before its start ({start})", field=f"{where}.chat_utc_ms_end")
        _in_span(src, start, f"{where}.chat_utc_ms_start", bounds)
        _in_span(src, end, f"{where}.chat_utc_ms_end", bounds)
        flags.append(Flag(start, end, _text(src, table.get("note", ""), f"{where}.note", MAX_NOTE_CHARS)))
    flags.sort(key=lambda f: (f.chat_utc_ms_start, f.chat_utc_ms_end, f.note))
    return Override(tuple(knots), offset, tuple(flags), found_id, reviewer, saved_at, note, src)


def parse_override(
    text: str, path: str | Path, *, vod_id: str | None = None, bounds: OverrideBounds | None = None
) -> Override:
    """Validate override TOML text; errors name ``path`` (and the line, for TOML syntax)."""
    p = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE_RE.search(str(exc))
        raise InputError(p, f"invalid TOML: {exc}", line=int(m.group(1)) if m else None) from None
    except RecursionError:
        raise InputError(p, "invalid TOML: nested too deeply") from None
    return override_from_dict(data, p, vod_id=vod_id, bounds=bounds)


def load_override(
    path: str | Path, *, vod_id: str | None = None, bounds: OverrideBounds | None = None
) -> Override:
    """Read and validate an override file; every problem is an InputError naming the file."""
    p = Path(path)
    try:
        with open(p, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(p, "override file not found") from None
    except IsADirectoryError:
        raise InputError(p, "is a folder, not an override file") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(p, f"larger than {MAX_FILE_BYTES} bytes: not an override file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(p, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_override(text, p, vod_id=vod_id, bounds=bounds)


def override_to_toml(override: Override) -> str:
    """The TOML text of an override (the inverse of :func:`load_override`)."""
    return tomli_w.dumps(override.to_dict())


def write_override(path: str | Path, override: Override, *, bounds: OverrideBounds | None = None) -> Path:
    """Write atomically (temp file, fsync, rename): a reader sees the old file or the new one.

    The text is validated first exactly as :func:`load_override` will read it, so a bad
    override never replaces a good one and what is written always loads.
    """
    p = Path(path)
    text = override_to_toml(override)
    parse_override(text, p, vod_id=override.vod_id, bounds=bounds)
    payload = text.encode("utf-8")
    with atomic_path(p, suffix=".tmp") as tmp:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    return p
