"""transcripts: faster-whisper + VAD per VOD, with blocking quality checks.

The heavy decode runs outside any DuckDB connection (it takes minutes on a long VOD); the
connection is opened only to read the audio reference and to write the result.
"""

import dagster as dg

from dougchat_assets.defs.executor import GPU_QUEUE_TAG
from dougchat_assets.defs.runs import record_run_process
from dougchat_assets.defs.checks import check_results, vod_check
from dougchat_assets.defs.plots import inline_png
from dougchat_assets.defs.ingest import vod_audio
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import AsrResource, WarehouseDuckDB, WarehouseResource
from dougchat_assets.defs.sources import TRANSCRIPT_AUDITS, record_inputs_read, transcript_audits


@dg.asset(
    partitions_def=vods,
    deps=[vod_audio, transcript_audits],
    group_name="transcription",
    kinds={"duckdb", "whisper"},
    op_tags=GPU_QUEUE_TAG,  # cluster profile: a GPU worker runs it (defs/executor.py)
    check_specs=[
        vod_check("audited_wer", "transcripts", "WER on the audited clips is under the threshold."),
        vod_check("audits_present", "transcripts", "Someone audited this VOD's transcript (a warning, never blocks).",
                  blocking=False),
        vod_check("low_quality_share", "transcripts",
                  "Share of transcribed time flagged low-confidence / hallucination / non-speech."),
        vod_check("model_checksum_recorded", "transcripts",
                  "The ASR model's checksum and parameters are in the manifest."),
    ],
)
def transcripts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB, asr: AsrResource
) -> dg.MaterializeResult:
    """Timed, confidence-scored segments and word timings in seconds of the VOD's FLAC."""
    record_run_process(context)
    from dougchat_assets.asr.quality_plot import plot_transcript_quality
    from dougchat_assets.asr.transcribe import transcribe_file
    from dougchat_assets.asr.warehouse import audit_score, vod_audio_ref, write_transcripts

    vod_id = context.partition_key
    layout = warehouse.layout
    record_inputs_read(context, layout, TRANSCRIPT_AUDITS)
    with warehouse_db.get_connection() as con:
        audio = vod_audio_ref(con, layout, vod_id)
    result = transcribe_file(audio.path, config=asr.asr_config(layout), work_dir=layout.work_dir / "asr" / vod_id)
    audit = audit_score(layout, vod_id, result)
    plot = plot_transcript_quality(result.segments, audit.per_line, asr.thresholds.max_wer, audio.duration_s,
                                   layout.reports_dir / "transcripts" / f"{vod_id}.png")
    with warehouse_db.get_connection() as con:
        summary = write_transcripts(con, layout, vod_id, audio, result, asr.thresholds, audit=audit, plot=plot)
    wer = summary.audit.wer
    checks = check_results(
        summary.checks, vod_id,
        extra={"audited_wer": {"audited_lines": summary.audit.lines, "worst": dg.MetadataValue.json(summary.audit.worst)}},
    )
    decode_s = summary.timings_s.get("total", 0.0)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.segments,
            "words": summary.words,
            "quality_flags": dg.MetadataValue.json(summary.flags),
            "low_quality_share": round(summary.low_quality_share, 4),
            "wer_audited": wer.wer if wer else "not audited",
            "quality_plot": inline_png(plot, f"{vod_id}: segment confidence by quality flag, and audited WER"),
            "speech_s": round(summary.speech_s, 1),
            "audio_duration_s": round(audio.duration_s, 1),
            "real_time_factor": round(decode_s / audio.duration_s, 4) if audio.duration_s else None,
            "asr_model": f"{result.model.model_id} sha256:{result.model.sha256[:12]}",
            "compute": f"{result.params['device']}/{result.params['compute_type']}",
            "chunks_decoded": result.chunks_decoded,
            "chunks_resumed": result.chunks_resumed,
        },
        check_results=checks,
    )
