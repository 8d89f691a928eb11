"""Follow one training pair back to everything that made it (`dougchat trace`).

The queries are in ``dataset/warehouse.py`` (:func:`trace_pair`); this module is the record
and how it reads.  pair -> the raw chat line (file, line, send time) -> the user hash -> the transcript
segments in its context (times, confidence, quality) -> the audio range -> the offset
curve segment it was placed with -> the VOD's input files and checksums -> the filter
preset and window parameters -> the split versions that contain it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dougchat_assets.errors import InputError


@dataclass
class PairLineage:
    pair: dict
    chat: dict
    segments: list[dict]
    curve: dict
    files: list[dict]
    splits: list[dict] = field(default_factory=list)
    audio_path: str | None = None

    def as_dict(self) -> dict:
        return {"pair": self.pair, "chat": self.chat, "segments": self.segments, "curve": self.curve,
                "files": self.files, "splits": self.splits, "audio_path": self.audio_path}


def _utc(ms: int | None) -> str:
    if ms is None:
        return "?"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_lineage(lineage: PairLineage) -> str:
    """The human-readable trace, top to bottom in the order the data flowed."""
    p, c = lineage.pair, lineage.chat
    out = [
        f"pair {p['pair_id']}  (VOD {p['vod_id']}, {p['variant']}, prompt {p['prompt_version']})",
        f"  reply        {json.dumps(p['reply'], ensure_ascii=False)}  (weight {p['weight']:.3g})",
        f"  chat line    {c.get('source_file', '?')} line {c.get('source_line', '?')} ({c.get('source_format', '?')}),"
        f" sent {_utc(p['sent_at_utc_ms'])}, type {c.get('msg_type', '?')}",
        f"  raw body     {json.dumps(c.get('body'), ensure_ascii=False)}",
        f"  user         hash {p['user_hash']}",
        f"  audio range  {lineage.audio_path or '?'}  {p['audio_start_s']:.2f}-{p['audio_end_s']:.2f} s"
        f"  (viewer position {p['viewer_audio_s']:.2f} s)",
        f"  offset curve version {p['curve_version']}, segment {p['curve_segment']}, confidence"
        f" {p['curve_confidence']:.2f}, {lineage.curve['method']} ({lineage.curve['source']})",
        "  transcript segments in the context:",
    ]
    for s in lineage.segments:
        speaker = f" {s['speaker']}" if s.get("speaker") else ""
        out.append(
            f"    {s['segment_id']}  {s['start_s']:.2f}-{s['end_s']:.2f} s  avg_logprob {s['avg_logprob']:.2f}"
            f"  {s['quality']}{speaker}  {json.dumps(s['text'].strip(), ensure_ascii=False)}"
        )
    if not lineage.segments:
        out.append("    (none: no gated speech in the window)")
    out.append(f"  chat lines in the context: {len(p['chat_context_msg_ids'])} message id(s)")
    out.append(f"  filters      preset {p['filter_preset']} (params {p['filter_params_hash']}), window {p['window_params_hash']}")
    out.append("  VOD files:")
    for f in lineage.files:
        out.append(f"    {f['asset']}/{f['role']}: {f['path']}  sha256 {f['sha256'][:16]}..  {f['size_bytes']} bytes")
    out.append("  split versions with this VOD:")
    for s in lineage.splits:
        out.append(f"    {s['split_version']}: {s['split']}  ({s['manifest_path']})")
    if not lineage.splits:
        out.append("    (none yet: materialize train_split)")
    out.append("  context the model sees:")
    out.extend("    | " + line for line in p["context"].splitlines())
    return "\n".join(out)


def clip_range(lineage: PairLineage, root: Path) -> tuple[Path, float, float]:
    if lineage.audio_path is None:
        raise InputError("vod_audio", f"no audio recorded for VOD {lineage.pair['vod_id']}")
    return root / lineage.audio_path, max(0.0, lineage.pair["audio_start_s"]), lineage.pair["audio_end_s"]
