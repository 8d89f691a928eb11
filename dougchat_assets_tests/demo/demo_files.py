"""Read the committed demo output for the tests: truth files, decoded audio, and the chat exports.

The export readers here are deliberately minimal and independent: they use only json, gzip
and regular expressions, not the project's parsers (tested elsewhere) and not the demo's
own writers (which are what is under test).
"""

from __future__ import annotations

import bisect
import gzip
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import av
import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo"
VODS_DIR = DEMO / "vods"
TRUTH_DIR = DEMO / "truth"
VOD_IDS = ("demo_01", "demo_02", "demo_03", "demo_04")
AUDIO_SUFFIXES = {".opus", ".ogg", ".mp4", ".m4a", ".flac", ".wav", ".mkv", ".webm", ".mp3"}
CHAT_NAMES = ("chat.json.gz", "chat.json", "chat.irc.log", "dougdoug-2026-03-05.log")


@lru_cache(maxsize=None)
def truth(vod_id: str) -> dict:
    return json.loads((TRUTH_DIR / vod_id / "ground_truth.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def script(vod_id: str) -> list[dict]:
    return json.loads((TRUTH_DIR / vod_id / "script.json").read_text(encoding="utf-8"))


def knot_audio_s(knots: list[dict], chat_utc_ms: float) -> float:
    """Evaluate the piecewise-linear knots (linear extrapolation beyond the ends)."""
    xs = [k["chat_utc_ms"] for k in knots]
    ys = [k["audio_s"] for k in knots]
    i = min(max(bisect.bisect_right(xs, chat_utc_ms) - 1, 0), len(xs) - 2)
    if xs[i + 1] == xs[i]:
        return ys[i]
    return ys[i] + (ys[i + 1] - ys[i]) * (chat_utc_ms - xs[i]) / (xs[i + 1] - xs[i])


@lru_cache(maxsize=None)
def decoded(vod_id: str, rate: int = 16_000) -> np.ndarray:
    """The VOD's audio decoded with PyAV to float32 mono at ``rate``."""
    path = VODS_DIR / vod_id / truth(vod_id)["audio_file"]
    chunks = []
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == "audio")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    return np.concatenate(chunks)


def rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)) + 1e-12))


@dataclass(frozen=True)
class ExportRow:
    """What the tests need from one exported message."""

    sent_ms: int  # as the export states it (Chatterino: whole local seconds -> ms)
    login: str | None
    body: str
    kind: str  # the export's own notion: chat, sub, raid, timeout, ban, delete, ...
    line: int | None = None
    native_id: str | None = None
    target_id: str | None = None
    extra: dict | None = None


def read_export(vod_id: str) -> list[ExportRow]:
    gt = truth(vod_id)
    path = VODS_DIR / vod_id / gt["chat_file"]
    reader = {
        "twitchdownloader": _read_twitchdownloader,
        "chat_downloader": _read_chat_downloader,
        "irc": _read_irc,
        "chatterino": _read_chatterino,
    }[gt["chat_format"]]
    return reader(path)


def _iso_ms(text: str) -> int:
    return int(round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000))


def _read_twitchdownloader(path: Path) -> list[ExportRow]:
    doc = json.loads(gzip.decompress(path.read_bytes()))
    rows = []
    for c in doc["comments"]:
        notice = (c["message"].get("user_notice_params") or {}).get("msg-id")
        rows.append(
            ExportRow(
                sent_ms=_iso_ms(c["created_at"]),
                login=c["commenter"]["name"],
                body=c["message"]["body"],
                kind=notice or "chat",
                native_id=c["_id"],
                extra={"offset": c["content_offset_seconds"], "fragments": c["message"]["fragments"]},
            )
        )
    return rows


def _read_chat_downloader(path: Path) -> list[ExportRow]:
    rows = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        mtype = item["message_type"]
        login = (item.get("author") or {}).get("name")
        if mtype == "ban_user":
            kind, login = ("timeout" if item.get("ban_type") == "timeout" else "ban"), item["banned_user"]
        elif mtype == "delete_message":
            kind = "delete"
        else:
            kind = {"text_message": "chat", "subscription": "sub", "resubscription": "resub"}.get(mtype, mtype)
        rows.append(
            ExportRow(
                sent_ms=item["timestamp"] // 1000,
                login=login,
                body=item.get("message", ""),
                kind=kind,
                native_id=item.get("message_id"),
                target_id=item.get("target_message_id"),
                extra={"time_in_seconds": item["time_in_seconds"], "emotes": item.get("emotes", []), "raw": item},
            )
        )
    return rows


_IRC = re.compile(r"^@(?P<tags>\S+) :(?P<prefix>\S+) (?P<cmd>[A-Z]+) #\w+(?: :(?P<text>.*))?$")


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append({"s": " ", ":": ";", "\\": "\\", "r": "\r", "n": "\n"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def irc_tags(raw: str) -> dict[str, str]:
    return {k: _unescape(v) for k, _, v in (kv.partition("=") for kv in raw.split(";"))}


def _read_irc(path: Path) -> list[ExportRow]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if "tmi-sent-ts=" not in line:
            continue
        m = _IRC.match(line)
        assert m, f"line {n} is not a tagged IRC message: {line[:80]}"
        tags = irc_tags(m["tags"])
        cmd, text = m["cmd"], m["text"] or ""
        if cmd == "PRIVMSG":
            kind, login = "chat", m["prefix"].split("!")[0]
        elif cmd == "USERNOTICE":
            kind, login = tags["msg-id"], tags["login"]
        elif cmd == "CLEARCHAT":
            kind, login = ("timeout" if "ban-duration" in tags else "ban"), text
        elif cmd == "CLEARMSG":
            kind, login = "delete", tags["login"]
        else:
            raise AssertionError(f"line {n}: unexpected {cmd}")
        rows.append(
            ExportRow(
                sent_ms=int(tags["tmi-sent-ts"]),
                login=login,
                body=text,
                kind=kind,
                line=n,
                native_id=tags.get("id"),
                target_id=tags.get("target-msg-id"),
                extra={"tags": tags, "cmd": cmd},
            )
        )
    return rows


_HEADER = re.compile(r"^# Start logging at (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (\S+)$")
_CHATTERINO = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] (.*)$")


def chatterino_zone(path: Path) -> str:
    m = _HEADER.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert m, "no Chatterino header"
    return m[3]


def _read_chatterino(path: Path) -> list[ExportRow]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = _HEADER.match(lines[0])
    assert header, "first line must be the '# Start logging at' header"
    zone = ZoneInfo(header[3])
    day = datetime.fromisoformat(header[1]).date()
    rows = []
    for n, line in enumerate(lines, start=1):
        if line.startswith("#"):
            continue
        m = _CHATTERINO.match(line)
        assert m, f"line {n}: not a Chatterino line: {line!r}"
        local = datetime(day.year, day.month, day.day, int(m[1]), int(m[2]), int(m[3]), tzinfo=zone)
        rest = m[4]
        user = re.match(r"^ ([a-z0-9_]{3,25}): (.*)$", rest)
        if user:
            login, body, kind = user[1], user[2], "chat"
        elif " has been timed out for " in rest:
            login, body, kind = rest.split(" ")[0], rest, "timeout"
        elif rest.startswith("A message from "):
            login, body, kind = rest.split(" ")[3], rest, "delete"
        else:
            login, body, kind = None, rest, "notice"
        rows.append(
            ExportRow(
                sent_ms=int(local.astimezone(timezone.utc).timestamp() * 1000),
                login=login,
                body=body,
                kind=kind,
                line=n,
            )
        )
    return rows
