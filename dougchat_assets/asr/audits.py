"""Human audits of ASR quality: a reproducible sample of segments, their clips, their WER.

Gates catch obvious failures; only a person listening can say how wrong "ok" segments
are.  A VOD's audit sample is drawn with a seed derived from (vod id, seed), so the same
VOD always yields the same segments and an auditor's work is never invalidated by a
rerun.  Each sampled segment gets a WAV clip and a line in ``audit.jsonl`` with
``"reference": null`` for the auditor to fill in.  For the demo the reference comes from
the generator's script instead (:func:`reference_from_script`).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dougchat_assets.asr.audio_reader import write_wav_clip
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_write_text

AUDIT_FIELDS = ("vod_id", "segment_id", "start_s", "end_s", "clip", "hypothesis", "reference")


class _Segment(Protocol):
    segment_id: str
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class AuditLine:
    vod_id: str
    segment_id: str
    start_s: float
    end_s: float
    clip: str
    hypothesis: str
    reference: str | None

    def to_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in AUDIT_FIELDS}, ensure_ascii=False)


def draw_audit_sample(segments: Sequence[_Segment], vod_id: str, n: int, seed: int = 0) -> list[_Segment]:
    """``n`` segments (all if fewer) chosen by a RNG seeded from (vod_id, seed), in time order.

    The draw depends on the segment ids, not on list order, so it survives re-sorting.
    """
    if n <= 0 or not segments:
        return []
    key = hashlib.sha256(f"{vod_id}\0{seed}".encode()).digest()
    rng = random.Random(int.from_bytes(key[:8], "big"))
    by_id = sorted(segments, key=lambda s: s.segment_id)
    chosen = rng.sample(by_id, min(n, len(by_id)))
    return sorted(chosen, key=lambda s: (s.start_s, s.segment_id))


def write_audit_clips(
    audio_path: Path, sample: Iterable[_Segment], out_dir: Path, *, vod_id: str = "", pad_s: float = 0.3
) -> Path:
    """Write one WAV per sampled segment (padded by ``pad_s``) and ``audit.jsonl``; return its path.

    The clip is padded so the auditor hears the first and last word whole; the times in
    the line stay the segment's own.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for segment in sample:
        clip_name = f"{segment.segment_id}.wav"
        write_wav_clip(audio_path, max(0.0, segment.start_s - pad_s), segment.end_s + pad_s, out_dir / clip_name)
        line = AuditLine(vod_id, segment.segment_id, segment.start_s, segment.end_s, clip_name, segment.text, None)
        lines.append(line.to_json())
    target = out_dir / "audit.jsonl"
    atomic_write_text(target, "".join(line + "\n" for line in lines))
    return target


def load_audits(path: Path, *, require_reference: bool = False) -> list[AuditLine]:
    """Read an ``audit.jsonl``; an :class:`InputError` names the line and field of any bad line.

    Lines whose reference is still null are returned as they are (an audit in progress)
    unless ``require_reference`` is set.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(path, "audit file not found") from error
    except UnicodeDecodeError as error:
        raise InputError(path, f"audit file is not UTF-8: {error}") from error
    out: list[AuditLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as error:
            raise InputError(path, f"not valid JSON: {error.msg}", line=number) from error
        if not isinstance(item, dict):
            raise InputError(path, "each line must be a JSON object", line=number)
        for name in AUDIT_FIELDS:
            if name not in item:
                raise InputError(path, "missing field", line=number, field=name)
        for name in ("vod_id", "segment_id", "clip", "hypothesis"):
            if not isinstance(item[name], str):
                raise InputError(path, "must be a string", line=number, field=name)
        for name in ("start_s", "end_s"):
            if isinstance(item[name], bool) or not isinstance(item[name], (int, float)):
                raise InputError(path, "must be a number of seconds", line=number, field=name)
        if item["end_s"] < item["start_s"]:
            raise InputError(path, "end_s is before start_s", line=number, field="end_s")
        reference = item["reference"]
        if reference is not None and not isinstance(reference, str):
            raise InputError(path, "must be a string or null", line=number, field="reference")
        if reference is None and require_reference:
            raise InputError(path, "not audited yet (reference is null)", line=number, field="reference")
        out.append(
            AuditLine(
                item["vod_id"],
                item["segment_id"],
                float(item["start_s"]),
                float(item["end_s"]),
                item["clip"],
                item["hypothesis"],
                reference,
            )
        )
    return out


def reference_from_script(script_utterances: Sequence[dict], start_s: float, end_s: float) -> str:
    """The script's words for an audio range: every utterance overlapping [start_s, end_s), in time order.

    Whole utterances are taken (a script has no word times); a segment Whisper cut in the
    middle of an utterance should be compared on ranges that cover whole utterances.
    """
    hits: list[tuple[float, str]] = []
    for index, utterance in enumerate(script_utterances):
        if not {"text", "audio_start_s", "audio_end_s"} <= set(utterance):
            raise ValueError(f"script utterance {index} lacks text/audio_start_s/audio_end_s")
        if utterance["audio_start_s"] is None or utterance["audio_end_s"] is None:
            continue  # said on stream but not in the audio file (trimmed or cut out)
        if float(utterance["audio_start_s"]) < end_s and float(utterance["audio_end_s"]) > start_s:
            hits.append((float(utterance["audio_start_s"]), str(utterance["text"])))
    return " ".join(" ".join(text.split()) for _, text in sorted(hits, key=lambda hit: hit[0]))


def script_reference(script_utterances: Sequence[dict]) -> str:
    """The whole file's reference: every utterance that is in the audio, in audio order."""
    audible = [u for u in script_utterances if u.get("audio_start_s") is not None]
    return " ".join(str(u["text"]) for u in sorted(audible, key=lambda u: float(u["audio_start_s"])))


def load_script(path: Path) -> list[dict]:
    """A demo ``script.json``: a list of utterances (or ``{"utterances": [...]}``), validated.

    Utterances whose ``audio_start_s``/``audio_end_s`` are both null were said on stream
    but are not in the audio file; they are kept (with their nulls) and never used as
    reference.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(path, "script file not found") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(path, f"not valid JSON: {error}") from error
    if isinstance(data, dict):
        data = data.get("utterances")
    if not isinstance(data, list):
        raise InputError(path, "expected a list of utterances (or an object with 'utterances')")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(path, "utterance is not an object", field=f"[{index}]")
        for name in ("text", "audio_start_s", "audio_end_s"):
            if name not in item:
                raise InputError(path, "missing field", field=f"[{index}].{name}")
        if not isinstance(item["text"], str):
            raise InputError(path, "must be a string", field=f"[{index}].text")
        times = [item["audio_start_s"], item["audio_end_s"]]
        if times == [None, None]:
            continue  # not in the audio file (the demo's trimmed start or ad cut)
        for name, value in zip(("audio_start_s", "audio_end_s"), times):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(path, "must be a number of seconds (or both times null)", field=f"[{index}].{name}")
    return data
