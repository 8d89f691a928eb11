"""The code location loads and its graph is what we expect (catches accidental graph changes)."""

from dougchat_assets.runner import executable_assets, load_definitions


def test_graph_lists_every_asset_check_sensor_and_schedule() -> None:
    definitions = load_definitions()
    asset_keys = sorted(key.to_user_string() for assets_def in executable_assets(definitions) for key in assets_def.keys)
    assert asset_keys == ["offset_curve", "raw_chat", "transcripts", "vod_audio"]
    check_names = sorted(
        f"{key.asset_key.to_user_string()}:{key.name}"
        for assets_def in executable_assets(definitions)
        for key in assets_def.check_keys
    )
    assert check_names == [
        "offset_curve:alignment_anchor_residual",
        "offset_curve:alignment_confidence",
        "offset_curve:alignment_cut_ambiguity",
        "offset_curve:alignment_drift_plausible",
        "offset_curve:alignment_offset_plausible",
        "raw_chat:chat_within_vod_span",
        "transcripts:audited_wer",
        "transcripts:low_quality_share",
        "transcripts:model_checksum_recorded",
    ]
    assert sorted(sensor.name for sensor in definitions.sensors) == ["incoming_vods_sensor"]
    assert sorted(schedule.name for schedule in definitions.schedules) == ["backfill_stale_vods"]
    job = definitions.resolve_job_def("vod_pipeline")
    assert job.partitions_def.name == "vods"
    for assets_def in executable_assets(definitions):
        assert assets_def.op.pool == "duckdb_writer"
