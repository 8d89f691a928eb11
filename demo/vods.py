"""The four demo VODs: which chat format, which container, and the ranges their distortions come from.

The late-start and opening ranges are chosen per VOD so the four together cover the
interesting cases: a countdown fully heard (demo_01, demo_02), fully lost to the late
start (demo_03) and half lost (demo_04).  The exact values are drawn from the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

CHANNEL = "dougdoug"
CHANNEL_DISPLAY = "DougDoug"
CHANNEL_ID = "31507411"
LICENCE = "synthetic demo data, CC0"


@dataclass(frozen=True)
class VodSpec:
    """What one demo VOD folder looks like and how its audio is distorted."""

    vod_id: str
    number: int  # 1..4, mixed into the seed so each VOD draws its own numbers
    title: str
    started_at: str  # ISO-8601 UTC
    chat_format: str  # twitchdownloader | chat_downloader | irc | chatterino
    chat_file: str
    audio_file: str
    video: bool  # an .mp4 with a tiny black video track + AAC, instead of Ogg/Opus
    late_start_range_s: tuple[float, float]
    opening_range_s: tuple[float, float]
    write_vod_json: bool
    chat_timezone: str | None
    twitch_video_id: str
    raid: bool = False

    @property
    def supports_mod_actions(self) -> bool:
        """A VOD chat replay (TwitchDownloader) has no timeouts/deletions; live captures do."""
        return self.chat_format != "twitchdownloader"


VODS: tuple[VodSpec, ...] = (
    VodSpec(
        vod_id="demo_01",
        number=1,
        title="Chat picks every item I use in Mario Kart (demo)",
        started_at="2026-03-02T19:00:00Z",
        chat_format="twitchdownloader",
        chat_file="chat.json.gz",
        audio_file="audio.opus",
        video=False,
        late_start_range_s=(8.0, 18.0),
        opening_range_s=(20.0, 30.0),
        write_vod_json=False,
        chat_timezone=None,
        twitch_video_id="2712404051",
    ),
    VodSpec(
        vod_id="demo_02",
        number=2,
        title="Cooking with Tessa: Burger Panic (demo)",
        started_at="2026-03-03T19:00:00Z",
        chat_format="chat_downloader",
        chat_file="chat.json",
        audio_file="dougdoug_2026-03-03.ogg",
        video=False,
        late_start_range_s=(18.0, 30.0),
        opening_range_s=(30.0, 40.0),
        write_vod_json=True,
        chat_timezone=None,
        twitch_video_id="2713181122",
    ),
    VodSpec(
        vod_id="demo_03",
        number=3,
        title="Beating Hammer Mountain, pirate rules (demo)",
        started_at="2026-03-04T18:30:00Z",
        chat_format="irc",
        chat_file="chat.irc.log",
        audio_file="audio.opus",
        video=False,
        late_start_range_s=(48.0, 60.0),
        opening_range_s=(20.0, 34.0),
        write_vod_json=True,
        chat_timezone=None,
        twitch_video_id="2714022345",
        raid=True,
    ),
    VodSpec(
        vod_id="demo_04",
        number=4,
        title="Chat names every Pokemon: Nuzlocke (demo)",
        started_at="2026-03-05T19:00:00Z",
        chat_format="chatterino",
        chat_file="dougdoug-2026-03-05.log",
        audio_file="vod.mp4",
        video=True,
        late_start_range_s=(30.0, 33.0),
        opening_range_s=(24.0, 28.0),
        write_vod_json=True,
        chat_timezone="America/New_York",
        twitch_video_id="2714870309",
    ),
)

VOD_BY_ID = {spec.vod_id: spec for spec in VODS}
