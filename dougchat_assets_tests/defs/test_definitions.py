"""The code location loads and its graph is what we expect (catches accidental graph changes)."""

import dagster as dg

from dougchat_assets.runner import executable_assets, load_definitions



def test_graph_lists_every_asset_check_sensor_and_schedule() -> None:
    definitions = load_definitions()
    asset_keys = sorted(key.to_user_string() for assets_def in executable_assets(definitions) for key in assets_def.keys)
    assert asset_keys == [
        "clean_pairs", "eval_report", "lora_adapter", "offset_curve", "raw_chat", "train_split", "transcripts", "vod_audio",
    ]
    check_names = sorted(
        f"{key.asset_key.to_user_string()}:{key.name}"
        for assets_def in executable_assets(definitions)
        for key in assets_def.check_keys
    )
    assert check_names == [
        "clean_pairs:no_usernames",
        "clean_pairs:upstream_trusted",
        "eval_report:adapter_beats_base",
        "eval_report:adapter_uses_context",
        "eval_report:emote_only_rate",
        "eval_report:memorisation_rate",
        "lora_adapter:prompt_parity",
        "offset_curve:alignment_anchor_residual",
        "offset_curve:alignment_confidence",
        "offset_curve:alignment_cut_ambiguity",
        "offset_curve:alignment_drift_plausible",
        "offset_curve:alignment_offset_plausible",
        "raw_chat:chat_within_vod_span",
        "train_split:emote_only_share",
        "train_split:held_out_present",
        "train_split:manifest_complete",
        "train_split:top_token_share",
        "train_split:vod_balance",
        "train_split:vods_in_one_split",
        "transcripts:audited_wer",
        "transcripts:audits_present",
        "transcripts:low_quality_share",
        "transcripts:model_checksum_recorded",
    ]
    assert sorted(sensor.name for sensor in definitions.sensors) == ["incoming_vods_sensor", "pipeline_automation"]
    assert sorted(schedule.name for schedule in definitions.schedules) == ["backfill_missing_vods"]
    job = definitions.resolve_job_def("vod_pipeline")
    assert job.partitions_def.name == "vods"
    cross = definitions.resolve_job_def("dataset_and_model")
    assert {k.to_user_string() for k in cross.asset_layer.executable_asset_keys} == {"train_split", "lora_adapter", "eval_report"}
    for assets_def in executable_assets(definitions):
        # DuckDB's one writer is serialised by the warehouse lock around each short connection,
        # not by a Dagster pool (a slot lasts a whole step and outlives a killed run)
        assert assets_def.op.pool is None, assets_def.keys


def test_file_inputs_are_observable_sources_upstream_of_exactly_the_assets_that_read_them() -> None:
    graph = load_definitions().resolve_asset_graph()
    children = {source: sorted(k.to_user_string() for k in graph.get(dg.AssetKey(source)).child_keys)
                for source in ("vod_folder", "transcript_audits", "alignment_override")}
    assert children == {"vod_folder": ["raw_chat", "vod_audio"], "transcript_audits": ["transcripts"],
                        "alignment_override": ["offset_curve"]}
    assert all(graph.get(dg.AssetKey(source)).is_observable for source in children)
    checks = [graph.get(key) for key in graph.asset_check_keys if key.asset_key.to_user_string() in
              ("raw_chat", "transcripts", "offset_curve", "clean_pairs")]
    assert checks and all(check.partitions_def is not None for check in checks)  # one result per VOD


def test_cross_vod_assets_depend_on_every_vod_partition() -> None:
    graph = load_definitions().resolve_asset_graph()
    split = graph.get(dg.AssetKey("train_split"))
    assert dg.AssetKey("clean_pairs") in split.parent_keys and split.partitions_def is None
    assert graph.get(dg.AssetKey("eval_report")).parent_keys == {dg.AssetKey("lora_adapter")}
