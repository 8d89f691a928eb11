"""Schedule: a daily pass that re-runs any VOD partition with a missing asset.

Staleness (a changed folder, override or audit, new code) is Dagster's automation's job
(``defs/automation.py``); this pass catches what no change announces: a run that crashed, a
step that failed for a reason outside its inputs (a missing key, a full disk), a partition
added while the daemon was down.  ``clean_pairs`` counts as missing only for a VOD whose
upstream blocking checks passed: a VOD held back by its alignment checks never gets pairs, by
design, and is not retried every day.
"""

from __future__ import annotations

import dagster as dg

from dougchat_assets.defs.dataset import clean_pairs
from dougchat_assets.defs.jobs import MUST_EXIST_ASSETS, vod_pipeline
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.settings import WarehouseLayout


def missing_partitions(instance: dg.DagsterInstance, partitions: list[str], trusted: set[str]) -> list[str]:
    """Partitions (in order) missing one of ``MUST_EXIST_ASSETS``, or ``clean_pairs`` though ``trusted``."""
    built = [instance.get_materialized_partitions(assets_def.key) for assets_def in MUST_EXIST_ASSETS]
    paired = instance.get_materialized_partitions(clean_pairs.key)
    return [vod_id for vod_id in partitions
            if any(vod_id not in done for done in built) or (vod_id in trusted and vod_id not in paired)]


def trusted_vods(layout: WarehouseLayout, partitions: list[str]) -> set[str]:
    """The VODs none of whose checks upstream of ``clean_pairs`` failed (as recorded with the rows)."""
    from dougchat_assets.dataset.warehouse import UPSTREAM_ASSETS
    from dougchat_assets.store.checks import failed_blocking_checks
    from dougchat_assets.store.readonly import read_only_warehouse, warehouse_exists

    if not partitions or not warehouse_exists(layout.duckdb_path):
        return set()  # nothing built yet: every partition is missing its first assets anyway
    with read_only_warehouse(layout.duckdb_path, "daily backfill: which VODs passed their checks") as con:
        return {vod_id for vod_id in partitions if not failed_blocking_checks(con, vod_id, UPSTREAM_ASSETS)}


@dg.schedule(cron_schedule="0 4 * * *", job=vod_pipeline, default_status=dg.DefaultScheduleStatus.RUNNING)
def backfill_missing_vods(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    """Requests a run per partition whose folder is still there and that misses an asset."""
    partitions = [vod_id for vod_id in context.instance.get_dynamic_partitions(vods.name)
                  if warehouse.layout.incoming(vod_id).is_dir()]
    todo = missing_partitions(context.instance, partitions, trusted_vods(warehouse.layout, partitions))
    if not todo:
        return dg.SkipReason(f"all {len(partitions)} VOD partitions are materialized")
    # no run_key: a partition still missing tomorrow (its run failed) is tried again tomorrow
    return [dg.RunRequest(partition_key=vod_id, tags={"dougchat/trigger": "daily_backfill"}) for vod_id in todo]
