"""Declarative automation of every asset, evaluated by Dagster's own tester on real materializations."""

from __future__ import annotations

import dagster as dg

from dougchat_assets.align.override import Override, override_path, write_override
from dougchat_assets.defs.jobs import PER_VOD_ASSETS
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets.runner import load_definitions
from dougchat_assets_tests.conftest import make_vod_folder
from dougchat_assets_tests.defs.helpers import materialize_partition
from dougchat_assets_tests.defs.test_sensor_and_schedule import tick

PER_VOD = [assets_def.key.to_user_string() for assets_def in PER_VOD_ASSETS]


def requested(result, definitions) -> dict[str, list[str]]:
    """asset -> partitions requested (empty entries left out)."""
    keys = [k.to_user_string() for k in definitions.resolve_asset_graph().materializable_asset_keys]
    found = {key: sorted(result.get_requested_partitions(dg.AssetKey(key))) for key in keys}
    return {key: parts for key, parts in found.items() if parts}


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
    assert second.get_num_requested(dg.AssetKey("clean_pairs")) == 0  # its own update does not re-run it
    third = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # once per change


def test_the_automation_sensor_runs_from_the_start_and_targets_every_materializable_asset() -> None:
    repository = load_definitions().get_repository_def()
    sensor = next(s for s in repository.sensor_defs if s.name == "pipeline_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert {s.name for s in repository.sensor_defs} == {"pipeline_automation", "incoming_vods_sensor"}
    targeted = sensor.asset_selection.resolve(repository.asset_graph)
    assert {key.to_user_string() for key in targeted} == {
        "raw_chat", "vod_audio", "transcripts", "offset_curve", "clean_pairs", "train_split", "lora_adapter", "eval_report",
    }  # not the file inputs (vod_folder, transcript_audits, alignment_override): the incoming sensor observes those


def test_a_new_vod_runs_end_to_end_and_a_saved_override_reruns_only_its_alignment(layout, instance, tmp_path) -> None:
    definitions = load_definitions()
    for name in ("vod_a", "vod_b"):
        register_vod_folder(make_vod_folder(tmp_path / "src" / name), layout, vod_id=name)
    # vod_a built from the CLI (5 messages cannot be aligned: offset_curve's blocking checks fail)
    assert not materialize_partition(layout, instance, "vod_a", PER_VOD).success
    first = dg.evaluate_automation_conditions(defs=definitions, instance=instance)
    assert first.total_requested == 0  # a fresh daemon starts nothing
    cursor = tick(instance, layout, tick(instance, layout, None).cursor).cursor  # vod_b settles: partition + observations
    second = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=first.cursor)
    assert requested(second, definitions) == {asset: ["vod_b"] for asset in PER_VOD}  # one run, end to end
    assert not materialize_partition(layout, instance, "vod_b", PER_VOD).success  # its alignment fails too
    third = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # a failed check stops the flow there: no retry loop
    # the reviewer saves an override for vod_a: that VOD's offset_curve and what depends on it re-run, nothing else
    write_override(override_path(layout.overrides_dir, "vod_a"), Override(offset_s=2.0, vod_id="vod_a"))
    tick(instance, layout, cursor)
    fourth = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=third.cursor)
    assert requested(fourth, definitions) == {"offset_curve": ["vod_a"], "clean_pairs": ["vod_a"]}
    fixed = materialize_partition(layout, instance, "vod_a", ["offset_curve", "clean_pairs"])
    assert fixed.success  # the override's curve passes the checks, and the pairs follow
    fifth = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=fourth.cursor)
    # new pairs: the dataset, then the model and its evaluation, are refreshed
    assert requested(fifth, definitions) == {"train_split": [None], "lora_adapter": [None], "eval_report": [None]}
