"""A Chatterino channel log: ``dougdoug-YYYY-MM-DD.log`` in the viewer's LOCAL time.

Chatterino writes ``# Start logging at <local date time> <zone>`` when it opens the file and
then ``[HH:mm:ss]  login: text`` per message (the two spaces are an empty localized name
before the login), in whole seconds of local time.  System messages have no login:
subscriptions, timeouts ("x has been timed out for 10m.") and deletions.  A resub's own
message is not written here: only the notice line is.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from demo.chatsim import SimMessage
from demo.writers.common import ExportContext, utc


def _duration(seconds: int) -> str:
    """Chatterino's short duration: 60 -> 1m, 600 -> 10m, 90 -> 1m 30s."""
    minutes, secs = divmod(seconds, 60)
    parts = ([f"{minutes}m"] if minutes else []) + ([f"{secs}s"] if secs else [])
    return " ".join(parts) or "0s"


def _text(msg: SimMessage) -> str:
    if msg.action == "timeout":
        assert msg.target is not None and msg.duration_s is not None
        return f"{msg.target.login} has been timed out for {_duration(msg.duration_s)}."
    if msg.action == "ban":
        assert msg.target is not None
        return f"{msg.target.login} has been permanently banned."
    if msg.action == "delete":
        assert msg.target is not None and msg.target_message is not None
        return f"A message from {msg.target.login} was deleted: {msg.target_message.body}"
    if msg.action != "chat":
        return msg.system_text
    assert msg.user is not None
    return f" {msg.user.login}: {msg.body}"


def write(path: Path, messages: list[SimMessage], ctx: ExportContext) -> list[int | None]:
    if ctx.spec.chat_timezone is None:
        raise ValueError("a Chatterino log is written in local time: the VOD needs chat_timezone")
    zone = ZoneInfo(ctx.spec.chat_timezone)
    rng = np.random.default_rng([ctx.seed, ctx.spec.number, 5])
    opened = utc(ctx.started_ms - int(rng.uniform(60_000, 240_000))).astimezone(zone)
    if f"-{opened:%Y-%m-%d}.log" not in ctx.spec.chat_file:
        raise ValueError(f"{ctx.spec.chat_file}: Chatterino names the file after the local date {opened:%Y-%m-%d}")
    lines = [f"# Start logging at {opened:%Y-%m-%d %H:%M:%S} {ctx.spec.chat_timezone}"]
    numbers: list[int | None] = []
    for msg in messages:
        local = datetime.fromtimestamp((ctx.started_ms + msg.t_ms) // 1000, tz=zone)
        if local.date() != opened.date():
            raise ValueError("the demo log must not cross local midnight (Chatterino would open a new file)")
        lines.append(f"[{local:%H:%M:%S}] {_text(msg)}")
        numbers.append(len(lines))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return numbers

