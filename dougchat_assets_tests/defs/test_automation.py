"""Declarative automation of the cross-VOD assets, evaluated by Dagster's own tester."""

from __future__ import annotations

import dagster as dg

from dougchat_assets.runner import load_definitions


def test_cross_vod_assets_refresh_once_after_an_input_changed_even_with_a_vod_missing(instance) -> None:
    definitions = load_definitions()
    instance.add_dynamic_partitions("vods", ["vod_a", "vod_b"])  # vod_b never gets clean_pairs (failed checks)
    first = dg.evaluate_automation_conditions(defs=definitions, instance=instance)
    assert first.total_requested == 0  # a fresh instance starts nothing
    instance.report_runless_asset_event(dg.AssetMaterialization("clean_pairs", partition="vod_a"))
    second = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=first.cursor)
    assert second.get_num_requested(dg.AssetKey("train_split")) == 1
    assert second.get_num_requested(dg.AssetKey("lora_adapter")) == 1  # will-be-requested chains down
    assert second.get_num_requested(dg.AssetKey("eval_report")) == 1
    assert second.get_num_requested(dg.AssetKey("clean_pairs")) == 0  # per-VOD assets stay with the sensor
    third = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # once per change


def test_the_automation_sensor_runs_from_the_start_and_targets_only_the_cross_vod_assets() -> None:
    repository = load_definitions().get_repository_def()
    sensor = next(s for s in repository.sensor_defs if s.name == "cross_vod_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert {s.name for s in repository.sensor_defs} == {"cross_vod_automation", "incoming_vods_sensor"}
    targeted = sensor.asset_selection.resolve(repository.asset_graph)
    assert {key.to_user_string() for key in targeted} == {"train_split", "lora_adapter", "eval_report"}
