"""chat-downloader (xenova/chat-downloader) output of a live Twitch capture: a JSON array.

Captured live over IRC, so it has what a VOD replay lacks: ``ban_user`` items (timeouts,
``ban_type`` + ``ban_duration``) and ``delete_message`` items (``target_message_id``).
Timestamps are epoch **microseconds**; ``time_in_seconds``/``time_text`` are the offset from
the stream start.  Key names and value shapes follow chat-downloader's Twitch IRC remapping.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from demo.chatsim import SimMessage
from demo.emotes import native_spans
from demo.viewers import Viewer
from demo.vods import CHANNEL, CHANNEL_ID
from demo.writers.common import ExportContext

MESSAGE_TYPES = {"sub": "subscription", "resub": "resubscription", "subgift": "subscription_gift", "raid": "raid"}


def time_text(seconds: float) -> str:
    """chat-downloader's ``seconds_to_time``: ``m:ss`` under an hour, ``h:mm:ss`` above."""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _badge(name: str, version: str, months: int) -> dict:
    titles = {"moderator": "Moderator", "vip": "VIP", "premium": "Prime Gaming", "partner": "Verified"}
    if name == "subscriber":
        v = int(version)
        title = "Subscriber" if v == 0 else (f"{v // 12}-Year Subscriber" if v % 12 == 0 else f"{v}-Month Subscriber")
    else:
        title = titles.get(name, name)
    badge = {
        "name": name,
        "version": int(version),
        "title": title,
        "description": title,
        "click_action": "subscribe_to_channel" if name == "subscriber" else "none",
        "click_url": "",
    }
    if name == "subscriber":
        badge["months"] = months
    return badge


def _author(user: Viewer) -> dict:
    author = {
        "badges": [_badge(name, version, user.sub_months) for name, version in user.badges],
        "display_name": user.display_name,
        "id": user.user_id,
        "is_moderator": user.role in ("mod", "bot"),
        "is_subscriber": user.sub_months > 0,
        "is_turbo": False,
        "name": user.display_name.lower(),
    }
    if user.role == "vip":
        author["is_vip"] = True
    return author


def _emotes(body: str) -> list[dict]:
    by_id: dict[str, dict] = {}
    for start, end, emote_id, name in native_spans(body):
        entry = by_id.setdefault(emote_id, {"id": emote_id, "locations": [], "name": name})
        entry["locations"].append(f"{start}-{end}")
    return list(by_id.values())


def _item(msg: SimMessage, ctx: ExportContext, rng: np.random.Generator) -> dict:
    sent_ms = ctx.started_ms + msg.t_ms
    when = {"time_in_seconds": round(msg.t_s, 3), "time_text": time_text(msg.t_s), "timestamp": sent_ms * 1000}
    if msg.action in ("timeout", "ban"):
        assert msg.target is not None
        item = {"action_type": "clear_chat", "channel_id": CHANNEL_ID, "target_author_id": msg.target.user_id, **when}
        if msg.action == "timeout":
            item["ban_duration"] = msg.duration_s
        item.update({"message_type": "ban_user", "ban_type": "timeout" if msg.action == "timeout" else "permanent"})
        item["banned_user"] = msg.target.login
        return item
    if msg.action == "delete":
        assert msg.target is not None and msg.target_message is not None
        return {
            "action_type": "delete_message",
            "author": {"name": msg.target.login},
            "channel_id": "",
            "message": msg.target_message.body,
            "target_message_id": msg.target_message.msg_id,
            "message_type": "delete_message",
            **when,
        }
    user = msg.user
    assert user is not None
    item = {
        "action_type": "text_message" if msg.action == "chat" else "user_notice",
        "author": _author(user),
        "channel_id": CHANNEL_ID,
    }
    if msg.action == "chat":
        item["client_nonce"] = rng.bytes(16).hex()
    if user.color:
        item["colour"] = user.color
    item["flags"] = ""
    if msg.action == "chat":
        item["is_first_message"] = False
        item["is_returning_chatter"] = False
    item["message_id"] = msg.msg_id
    item["user_type"] = "mod" if user.role in ("mod", "bot") else ""
    if msg.action == "chat":
        item["message_type"] = "text_message"
    else:
        item["message_type"] = MESSAGE_TYPES[msg.action]
        item["system_message"] = msg.system_text
    if msg.action in ("sub", "resub"):
        item.update(
            {
                "cumulative_months": msg.months,
                "months": 0,
                "multimonth_duration": 1 if msg.action == "sub" else 0,
                "multimonth_tenure": 0,
                "user_wants_to_share_streaks": False,
                "subscription_plan_name": f"Channel Subscription ({CHANNEL})",
                "subscription_type": "Tier 1",
                "was_gifted": False,
            }
        )
    elif msg.action == "subgift":
        assert msg.recipient is not None
        item.update(
            {
                "gift_recipient_display_name": msg.recipient.display_name,
                "gift_recipient_id": msg.recipient.user_id,
                "months": 1,
                "number_of_months_gifted": 1,
                "subscription_plan_name": f"Channel Subscription ({CHANNEL})",
                "subscription_type": "Tier 1",
            }
        )
    elif msg.action == "raid":
        item.update(
            {"raider_display_name": user.display_name, "raider_name": user.login, "number_of_raiders": msg.viewer_count}
        )
    if msg.body:
        item["message"] = msg.body
        emotes = _emotes(msg.body)
        if emotes:
            item["emotes"] = emotes
    item.update(when)
    return item


def write(path: Path, messages: list[SimMessage], ctx: ExportContext) -> list[int | None]:
    rng = np.random.default_rng([ctx.seed, ctx.spec.number, 5])
    items = [_item(msg, ctx, rng) for msg in messages]
    path.write_text(json.dumps(items, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    return [None] * len(messages)
