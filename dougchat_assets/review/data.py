"""What the reviewer reads from the warehouse: VOD list, curve, a window of chat.

DuckDB allows one writer process per file, and the pipeline may be materializing while a
person reviews.  So every request opens its own ``read_only`` connection and closes it at
once (never holding a lock a writer waits on), and a lock conflict is retried briefly before
it becomes :class:`WarehouseBusy` (HTTP 503, "try again").

Chat is read as a window of N messages either side of a chat time, never a whole VOD: a
6-hour stream has a million messages and the page only shows a screenful around "now".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dougchat_assets.align.override import Override, OverrideBounds, load_override, override_path
from dougchat_assets.errors import InputError
from dougchat_assets.review.curve import Knot, default_curve, map_chat_to_audio, normalize_knots
from dougchat_assets.settings import WarehouseLayout, validate_vod_id

LOCK_RETRY_S = 3.0
MAX_WINDOW = 2_000


class WarehouseBusy(RuntimeError):
    """The DuckDB file stayed locked by a writer for longer than the retry budget."""


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text


@contextmanager
def read_only(path: Path, retry_s: float = LOCK_RETRY_S) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A short-lived read-only connection, or ``None`` when the warehouse file does not exist yet.

    Retries with a growing pause while another process holds the write lock.
    """
    if not path.exists():
        yield None
        return
    deadline = time.monotonic() + retry_s
    pause = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if not _is_lock_error(error) or time.monotonic() >= deadline:
                if _is_lock_error(error):
                    raise WarehouseBusy(f"{path} is locked by a writer: {error}") from error
                raise
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.4)
    try:
        yield con
    finally:
        con.close()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()
    return {name for (name,) in rows}


@dataclass(frozen=True)
class VodSummary:
    """One entry of the VOD picker."""

    vod_id: str
    title: str | None
    channel: str | None
    started_at_utc_ms: int | None
    audio_duration_s: float | None
    n_knots: int
    has_audio: bool
    has_override: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CurveInfo:
    """The curve a review starts from, and where it came from."""

    knots: tuple[Knot, ...]
    source: str  # the offset_curve table's own source column ("estimate"/"override"), or "default"
    method: str | None = None
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "method": self.method,
            "confidence": self.confidence,
            "knots": [{"chat_utc_ms": k.chat_utc_ms, "audio_s": k.audio_s} for k in self.knots],
        }


@dataclass(frozen=True)
class VodDetail:
    """Everything the page needs to open one VOD (chat itself comes in windows)."""

    summary: VodSummary
    estimate: CurveInfo | None  # offset_curve table, or the default guess
    override: Override | None
    override_error: str | None
    chat_first_ms: int | None
    chat_last_ms: int | None
    chat_count: int
    override_knots: tuple[Knot, ...] = ()  # the override as a curve (a global offset becomes knots)

    @property
    def bounds(self) -> OverrideBounds:
        """What an override of this VOD may name: the same facts ``offset_curve`` checks against."""
        return override_bounds(self.summary, self.chat_first_ms, self.chat_last_ms)

    @property
    def active_curve(self) -> tuple[Knot, ...] | None:
        """Override knots if a valid file exists, else the table's (or default) curve."""
        if self.override is not None:
            return self.override_knots
        return self.estimate.knots if self.estimate else None


def override_bounds(summary: VodSummary, chat_first_ms: int | None, chat_last_ms: int | None) -> OverrideBounds:
    """``vods.started_at_utc_ms``, ``vod_audio.duration_s`` and the chat's extent, as the pipeline reads them."""
    return OverrideBounds(summary.started_at_utc_ms, summary.audio_duration_s, chat_first_ms, chat_last_ms)


def override_json(override: Override, knots: tuple[Knot, ...]) -> dict[str, Any]:
    """The override for the page: the file's fields, ``knots`` always as a curve (a global offset
    is shown as the knots it stands for, ``offset_s`` kept beside them) and ``flags`` always present."""
    return {
        "vod_id": override.vod_id,
        "reviewer": override.reviewer,
        "saved_at": override.saved_at,
        "note": override.note,
        "offset_s": override.offset_s,
        "knots": [{"chat_utc_ms": int(k.chat_utc_ms), "audio_s": float(k.audio_s)} for k in knots],
        "flags": [
            {"chat_utc_ms_start": f.chat_utc_ms_start, "chat_utc_ms_end": f.chat_utc_ms_end, "note": f.note}
            for f in override.flags
        ],
    }


def list_vods(layout: WarehouseLayout) -> list[VodSummary]:
    """Every VOD with metadata, audio or a curve, sorted by id."""
    with read_only(layout.duckdb_path) as con:
        if con is None:
            return []
        tables = _tables(con)
        sources = [f"SELECT vod_id FROM {t}" for t in ("vods", "vod_audio", "offset_curve") if t in tables]
        if not sources:
            return []
        vods = "LEFT JOIN vods v USING (vod_id)" if "vods" in tables else ""
        audio = "LEFT JOIN vod_audio a USING (vod_id)" if "vod_audio" in tables else ""
        curve = (
            "LEFT JOIN (SELECT vod_id, count(*) AS n FROM offset_curve GROUP BY vod_id) c USING (vod_id)"
            if "offset_curve" in tables
            else ""
        )
        rows = con.execute(
            f"""
            SELECT ids.vod_id,
                   {"v.title, v.channel, v.started_at_utc_ms" if vods else "NULL, NULL, NULL"},
                   {"a.duration_s" if audio else "NULL"},
                   {"coalesce(c.n, 0)" if curve else "0"}
            FROM (SELECT DISTINCT vod_id FROM ({" UNION ALL ".join(sources)})) ids
            {vods} {audio} {curve}
            ORDER BY ids.vod_id
            """
        ).fetchall()
    out = []
    for vod_id, title, channel, started, duration, n_knots in rows:
        try:
            validate_vod_id(vod_id)
        except InputError:
            continue  # never offer an id that cannot be used safely in a path or URL
        out.append(
            VodSummary(
                vod_id=vod_id,
                title=title,
                channel=channel,
                started_at_utc_ms=started,
                audio_duration_s=duration,
                n_knots=int(n_knots),
                has_audio=layout.audio_path(vod_id).is_file(),
                has_override=override_path(layout.overrides_dir, vod_id).is_file(),
            )
        )
    return out


def load_vod(layout: WarehouseLayout, vod_id: str) -> VodDetail | None:
    """Metadata, estimated curve, override file and chat extent of one VOD; ``None`` if unknown."""
    validate_vod_id(vod_id)
    summary = next((v for v in list_vods(layout) if v.vod_id == vod_id), None)
    if summary is None:
        return None
    first_ms = last_ms = None
    count = 0
    estimate: CurveInfo | None = None
    with read_only(layout.duckdb_path) as con:
        assert con is not None  # list_vods found the VOD, so the file exists
        tables = _tables(con)
        if "raw_chat" in tables:
            first_ms, last_ms, count = con.execute(
                "SELECT min(sent_at_utc_ms), max(sent_at_utc_ms), count(*) FROM raw_chat WHERE vod_id = ?", [vod_id]
            ).fetchone()
        if "offset_curve" in tables:
            rows = con.execute(
                """SELECT chat_utc_ms, audio_s, segment, confidence, method, source FROM offset_curve
                   WHERE vod_id = ? ORDER BY chat_utc_ms, knot_index""",
                [vod_id],
            ).fetchall()
            if rows:
                # The weakest knot speaks for the curve: one bad stretch is what a reviewer must find.
                confidences = [float(r[3]) for r in rows if r[3] is not None]
                knots = (
                    Knot(int(c), float(a), int(seg), 1.0 if conf is None else float(conf), str(method))
                    for c, a, seg, conf, method, _ in rows
                )
                estimate = CurveInfo(
                    knots=normalize_knots(knots),
                    source=str(rows[0][5]),
                    method=rows[0][4],
                    confidence=min(confidences) if confidences else None,
                )
    if estimate is None:
        start = summary.started_at_utc_ms if summary.started_at_utc_ms is not None else first_ms
        if start is not None:
            estimate = CurveInfo(knots=default_curve(start), source="default")
    override = None
    override_error = None
    override_knots: tuple[Knot, ...] = ()
    path = override_path(layout.overrides_dir, vod_id)
    if path.exists():
        try:
            override = load_override(path, vod_id=vod_id, bounds=override_bounds(summary, first_ms, last_ms))
            override_knots = tuple(override.to_knots(summary.started_at_utc_ms, summary.audio_duration_s))
        except InputError as error:
            override, override_error = None, str(error)
    return VodDetail(summary, estimate, override, override_error, first_ms, last_ms, int(count or 0), override_knots)


_CHAT_COLUMNS = "msg_id, sent_at_utc_ms, user_display_name, user_login, body, msg_type"


def chat_window(
    layout: WarehouseLayout,
    vod_id: str,
    around_ms: int,
    before: int,
    after: int,
    knots: tuple[Knot, ...] | None,
) -> dict[str, Any]:
    """Up to ``before`` messages sent before ``around_ms`` and ``after`` from it on, in order.

    Each message carries ``audio_s`` mapped with ``knots`` (null without a curve) so API users
    need not re-implement the curve; ``has_more_*`` tell the page whether to page further.
    Ties in send time are ordered by source line, then id, so windows are deterministic.
    """
    validate_vod_id(vod_id)
    before = max(0, min(int(before), MAX_WINDOW))
    after = max(0, min(int(after), MAX_WINDOW))
    with read_only(layout.duckdb_path) as con:
        if con is None or "raw_chat" not in _tables(con):
            return {"messages": [], "has_more_before": False, "has_more_after": False}
        earlier = con.execute(
            f"""SELECT {_CHAT_COLUMNS} FROM raw_chat WHERE vod_id = ? AND sent_at_utc_ms < ?
                ORDER BY sent_at_utc_ms DESC, source_line DESC, msg_id DESC LIMIT ?""",
            [vod_id, around_ms, before + 1],
        ).fetchall()
        later = con.execute(
            f"""SELECT {_CHAT_COLUMNS} FROM raw_chat WHERE vod_id = ? AND sent_at_utc_ms >= ?
                ORDER BY sent_at_utc_ms, source_line, msg_id LIMIT ?""",
            [vod_id, around_ms, after + 1],
        ).fetchall()
    has_more_before = len(earlier) > before
    has_more_after = len(later) > after
    rows = list(reversed(earlier[:before])) + later[:after]
    audio = map_chat_to_audio(knots, [r[1] for r in rows]) if knots and rows else None
    messages = [
        {
            "msg_id": msg_id,
            "chat_utc_ms": int(sent),
            "audio_s": None if audio is None else round(float(audio[i]), 6),
            "user": display or login or "",
            "body": body,
            "msg_type": msg_type,
        }
        for i, (msg_id, sent, display, login, body, msg_type) in enumerate(rows)
    ]
    return {"messages": messages, "has_more_before": has_more_before, "has_more_after": has_more_after}
