"""Storage beside the stages: read a VOD's alignment inputs from DuckDB, write its offset curve.

Only reads and writes (no estimation, no override logic, no checks: those are
:mod:`.pipeline`'s); kept apart from the pure estimator so the asset and the benchmarks
share it.  No Dagster here.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from dougchat_assets.align.inputs import AlignmentInputs, VodMeta
from dougchat_assets.align.pipeline import AlignmentOutcome
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


def check_records(outcome: AlignmentOutcome) -> list[CheckRecord]:
    """The outcome's checks as ``quality_checks`` rows (and the asset's check results)."""
    return [CheckRecord(name, bool(c.passed), c.value, c.threshold, c.description) for name, c in outcome.checks.items()]


def latency_fields(result: AlignmentResult) -> dict[str, float | int | str | None]:
    """How the offset/lag split was made (see readaloud.py): the per-VOD record and the asset metadata.

    ``latency_source`` is ``"prior"``, ``"measured"`` (from read-alouds) or ``"override"`` (a
    reviewer's curve: the split is theirs); the bounds are None where there is none.
    """
    def finite(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    override = result.params.get("override") or {}
    return {
        "latency_source": result.latency_source,
        "latency_s": float(result.reaction_lag_s),
        "latency_lo_s": finite(result.latency_lo_s),
        "latency_hi_s": finite(result.latency_hi_s),
        "n_read_alouds": int(result.n_read_alouds),
        # under a reviewer's curve: the streamer's read delay it implies ([alignment] read_delay_s)
        "read_delay_under_override_s": override.get("read_delay_s"),
    }


def write_offset_curve(con: duckdb.DuckDBPyConnection, layout: WarehouseLayout, vod_id: str, outcome: AlignmentOutcome,
                       plot: Path | None) -> None:
    result = outcome.result
    source = outcome.source
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
        **latency_fields(result),
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
            TableWrite("quality_checks", check_table(vod_id, ASSET, check_records(outcome)), {"vod_id": vod_id, "asset": ASSET}),
        ],
    )
