"""The per-VOD inputs that live in files, as partitioned observable source assets.

``vod_folder`` (the incoming folder), ``transcript_audits`` and ``alignment_override`` are
upstream of the assets that read them, so Dagster itself knows what a change affects: the
incoming sensor records a new data version when a file changes, the assets' automation
condition (``defs/automation.py``) sees "a dependency updated" for exactly that partition and
re-runs that asset and what depends on it, and the UI shows the partition as stale meanwhile.

Each asset also records the versions it read, at the start of its step: a run from the CLI
(``dougchat materialize``/``demo``) then leaves nothing for the sensor to report, so a VOD
already built is not re-run when ``dougchat dev`` starts on the same warehouse.
"""

from __future__ import annotations

import warnings

import dagster as dg

from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.ingest.input_versions import (
    ALIGNMENT_OVERRIDE,
    INPUT_SOURCES,
    TRANSCRIPT_AUDITS,
    VOD_FOLDER,
    input_version,
)
from dougchat_assets.settings import WarehouseLayout

DATA_VERSION_TAG = "dagster/data_version"


def _observe_all(context: dg.OpExecutionContext, warehouse: WarehouseResource, source: str) -> dg.DataVersionsByPartition:
    layout = warehouse.layout
    return dg.DataVersionsByPartition(
        {vod_id: dg.DataVersion(input_version(layout, source, vod_id)) for vod_id in context.instance.get_dynamic_partitions(vods.name)}
    )


# observable_source_asset is marked beta in Dagster 1.13; the warning, printed by every process
# that loads the code location, says nothing a user can act on.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)

    @dg.observable_source_asset(name=VOD_FOLDER, partitions_def=vods, group_name="ingest",
                                description="A VOD's folder under warehouse/incoming/ (chat export, audio or video, vod.json); "
                                            "its version changes with any file's name, size or mtime.")
    def vod_folder(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> dg.DataVersionsByPartition:
        return _observe_all(context, warehouse, VOD_FOLDER)

    @dg.observable_source_asset(name=TRANSCRIPT_AUDITS, partitions_def=vods, group_name="transcription",
                                description="warehouse/audits/<vod>.jsonl: transcript lines corrected by ear (`dougchat audit`); "
                                            "they set the audited WER check.")
    def transcript_audits(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> dg.DataVersionsByPartition:
        return _observe_all(context, warehouse, TRANSCRIPT_AUDITS)

    @dg.observable_source_asset(name=ALIGNMENT_OVERRIDE, partitions_def=vods, group_name="alignment",
                                description="warehouse/overrides/<vod>.toml: an offset curve saved in `dougchat review`; it wins "
                                            "over the estimate.")
    def alignment_override(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> dg.DataVersionsByPartition:
        return _observe_all(context, warehouse, ALIGNMENT_OVERRIDE)


def observation(source: str, vod_id: str, version: str) -> dg.AssetObservation:
    return dg.AssetObservation(asset_key=source, partition=vod_id, tags={DATA_VERSION_TAG: version},
                               metadata={"version": version})


def record_inputs_read(context: dg.AssetExecutionContext, layout: WarehouseLayout, *sources: str) -> dict[str, str]:
    """Log the versions of ``sources`` this step is about to read (before reading them), and return them."""
    versions = {source: input_version(layout, source, context.partition_key) for source in sources}
    for source, version in versions.items():
        context.log_event(observation(source, context.partition_key, version))
    return versions


def latest_versions(instance: dg.DagsterInstance, source: str, vod_ids: list[str]) -> dict[str, str | None]:
    """vod_id -> the latest recorded data version of ``source`` (None if never recorded)."""
    result: dict[str, str | None] = {}
    for vod_id in vod_ids:
        record = instance.get_latest_data_version_record(dg.AssetKey(source), partition_key=vod_id)
        entry = record.asset_observation if record and record.asset_observation else (
            record.asset_materialization if record else None)
        result[vod_id] = entry.tags.get(DATA_VERSION_TAG) if entry is not None and entry.tags else None
    return result


def changed_inputs(instance: dg.DagsterInstance, layout: WarehouseLayout, vod_ids: list[str],
                   sources: tuple[str, ...] = INPUT_SOURCES) -> list[dg.AssetObservation]:
    """Observations for every (source, VOD) whose current version differs from the recorded one."""
    events = []
    for source in sources:
        recorded = latest_versions(instance, source, vod_ids)
        for vod_id in vod_ids:
            version = input_version(layout, source, vod_id)
            if recorded.get(vod_id) != version:
                events.append(observation(source, vod_id, version))
    return events


INPUT_SOURCE_ASSETS = [vod_folder, transcript_audits, alignment_override]
__all__ = ["ALIGNMENT_OVERRIDE", "TRANSCRIPT_AUDITS", "VOD_FOLDER", "INPUT_SOURCE_ASSETS", "changed_inputs", "record_inputs_read"]
