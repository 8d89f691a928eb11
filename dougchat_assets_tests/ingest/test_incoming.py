from pathlib import Path

from dougchat_assets.ingest.incoming import decide_sensor_tick, scan_incoming, stale_partitions


def test_folder_runs_after_its_fingerprint_settles() -> None:
    first = decide_sensor_tick({"v1": "aaa"}, {})
    assert first.run == {}
    second = decide_sensor_tick({"v1": "aaa"}, first.cursor)
    assert second.run == {"v1": "aaa"}
    third = decide_sensor_tick({"v1": "aaa"}, second.cursor)
    assert third.run == {}


def test_changed_folder_runs_again_once_settled() -> None:
    cursor = decide_sensor_tick({"v1": "aaa"}, decide_sensor_tick({"v1": "aaa"}, {}).cursor).cursor
    growing = decide_sensor_tick({"v1": "bbb"}, cursor)
    assert growing.run == {}
    assert decide_sensor_tick({"v1": "bbb"}, growing.cursor).run == {"v1": "bbb"}


def test_scan_skips_unsafe_names(tmp_path: Path) -> None:
    (tmp_path / "good_1").mkdir()
    (tmp_path / "bad name").mkdir()
    (tmp_path / ".staging").mkdir()
    scan = scan_incoming(tmp_path)
    assert list(scan.fingerprints) == ["good_1"]
    assert "bad name" in scan.rejected


def test_stale_partitions_finds_missing_and_changed() -> None:
    found = {"a": "f1", "b": "f2", "c": "f3"}
    recorded = {"raw_chat": {"a": "f1", "b": "old", "c": "f3"}, "vod_audio": {"a": "f1", "b": "f2"}}
    assert stale_partitions(found, ["a", "b", "c", "gone"], recorded) == {"b": "f2", "c": "f3"}
