"""VOD folders for the ingest tests whose audio length and VOD duration are chosen explicitly."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

from dougchat_assets_tests.conftest import twitchdownloader_export, write_tone_audio


def vod_folder_with(
    folder: Path,
    *,
    audio_s: float = 6.0,
    export_length_s: float | None = 8.0,
    vod_json: dict | str | None = None,
    video: bool = False,
    audio_rate: int = 8_000,
) -> Path:
    """Tone audio of ``audio_s`` seconds beside a 5-message TwitchDownloader export claiming ``export_length_s``.

    ``vod_json`` is written as JSON (a dict) or verbatim (a str, for values JSON can hold
    but Python's ``json.dumps`` would not write, such as ``1e999``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_tone_audio(folder / ("stream.mp4" if video else "stream.flac"), seconds=audio_s, rate=audio_rate, video=video)
    export = twitchdownloader_export(5)
    if export_length_s is None:
        export["video"].pop("end")
        export["video"].pop("length")
    else:
        export["video"]["end"] = export["video"]["length"] = export_length_s
    (folder / "chat.json").write_text(json.dumps(export))
    if vod_json is not None:
        (folder / "vod.json").write_text(vod_json if isinstance(vod_json, str) else json.dumps(vod_json))
    return folder


def write_video_only_mp4(path: Path, seconds: float = 10.0) -> Path:
    """A black H.264 video with no audio stream at all (a screen capture without sound)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=2)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(int(seconds * 2)):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
