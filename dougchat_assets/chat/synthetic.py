"""Write realistic TwitchDownloader exports of any size, fast and deterministically.

Benchmarks and tests need exports of 10 to 1M comments shaped like the real thing (modern
TwitchDownloader: minified JSON, whole-second ``content_offset_seconds``, millisecond
``created_at``, fragments with Twitch emotes, badges, backfilled commenter info) without
shipping hundreds of MB.  The file is written as a stream; the same arguments always give
the same bytes (gzip included: its header time is fixed).
"""

from __future__ import annotations

import gzip as gzip_module
import io
import json
import random
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

_WORDS = (
    "the a chat is this real lol doug what why no yes gg rip hello monkey game please stop go left right "
    "jump again wait how did he do that i love it insane clip it true based so close almost nice try bro "
    "first time here hi from germany what is happening oh no run it back"
).split()
_TWITCH_EMOTES = (("Kappa", "25"), ("LUL", "425618"), ("PogChamp", "305954156"), ("BibleThump", "86"), ("SeemsGood", "64138"))
_THIRD_PARTY = ("KEKW", "OMEGALUL", "Pog", "Sadge", "catJAM", "monkaS", "EZ", "5Head")
_EMOJI = ("😂", "🐒", "❤️", "🔥", "👀")
_COMMANDS = ("!discord", "!uptime", "!song", "!points", "!schedule")
_BADGES = ((), (("subscriber", "12"),), (("subscriber", "3"), ("premium", "1")), (("moderator", "1"),), (("vip", "1"),))
_COLORS = ("#FF0000", "#1E90FF", "#9ACD32", "#FF69B4", None)


@dataclass(frozen=True)
class SyntheticExport:
    """What was written, for assertions and benchmark reports."""

    path: Path
    n_messages: int
    video_id: str
    started_at_utc_ms: int
    duration_s: float
    created_at_shift_ms: int  # the local-time-as-UTC error written into created_at (0 = none)


def _iso(ms: int, with_ms: bool = True) -> str:
    moment = datetime.fromtimestamp(ms // 1000, timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ms % 1000:03d}Z" if with_ms else f"{text}Z"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Users:
    """A fixed pool of viewers, a few of them chatting much more than the rest (as in real chat)."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self.rng = rng
        self.users = []
        for i in range(count):
            login = f"viewer_{i:05d}"
            display = login.title().replace("_", "") if i % 3 else login.upper()
            backfilled = i % 4 == 0  # TwitchDownloader's commenter backfill is best effort
            commenter = {
                "display_name": display,
                "_id": str(100000000 + i * 7919),
                "name": login,
                "type": None,
                "bio": None,
                "created_at": _iso(1_500_000_000_000 + (i % 2000) * 86_400_000, False) if backfilled else "0001-01-01T00:00:00",
                "updated_at": _iso(1_700_000_000_000 + (i % 2000) * 3_600_000, False) if backfilled else "0001-01-01T00:00:00",
                "logo": f"https://static-cdn.jtvnw.net/jtv_user_pictures/{_uuid(rng)}-profile_image-300x300.png" if backfilled else None,
            }
            badges = [{"_id": b, "version": v} for b, v in _BADGES[i % len(_BADGES)]]
            self.users.append((json.dumps(commenter, ensure_ascii=False, separators=(",", ":")), badges, _COLORS[i % len(_COLORS)]))

    def pick(self) -> tuple[str, list, str | None]:
        # a power-law-ish pick: low indices chat more
        index = int(len(self.users) * self.rng.random() ** 3)
        return self.users[index]


def _message(rng: random.Random) -> tuple[str, list[dict], str | None]:
    """(body, fragments, notice msg-id) of one random message."""
    roll = rng.random()
    if roll < 0.02:
        body = rng.choice(_COMMANDS)
        return body, [{"text": body, "emoticon": None}], None
    if roll < 0.025:
        body = f"{rng.choice(_WORDS)} subscribed at Tier 1. They've subscribed for {rng.randint(2, 40)} months!"
        return body, [{"text": body, "emoticon": None}], rng.choice(("sub", "resub", "subgift"))
    parts: list[tuple[str, str | None]] = []
    for _ in range(rng.randint(1, 7)):
        pick = rng.random()
        if pick < 0.08:
            name, emote_id = rng.choice(_TWITCH_EMOTES)
            parts.append((name, emote_id))
        elif pick < 0.14:
            parts.append((rng.choice(_THIRD_PARTY), None))
        elif pick < 0.17:
            parts.append((rng.choice(_EMOJI), None))
        else:
            parts.append((rng.choice(_WORDS), None))
    fragments: list[dict] = []
    text = ""  # plain text waiting to become a fragment
    for i, (word, emote_id) in enumerate(parts):
        text += " " if i else ""
        if emote_id is None:
            text += word
            continue
        if text:
            fragments.append({"text": text, "emoticon": None})
            text = ""
        fragments.append({"text": word, "emoticon": {"emoticon_id": emote_id}})
    if text:
        fragments.append({"text": text, "emoticon": None})
    return "".join(f["text"] for f in fragments), fragments, None


def write_twitchdownloader_export(
    path: Path,
    n_messages: int,
    seed: int = 0,
    gzip: bool = False,
    *,
    video_id: str = "2079311234",
    started_at_utc_ms: int = 1_709_406_000_000,
    duration_s: float | None = None,
    created_at_shift_ms: int = 0,
) -> SyntheticExport:
    """Write an ``n_messages``-comment TwitchDownloader export to ``path`` (streamed).

    ``created_at_shift_ms`` writes every comment's ``created_at`` that much off (e.g.
    ``-5 * 3_600_000`` for an exporter in UTC-5 writing local time as UTC).
    """
    path = Path(path)
    rng = random.Random(seed)
    duration = float(duration_s if duration_s is not None else max(60, n_messages // 50))
    users = _Users(rng, max(10, min(20_000, n_messages // 20)))
    head = {
        "FileInfo": {"Version": {"Major": 1, "Minor": 4, "Patch": 1}, "CreatedAt": "2024-03-03T12:00:00.1234567Z", "UpdatedAt": "0001-01-01T00:00:00"},
        "streamer": {"name": "DougDoug", "id": 31507411},
        "video": {
            "title": "Synthetic stream: chat vs the monkey",
            "description": None,
            "id": video_id,
            "created_at": _iso(started_at_utc_ms, False),
            "start": 0,
            "end": duration,
            "length": duration,
            "viewCount": 123456,
            "game": "Just Chatting",
            "chapters": [],
        },
    }
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with ExitStack() as stack:
        out: BinaryIO = stack.enter_context(open(path, "wb"))
        if gzip:
            # mtime=0 and no file name in the header: the same arguments give the same bytes
            packed = stack.enter_context(gzip_module.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0, filename=""))
            out = stack.enter_context(io.BufferedWriter(packed, buffer_size=1 << 20))  # type: ignore[arg-type]
        out.write((dumps(head)[:-1] + ',"comments":[').encode())
        for i in range(n_messages):
            offset_ms = int(duration * 1000 * i / max(1, n_messages)) + rng.randint(0, 999)
            sent = started_at_utc_ms + offset_ms
            commenter, badges, color = users.pick()
            body, fragments, notice = _message(rng)
            # TwitchDownloader writes emoticons[].end as begin + len + 1 (sic); readers use fragments
            emoticons = [
                {"_id": f["emoticon"]["emoticon_id"], "begin": pos, "end": pos + len(f["text"]) + 1}
                for pos, f in _positions(fragments)
                if f["emoticon"]
            ]
            message = (
                f'{{"body":{dumps(body)},"bits_spent":0,"fragments":{dumps(fragments)},"user_badges":{dumps(badges)},'
                f'"user_color":{dumps(color)},"user_notice_params":{{"msg-id":{dumps(notice)}}},"emoticons":{dumps(emoticons)}}}'
            )
            comment = (
                f'{"," if i else ""}{{"_id":"{_uuid(rng)}","created_at":"{_iso(sent + created_at_shift_ms)}",'
                f'"channel_id":"31507411","content_type":"video","content_id":"{video_id}",'
                f'"content_offset_seconds":{offset_ms // 1000},"commenter":{commenter},"message":{message}}}'
            )
            out.write(comment.encode())
        out.write(b'],"embeddedData":null}')
    return SyntheticExport(path, n_messages, video_id, started_at_utc_ms, duration, created_at_shift_ms)


def _positions(fragments: list[dict]):
    pos = 0
    for fragment in fragments:
        yield pos, fragment
        pos += len(fragment["text"])
