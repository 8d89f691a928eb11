"""Manual alignment overrides: ``warehouse/overrides/<vod_id>.toml``, written by a reviewer.

A reviewer who has checked a VOD by ear can pin its curve; the override wins over the
estimator and is recorded as such.  Two ways to say it (exactly one per file)::

    reviewer = "alice"
    saved_at = "2026-03-05T12:00:00Z"

    [global]
    offset_s = -161.2     # audio_s = (chat_utc_ms - started_at_utc_ms) / 1000 + offset_s

or a full curve (same contract as the estimator's knots, see curve.py)::

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

Unknown keys are errors (a typo must not silently drop a reviewer's decision).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from dougchat_assets.align.result import Knot
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_write_text
from dougchat_assets.settings import validate_vod_id

# "vod_id" and "note" are written by the QA reviewer (dougchat_assets.review) and carried, not interpreted.
_TOP_KEYS = {"vod_id", "note", "reviewer", "saved_at", "global", "knots", "flags"}
_LINE_RE = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class Flag:
    chat_utc_ms_start: int
    chat_utc_ms_end: int
    note: str = ""


@dataclass(frozen=True)
class Override:
    """A reviewer's curve: either a global ``offset_s`` or explicit ``knots``."""

    offset_s: float | None = None
    knots: tuple[Knot, ...] = ()
    flags: tuple[Flag, ...] = ()
    reviewer: str | None = None
    saved_at: str | None = None
    source: str = ""  # the file it came from

    def to_knots(self, started_at_utc_ms: int | None) -> list[Knot]:
        """The override as knots (a global offset becomes a slope-1 line through started_at)."""
        if self.knots:
            return list(self.knots)
        if self.offset_s is None:
            raise ValueError("override has neither offset_s nor knots")
        if started_at_utc_ms is None:
            raise ValueError("a global offset_s override needs the VOD's started_at (metadata has none)")
        off = float(self.offset_s)
        return [
            Knot(int(started_at_utc_ms), off, 0, 1.0, "override"),
            Knot(int(started_at_utc_ms) + 3_600_000, off + 3600.0, 0, 1.0, "override"),
        ]


def override_path(overrides_dir: Path, vod_id: str) -> Path:
    return Path(overrides_dir) / f"{validate_vod_id(vod_id)}.toml"


def _num(path: Path, value: Any, fld: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise InputError(path, f"must be a finite number, got {value!r}", field=fld)
    return float(value)


def _int(path: Path, value: Any, fld: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(path, f"must be an integer (epoch milliseconds), got {value!r}", field=fld)
    return int(value)


def _check_keys(path: Path, table: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(table, dict):
        raise InputError(path, "must be a table", field=where)
    unknown = sorted(set(table) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise InputError(
            path,
            f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
            field=f"{prefix}{unknown[0]}",
        )
    return table


def load_override(path: str | Path) -> Override:
    """Read and validate an override file; every problem is an InputError naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(p, "override file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(p, f"not UTF-8 text ({exc.reason})") from None
    return parse_override(text, p)


def parse_override(text: str, path: str | Path) -> Override:
    """Validate override TOML text; errors name ``path``."""
    p = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE_RE.search(str(exc))
        raise InputError(p, f"invalid TOML: {exc}", line=int(m.group(1)) if m else None) from None
    _check_keys(p, data, _TOP_KEYS, "")
    reviewer = data.get("reviewer")
    if reviewer is not None and not isinstance(reviewer, str):
        raise InputError(p, "must be a string", field="reviewer")
    saved_at = data.get("saved_at")
    if saved_at is not None:
        saved_at = saved_at.isoformat() if hasattr(saved_at, "isoformat") else saved_at
        if not isinstance(saved_at, str):
            raise InputError(p, "must be a date-time or string", field="saved_at")

    offset: float | None = None
    if "global" in data:
        g = _check_keys(p, data["global"], {"offset_s"}, "global")
        if "offset_s" not in g:
            raise InputError(p, "missing offset_s", field="global.offset_s")
        offset = _num(p, g["offset_s"], "global.offset_s")

    knots: list[Knot] = []
    if "knots" in data:
        if not isinstance(data["knots"], list) or not data["knots"]:
            raise InputError(p, "must be a non-empty array of tables [[knots]]", field="knots")
        for i, k in enumerate(data["knots"]):
            where = f"knots[{i}]"
            k = _check_keys(p, k, {"chat_utc_ms", "audio_s"}, where)
            for req in ("chat_utc_ms", "audio_s"):
                if req not in k:
                    raise InputError(p, f"missing {req}", field=f"{where}.{req}")
            t = _int(p, k["chat_utc_ms"], f"{where}.chat_utc_ms")
            a = _num(p, k["audio_s"], f"{where}.audio_s")
            if knots and t <= knots[-1].chat_utc_ms:
                raise InputError(
                    p,
                    "chat_utc_ms must increase strictly from knot to knot (a jump is two knots 1 ms apart)",
                    field=f"{where}.chat_utc_ms",
                )
            knots.append(Knot(t, a, 0, 1.0, "override"))
    if offset is None and not knots:
        raise InputError(p, "needs either [global] offset_s or [[knots]]", field="global")
    if offset is not None and knots:
        raise InputError(p, "give either [global] offset_s or [[knots]], not both", field="knots")

    flags: list[Flag] = []
    for i, f in enumerate(data.get("flags", []) if isinstance(data.get("flags", []), list) else [None]):
        where = f"flags[{i}]"
        f = _check_keys(p, f, {"chat_utc_ms_start", "chat_utc_ms_end", "note"}, where)
        for req in ("chat_utc_ms_start", "chat_utc_ms_end"):
            if req not in f:
                raise InputError(p, f"missing {req}", field=f"{where}.{req}")
        s = _int(p, f["chat_utc_ms_start"], f"{where}.chat_utc_ms_start")
        e = _int(p, f["chat_utc_ms_end"], f"{where}.chat_utc_ms_end")
        if e < s:
            raise InputError(p, "chat_utc_ms_end is before chat_utc_ms_start", field=f"{where}.chat_utc_ms_end")
        note = f.get("note", "")
        if not isinstance(note, str):
            raise InputError(p, "must be a string", field=f"{where}.note")
        flags.append(Flag(s, e, note))
    return Override(offset, tuple(knots), tuple(flags), reviewer, saved_at, str(p))


def override_to_toml(override: Override) -> str:
    """The TOML text of an override (the inverse of :func:`load_override`)."""
    data: dict[str, Any] = {}
    if override.reviewer is not None:
        data["reviewer"] = override.reviewer
    if override.saved_at is not None:
        data["saved_at"] = override.saved_at
    if override.knots:
        data["knots"] = [{"chat_utc_ms": int(k.chat_utc_ms), "audio_s": float(k.audio_s)} for k in override.knots]
    elif override.offset_s is not None:
        data["global"] = {"offset_s": float(override.offset_s)}
    else:
        raise ValueError("override has neither offset_s nor knots")
    if override.flags:
        data["flags"] = [
            {"chat_utc_ms_start": f.chat_utc_ms_start, "chat_utc_ms_end": f.chat_utc_ms_end, "note": f.note}
            for f in override.flags
        ]
    return tomli_w.dumps(data)


def write_override(path: str | Path, override: Override) -> Path:
    """Write atomically (temp file + rename); the text is validated first, so a bad
    override never replaces a good one."""
    p = Path(path)
    text = override_to_toml(override)
    parse_override(text, p)
    atomic_write_text(p, text)
    return p
