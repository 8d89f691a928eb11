"""Real materializations of raw_chat and vod_audio into a real DuckDB file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets_tests.conftest import write_tone_audio
from dougchat_assets_tests.defs.helpers import materialize_partition, query
from dougchat_assets_tests.ingest.support import vod_folder_with, write_video_only_mp4

# The export of these folders claims an 8 s VOD for 6 s of audio (a 2 s late start): `add`
# and vod_audio refuse audio far shorter than the VOD (see ingest.media_check).
EXPORT_LENGTH_S = 8


def make_vod_folder(folder: Path, *, vod_json: dict | None = None, video: bool = False) -> Path:
    return vod_folder_with(folder, audio_s=6.0, export_length_s=EXPORT_LENGTH_S, vod_json=vod_json, video=video,
                           audio_rate=44_100)


@pytest.fixture
def vod_folder(tmp_path: Path) -> Path:
    return make_vod_folder(tmp_path / "src" / "vod_a")


def _snapshot(layout, vod_id: str) -> dict:
    return {
        "raw_chat": query(layout, "select * from raw_chat where vod_id = ? order by msg_id", [vod_id]),
        "vod_audio": query(layout, "select * from vod_audio where vod_id = ?", [vod_id]),
        "audio_energy": query(layout, "select * from audio_energy where vod_id = ? order by frame_index", [vod_id]),
        "vod_manifest": query(layout, "select * from vod_manifest where vod_id = ? order by all", [vod_id]),
        "vods": query(layout, "select * from vods where vod_id = ?", [vod_id]),
    }


def test_ingest_then_rematerialize_gives_identical_rows_and_checksums(layout, instance, vod_folder) -> None:
    register_vod_folder(vod_folder, layout, vod_id="vod_a")
    first = materialize_partition(layout, instance, "vod_a")
    assert first.success
    before = _snapshot(layout, "vod_a")
    assert len(before["raw_chat"]) == 5
    assert len(before["vod_audio"]) == 1 and len(before["audio_energy"]) == 60
    roles = sorted(row[2] for row in before["vod_manifest"])
    assert roles == ["audio_output", "audio_source", "chat_export", "vod_metadata"]
    assert all(row[5] for row in before["vod_manifest"] if row[2] != "vod_metadata")  # sha256 present
    metadata = first.asset_materializations_for_node("raw_chat")[0].metadata
    assert metadata["dagster/row_count"].value == 5
    assert metadata["msg_types"].value == {"chat": 4, "command": 1}

    second = materialize_partition(layout, instance, "vod_a")
    assert second.success
    assert _snapshot(layout, "vod_a") == before


def test_metadata_falls_back_to_the_export_and_vod_json_wins(layout, instance, tmp_path) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_b", vod_json={"title": "from vod.json", "chat_timezone": "UTC"})
    register_vod_folder(folder, layout, vod_id="vod_b")
    assert materialize_partition(layout, instance, "vod_b").success
    title, started, duration, sources = query(
        layout, "select title, started_at_utc_ms, duration_s, metadata_sources from vods where vod_id = 'vod_b'"
    )[0]
    assert title == "from vod.json"
    assert started == 1772478000000 and duration == EXPORT_LENGTH_S
    assert json.loads(sources)["title"] == "vod.json"
    assert json.loads(sources)["started_at"].startswith("chat export")


def test_video_container_is_ingested(layout, instance, tmp_path) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_v", video=True)
    register_vod_folder(folder, layout, vod_id="vod_v")
    assert materialize_partition(layout, instance, "vod_v").success
    assert query(layout, "select source_codec from vod_audio")[0][0] == "aac"


def _break(folder: Path, how: str) -> None:
    if how == "truncated_json":
        chat = folder / "chat.json"
        chat.write_bytes(chat.read_bytes()[:-200])
    elif how == "empty_chat":
        chat = folder / "chat.json"
        data = json.loads(chat.read_text())
        data["comments"] = []
        chat.write_text(json.dumps(data))
    elif how == "silent_audio":
        write_tone_audio(folder / "stream.flac", silent=True)
    elif how == "corrupt_audio":
        (folder / "stream.flac").write_bytes(b"fLaC" + b"\x00" * 5000)


@pytest.mark.parametrize(
    ("how", "failing_step", "named_file"),
    [
        ("truncated_json", "raw_chat", "chat.json"),
        ("empty_chat", "raw_chat", "chat.json"),
        ("silent_audio", "vod_audio", "stream.flac"),
        ("corrupt_audio", "vod_audio", "stream.flac"),
    ],
)
def test_bad_input_fails_the_materialization_and_keeps_the_previous_partition(
    layout, instance, vod_folder, how, failing_step, named_file
) -> None:
    register_vod_folder(vod_folder, layout, vod_id="vod_a")
    assert materialize_partition(layout, instance, "vod_a").success
    before = _snapshot(layout, "vod_a")
    audio_before = (layout.audio_dir / "vod_a.flac").read_bytes()
    _break(layout.incoming("vod_a"), how)
    result = materialize_partition(layout, instance, "vod_a")
    assert not result.success
    failures = [event for event in result.all_events if event.is_step_failure]
    assert [event.step_key for event in failures] == [failing_step]
    assert named_file in failures[0].step_failure_data.error.message or any(
        named_file in (cause.message or "") for cause in _causes(failures[0].step_failure_data.error)
    )
    assert _snapshot(layout, "vod_a") == before
    assert (layout.audio_dir / "vod_a.flac").read_bytes() == audio_before
    assert [p.name for p in layout.audio_dir.iterdir()] == ["vod_a.flac"]  # no temp files left


def _causes(error):
    while error is not None:
        yield error
        error = error.cause


def test_missing_audio_fails_with_the_folder_named(layout, instance, vod_folder) -> None:
    register_vod_folder(vod_folder, layout, vod_id="vod_a")
    (layout.incoming("vod_a") / "stream.flac").unlink()
    result = materialize_partition(layout, instance, "vod_a", selection=["vod_audio"])
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error
    text = " ".join(cause.message for cause in _causes(message))
    assert "vod_a" in text and "no audio" in text
    shutil.rmtree(layout.incoming("vod_a"))


def _failure_text(result) -> str:
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "vod_audio"
    return " ".join(cause.message or "" for cause in _causes(failure.step_failure_data.error))


def test_vod_audio_refuses_audio_far_shorter_than_the_vod_when_the_folder_bypassed_add(layout, instance, vod_folder) -> None:
    register_vod_folder(vod_folder, layout, vod_id="vod_a")
    assert materialize_partition(layout, instance, "vod_a", selection=["vod_audio"]).success
    before = _snapshot(layout, "vod_a")
    flac_before = (layout.audio_dir / "vod_a.flac").read_bytes()
    incoming = layout.incoming("vod_a")  # edited in place, as a user dropping files into incoming/ would
    write_tone_audio(incoming / "stream.flac", seconds=0.5)
    (incoming / "vod.json").write_text(json.dumps({"duration_s": 338}))
    result = materialize_partition(layout, instance, "vod_a", selection=["vod_audio"])
    assert not result.success
    text = _failure_text(result)
    assert str(incoming / "stream.flac") in text and "0.5 s" in text and "338.0 s" in text and "late" in text
    assert _snapshot(layout, "vod_a") == before
    assert (layout.audio_dir / "vod_a.flac").read_bytes() == flac_before
    assert [p.name for p in layout.audio_dir.iterdir()] == ["vod_a.flac"]


def test_vod_audio_refuses_a_video_without_sound_naming_it(layout, instance, tmp_path) -> None:
    folder = layout.incoming("vod_m")  # dropped straight into incoming/, never through `add`
    make_vod_folder(folder)
    (folder / "stream.flac").unlink()
    write_video_only_mp4(folder / "stream.mp4")
    result = materialize_partition(layout, instance, "vod_m", selection=["vod_audio"])
    assert not result.success
    text = _failure_text(result)
    assert str(folder / "stream.mp4") in text and "no audio stream" in text
    assert list(layout.audio_dir.iterdir()) == []


def test_chat_outside_the_vod_span_fails_naming_file_and_share_and_blocks_downstream(layout, instance, tmp_path) -> None:
    # a start time 5 h off (a log read in the wrong zone): every message lands outside the span
    folder = make_vod_folder(tmp_path / "src" / "vod_tz", vod_json={"started_at": "2026-03-03T00:00:00Z"})
    register_vod_folder(folder, layout, vod_id="vod_tz")
    result = materialize_partition(layout, instance, "vod_tz", ["raw_chat", "vod_audio", "transcripts", "offset_curve"])
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "chat_within_vod_span")
    assert not evaluation.passed
    assert "0 of 5 messages (0.0%) in chat.json fall inside the VOD's span 2026-03-03T00:00:00Z" in evaluation.description
    assert evaluation.metadata["vod_id"].value == "vod_tz"
    assert "offset_curve" not in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    rows = query(layout, "select passed, value from quality_checks where vod_id = 'vod_tz' and asset = 'raw_chat'")
    assert rows == [(False, "0.0")]
    # launched on its own later, the alignment refuses the VOD and says why
    again = materialize_partition(layout, instance, "vod_tz", ["offset_curve"])
    assert not again.success
    failure = next(e for e in again.all_events if e.is_step_failure)
    assert "raw_chat: chat_within_vod_span" in str(failure.step_failure_data.error)


def test_an_over_long_message_is_stored_truncated_and_counted_in_the_metadata(layout, instance, tmp_path) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_long")
    export = json.loads((folder / "chat.json").read_text())
    export["comments"][3]["message"]["body"] = "spam " * 20_000  # 100,000 characters; Twitch caps at 500
    (folder / "chat.json").write_text(json.dumps(export))
    register_vod_folder(folder, layout, vod_id="vod_long")
    result = materialize_partition(layout, instance, "vod_long", ["raw_chat"])
    assert result.success
    report = result.asset_materializations_for_node("raw_chat")[0].metadata["truncated_messages"].value
    assert report["truncated_messages"] == 1 and report["first_truncated_line"] == 3
    assert report["longest_truncated_message_chars"] == 100_000
    lengths = query(layout, "select source_line, length(body) from raw_chat where vod_id = 'vod_long' order by source_line")
    assert dict(lengths)[3] == report["max_message_chars"] < 100_000
