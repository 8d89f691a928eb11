"""The eval report page: metrics, checks, provenance and per-test-VOD timelines with audio clips.

Clips are written beside the page (``clips/``), one per moment where the model was asked to
reply, so a reader hears what was said and sees gold chat and model replies next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dougchat_assets.asr.audio_reader import write_wav_clip
from dougchat_assets.model.evaluate import EvalResult
from dougchat_assets.model.report import AudioClip, ReportData, TimelineItem, VodTimeline, render_report

LOWER_IS_BETTER = ("perplexity", "mean_rank", "toxicity_rate", "memorisation_rate", "emote_only_rate")


def clip_windows(moments: Sequence[float], count: int, length_s: float, audio_duration_s: float) -> list[tuple[float, float]]:
    """Up to ``count`` non-overlapping windows ending a little after chosen reply moments."""
    windows: list[tuple[float, float]] = []
    for t in sorted(set(round(m, 3) for m in moments)):
        if len(windows) >= count:
            break
        start = max(0.0, t - 0.75 * length_s)
        end = min(audio_duration_s, start + length_s)
        if windows and start < windows[-1][1]:
            continue
        windows.append((start, end))
    return windows


def build_report(
    out_dir: Path,
    result: EvalResult,
    checks: list[dict],
    provenance: dict[str, str],
    split_version: str,
    vods: dict[str, dict],
    clips_per_vod: int,
    clip_s: float,
) -> Path:
    """``vods``: vod_id -> {title, audio (path or None), duration_s, segments, gold: [(audio_s, reply, pair_id)]}."""
    timelines = []
    for vod_id in sorted(vods):
        info = vods[vod_id]
        generations = [g for g in result.generations if g.vod_id == vod_id]
        windows = clip_windows([g.audio_s for g in generations], clips_per_vod, clip_s, info["duration_s"])
        inside = lambda t: any(a <= t <= b for a, b in windows)  # noqa: E731  (a long VOD: only the clipped moments)
        items = [
            TimelineItem("transcript", float(s), text.strip(), end_s=float(e), detail=speaker)
            for s, e, text, speaker in info["segments"] if inside(s)
        ]
        items += [TimelineItem("gold", float(t), reply, detail=f"pair {pid[:10]}") for t, reply, pid in info["gold"] if inside(t)]
        items += [TimelineItem(g.model, g.audio_s, g.reply, detail=f"context of pair {g.pair_id[:10]}") for g in generations]
        clips = []
        for start, end in windows if info.get("audio") else []:
            name = f"clips/{vod_id}_{int(start * 1000):09d}.wav"
            write_wav_clip(Path(info["audio"]), start, end, out_dir / name)
            clips.append(AudioClip(name, start, end))
        timelines.append(VodTimeline(vod_id, info["title"], items, clips))
    data = ReportData(
        title=f"dougchat evaluation — split {split_version}",
        split_version=split_version,
        provenance=provenance,
        metrics=result.metrics,
        checks=checks,
        vods=timelines,
        lower_is_better=LOWER_IS_BETTER,
    )
    return render_report(data, out_dir)
