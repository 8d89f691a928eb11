"""TwitchDownloader chat JSON (``TwitchDownloaderCLI chatdownload``), gzip-compressed.

One JSON object: ``FileInfo``, ``streamer``, ``video`` (before ``comments``, so a reader can
stream the metadata cheaply), ``comments[]`` and ``embeddedData: null``.  A VOD chat replay
has whole-second ``content_offset_seconds`` and millisecond ``created_at``; it carries subs
as comments with ``user_notice_params`` and has no timeouts or deletions.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np

from demo.chatsim import SimMessage
from demo.emotes import native_spans
from demo.vods import CHANNEL_DISPLAY, CHANNEL_ID
from demo.writers.common import ExportContext, iso_ms, iso_s

GAME = "Mario Kart 8 Deluxe"


def _fragments(body: str) -> tuple[list[dict], list[dict]]:
    """Split the body at native emotes: TwitchDownloader's ``fragments`` and ``emoticons``."""
    fragments: list[dict] = []
    emoticons: list[dict] = []
    pos = 0
    for start, end, emote_id, _name in native_spans(body):
        if start > pos:
            fragments.append({"text": body[pos:start], "emoticon": None})
        fragments.append({"text": body[start : end + 1], "emoticon": {"emoticon_id": emote_id}})
        emoticons.append({"_id": emote_id, "begin": start, "end": end})
        pos = end + 1
    if pos < len(body):
        fragments.append({"text": body[pos:], "emoticon": None})
    return fragments, emoticons


def _picture_id(user_id: str) -> str:
    return hashlib.sha1(user_id.encode()).hexdigest()[:16]


def _comment(msg: SimMessage, ctx: ExportContext) -> dict:
    user = msg.user
    assert user is not None, "a VOD replay has no comments without an author"
    if msg.action == "chat":
        body, notice = msg.body, None
    else:
        body = msg.system_text + (f" {msg.body}" if msg.body else "")
        notice = msg.action
    fragments, emoticons = _fragments(body)
    sent_ms = ctx.started_ms + msg.t_ms
    return {
        "_id": msg.msg_id,
        "created_at": iso_ms(sent_ms),
        "channel_id": CHANNEL_ID,
        "content_type": "video",
        "content_id": ctx.spec.twitch_video_id,
        "content_offset_seconds": msg.t_ms // 1000,
        "commenter": {
            "display_name": user.display_name,
            "_id": user.user_id,
            "name": user.login,
            "logo": f"https://static-cdn.jtvnw.net/jtv_user_pictures/{_picture_id(user.user_id)}-profile_image-300x300.png",
        },
        "message": {
            "body": body,
            "bits_spent": 0,
            "fragments": fragments,
            "user_badges": [{"_id": name, "version": version} for name, version in user.badges],
            "user_color": user.color,
            "emoticons": emoticons,
            "user_notice_params": {"msg-id": notice},
        },
    }


def write(path: Path, messages: list[SimMessage], ctx: ExportContext) -> list[int | None]:
    rng = np.random.default_rng([ctx.seed, ctx.spec.number, 5])
    length = math.ceil(ctx.total_s)
    doc = {
        "FileInfo": {
            "Version": {"Major": 1, "Minor": 4, "Patch": 0},
            "CreatedAt": iso_ms(ctx.started_ms + 86_400_000 + 3_723_456),
            "UpdatedAt": "0001-01-01T00:00:00",
        },
        "streamer": {"name": CHANNEL_DISPLAY, "id": int(CHANNEL_ID)},
        "video": {
            "title": ctx.spec.title,
            "description": None,
            "id": ctx.spec.twitch_video_id,
            "created_at": iso_s(ctx.started_ms),
            "start": 0,
            "end": length,
            "length": length,
            "viewCount": int(rng.integers(20_000, 90_000)),
            "game": GAME,
            "chapters": [
                {
                    "id": str(int(rng.integers(10**9, 10**10))),
                    "startMilliseconds": 0,
                    "lengthMilliseconds": length * 1000,
                    "type": "GAME_CHANGE",
                    "description": GAME,
                    "subDescription": "",
                    "thumbnailUrl": "",
                    "gameId": "511224",
                    "gameDisplayName": GAME,
                    "gameBoxArtUrl": "",
                }
            ],
        },
        "comments": [_comment(msg, ctx) for msg in messages],
        "embeddedData": None,
    }
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    path.write_bytes(buf.getvalue())
    return [None] * len(messages)
