"""The ground truth and reference script: what later stages score themselves against.

``script.json`` lists every utterance with broadcast times measured from the synthesised
samples and the audio-file times they map to (null where the late start trimmed them or
the ad cut removed them).  ``ground_truth.json`` holds the true distortions, the true
chat->audio knots, the spoken events and one record per exported chat message, in export
order.  :func:`plan_from_truth` rebuilds the chat simulation's input from these files, so
the committed chat can be regenerated and compared without running any TTS.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

from demo.chatsim import REACTION_CAP_S, REACTION_MEDIAN_S, REACTION_SIGMA, ChatPlan, PlannedEvent, SimMessage
from demo.distort import Distortion
from demo.script_text import COUNTDOWN_FINALE
from demo.timeline import SAMPLE_RATE, Timeline
from demo.viewers import LATENCY_MEAN_S, LATENCY_MIN_S, LATENCY_SD_S
from demo.vods import VodSpec
from demo.writers.common import iso_s, parse_iso

COUNTDOWN_WORDS_ECHOED = ("let's go",)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _segment(dist: Distortion, t_s: float) -> str:
    late, c, d = dist.late_start_ms / 1000, dist.cut_start_ms / 1000, dist.cut_ms / 1000
    if t_s < late:
        return "trimmed"
    if c <= t_s < c + d:
        return "cut"
    return "before_cut" if t_s < c else "after_cut"


def script_records(timeline: Timeline, dist: Distortion) -> list[dict]:
    """One record per utterance; audio times null unless the whole utterance is in the file."""
    records = []
    for utt in timeline.utterances:
        start_seg, end_seg = _segment(dist, utt.start_s), _segment(dist, utt.end_s)
        if start_seg != end_seg:
            raise ValueError(f"utterance {utt.index} straddles a trim/cut edge")
        audible = start_seg in ("before_cut", "after_cut")
        records.append(
            {
                "index": utt.index,
                "speaker": utt.speaker,
                "part": utt.part,
                "text": utt.text,
                "broadcast_start_s": _r(utt.start_s),
                "broadcast_end_s": _r(utt.end_s),
                "audio_start_s": _r(dist.audio_s(utt.start_s)) if audible else None,
                "audio_end_s": _r(dist.audio_s(utt.end_s)) if audible else None,
                "cut": start_seg == "cut",
                "trimmed": start_seg == "trimmed",
            }
        )
    return records


def event_records(timeline: Timeline, dist: Distortion) -> list[dict]:
    """Spoken events in broadcast order: the countdown finale, then every line with a cue."""
    events = []
    for utt in timeline.utterances:
        if utt.part == "countdown" and utt.text == COUNTDOWN_FINALE:
            kind, words, answers, size = "countdown", COUNTDOWN_WORDS_ECHOED, (), (20, 40)
        elif utt.cue is not None:
            kind, words, answers, size = utt.cue.kind, utt.cue.words, utt.cue.answers, utt.cue.size
        else:
            continue
        events.append(
            {
                "index": len(events),
                "utterance": utt.index,
                "kind": kind,
                "broadcast_s": _r(utt.end_s),
                "audio_s": _r(dist.audio_s(utt.end_s)),
                "words": list(words),
                "answers": list(answers),
                "size": list(size),
            }
        )
    return events


def speaker_turns(script: list[dict], dist: Distortion) -> list[dict]:
    """Runs of one speaker, split where the audio file is interrupted (trim or cut)."""
    turns = []
    key = lambda rec: (rec["speaker"], _segment(dist, rec["broadcast_start_s"]))  # noqa: E731
    for (speaker, _segment_name), group in groupby(script, key=key):
        recs = list(group)
        turns.append(
            {
                "speaker": speaker,
                "utterances": [recs[0]["index"], recs[-1]["index"]],
                "broadcast_start_s": recs[0]["broadcast_start_s"],
                "broadcast_end_s": recs[-1]["broadcast_end_s"],
                "audio_start_s": recs[0]["audio_start_s"],
                "audio_end_s": recs[-1]["audio_end_s"],
            }
        )
    return turns


def build_truth(
    spec: VodSpec, seed: int, timeline: Timeline, dist: Distortion, audio_n: int, script: list[dict], tools: dict
) -> dict:
    """Everything but ``messages`` (added once the chat has been simulated from this)."""
    started_ms = parse_iso(spec.started_at)
    total_ms = timeline.total * 1000 // SAMPLE_RATE
    music = (timeline.music_start / SAMPLE_RATE, timeline.music_end / SAMPLE_RATE)
    countdown_end = timeline.countdown_end / SAMPLE_RATE
    raid_utt = next((u.index for u in timeline.utterances if u.raid_before), None) if spec.raid else None
    return {
        "vod_id": spec.vod_id,
        "chat_format": spec.chat_format,
        "chat_file": spec.chat_file,
        "audio_file": spec.audio_file,
        "started_at": iso_s(started_ms),
        "started_at_utc_ms": started_ms,
        "broadcast_duration_s": total_ms / 1000,
        "audio_duration_s": _r(audio_n / SAMPLE_RATE),
        "audio_sample_rate": SAMPLE_RATE,
        "late_start_s": dist.late_start_ms / 1000,
        "drift_factor": dist.drift,
        "ad_cut": {
            "broadcast_start_s": dist.cut_start_ms / 1000,
            "duration_s": dist.cut_ms / 1000,
            "audio_s": _r(dist.mapped_s(dist.cut_start_ms / 1000)),
        },
        "opening": {"broadcast_start_s": 0.0, "broadcast_end_s": _r(timeline.opening_end / SAMPLE_RATE)},
        "countdown_end": {"broadcast_s": _r(countdown_end), "audio_s": _r(dist.audio_s(countdown_end))},
        "music_stretch": {
            "broadcast_start_s": _r(music[0]),
            "broadcast_end_s": _r(music[1]),
            "audio_start_s": _r(dist.audio_s(music[0])),
            "audio_end_s": _r(dist.audio_s(music[1])),
        },
        "latency_model": {
            "stream_latency_s": {"dist": "normal", "mean": LATENCY_MEAN_S, "sd": LATENCY_SD_S, "min": LATENCY_MIN_S, "per": "viewer"},
            "reaction_time_s": {"dist": "lognormal", "median": REACTION_MEDIAN_S, "sigma": REACTION_SIGMA, "max": REACTION_CAP_S},
            "measured_from": "end of the utterance that carries the event (events[].broadcast_s)",
        },
        "knots": dist.knots(started_ms, total_ms),
        "knots_note": "chat_utc_ms -> audio_s, linear between knots, linear extrapolation beyond the ends; flat inside the ad cut",
        "events": event_records(timeline, dist),
        "speaker_turns": speaker_turns(script, dist),
        "raid": {"utterance": raid_utt} if raid_utt is not None else None,
        "generator": {"seed": seed, **tools},
    }


def plan_from_truth(spec: VodSpec, truth: dict, script: list[dict]) -> ChatPlan:
    """The chat simulation's input, read back from the ground truth (no audio needed)."""
    events = tuple(
        PlannedEvent(
            index=e["index"],
            utterance=e["utterance"],
            kind=e["kind"],
            broadcast_s=e["broadcast_s"],
            words=tuple(e["words"]),
            answers=tuple(e["answers"]),
            size=(e["size"][0], e["size"][1]),
        )
        for e in truth["events"]
    )
    raid = truth.get("raid")
    return ChatPlan(
        spec=spec,
        total_s=truth["broadcast_duration_s"],
        countdown_end_s=truth["countdown_end"]["broadcast_s"],
        music_s=(truth["music_stretch"]["broadcast_start_s"], truth["music_stretch"]["broadcast_end_s"]),
        events=events,
        raid_utterance_start_s=script[raid["utterance"]]["broadcast_start_s"] if raid else None,
    )


def message_records(
    messages: list[SimMessage], lines: list[int | None], started_ms: int, events: list[dict]
) -> list[dict]:
    """Per exported message: why it exists, when it was really sent and, for a reaction or an
    anchor, which spoken line (``script.json`` index) it answers."""
    records = []
    for i, (msg, line) in enumerate(zip(messages, lines)):
        rec = {
            "index": i,
            "kind": msg.kind,
            "t_send_broadcast_s": msg.t_ms / 1000,
            "sent_at_utc_ms": started_ms + msg.t_ms,
            "event": msg.event,
            "utterance": events[msg.event]["utterance"] if msg.event is not None else None,
            "echo": msg.echo,
            "user": msg.user.login if msg.user is not None else None,
        }
        if msg.kind == "mod_action":
            rec["action"] = msg.action
            rec["target"] = msg.target.login if msg.target is not None else None
        if line is not None:
            rec["line"] = line
        records.append(rec)
    return records


def dumps_truth(obj: dict) -> str:
    """JSON with one top-level key per line and lists of records one record per line.

    Readable, diffable, and a third of the size of ``indent=2`` for ~1000 message records.
    """
    parts = []
    for key, value in obj.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            inner = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f"  {json.dumps(key)}: [\n{inner}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_truth(folder: Path, truth: dict, script: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ground_truth.json").write_text(dumps_truth(truth), encoding="utf-8")
    lines = ",\n".join("  " + json.dumps(rec, ensure_ascii=False) for rec in script)
    (folder / "script.json").write_text(f"[\n{lines}\n]\n", encoding="utf-8")
