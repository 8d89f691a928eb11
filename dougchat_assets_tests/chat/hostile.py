"""Writers of hostile chat exports for the limit tests: huge lines, huge bodies, gzip bombs.

Every format is written from one template per message with a ``@@BODY@@`` placeholder, so a
body may be a plain string or a :class:`Long` run of bytes written in chunks (a 2.5 GB line
never exists in this process's memory).  ``filler`` puts harmless padding (blank lines, JSON
whitespace) after a message, which is how a gzip bomb of spaces hides inside a valid export.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dougchat_assets.chat import ChatContext

MIB = 1 << 20
PLACEHOLDER = "@@BODY@@"
LINE_FORMATS = ("irc", "chatterino", "cd_jsonl")
ARRAY_FORMATS = ("cd_array", "td_min", "td_pretty")
FORMATS = LINE_FORMATS + ARRAY_FORMATS
FILE_NAMES = {
    "irc": "chat.log",
    "chatterino": "dougdoug-2024-03-02.log",
    "cd_jsonl": "chat.jsonl",
    "cd_array": "chat.json",
    "td_min": "td.json",
    "td_pretty": "td.json",
}
CONTEXT = ChatContext("v", timezone="UTC")
START_S = 1709406000  # 2024-03-02T19:00:00Z
_TD_HEAD = {
    "FileInfo": {"Version": {"Major": 1, "Minor": 55, "Patch": 0}},
    "streamer": {"name": "dougdoug", "id": 31507411},
    "video": {"title": "t", "id": "123", "created_at": "2024-03-02T19:00:00Z", "start": 0, "end": 7200, "length": 7200},
}


@dataclass(frozen=True)
class Long:
    """``size`` bytes made of ``unit`` repeated, written 1 MiB at a time."""

    size: int
    unit: bytes = b"a"

    def write(self, out: BinaryIO) -> None:
        chunk = self.unit * max(1, MIB // len(self.unit))
        left = self.size
        while left > 0:
            piece = chunk[:left]
            out.write(piece)
            left -= len(piece)


def _iso(second: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(START_S + second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _template(fmt: str, index: int) -> str:
    """The text of message ``index`` with the body replaced by :data:`PLACEHOLDER`."""
    second = 5 + index
    if fmt == "irc":
        return (
            f"@badge-info=;badges=;display-name=Troll;emotes=;id=m{index};tmi-sent-ts={(START_S + second) * 1000};"
            f"user-id=9 :troll!troll@troll.tmi.twitch.tv PRIVMSG #dougdoug :{PLACEHOLDER}\n"
        )
    if fmt == "chatterino":
        return f"[{19 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}] troll: {PLACEHOLDER}\n"
    if fmt in ("cd_jsonl", "cd_array"):
        item = {
            "message_id": f"m{index}",
            "timestamp": (START_S + second) * 1_000_000,
            "time_in_seconds": second,
            "message": PLACEHOLDER,
            "author": {"id": "9", "name": "troll", "display_name": "Troll"},
            "message_type": "text_message",
        }
        return json.dumps(item) + ("\n" if fmt == "cd_jsonl" else "")
    comment = {
        "_id": f"c{index}",
        "created_at": _iso(second),
        "content_offset_seconds": second,
        "commenter": {"_id": "9", "name": "troll", "display_name": "Troll"},
        "message": {"body": PLACEHOLDER, "user_badges": []},
    }
    if fmt == "td_min":
        return json.dumps(comment, separators=(",", ":"))
    return "\n".join("  " + line for line in json.dumps(comment, indent=2).split("\n"))


def _frame(fmt: str) -> tuple[str, str, str]:
    """(text before the first message, between two messages, after the last)."""
    if fmt == "chatterino":
        return "# Start logging at 2024-03-02 19:00:00 UTC\n", "", ""
    if fmt in LINE_FORMATS:
        return "", "", ""
    if fmt == "cd_array":
        return "[\n", ",\n", "\n]\n"
    head = json.dumps(_TD_HEAD, separators=(",", ":")) if fmt == "td_min" else json.dumps(_TD_HEAD, indent=2)
    if fmt == "td_min":
        return head[:-1] + ',"comments":[', ",", "]}"
    return head[:-2] + ',\n  "comments": [\n', ",\n", "\n  ]\n}\n"


def write_export(
    folder: Path,
    fmt: str,
    bodies: list[str | Long],
    *,
    gz: bool = False,
    filler: dict[int, Long] | None = None,
    name: str | None = None,
    level: int = 1,
) -> Path:
    """Write an export of ``fmt`` with one message per body; ``filler[i]`` is written after message i.

    ``gz`` writes it through ``gzip.open`` at compression ``level`` (1 is fast; 9 packs a bomb tighter).
    """
    path = folder / (name or FILE_NAMES[fmt] + (".gz" if gz else ""))
    opener = (lambda p: gzip.open(p, "wb", compresslevel=level)) if gz else (lambda p: open(p, "wb"))
    before_all, between, after_all = _frame(fmt)
    with opener(path) as out:
        out.write(before_all.encode())
        for index, body in enumerate(bodies):
            if index:
                out.write(between.encode())
            before, after = _template(fmt, index).split(PLACEHOLDER)
            out.write(before.encode())
            if isinstance(body, Long):
                body.write(out)
            else:
                text = json.dumps(body)[1:-1] if fmt not in LINE_FORMATS or fmt == "cd_jsonl" else body
                out.write(text.encode())
            out.write(after.encode())
            if filler and index in filler:
                filler[index].write(out)
        out.write(after_all.encode())
    return path


def where(fmt: str, index: int) -> tuple[str, int | str]:
    """Where an error about message ``index`` must point: ("line", n) or ("field", name)."""
    if fmt == "chatterino":
        return "line", index + 2  # after the header line
    if fmt in LINE_FORMATS:
        return "line", index + 1
    if fmt == "cd_array":
        return "field", f"[{index}]"
    return "field", f"comments[{index}]"


def filler_for(fmt: str, size: int) -> Long:
    """Padding the format ignores: lines of spaces for text logs, bare spaces inside JSON."""
    return Long(size, b" " * 1023 + b"\n") if fmt in LINE_FORMATS else Long(size, b" ")
