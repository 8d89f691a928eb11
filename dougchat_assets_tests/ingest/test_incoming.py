from pathlib import Path

from dougchat_assets.ingest.incoming import decide_sensor_tick, scan_incoming


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
