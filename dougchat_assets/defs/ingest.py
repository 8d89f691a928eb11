"""Ingest assets: raw_chat and vod_audio, one partition per VOD.

Thin on purpose: locate the partition's folder, call ``dougchat_assets.ingest``, return
metadata and the checks computed from what was written.  Both assets hand the ingest code
the connection *factory*, not a connection: parsing and decoding run first, and the
warehouse lock is taken only for the final write, so other VODs' stages proceed meanwhile.
"""

import dagster as dg

from dougchat_assets.defs.checks import check_results, vod_check
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseDuckDB, WarehouseResource
from dougchat_assets.defs.runs import record_run_process
from dougchat_assets.ingest.audio_ingest import ingest_audio
from dougchat_assets.ingest.chat_ingest import ingest_chat
from dougchat_assets.defs.sources import VOD_FOLDER, record_inputs_read, vod_folder


@dg.asset(
    partitions_def=vods,
    deps=[vod_folder],
    group_name="ingest",
    kinds={"duckdb"},
    check_specs=[vod_check("chat_within_vod_span", "raw_chat",
                           "Messages fall inside the VOD's time span (catches wrong time zones).")],
)
def raw_chat(context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB) -> dg.MaterializeResult:
    """Every chat message of the VOD as exported, normalised to UTC epoch ms, with file and line."""
    record_run_process(context)
    vod_id = context.partition_key
    layout = warehouse.layout
    record_inputs_read(context, layout, VOD_FOLDER)
    summary = ingest_chat(warehouse_db.get_connection, layout, vod_id)  # parses first, then connects to write
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.rows,
            "chat_file": summary.chat_file,
            "chat_format": summary.chat_format,
            "parser": summary.parser,
            "chat_sha256": summary.chat_sha256,
            "msg_types": dg.MetadataValue.json(summary.msg_types),
            "first_sent_at_utc_ms": summary.first_sent_at_utc_ms,
            "last_sent_at_utc_ms": summary.last_sent_at_utc_ms,
            "vod_metadata": dg.MetadataValue.json(summary.metadata),
            "truncated_messages": dg.MetadataValue.json(summary.read_report.as_metadata()),
        },
        check_results=check_results(summary.checks, vod_id),
    )


@dg.asset(partitions_def=vods, deps=[vod_folder], group_name="ingest", kinds={"duckdb", "flac"})
def vod_audio(context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB) -> dg.MaterializeResult:
    """The VOD's audio as 16 kHz mono FLAC under warehouse/audio/, with an RMS envelope per 100 ms."""
    record_run_process(context)
    vod_id = context.partition_key
    layout = warehouse.layout
    record_inputs_read(context, layout, VOD_FOLDER)
    summary = ingest_audio(warehouse_db.get_connection, layout, vod_id, warehouse.audio_settings)  # decodes, then writes
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(layout.root / summary.path)),
            "duration_s": round(summary.duration_s, 3),
            "sha256": summary.sha256,
            "size_bytes": summary.size_bytes,
            "source_file": summary.source_file,
            "source_sha256": summary.source_sha256,
            "source_codec": summary.source_codec,
            "peak_dbfs": round(summary.peak_dbfs, 2),
            "energy_frames": summary.energy_frames,
        }
    )
