"""`dougchat add` and `vod_audio` refuse media without sound or of the wrong length, naming the audio file."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.ingest.audio_ingest import ingest_audio
from dougchat_assets.ingest.media_check import AudioLengthTolerance, check_audio_length
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets_tests.ingest.support import vod_folder_with, write_video_only_mp4


@contextmanager
def _no_database():
    raise AssertionError("a refused VOD must not open the warehouse")
    yield  # pragma: no cover


def _refused(call) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value


def test_video_without_audio_is_refused_by_add(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_v")
    (folder / "stream.flac").unlink()
    write_video_only_mp4(folder / "stream.mp4")
    error = _refused(lambda: register_vod_folder(folder, layout))
    assert error.path == str(folder / "stream.mp4")
    assert "no audio stream" in error.reason and "streams: video" in error.reason
    assert list(layout.incoming_dir.iterdir()) == []


def test_half_a_second_of_audio_for_a_338_s_vod_is_refused_by_add(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_s", audio_s=0.5, vod_json={"duration_s": 338})
    error = _refused(lambda: register_vod_folder(folder, layout))
    assert error.path == str(folder / "stream.flac")
    for words in ("0.5 s", "338.0 s", "vod.json field 'duration_s'", "started late", "trimmed ads", "min_audio_share"):
        assert words in error.reason, words
    assert list(layout.incoming_dir.iterdir()) == []


def test_the_vod_duration_can_come_from_the_chat_export(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_e", audio_s=0.5, export_length_s=338)
    error = _refused(lambda: register_vod_folder(folder, layout))
    assert error.path == str(folder / "stream.flac") and "the chat export chat.json" in error.reason


def test_audio_much_longer_than_the_vod_is_refused(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_l", audio_s=36.0, vod_json={"duration_s": 4})
    error = _refused(lambda: register_vod_folder(folder, layout))
    assert error.path == str(folder / "stream.flac")
    assert "36.0 s" in error.reason and "4.0 s" in error.reason and "longer" in error.reason


def test_an_export_claiming_an_infinite_vod_is_refused_naming_it(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_i")
    chat = folder / "chat.json"
    chat.write_text(chat.read_text().replace('"end": 8.0, "length": 8.0', '"end": 1e999, "length": 1e999'))
    error = _refused(lambda: register_vod_folder(folder, layout))
    assert error.path == str(chat) and "inf" in error.reason


def test_audio_shorter_by_a_late_start_and_cuts_is_accepted(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_ok", audio_s=6.0, vod_json={"duration_s": 8.5}, video=True)
    assert register_vod_folder(folder, layout).status == "added"


def test_the_tolerance_is_read_from_dougchat_toml(tmp_path: Path, layout) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_t", audio_s=0.5, vod_json={"duration_s": 338})
    layout.settings_path.write_text("[ingest]\nmin_audio_share = 0.001\n")
    assert register_vod_folder(folder, layout).status == "added"
    layout.settings_path.write_text("[ingest]\nmin_audio_share = 2\n")
    error = _refused(lambda: register_vod_folder(folder, layout, force=True))
    assert error.path == str(layout.settings_path) and error.field == "ingest.min_audio_share"


def test_vod_audio_runs_the_same_check_on_a_folder_dropped_into_incoming(tmp_path: Path, layout) -> None:
    short = vod_folder_with(layout.incoming("vod_drop"), audio_s=0.5, vod_json={"duration_s": 338})
    error = _refused(lambda: ingest_audio(_no_database, layout, "vod_drop"))
    assert error.path == str(short / "stream.flac") and "338.0 s" in error.reason
    shutil.rmtree(short)
    mute = vod_folder_with(layout.incoming("vod_drop"))
    (mute / "stream.flac").unlink()
    write_video_only_mp4(mute / "stream.mp4")
    error = _refused(lambda: ingest_audio(_no_database, layout, "vod_drop"))
    assert error.path == str(mute / "stream.mp4") and "no audio stream" in error.reason
    assert list(layout.audio_dir.iterdir()) == []


# vod_s, audio_s, refused?  (defaults: >= min(20 % of the VOD, 60 s); <= VOD * 1.05 + 30 s)
RULE = [
    (338.0, 0.5, True),
    (338.0, 59.9, True),
    (338.0, 60.0, False),  # 20 % would be 67.6 s: the 60 s cap applies
    (6 * 3600.0, 600.0, False),  # the first 10 minutes of a 6 h VOD: a partial download, accepted
    (60.0, 11.9, True),
    (60.0, 12.0, False),
    (338.0, 338.0 * 1.05 + 30.0, False),
    (338.0, 338.0 * 1.05 + 30.1, True),
]


@pytest.mark.parametrize(("vod_s", "audio_s", "refused"), RULE)
def test_length_rule_boundaries(vod_s: float, audio_s: float, refused: bool) -> None:
    def check() -> None:
        check_audio_length(Path("a.flac"), audio_s, vod_s, "vod.json", AudioLengthTolerance())

    if refused:
        with pytest.raises(InputError, match="a.flac"):
            check()
    else:
        check()


def test_nothing_is_compared_when_a_length_is_unknown() -> None:
    check_audio_length(Path("a.flac"), None, 338.0, "vod.json", AudioLengthTolerance())
    check_audio_length(Path("a.flac"), 0.5, None, "", AudioLengthTolerance())


def test_tolerance_values_are_validated() -> None:
    with pytest.raises(ValueError):
        AudioLengthTolerance(min_audio_share=float("nan"))
    with pytest.raises(ValueError):
        AudioLengthTolerance(max_excess_s=-1)
    with pytest.raises(ValueError):
        AudioLengthTolerance.model_validate(json.loads('{"min_audio_sahre": 0.1}'))
