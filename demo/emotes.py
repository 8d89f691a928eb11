"""Twitch emotes as the exports carry them.

Only Twitch's own (native) emotes come with emote data in exports (TwitchDownloader
fragments, IRC ``emotes=`` tags, chat-downloader ``emotes``); BTTV/7TV emotes such as KEKW
are plain text there, exactly as in real exports.  IRC positions count Unicode code points,
which is what a Python ``str`` index is, so an emoji before an emote shifts it by one.
"""

from __future__ import annotations

NATIVE_EMOTES: dict[str, str] = {
    "Kappa": "25",
    "PogChamp": "305954156",
    "LUL": "425618",
    "Kreygasm": "41",
    "BibleThump": "86",
    "ResidentSleeper": "245",
    "NotLikeThis": "58765",
    "HeyGuys": "30259",
    "SeemsGood": "64138",
    "4Head": "354",
    "DansGame": "33",
    "SwiftRage": "34",
    "WutFace": "28087",
    "FailFish": "360",
    "BabyRage": "22639",
    "CoolCat": "58127",
    "VoHiYo": "81274",
    "HSCheers": "444572",
    "PopCorn": "724216",
    "CoolStoryBob": "123171",
    "Jebaited": "114836",
    "BloodTrail": "69",
    "TwitchUnity": "196892",
}

THIRD_PARTY_EMOTES = (
    "KEKW",
    "OMEGALUL",
    "Pog",
    "PogU",
    "monkaS",
    "Sadge",
    "catJAM",
    "EZ",
    "5Head",
    "Copium",
    "ICANT",
    "LULW",
    "pepeLaugh",
    "Clap",
    "peepoHappy",
    "POGGERS",
)


def native_spans(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end_inclusive, emote_id, name)`` for each native emote token, in code points."""
    spans = []
    pos = 0
    for token in text.split(" "):
        if token in NATIVE_EMOTES:
            spans.append((pos, pos + len(token) - 1, NATIVE_EMOTES[token], token))
        pos += len(token) + 1
    return spans
