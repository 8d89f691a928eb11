"""Score the demo's pair contexts against ground truth: did the viewer's reacted-to line make it
into the context, and did the context show words said after the message was sent?"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np

from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_assets.cli import DEMO_DIR


@dataclass(frozen=True)
class WindowScore:
    reactions: int  # reaction messages that became pairs (their spoken line is in the audio)
    inside: int  # ...whose whole spoken line lies inside the context window
    leaked: int  # ...whose context shows a word that started after the message was sent

    def __add__(self, other: WindowScore) -> WindowScore:
        return WindowScore(self.reactions + other.reactions, self.inside + other.inside, self.leaked + other.leaked)


def score_windows(con: duckdb.DuckDBPyConnection, vod_id: str) -> WindowScore:
    truth = json.loads((DEMO_DIR / "truth" / vod_id / "ground_truth.json").read_text())
    script = json.loads((DEMO_DIR / "truth" / vod_id / "script.json").read_text())
    key = "line" if truth["chat_format"] in ("irc", "chatterino") else "index"
    by_position = {m[key]: m for m in truth["messages"] if key in m}
    words = np.array(con.execute(
        "SELECT w.start_s, w.end_s FROM transcript_words w JOIN transcript_segments s USING (vod_id, segment_id)"
        " WHERE vod_id = ? AND s.quality = 'ok'", [vod_id]).fetchall(), dtype=np.float64).reshape(-1, 2)
    rows = con.execute(
        "SELECT r.source_line, p.audio_start_s, p.audio_end_s FROM pairs p JOIN raw_chat r USING (vod_id, msg_id)"
        " WHERE vod_id = ? AND p.variant = 'orig'", [vod_id]).fetchall()
    n = inside = leaked = 0
    for line, start, end in rows:
        message = by_position.get(line)
        if message is None or message["kind"] != "reaction" or message["utterance"] is None:
            continue
        spoken = script[message["utterance"]]
        if spoken["audio_start_s"] is None:
            continue
        n += 1
        inside += start <= spoken["audio_start_s"] and spoken["audio_end_s"] <= end
        said_at_send = float(map_chat_to_audio(truth["knots"], message["sent_at_utc_ms"]))
        shown = (words[:, 0] >= start) & (words[:, 1] <= end)
        leaked += bool(np.any(words[shown, 0] > said_at_send))
    return WindowScore(n, inside, leaked)
