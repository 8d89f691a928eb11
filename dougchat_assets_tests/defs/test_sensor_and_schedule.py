from __future__ import annotations

import os

import dagster as dg
import pytest

from dougchat_assets.align.override import Override, override_path, write_override
from dougchat_assets.defs.jobs import PER_VOD_ASSETS
from dougchat_assets.defs.resources import WarehouseResource
from dougchat_assets.defs.schedules import backfill_missing_vods
from dougchat_assets.defs.sensors import incoming_vods_sensor
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets_tests.conftest import make_vod_folder
from dougchat_assets_tests.defs.helpers import materialize_partition


@pytest.fixture
def instance(persistent_instance):
    return persistent_instance  # schedules need an instance with a ref, not an in-memory one


def tick(instance, layout, cursor):
    """One sensor tick, with what the daemon would apply: its partitions and observations."""
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"warehouse": WarehouseResource(root=str(layout.root))}
    ) as context:
        result = incoming_vods_sensor(context)
    for request in result.dynamic_partitions_requests:  # build_sensor_context does not apply them
        instance.add_dynamic_partitions("vods", list(request.partition_keys))
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result


def changed(result) -> list[tuple[str, str]]:
    return sorted((e.asset_key.to_user_string(), e.partition) for e in result.asset_events)


def test_sensor_adds_settled_folders_as_partitions_and_observes_their_inputs(layout, instance, tmp_path) -> None:
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    (layout.incoming_dir / "bad..name").mkdir()
    first = tick(instance, layout, None)
    assert first.dynamic_partitions_requests == [] and first.asset_events == []  # not settled yet
    second = tick(instance, layout, first.cursor)
    assert second.dynamic_partitions_requests[0].partition_keys == ["vod_a", "vod_b"]
    assert second.run_requests == []  # runs are the automation's job, from these observations
    assert changed(second) == [(source, vod) for source in ("alignment_override", "transcript_audits", "vod_folder")
                               for vod in ("vod_a", "vod_b")]
    assert tick(instance, layout, second.cursor).asset_events == []  # nothing changed since
    # a changed folder is observed again once settled, without adding a partition twice
    audio = layout.incoming("vod_a") / "stream.flac"
    os.utime(audio, ns=(audio.stat().st_atime_ns, audio.stat().st_mtime_ns + 10**9))
    fourth = tick(instance, layout, second.cursor)
    fifth = tick(instance, layout, fourth.cursor)
    assert changed(fourth) == [] and changed(fifth) == [("vod_folder", "vod_a")]
    assert fifth.dynamic_partitions_requests == []
    # a saved override is observed at once (our own tools write it whole), for that VOD only
    override = override_path(layout.overrides_dir, "vod_b")
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('vod_id = "vod_b"\n')
    assert changed(tick(instance, layout, fifth.cursor)) == [("alignment_override", "vod_b")]


def _materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def test_daily_pass_backfills_partitions_with_a_missing_asset(layout, instance, tmp_path) -> None:
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    instance.add_dynamic_partitions("vods", ["vod_a", "vod_b"])
    everything = [assets_def.key.to_user_string() for assets_def in PER_VOD_ASSETS]
    # 5 chat messages cannot be aligned: offset_curve materializes but its blocking checks fail
    # the run, and clean_pairs (downstream of them) is skipped -- not "missing" for the pass
    built = set(everything) - {"clean_pairs"}
    assert _materialized(materialize_partition(layout, instance, "vod_a", everything)) == built
    resources = {"warehouse": WarehouseResource(root=str(layout.root))}

    def evaluate():
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            return backfill_missing_vods(context)

    assert [r.partition_key for r in evaluate()] == ["vod_b"]
    materialize_partition(layout, instance, "vod_b", ["raw_chat", "vod_audio"])
    assert [r.partition_key for r in evaluate()] == ["vod_b"]  # transcripts and offset_curve still missing
    assert _materialized(materialize_partition(layout, instance, "vod_b", everything)) == built
    assert isinstance(evaluate(), dg.SkipReason)  # clean_pairs stays missing: their checks failed, by design
    # once a VOD's checks pass (an override here) but clean_pairs failed for an outside reason, it is backfilled
    write_override(override_path(layout.overrides_dir, "vod_b"), Override(offset_s=2.0, vod_id="vod_b"))
    assert materialize_partition(layout, instance, "vod_b", ["offset_curve"]).success
    assert [r.partition_key for r in evaluate()] == ["vod_b"]


def test_sensor_with_a_fresh_cursor_does_not_reobserve_vods_built_from_the_same_files(layout, instance, tmp_path) -> None:
    everything = [assets_def.key.to_user_string() for assets_def in PER_VOD_ASSETS]
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    materialize_partition(layout, instance, "vod_a", everything)  # e.g. by `dougchat demo`: it records what it read
    first = tick(instance, layout, None)  # `dougchat dev` on that warehouse: a fresh sensor cursor
    second = tick(instance, layout, first.cursor)
    assert [vod for _, vod in changed(second)] == ["vod_b"] * 3  # the VOD never built, only
    # once its files change, the built VOD is observed as changed again
    chat = layout.incoming("vod_a") / "chat.json"
    chat.write_text(chat.read_text().replace("hello chat 0", "hello chat zero"))
    third = tick(instance, layout, second.cursor)
    fourth = tick(instance, layout, third.cursor)
    assert changed(fourth) == [("vod_folder", "vod_a")]
