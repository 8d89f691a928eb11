from __future__ import annotations

import os

import dagster as dg
import pytest

from dougchat_assets.defs.jobs import PER_VOD_ASSETS
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.defs.schedules import backfill_stale_vods
from dougchat_assets.defs.sensors import incoming_vods_sensor
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets_tests.conftest import make_vod_folder
from dougchat_assets_tests.defs.helpers import materialize_partition


@pytest.fixture
def instance(persistent_instance):
    return persistent_instance  # schedules need an instance with a ref, not an in-memory one


def _tick(instance, layout, cursor):
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"warehouse": WarehouseResource(root=str(layout.root))}
    ) as context:
        return incoming_vods_sensor(context)


def test_sensor_adds_partitions_and_requests_runs_once_settled(layout, instance, tmp_path) -> None:
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    (layout.incoming_dir / "bad..name").mkdir()
    first = _tick(instance, layout, None)
    assert first.run_requests == [] and first.dynamic_partitions_requests == []
    second = _tick(instance, layout, first.cursor)
    assert sorted(r.partition_key for r in second.run_requests) == ["vod_a", "vod_b"]
    assert second.dynamic_partitions_requests[0].partition_keys == ["vod_a", "vod_b"]
    instance.add_dynamic_partitions("vods", ["vod_a", "vod_b"])  # build_sensor_context does not apply them
    third = _tick(instance, layout, second.cursor)
    assert third.run_requests == []
    # a changed folder is requested again (after settling), without adding a partition twice
    audio = layout.incoming("vod_a") / "stream.flac"
    os.utime(audio, ns=(audio.stat().st_atime_ns, audio.stat().st_mtime_ns + 10**9))
    fourth = _tick(instance, layout, third.cursor)
    fifth = _tick(instance, layout, fourth.cursor)
    assert [r.partition_key for r in fifth.run_requests] == ["vod_a"]
    assert fifth.dynamic_partitions_requests == []


def _materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def test_schedule_backfills_missing_and_stale_partitions(layout, instance, tmp_path) -> None:
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    instance.add_dynamic_partitions("vods", ["vod_a", "vod_b"])
    everything = [assets_def.key.to_user_string() for assets_def in PER_VOD_ASSETS]
    # 5 chat messages cannot be aligned: offset_curve materializes but its blocking checks fail
    # the run, and clean_pairs (downstream of them) is skipped
    built = set(everything) - {"clean_pairs"}
    assert _materialized(materialize_partition(layout, instance, "vod_a", everything)) == built
    resources = {"warehouse": WarehouseResource(root=str(layout.root))}

    def evaluate():
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            return backfill_stale_vods(context)

    requests = evaluate()
    assert [r.partition_key for r in requests] == ["vod_b"]
    assert _materialized(materialize_partition(layout, instance, "vod_b", everything)) == built
    assert isinstance(evaluate(), dg.SkipReason)
    chat = layout.incoming("vod_a") / "chat.json"
    chat.write_text(chat.read_text().replace("hello chat 0", "hello chat zero"))
    assert [r.partition_key for r in evaluate()] == ["vod_a"]


def test_sensor_with_a_fresh_cursor_does_not_rerun_vods_already_built_from_the_same_files(layout, instance, tmp_path) -> None:
    everything = [assets_def.key.to_user_string() for assets_def in PER_VOD_ASSETS]
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    materialize_partition(layout, instance, "vod_a", everything)  # built (its alignment checks fail, as above)
    instance.add_dynamic_partitions("vods", ["vod_b"])  # known but never built
    first = _tick(instance, layout, None)  # e.g. `dougchat dev` on a warehouse `dougchat demo` built
    second = _tick(instance, layout, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["vod_b"]
    # once its files change, the built VOD is requested again
    chat = layout.incoming("vod_a") / "chat.json"
    chat.write_text(chat.read_text().replace("hello chat 0", "hello chat zero"))
    third = _tick(instance, layout, second.cursor)
    fourth = _tick(instance, layout, third.cursor)
    assert [r.partition_key for r in fourth.run_requests] == ["vod_a"]
