"""transcripts: faster-whisper + VAD per VOD, with blocking quality checks.

The heavy decode runs outside any DuckDB connection (it takes minutes on a long VOD); the
connection is opened only to read the audio reference and to write the result.
"""

import dagster as dg

from dougchat_assets.defs.runs import record_run_process
from dougchat_assets.defs.checks import check_results
from dougchat_assets.defs.ingest import vod_audio
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import AsrResource, WarehouseDuckDB, WarehouseResource
from dougchat_assets.ingest.incoming import folder_fingerprint


@dg.asset(
    partitions_def=vods,
    deps=[vod_audio],
    group_name="transcription",
    kinds={"duckdb", "whisper"},
    check_specs=[
        dg.AssetCheckSpec("audited_wer", asset="transcripts", blocking=True,
                          description="WER on the audited clips is under the threshold (warns when nothing is audited)."),
        dg.AssetCheckSpec("low_quality_share", asset="transcripts", blocking=True,
                          description="Share of transcribed time flagged low-confidence / hallucination / non-speech."),
        dg.AssetCheckSpec("model_checksum_recorded", asset="transcripts", blocking=True,
                          description="The ASR model's checksum and parameters are in the manifest."),
    ],
)
def transcripts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB, asr: AsrResource
) -> dg.MaterializeResult:
    """Timed, confidence-scored segments and word timings in seconds of the VOD's FLAC."""
    record_run_process(context)
    from dougchat_assets.asr.transcribe import transcribe_file
    from dougchat_assets.asr.warehouse import vod_audio_ref, write_transcripts

    vod_id = context.partition_key
    layout = warehouse.layout
    with warehouse_db.get_connection() as con:
        audio = vod_audio_ref(con, layout, vod_id)
    result = transcribe_file(audio.path, config=asr.asr_config(layout), work_dir=layout.work_dir / "asr" / vod_id)
    with warehouse_db.get_connection() as con:
        summary = write_transcripts(con, layout, vod_id, audio, result, asr.thresholds)
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
            "speech_s": round(summary.speech_s, 1),
            "audio_duration_s": round(audio.duration_s, 1),
            "real_time_factor": round(decode_s / audio.duration_s, 4) if audio.duration_s else None,
            "asr_model": f"{result.model.model_id} sha256:{result.model.sha256[:12]}",
            "compute": f"{result.params['device']}/{result.params['compute_type']}",
            "chunks_decoded": result.chunks_decoded,
            "chunks_resumed": result.chunks_resumed,
            "source_fingerprint": folder_fingerprint(layout.incoming(vod_id)),
        },
        check_results=checks,
    )
