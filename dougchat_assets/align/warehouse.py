"""offset_curve <-> warehouse: read a VOD's chat, words, energy and metadata; write knots and anchors.

Kept apart from the pure estimator so the asset and the benchmarks share it; no Dagster here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from dougchat_assets.align.checks import CheckOutcome, evaluate_checks
from dougchat_assets.align.estimate import estimate_alignment, with_override
from dougchat_assets.align.inputs import AlignmentInputs, VodMeta
from dougchat_assets.align.override import OverrideBounds, load_override, override_path
from dougchat_assets.align.result import AlignmentResult
from dougchat_assets.errors import InputError
from dougchat_assets.ingest.manifest import file_entry, manifest_table, record_entry
from dougchat_assets.settings import WarehouseLayout
from dougchat_assets.store import TableWrite, replace_rows
from dougchat_assets.store.checks import CheckRecord, check_table, failed_blocking_checks

ASSET = "offset_curve"


def read_alignment_inputs(con: duckdb.DuckDBPyConnection, vod_id: str) -> AlignmentInputs:
    """Everything the estimator needs for one VOD, from the tables the upstream assets wrote."""
    # fetchall, not fetchone: an unfinished result would block the relations below.
    audio = next(iter(con.execute("SELECT duration_s FROM vod_audio WHERE vod_id = ?", [vod_id]).fetchall()), None)
    vod = next(iter(con.execute("SELECT started_at_utc_ms FROM vods WHERE vod_id = ?", [vod_id]).fetchall()), None)
    if audio is None or vod is None:
        raise InputError(vod_id, "vod_audio / raw_chat are not materialized for this VOD")
    failed = failed_blocking_checks(con, vod_id, ("raw_chat", "transcripts"))
    if failed:
        why = "; ".join(f"{asset}: {', '.join(names)}" for asset, names in sorted(failed.items()))
        raise InputError(vod_id, f"upstream blocking checks failed ({why}): fix the input and re-materialize those first")
    words = con.sql(
        "SELECT w.start_s, w.end_s, w.word, w.probability, s.quality FROM transcript_words w"
        " JOIN transcript_segments s USING (vod_id, segment_id) WHERE vod_id = ? ORDER BY w.start_s, w.word_index",
        params=[vod_id],
    ).to_arrow_table()
    chat = con.sql(
        "SELECT sent_at_utc_ms, body, user_login, msg_type, vod_offset_s, source_format FROM raw_chat"
        " WHERE vod_id = ? ORDER BY sent_at_utc_ms, source_line",
        params=[vod_id],
    ).to_arrow_table()
    energy = con.sql(
        "SELECT start_s AS frame_start_s, rms_db FROM audio_energy WHERE vod_id = ? ORDER BY frame_index", params=[vod_id]
    ).to_arrow_table()
    return AlignmentInputs.from_arrow(
        words=words, chat=chat, energy=energy, meta=VodMeta(audio_duration_s=audio[0], started_at_utc_ms=vod[0])
    )


@dataclass
class AlignmentOutcome:
    result: AlignmentResult
    checks: dict[str, CheckOutcome]
    override_file: Path | None

    @property
    def check_records(self) -> list[CheckRecord]:
        return [
            CheckRecord(name, bool(c.passed), c.value, c.threshold, c.description)
            for name, c in self.checks.items()
        ]


def estimate_for_vod(inputs: AlignmentInputs, layout: WarehouseLayout, vod_id: str) -> AlignmentOutcome:
    """Estimate the curve; a reviewer's override file, when present, wins and is recorded as such.

    The override is read (and range-checked against this VOD) before the estimate, so a bad
    file fails at once with the file and field named.
    """
    path = override_path(layout.overrides_dir, vod_id)
    override = load_override(path, vod_id=vod_id, bounds=override_bounds(inputs)) if path.exists() else None
    result = estimate_alignment(inputs)
    if override is not None:
        result = with_override(result, override, inputs.meta.started_at_utc_ms, inputs.meta.audio_duration_s)
    return AlignmentOutcome(result, evaluate_checks(result, inputs.meta.audio_duration_s), path if override else None)


def override_bounds(inputs: AlignmentInputs) -> OverrideBounds:
    """The VOD facts an override is range-checked against (the reviewer reads the same ones)."""
    times = inputs.chat.sent_at_utc_ms
    return OverrideBounds(
        started_at_utc_ms=inputs.meta.started_at_utc_ms,
        audio_duration_s=inputs.meta.audio_duration_s,
        chat_first_ms=int(times.min()) if times.size else None,
        chat_last_ms=int(times.max()) if times.size else None,
    )


def write_offset_curve(con: duckdb.DuckDBPyConnection, layout: WarehouseLayout, vod_id: str, outcome: AlignmentOutcome,
                       plot: Path | None) -> None:
    result = outcome.result
    source = "override" if outcome.override_file else "estimate"
    knots = pa.Table.from_pylist(
        [
            {"vod_id": vod_id, "knot_index": i, "chat_utc_ms": k.chat_utc_ms, "audio_s": float(k.audio_s),
             "segment": k.segment, "confidence": float(k.confidence), "method": k.method, "source": source}
            for i, k in enumerate(result.knots)
        ]
    )
    anchors = [
        {"vod_id": vod_id, "kind": a.kind, "chat_utc_ms": a.chat_utc_ms, "audio_s": float(a.audio_s),
         "weight": float(a.weight), "residual_s": float(a.residual_s)}
        for a in result.anchors
    ]
    entries = [record_entry(vod_id, ASSET, "alignment", {
        "method": result.method, "confidence": result.confidence, "reaction_lag_s": result.reaction_lag_s,
        "drift_s_per_h": result.drift_s_per_h, "offset_s": result.offset_s, "source": source,
        "checks": {name: outcome._asdict() for name, outcome in outcome.checks.items()},
        "params": json.loads(json.dumps(result.params, default=str)),
    })]
    if outcome.override_file is not None:
        entries.append(file_entry(vod_id, ASSET, "override", outcome.override_file, layout.root))
    if plot is not None:
        entries.append(file_entry(vod_id, ASSET, "plot", plot, layout.root))
    spans = [
        {"vod_id": vod_id, "kind": span.kind, "start_utc_ms": int(span.start_utc_ms), "end_utc_ms": int(span.end_utc_ms),
         "max_error_s": float(span.max_error_s)}
        for span in result.uncertain_spans
    ]
    replace_rows(
        con,
        [
            TableWrite("offset_curve", knots, {"vod_id": vod_id}),
            TableWrite("alignment_anchors", pa.Table.from_pylist(anchors) if anchors else [], {"vod_id": vod_id}),
            TableWrite("alignment_uncertain_spans", pa.Table.from_pylist(spans) if spans else [], {"vod_id": vod_id}),
            TableWrite("vod_manifest", manifest_table(entries), {"vod_id": vod_id, "asset": ASSET}),
            TableWrite("quality_checks", check_table(vod_id, ASSET, outcome.check_records), {"vod_id": vod_id, "asset": ASSET}),
        ],
    )
