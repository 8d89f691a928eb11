"""transcripts <-> warehouse: read the VOD's normalised audio, write segments, words and provenance.

Kept apart from the pure ASR logic so the asset, the CLI (`dougchat audit`) and the
benchmarks share one implementation; no Dagster here.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dougchat_assets.asr.audits import AuditLine, load_audits
from dougchat_assets.asr.transcribe import TranscriptResult
from dougchat_assets.asr.wer import WerResult, word_error_rate
from dougchat_assets.errors import InputError
from dougchat_assets.ingest.manifest import file_entry, manifest_table, record_entry
from dougchat_assets.settings import WarehouseLayout
from dougchat_assets.store import TableWrite, replace_rows
from dougchat_assets.store.checks import WARN, CheckRecord, check_table

ASSET = "transcripts"
# Words whose middle lies this close outside an audited range still count as inside it:
# Whisper's word edges wander by a few tenths.
AUDIT_EDGE_S = 0.3


@dataclass(frozen=True)
class VodAudioRef:
    path: Path
    sha256: str
    duration_s: float


def vod_audio_ref(con: duckdb.DuckDBPyConnection, layout: WarehouseLayout, vod_id: str) -> VodAudioRef:
    """The normalised audio recorded by vod_audio; refuses a file whose checksum no longer matches."""
    row = con.execute("SELECT path, sha256, duration_s FROM vod_audio WHERE vod_id = ?", [vod_id]).fetchone()
    if row is None:
        raise InputError(layout.audio_path(vod_id), "no vod_audio row for this VOD: materialize vod_audio first")
    return VodAudioRef(layout.root / row[0], row[1], row[2])


def audits_path(layout: WarehouseLayout, vod_id: str) -> Path:
    return layout.audits_dir / f"{vod_id}.jsonl"


@dataclass
class AuditScore:
    """WER of the current transcript on the filled audit lines of one VOD."""

    lines: int
    wer: WerResult | None
    worst: list[dict] = field(default_factory=list)
    per_line: list[dict] = field(default_factory=list)  # every filled line: segment_id, start_s, wer, texts


def score_audits(lines: list[AuditLine], result: TranscriptResult) -> AuditScore:
    """Compare each audited range's reference with the words the transcript now has there.

    Scored against the current words, not the hypothesis stored at audit time, so a new model
    or lexicon is judged on the same ranges.
    """
    filled = [line for line in lines if line.reference is not None]
    if not filled:
        return AuditScore(0, None)
    hypotheses = []
    for line in filled:
        inside = [
            word.word
            for word in result.words
            if line.start_s - AUDIT_EDGE_S <= (word.start_s + word.end_s) / 2 <= line.end_s + AUDIT_EDGE_S
        ]
        hypotheses.append(" ".join(w.strip() for w in inside))
    references = [line.reference or "" for line in filled]
    per_line = [
        {"segment_id": line.segment_id, "start_s": line.start_s, "wer": word_error_rate([ref], [hyp]).wer, "reference": ref, "hypothesis": hyp}
        for line, ref, hyp in zip(filled, references, hypotheses)
    ]
    worst = sorted(per_line, key=lambda item: -item["wer"])[:3]
    return AuditScore(len(filled), word_error_rate(references, hypotheses), worst, per_line)


def script_audit_lines(script: list[dict], vod_id: str, n: int, seed: int = 0) -> list[AuditLine]:
    """Audit lines for a VOD whose true script is known (the demo): a reproducible sample of utterances."""
    audible = [u for u in script if u.get("audio_start_s") is not None and u.get("audio_end_s") is not None]
    key = hashlib.sha256(f"{vod_id}\0{seed}".encode()).digest()
    chosen = random.Random(int.from_bytes(key[:8], "big")).sample(range(len(audible)), min(n, len(audible)))
    return [
        AuditLine(
            vod_id=vod_id,
            segment_id=f"script-{audible[i].get('index', i)}",
            start_s=float(audible[i]["audio_start_s"]),
            end_s=float(audible[i]["audio_end_s"]),
            clip="",
            hypothesis="",
            reference=str(audible[i]["text"]),
        )
        for i in sorted(chosen)
    ]


def _rows(vod_id: str, items: list) -> list[dict]:
    rows = []
    for item in items:
        row = asdict(item)
        row["vod_id"] = vod_id
        if "quality_flag" in row:
            row["quality"] = row.pop("quality_flag")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class TranscriptThresholds:
    """Gates of the transcripts asset's blocking checks."""

    max_wer: float = 0.25
    max_low_quality_share: float = 0.25


def transcript_checks(
    vod_id: str, audit: AuditScore, low_share: float, result: TranscriptResult, thresholds: TranscriptThresholds
) -> list[CheckRecord]:
    """audited_wer, audits_present (a warning), low_quality_share, model_checksum_recorded.

    Two checks for the audits, because they answer different questions: ``audited_wer`` blocks
    a VOD whose audited WER is too high (and has nothing to judge without audits), while
    ``audits_present`` warns, never blocks, that nobody has audited this VOD yet.  One check that
    failed with a warning for "not audited" would hold back every unaudited VOD in an automation
    that waits for blocking checks to pass.
    """
    wer = audit.wer
    return [
        CheckRecord(
            "audited_wer",
            passed=wer is None or wer.wer <= thresholds.max_wer,
            value=wer.wer if wer is not None else None,
            threshold=thresholds.max_wer,
            description=(
                f"WER {wer.wer:.3f} on {audit.lines} audited lines" if wer is not None
                else "nothing audited yet, so nothing to judge (see audits_present)"
            ),
        ),
        CheckRecord(
            "audits_present",
            passed=wer is not None,
            value=audit.lines,
            description=(
                f"{audit.lines} audited lines" if wer is not None
                else f"no filled audits: run `dougchat audit {vod_id}` and fill in the references"
            ),
            severity=WARN,
        ),
        CheckRecord(
            "low_quality_share",
            passed=low_share <= thresholds.max_low_quality_share,
            value=round(low_share, 4),
            threshold=thresholds.max_low_quality_share,
            description="share of transcribed time flagged low-confidence / hallucination / non-speech",
        ),
        CheckRecord(
            "model_checksum_recorded",
            passed=bool(result.model.sha256),
            value=result.model.sha256,
            description="the ASR model's checksum is in the manifest, written with the transcript",
        ),
    ]


@dataclass
class TranscriptSummary:
    vod_id: str
    segments: int
    words: int
    flags: dict[str, int]
    low_quality_share: float
    speech_s: float
    audit: AuditScore
    params: dict
    timings_s: dict[str, float]
    checks: list[CheckRecord] = field(default_factory=list)


def low_quality_share(result: TranscriptResult) -> float:
    """Share of transcribed time in segments flagged anything but ok (0 when nothing was said)."""
    total = sum(s.end_s - s.start_s for s in result.segments)
    flagged = sum(s.end_s - s.start_s for s in result.segments if s.quality_flag != "ok")
    return flagged / total if total > 0 else 0.0


def audit_score(layout: WarehouseLayout, vod_id: str, result: TranscriptResult) -> AuditScore:
    """The transcript scored on the VOD's filled audit lines (none: ``AuditScore(0, None)``)."""
    audit_file = audits_path(layout, vod_id)
    return score_audits(load_audits(audit_file), result) if audit_file.exists() else AuditScore(0, None)


def write_transcripts(
    con: duckdb.DuckDBPyConnection,
    layout: WarehouseLayout,
    vod_id: str,
    audio: VodAudioRef,
    result: TranscriptResult,
    thresholds: TranscriptThresholds = TranscriptThresholds(),
    audit: AuditScore | None = None,
    plot: Path | None = None,
) -> TranscriptSummary:
    """Replace the VOD's transcript rows, manifest entries and check outcomes in one transaction.

    ``audit``: the audits already scored (:func:`audit_score`, outside the write lock); ``plot``:
    the quality plot made from them, recorded in the manifest with its checksum.
    """
    audit_file = audits_path(layout, vod_id)
    audit = audit if audit is not None else audit_score(layout, vod_id, result)
    low_share = low_quality_share(result)
    checks = transcript_checks(vod_id, audit, low_share, result, thresholds)
    entries = [
        file_entry(vod_id, ASSET, "audio_input", audio.path, layout.root, sha256=audio.sha256),
        record_entry(vod_id, ASSET, "asr_model", {"model_id": result.model.model_id, "sha256": result.model.sha256, "path": str(result.model.path)}),
        record_entry(vod_id, ASSET, "asr_params", result.params),
    ]
    if audit_file.exists():
        entries.append(file_entry(vod_id, ASSET, "audits", audit_file, layout.root, details={"filled_lines": audit.lines}))
    if plot is not None:
        entries.append(file_entry(vod_id, ASSET, "plot", plot, layout.root))
    segments = _rows(vod_id, result.segments)
    words = _rows(vod_id, result.words)
    replace_rows(
        con,
        [
            TableWrite("transcript_segments", pa.Table.from_pylist(segments) if segments else [], {"vod_id": vod_id}),
            TableWrite("transcript_words", pa.Table.from_pylist(words) if words else [], {"vod_id": vod_id}),
            TableWrite("vod_manifest", manifest_table(entries), {"vod_id": vod_id, "asset": ASSET}),
            TableWrite("quality_checks", check_table(vod_id, ASSET, checks), {"vod_id": vod_id, "asset": ASSET}),
        ],
    )
    return TranscriptSummary(
        vod_id=vod_id,
        segments=len(segments),
        words=len(words),
        flags=result.flag_counts(),
        low_quality_share=low_share,
        speech_s=result.speech_s,
        audit=audit,
        params=result.params,
        timings_s=result.timings_s,
        checks=checks,
    )
