"""Sensor: new or changed folders under warehouse/incoming/ become partitions and runs."""

from __future__ import annotations

import json

import dagster as dg

from dougchat_assets.defs.jobs import vod_pipeline
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.defs.runs import fail_dead_runs
from dougchat_assets.defs.schedules import recorded_fingerprints
from dougchat_assets.ingest.incoming import decide_sensor_tick, scan_incoming, stale_partitions


@dg.sensor(job=vod_pipeline, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def incoming_vods_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    """Adds a `vods` partition per settled incoming folder and requests its pipeline run."""
    for run_id in fail_dead_runs(context.instance):
        context.log.warning(f"marked run {run_id} failed: its process is gone (killed or crashed)")
    scan = scan_incoming(warehouse.layout.incoming_dir)
    for name, why in scan.rejected.items():
        context.log.warning(f"skipping incoming folder {name!r}: {why}")
    decision = decide_sensor_tick(scan.fingerprints, json.loads(context.cursor or "{}"))
    known = set(context.instance.get_dynamic_partitions(vods.name))
    new_keys = sorted(vod_id for vod_id in decision.run if vod_id not in known)
    # A fresh cursor (new instance, first `dougchat dev` after `dougchat demo`) sees every folder
    # as new; those already built from exactly these files (per their materializations) are not re-run.
    built = sorted(vod_id for vod_id in decision.run if vod_id in known)
    stale = stale_partitions(decision.run, built, recorded_fingerprints(context.instance, built)) if built else {}
    todo = {vod_id: fp for vod_id, fp in decision.run.items() if vod_id not in known or vod_id in stale}
    for vod_id in sorted(set(decision.run) - set(todo)):
        context.log.info(f"{vod_id}: already built from these files, not re-run")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=vod_id, run_key=f"{vod_id}:{fingerprint}")
            for vod_id, fingerprint in sorted(todo.items())
        ],
        dynamic_partitions_requests=[vods.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(decision.cursor, sort_keys=True),
    )
