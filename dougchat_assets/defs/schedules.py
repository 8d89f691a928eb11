"""Schedule: hourly, re-run any VOD partition whose assets are missing or built from stale inputs."""

from __future__ import annotations

import dagster as dg

from dougchat_assets.defs.jobs import FINGERPRINTED_ASSETS, vod_pipeline
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.ingest.incoming import scan_incoming, stale_partitions


def recorded_fingerprints(instance: dg.DagsterInstance, partitions: list[str]) -> dict[str, dict[str, str | None]]:
    """asset -> {vod_id -> source fingerprint its latest materialization recorded}, for the fingerprinted assets."""
    return {
        assets_def.key.to_user_string(): latest_fingerprints(instance, assets_def.key, partitions)
        for assets_def in FINGERPRINTED_ASSETS
    }


def latest_fingerprints(instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: list[str]) -> dict[str, str | None]:
    """vod_id -> source fingerprint recorded by the latest materialization (absent if never materialized)."""
    materialized = instance.get_materialized_partitions(asset_key)
    result: dict[str, str | None] = {}
    for vod_id in partitions:
        if vod_id not in materialized:
            continue
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[vod_id]), limit=1
        ).records
        event = records[0].asset_materialization if records else None
        entry = event.metadata.get("source_fingerprint") if event else None
        result[vod_id] = entry.value if entry is not None else None
    return result


@dg.schedule(cron_schedule="0 * * * *", job=vod_pipeline, default_status=dg.DefaultScheduleStatus.RUNNING)
def backfill_stale_vods(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    """Requests a run per partition with a missing asset or inputs changed since its last build."""
    partitions = context.instance.get_dynamic_partitions(vods.name)
    found = scan_incoming(warehouse.layout.incoming_dir).fingerprints
    todo = stale_partitions(found, partitions, recorded_fingerprints(context.instance, partitions))
    if not todo:
        return dg.SkipReason(f"all {len(partitions)} VOD partitions are materialized and current")
    return [
        dg.RunRequest(partition_key=vod_id, run_key=f"backfill:{vod_id}:{fingerprint}")
        for vod_id, fingerprint in sorted(todo.items())
    ]
