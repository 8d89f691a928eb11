"""Run the real assets in-process against a temp warehouse."""

from __future__ import annotations

import dagster as dg
import duckdb

from dougchat_assets.defs.resources import build_resources
from dougchat_assets.runner import executable_assets, load_definitions, materialize_in_process
from dougchat_assets.settings import WarehouseLayout


def materialize_partition(
    layout: WarehouseLayout, instance: dg.DagsterInstance, vod_id: str, selection: list[str] | None = None
) -> dg.ExecuteInProcessResult:
    if not instance.has_dynamic_partition("vods", vod_id):
        instance.add_dynamic_partitions("vods", [vod_id])
    definitions = load_definitions()
    assets = executable_assets(definitions)
    return materialize_in_process(
        assets,
        instance,
        selection=selection or ["raw_chat", "vod_audio"],
        partition_key=vod_id,
        resources=build_resources(layout),
        raise_on_error=False,
    )


def query(layout: WarehouseLayout, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
