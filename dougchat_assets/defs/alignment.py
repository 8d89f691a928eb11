"""offset_curve: per-VOD map from chat UTC time to audio seconds, with blocking checks."""

import dagster as dg

from dougchat_assets.defs.checks import check_results, vod_check
from dougchat_assets.defs.plots import inline_png
from dougchat_assets.defs.runs import record_run_process
from dougchat_assets.defs.ingest import raw_chat
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseDuckDB, WarehouseResource
from dougchat_assets.defs.transcription import transcripts
from dougchat_assets.defs.sources import ALIGNMENT_OVERRIDE, alignment_override, record_inputs_read

ALIGNMENT_CHECKS = {
    "alignment_confidence": "Overall confidence of the curve is above the threshold.",
    "alignment_anchor_residual": "Anchors (countdown end, answers to spoken calls) sit on the curve.",
    "alignment_drift_plausible": "Clock drift is within a plausible bound.",
    "alignment_offset_plausible": "The offset is within a plausible range for this audio.",
    "alignment_cut_ambiguity": "Little chat falls where a cut cannot be placed.",
}


@dg.asset(
    partitions_def=vods,
    deps=[raw_chat, transcripts, alignment_override],
    group_name="alignment",
    kinds={"duckdb"},
    check_specs=[
        vod_check(name, "offset_curve", text)
        for name, text in ALIGNMENT_CHECKS.items()
    ],
)
def offset_curve(context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB) -> dg.MaterializeResult:
    """Knots chat_utc_ms -> audio_s (linear between, extrapolated beyond; a cut is flat), plus anchors and a plot."""
    record_run_process(context)
    from dougchat_assets.align.plot import plot_alignment
    from dougchat_assets.align.pipeline import align_vod
    from dougchat_assets.align.params import alignment_settings
    from dougchat_assets.align.warehouse import check_records, latency_fields, read_alignment_inputs, write_offset_curve
    from dougchat_assets.fileio import atomic_path

    vod_id = context.partition_key
    layout = warehouse.layout
    record_inputs_read(context, layout, ALIGNMENT_OVERRIDE)
    with warehouse_db.get_connection() as con:
        inputs = read_alignment_inputs(con, vod_id)
    outcome = align_vod(inputs, layout.overrides_dir, vod_id, params=alignment_settings(layout).params())
    plot = layout.reports_dir / "alignment" / f"{vod_id}.png"
    with atomic_path(plot) as tmp:
        plot_alignment(outcome.result, inputs, tmp)
    with warehouse_db.get_connection() as con:
        write_offset_curve(con, layout, vod_id, outcome, plot)
    result = outcome.result
    checks = check_results(check_records(outcome), vod_id)
    return dg.MaterializeResult(
        metadata={
            "knots": len(result.knots),
            "confidence": round(result.confidence, 3),
            "offset_s": round(result.offset_s, 3),
            "drift_s_per_h": round(result.drift_s_per_h, 3),
            "reaction_lag_s": round(result.reaction_lag_s, 3),
            **{k: v for k, v in latency_fields(result).items() if v is not None},
            "cuts": sum(1 for a, b in zip(result.knots, result.knots[1:]) if a.segment != b.segment),
            "source": outcome.source,
            "method": result.method,
            "plot": dg.MetadataValue.path(str(plot)),
            "offset_curve_plot": inline_png(plot, f"{vod_id}: offset curve and its evidence"),
            "uncertain_spans": len(result.uncertain_spans),
        },
        check_results=checks,
    )
