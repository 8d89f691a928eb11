"""Sensor: settled folders under warehouse/incoming/ become partitions; changed inputs are observed.

It launches no run itself.  It adds a ``vods`` partition once a folder has stopped changing,
and records a new data version of ``vod_folder``, ``transcript_audits`` or
``alignment_override`` (``defs/sources.py``) for each VOD whose file changed since the version
last recorded; the automation conditions (``defs/automation.py``) then run exactly the assets
downstream of that input, for that VOD.
"""

from __future__ import annotations

import json

import dagster as dg

from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.defs.runs import fail_dead_runs
from dougchat_assets.defs.sources import ALIGNMENT_OVERRIDE, TRANSCRIPT_AUDITS, VOD_FOLDER, changed_inputs
from dougchat_assets.ingest.incoming import decide_sensor_tick, scan_incoming


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def incoming_vods_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    """Adds a partition per settled incoming folder and observes each VOD's changed file inputs."""
    for run_id in fail_dead_runs(context.instance):
        context.log.warning(f"marked run {run_id} failed: its process is gone (killed or crashed)")
    layout = warehouse.layout
    scan = scan_incoming(layout.incoming_dir)
    for name, why in scan.rejected.items():
        context.log.warning(f"skipping incoming folder {name!r}: {why}")
    decision = decide_sensor_tick(scan.fingerprints, json.loads(context.cursor or "{}"))
    known = set(context.instance.get_dynamic_partitions(vods.name))
    new_keys = sorted(vod_id for vod_id in decision.run if vod_id not in known)
    # a folder counts once settled (unchanged for two ticks); the small audit and override
    # files are written whole by our own tools, so they count at once, for every present VOD
    settled = sorted(decision.run)
    present = sorted((known | set(new_keys)) & set(scan.fingerprints))
    events = changed_inputs(context.instance, layout, settled, (VOD_FOLDER,))
    events += changed_inputs(context.instance, layout, present, (TRANSCRIPT_AUDITS, ALIGNMENT_OVERRIDE))
    for event in events:
        context.log.info(f"{event.partition}: {event.asset_key.to_user_string()} changed")
    for vod_id in sorted(set(settled) - {e.partition for e in events if e.asset_key.to_user_string() == VOD_FOLDER}):
        context.log.info(f"{vod_id}: already built from these files, not re-run")
    return dg.SensorResult(
        asset_events=events,
        dynamic_partitions_requests=[vods.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(decision.cursor, sort_keys=True),
    )
