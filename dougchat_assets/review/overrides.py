"""The reviewer's override file, ``warehouse/overrides/<vod_id>.toml``: read, validate, write.

The file is the hand-off between a person and the pipeline: re-materializing
``offset_curve`` uses its knots instead of the estimate.  It is therefore validated on both
sides (what the page posts, what is on disk), written atomically (a crash mid-save never
leaves half a curve for the asset to read), and in a fixed key order so the same review
gives the same bytes.

Format::

    vod_id = "demo_01"
    reviewer = "local"
    saved_at = "2026-11-25T20:00:00Z"
    note = "free text"
    [[knots]]            # the full corrected curve
    chat_utc_ms = 1772478000000
    audio_s = 12.5
    [[flags]]            # segments the reviewer doubts
    chat_utc_ms_start = 1772478100000
    chat_utc_ms_end = 1772478160000
    note = "chat looks early here"
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import tomli_w

from dougchat_assets.errors import InputError
from dougchat_assets.review.curve import Knot
from dougchat_assets.settings import WarehouseLayout, validate_vod_id

MAX_KNOTS = 10_000
MAX_FLAGS = 10_000
MAX_NOTE_CHARS = 4_000
MAX_REVIEWER_CHARS = 100
# Chat times outside 2000-01-01 .. 2100-01-01 are a unit mistake (seconds, or microseconds).
_MIN_UTC_MS = 946_684_800_000
_MAX_UTC_MS = 4_102_444_800_000


@dataclass(frozen=True)
class Flag:
    """A chat-time segment the reviewer doubts, with why."""

    chat_utc_ms_start: int
    chat_utc_ms_end: int
    note: str = ""


@dataclass(frozen=True)
class Override:
    """A reviewed curve: every knot (not a diff against the estimate), flags and who/when."""

    vod_id: str
    reviewer: str
    saved_at: str
    note: str
    knots: tuple[Knot, ...]
    flags: tuple[Flag, ...] = ()

    def to_toml_dict(self) -> dict[str, Any]:
        """Plain dict in the file's key order (tomli_w keeps insertion order)."""
        data: dict[str, Any] = {
            "vod_id": self.vod_id,
            "reviewer": self.reviewer,
            "saved_at": self.saved_at,
            "note": self.note,
            "knots": [{"chat_utc_ms": k.chat_utc_ms, "audio_s": k.audio_s} for k in self.knots],
        }
        if self.flags:
            data["flags"] = [
                {"chat_utc_ms_start": f.chat_utc_ms_start, "chat_utc_ms_end": f.chat_utc_ms_end, "note": f.note}
                for f in self.flags
            ]
        return data

    def to_json(self) -> dict[str, Any]:
        """Same fields for the page, with ``flags`` always present."""
        data = self.to_toml_dict()
        data.setdefault("flags", [])
        return data


def override_knot(chat_utc_ms: int, audio_s: float) -> Knot:
    """A knot a person placed: full confidence, ``method="override"`` (the file stores only the times)."""
    return Knot(int(chat_utc_ms), float(audio_s), confidence=1.0, method="override")


def override_path(layout: WarehouseLayout, vod_id: str) -> Path:
    return layout.overrides_dir / f"{validate_vod_id(vod_id)}.toml"


def utc_now_iso() -> str:
    """Seconds-precision UTC timestamp with a ``Z``, the format of ``saved_at``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_ms(value: object, source: str | Path, field: str) -> int:
    # bool is an int subclass; a JSON/TOML float like 1.7e12 is a unit or rounding slip.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(source, f"expected an integer of UTC epoch milliseconds, got {value!r}", field=field)
    if not _MIN_UTC_MS <= value <= _MAX_UTC_MS:
        raise InputError(source, f"{value} is not a UTC epoch time in milliseconds", field=field)
    return value


def _seconds(value: object, source: str | Path, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(source, f"expected a finite number of seconds, got {value!r}", field=field)
    return float(value)


def _text(value: object, source: str | Path, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InputError(source, f"expected a string, got {value!r}", field=field)
    if len(value) > limit:
        raise InputError(source, f"longer than {limit} characters", field=field)
    return value


def _table_list(value: object, source: str | Path, field: str, limit: int) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise InputError(source, "expected a list of tables", field=field)
    if len(value) > limit:
        raise InputError(source, f"more than {limit} entries", field=field)
    return value


def parse_override(data: Mapping[str, Any], source: str | Path, *, vod_id: str | None = None) -> Override:
    """Validate a decoded override (from TOML or the page's JSON) and return it normalised.

    Knots come back sorted by chat time and must be distinct (two knots at one instant have
    no meaning in the curve contract; a discontinuity is two knots 1 ms apart); flags come
    back sorted by start.  ``vod_id``, when given, must match the file's own.
    """
    if not isinstance(data, Mapping):
        raise InputError(source, "expected a table at the top level")
    found_id = data.get("vod_id", vod_id)
    if not isinstance(found_id, str):
        raise InputError(source, f"expected a VOD id string, got {found_id!r}", field="vod_id")
    validate_vod_id(found_id, source=source)
    if vod_id is not None and found_id != vod_id:
        raise InputError(source, f"override is for VOD {found_id!r}, not {vod_id!r}", field="vod_id")
    reviewer = _text(data.get("reviewer", ""), source, "reviewer", MAX_REVIEWER_CHARS).strip() or "local"
    saved_at = _text(data.get("saved_at", ""), source, "saved_at", 64)
    note = _text(data.get("note", ""), source, "note", MAX_NOTE_CHARS)

    knots: list[Knot] = []
    for index, item in enumerate(_table_list(data.get("knots"), source, "knots", MAX_KNOTS)):
        where = f"knots[{index}]"
        knots.append(
            override_knot(
                _utc_ms(item.get("chat_utc_ms"), source, f"{where}.chat_utc_ms"),
                _seconds(item.get("audio_s"), source, f"{where}.audio_s"),
            )
        )
    if not knots:
        raise InputError(source, "an override needs at least one knot", field="knots")
    knots.sort(key=lambda k: k.chat_utc_ms)
    for before, after in zip(knots, knots[1:]):
        if before.chat_utc_ms == after.chat_utc_ms:
            raise InputError(source, f"two knots at chat_utc_ms {after.chat_utc_ms}", field="knots")

    flags: list[Flag] = []
    for index, item in enumerate(_table_list(data.get("flags", []), source, "flags", MAX_FLAGS)):
        where = f"flags[{index}]"
        start = _utc_ms(item.get("chat_utc_ms_start"), source, f"{where}.chat_utc_ms_start")
        end = _utc_ms(item.get("chat_utc_ms_end"), source, f"{where}.chat_utc_ms_end")
        if end < start:
            raise InputError(source, f"ends ({end}) before it starts ({start})", field=where)
        flags.append(Flag(start, end, _text(item.get("note", ""), source, f"{where}.note", MAX_NOTE_CHARS)))
    flags.sort(key=lambda f: (f.chat_utc_ms_start, f.chat_utc_ms_end, f.note))
    return Override(found_id, reviewer, saved_at, note, tuple(knots), tuple(flags))


def _error_line(error: tomllib.TOMLDecodeError, text: str) -> int | None:
    """1-based line of a TOML error (Python 3.11's tomllib only says it in the message)."""
    if getattr(error, "lineno", None):
        return int(error.lineno)
    found = re.search(r"at line (\d+)", str(error))
    if found:
        return int(found.group(1))
    return text.count("\n") + 1 if "end of document" in str(error) else None


def read_override(path: Path, *, vod_id: str | None = None) -> Override:
    """Load and validate an override file; any problem is an :class:`InputError` naming it."""
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"not valid TOML: {error}", line=_error_line(error, text)) from error
    return parse_override(data, path, vod_id=vod_id)


def write_override(layout: WarehouseLayout, override: Override) -> Path:
    """Write atomically: a temp file in the same folder, fsync, then ``os.replace``.

    A reader (the ``offset_curve`` asset, another reviewer tab) sees the old file or the new
    one, never a torn write; a failure leaves no temp file behind.
    """
    target = override_path(layout, override.vod_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = tomli_w.dumps(override.to_toml_dict()).encode("utf-8")
    handle, temp_name = tempfile.mkstemp(prefix=f".{override.vod_id}.", suffix=".toml.tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(payload)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target
