"""Regenerate the bundled demo VODs: ``python demo/generate.py [--out demo] [--seed N] [--only demo_02]``.

For each VOD: synthesise the script (espeak-ng), lay out the broadcast (starting-soon music,
loud countdown, speech, a music break, noise), apply the true distortions (late start, ad
cut, drift), encode (Opus/Ogg or H.264+AAC/MP4 via ffmpeg), check PyAV decodes it with the
right duration and timing, simulate the chat from the ground truth and write it in the
VOD's export format.  The same seed gives byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``import demo`` work from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from demo.chatsim import simulate  # noqa: E402
from demo.distort import apply_distortion, choose_distortion  # noqa: E402
from demo.encode import verify  # noqa: E402
from demo.encode import encode as encode_audio  # noqa: E402
from demo.script_text import SCRIPTS, validate_script  # noqa: E402
from demo.timeline import SAMPLE_RATE, build_timeline  # noqa: E402
from demo.truth import build_truth, message_records, plan_from_truth, script_records, write_truth  # noqa: E402
from demo.tts import COUNTDOWN, GUEST, STREAMER, Voice, espeak_version, require_tools, synthesize  # noqa: E402
from demo.vods import CHANNEL, LICENCE, VOD_BY_ID, VODS, VodSpec  # noqa: E402
from demo.writers import WRITERS, ExportContext  # noqa: E402

DEFAULT_SEED = 20260302
AUDIO_RANGE_S = (240.0, 360.0)


def _tools() -> dict:
    return {
        "espeak_ng": espeak_version(),
        "voices": {
            name: {"voice": v.name, "speed_wpm": v.speed_wpm, "pitch": v.pitch}
            for name, v in (("streamer", STREAMER), ("guest", GUEST), ("countdown", COUNTDOWN))
        },
    }


def _clean(folder: Path) -> None:
    """The generator owns these folders: drop old files so a renamed output leaves no stale copy."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file():
            path.unlink()


def write_chat(spec: VodSpec, truth: dict, script: list[dict], seed: int, folder: Path) -> list[dict]:
    """Simulate the chat from the ground truth and write the export; return the message records."""
    plan = plan_from_truth(spec, truth, script)
    messages = simulate(plan, seed)
    ctx = ExportContext(spec=spec, started_ms=truth["started_at_utc_ms"], total_s=truth["broadcast_duration_s"], seed=seed)
    lines = WRITERS[spec.chat_format](folder / spec.chat_file, messages, ctx)
    return message_records(messages, lines, truth["started_at_utc_ms"], truth["events"])


def vod_json(spec: VodSpec, truth: dict) -> dict:
    data = {
        "vod_id": spec.vod_id,
        "title": spec.title,
        "started_at": spec.started_at,
        "duration_s": truth["broadcast_duration_s"],
        "channel": CHANNEL,
        "licence": LICENCE,
    }
    if spec.chat_timezone:
        data["chat_timezone"] = spec.chat_timezone
    return data


def generate_vod(spec: VodSpec, out: Path, seed: int, tools: dict) -> dict:
    """Build one VOD folder and its truth; return a summary for the log."""
    t0 = time.perf_counter()
    script_lines = SCRIPTS[spec.vod_id]
    validate_script(spec.vod_id, script_lines)
    cache: dict[tuple[str, Voice], np.ndarray] = {}

    def synth(text: str, voice: Voice) -> np.ndarray:
        if (text, voice) not in cache:
            cache[(text, voice)] = synthesize(text, voice, SAMPLE_RATE)
        return cache[(text, voice)]

    timeline = build_timeline(script_lines, synth, np.random.default_rng([seed, spec.number, 1]), spec.opening_range_s)
    dist = choose_distortion(timeline, np.random.default_rng([seed, spec.number, 2]), spec.late_start_range_s)
    audio = apply_distortion(timeline.audio, dist)
    duration = audio.size / SAMPLE_RATE
    if not AUDIO_RANGE_S[0] <= duration <= AUDIO_RANGE_S[1]:
        raise ValueError(f"{spec.vod_id}: audio is {duration:.1f} s, outside {AUDIO_RANGE_S}; adjust the script")

    vod_dir, truth_dir = out / "vods" / spec.vod_id, out / "truth" / spec.vod_id
    _clean(vod_dir)
    _clean(truth_dir)
    audio_path = vod_dir / spec.audio_file
    encode_audio(audio, SAMPLE_RATE, audio_path, video=spec.video)

    script = script_records(timeline, dist)
    probes = [r["audio_start_s"] for r in script if r["audio_start_s"] is not None and r["audio_start_s"] < duration - 10]
    check = verify(audio_path, audio, SAMPLE_RATE, [probes[len(probes) // 4], probes[len(probes) // 2], probes[-1]])

    truth = build_truth(spec, seed, timeline, dist, audio.size, script, tools)
    truth["messages"] = write_chat(spec, truth, script, seed, vod_dir)
    if spec.write_vod_json:
        (vod_dir / "vod.json").write_text(json.dumps(vod_json(spec, truth), indent=2) + "\n", encoding="utf-8")
    write_truth(truth_dir, truth, script)

    kinds = Counter(m["kind"] for m in truth["messages"])
    return {
        "vod_id": spec.vod_id,
        "audio_s": round(duration, 2),
        "decoded_s": check["decoded_duration_s"],
        "lag_ms": check["lag_ms"],
        "late_start_s": truth["late_start_s"],
        "cut": (truth["ad_cut"]["broadcast_start_s"], truth["ad_cut"]["duration_s"]),
        "drift": truth["drift_factor"],
        "countdown_audio_s": truth["countdown_end"]["audio_s"],
        "utterances": len(script),
        "messages": len(truth["messages"]),
        "kinds": dict(sorted(kinds.items())),
        "audio_bytes": audio_path.stat().st_size,
        "chat_bytes": (vod_dir / spec.chat_file).stat().st_size,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output root (default: demo/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--only", action="append", choices=sorted(VOD_BY_ID), help="regenerate only this VOD (repeatable)")
    args = parser.parse_args(argv)
    require_tools()
    tools = _tools()
    started = time.perf_counter()
    for spec in VODS:
        if args.only and spec.vod_id not in args.only:
            continue
        summary = generate_vod(spec, args.out, args.seed, tools)
        print(json.dumps(summary), flush=True)
    print(f"done in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
