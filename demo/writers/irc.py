"""A raw Twitch IRC capture (tmi.twitch.tv with the tags/commands/membership capabilities).

Every line exactly as the server sends it (IRCv3 tags, ``tmi-sent-ts`` in epoch ms, emote
positions in code points), plus the connection noise a real capture has: the welcome
numerics, JOIN/353/366, ROOMSTATE, PING and other viewers' JOIN/PART.  Chat rows are the
lines with ``tmi-sent-ts``: PRIVMSG, USERNOTICE, CLEARCHAT, CLEARMSG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from demo.chatsim import SimMessage
from demo.emotes import native_spans
from demo.viewers import Viewer
from demo.vods import CHANNEL, CHANNEL_ID
from demo.writers.common import ExportContext

NICK = "justinfan48213"
PING_EVERY_S = 300.0


def escape(value: str) -> str:
    """IRCv3 tag-value escaping."""
    return value.replace("\\", "\\\\").replace(";", "\\:").replace(" ", "\\s").replace("\r", "\\r").replace("\n", "\\n")


def _tags(pairs: list[tuple[str, str]]) -> str:
    return "@" + ";".join(f"{key}={escape(value)}" for key, value in pairs)


def _emote_tag(body: str) -> str:
    by_id: dict[str, list[str]] = {}
    for start, end, emote_id, _name in native_spans(body):
        by_id.setdefault(emote_id, []).append(f"{start}-{end}")
    return "/".join(f"{emote_id}:{','.join(pos)}" for emote_id, pos in by_id.items())


def _user_tags(user: Viewer) -> dict[str, str]:
    badge_info = f"subscriber/{user.sub_months}" if user.sub_months else ""
    return {
        "badge-info": badge_info,
        "badges": ",".join(f"{name}/{version}" for name, version in user.badges),
        "color": user.color or "",
        "display-name": user.display_name,
        "mod": "1" if user.role in ("mod", "bot") else "0",
        "subscriber": "1" if user.sub_months else "0",
        "user-id": user.user_id,
        "user-type": "mod" if user.role in ("mod", "bot") else "",
    }


def _line(msg: SimMessage, sent_ms: int, rng: np.random.Generator) -> str:
    ts = str(sent_ms)
    if msg.action in ("timeout", "ban"):
        assert msg.target is not None
        pairs = [("ban-duration", str(msg.duration_s))] if msg.action == "timeout" else []
        pairs += [("room-id", CHANNEL_ID), ("target-user-id", msg.target.user_id), ("tmi-sent-ts", ts)]
        return f"{_tags(pairs)} :tmi.twitch.tv CLEARCHAT #{CHANNEL} :{msg.target.login}"
    if msg.action == "delete":
        assert msg.target is not None and msg.target_message is not None
        pairs = [("login", msg.target.login), ("room-id", ""), ("target-msg-id", msg.target_message.msg_id), ("tmi-sent-ts", ts)]
        return f"{_tags(pairs)} :tmi.twitch.tv CLEARMSG #{CHANNEL} :{msg.target_message.body}"
    user = msg.user
    assert user is not None
    u = _user_tags(user)
    if msg.action == "chat":
        pairs = [
            ("badge-info", u["badge-info"]), ("badges", u["badges"]), ("client-nonce", rng.bytes(16).hex()),
            ("color", u["color"]), ("display-name", u["display-name"]), ("emotes", _emote_tag(msg.body)),
            ("first-msg", "0"), ("flags", ""), ("id", msg.msg_id), ("mod", u["mod"]), ("returning-chatter", "0"),
            ("room-id", CHANNEL_ID), ("subscriber", u["subscriber"]), ("tmi-sent-ts", ts), ("turbo", "0"),
            ("user-id", u["user-id"]), ("user-type", u["user-type"]),
        ]  # fmt: skip
        if user.role == "vip":
            pairs.append(("vip", "1"))
        return f"{_tags(pairs)} :{user.login}!{user.login}@{user.login}.tmi.twitch.tv PRIVMSG #{CHANNEL} :{msg.body}"
    head = [
        ("badge-info", u["badge-info"]), ("badges", u["badges"]), ("color", u["color"]),
        ("display-name", u["display-name"]), ("emotes", _emote_tag(msg.body)), ("flags", ""), ("id", msg.msg_id),
        ("login", user.login), ("mod", u["mod"]), ("msg-id", msg.action),
    ]  # fmt: skip
    params: list[tuple[str, str]] = []
    if msg.action in ("sub", "resub"):
        params = [
            ("msg-param-cumulative-months", str(msg.months)), ("msg-param-months", "0"),
            ("msg-param-multimonth-duration", "1" if msg.action == "sub" else "0"), ("msg-param-multimonth-tenure", "0"),
            ("msg-param-should-share-streak", "0"), ("msg-param-sub-plan-name", f"Channel Subscription ({CHANNEL})"),
            ("msg-param-sub-plan", "1000"), ("msg-param-was-gifted", "false"),
        ]  # fmt: skip
    elif msg.action == "subgift":
        assert msg.recipient is not None
        params = [
            ("msg-param-gift-months", "1"), ("msg-param-months", "1"), ("msg-param-origin-id", rng.bytes(20).hex()),
            ("msg-param-recipient-display-name", msg.recipient.display_name),
            ("msg-param-recipient-id", msg.recipient.user_id), ("msg-param-recipient-user-name", msg.recipient.login),
            ("msg-param-sender-count", "0"), ("msg-param-sub-plan-name", f"Channel Subscription ({CHANNEL})"),
            ("msg-param-sub-plan", "1000"),
        ]  # fmt: skip
    elif msg.action == "raid":
        params = [
            ("msg-param-displayName", user.display_name), ("msg-param-login", user.login),
            ("msg-param-profileImageURL", f"https://static-cdn.jtvnw.net/jtv_user_pictures/{user.login}-profile_image-%s.png"),
            ("msg-param-viewerCount", str(msg.viewer_count)),
        ]  # fmt: skip
    tail = [
        ("room-id", CHANNEL_ID), ("subscriber", u["subscriber"]), ("system-msg", msg.system_text), ("tmi-sent-ts", ts),
        ("user-id", u["user-id"]), ("user-type", u["user-type"]),
    ]  # fmt: skip
    line = f"{_tags(head + params + tail)} :tmi.twitch.tv USERNOTICE #{CHANNEL}"
    return f"{line} :{msg.body}" if msg.body else line


def _preamble() -> list[str]:
    return [
        ":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands twitch.tv/membership",
        f":tmi.twitch.tv 001 {NICK} :Welcome, GLHF!",
        f":tmi.twitch.tv 002 {NICK} :Your host is tmi.twitch.tv",
        f":tmi.twitch.tv 003 {NICK} :This server is rather new",
        f":tmi.twitch.tv 004 {NICK} :-",
        f":tmi.twitch.tv 375 {NICK} :-",
        f":tmi.twitch.tv 372 {NICK} :You are in a maze of twisty passages, all alike.",
        f":tmi.twitch.tv 376 {NICK} :>",
        f":{NICK}!{NICK}@{NICK}.tmi.twitch.tv JOIN #{CHANNEL}",
        f":{NICK}.tmi.twitch.tv 353 {NICK} = #{CHANNEL} :{NICK}",
        f":{NICK}.tmi.twitch.tv 366 {NICK} #{CHANNEL} :End of /NAMES list",
        f"@emote-only=0;followers-only=-1;r9k=0;room-id={CHANNEL_ID};slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #{CHANNEL}",
    ]


def write(path: Path, messages: list[SimMessage], ctx: ExportContext) -> list[int | None]:
    rng = np.random.default_rng([ctx.seed, ctx.spec.number, 5])
    lines = _preamble()
    numbers: list[int | None] = []
    next_ping = PING_EVERY_S * float(rng.uniform(0.3, 0.9))
    for msg in messages:
        while msg.t_s >= next_ping:
            lines.append("PING :tmi.twitch.tv")
            next_ping += PING_EVERY_S
        if msg.user is not None and rng.random() < 0.03:
            verb = "JOIN" if rng.random() < 0.7 else "PART"
            login = msg.user.login
            lines.append(f":{login}!{login}@{login}.tmi.twitch.tv {verb} #{CHANNEL}")
        lines.append(_line(msg, ctx.started_ms + msg.t_ms, rng))
        numbers.append(len(lines))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return numbers
