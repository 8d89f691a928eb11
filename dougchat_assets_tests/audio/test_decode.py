from pathlib import Path

import av
import numpy as np
import pytest

from dougchat_assets.audio import EnergyMeter, decode_to_flac
from dougchat_assets.errors import InputError
from dougchat_assets_tests.conftest import write_tone_audio


def test_decode_resamples_to_16k_mono_flac_and_is_deterministic(tmp_path: Path) -> None:
    source = write_tone_audio(tmp_path / "in.flac", seconds=4.0, rate=44_100)
    first = decode_to_flac(source, tmp_path / "out1.flac")
    second = decode_to_flac(source, tmp_path / "out2.flac")
    assert first.sha256 == second.sha256
    assert abs(first.duration_s - 4.0) < 0.02
    with av.open(str(first.path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "flac"
        assert stream.sample_rate == 16_000
        assert stream.codec_context.layout.nb_channels == 1
    # 100 ms frames: 40 of them, loud where the tone plays, quiet (noise only) where it doesn't
    assert first.energy_db.size == 40
    assert first.energy_db.max() > -15
    assert first.energy_db.min() < -25


def test_video_file_audio_track_is_decoded(tmp_path: Path) -> None:
    source = write_tone_audio(tmp_path / "in.mp4", seconds=3.0, video=True)
    decoded = decode_to_flac(source, tmp_path / "out.flac")
    assert decoded.source_codec == "aac"
    assert abs(decoded.duration_s - 3.0) < 0.1


def test_silent_audio_is_rejected_and_leaves_no_file(tmp_path: Path) -> None:
    source = write_tone_audio(tmp_path / "silent.flac", silent=True)
    with pytest.raises(InputError, match="silent.flac.*silent"):
        decode_to_flac(source, tmp_path / "out.flac")
    assert list(tmp_path.iterdir()) == [source]


def test_corrupt_audio_is_rejected_and_leaves_no_file(tmp_path: Path) -> None:
    source = tmp_path / "broken.ogg"
    source.write_bytes(b"OggS" + bytes(range(256)) * 20)
    with pytest.raises(InputError, match="broken.ogg"):
        decode_to_flac(source, tmp_path / "out.flac")
    assert list(tmp_path.iterdir()) == [source]


def test_energy_meter_is_independent_of_block_boundaries() -> None:
    rng = np.random.default_rng(1)
    samples = (rng.standard_normal(16_000 * 3 + 123) * 3000).astype(np.int16)
    whole = EnergyMeter(1600)
    whole.feed(samples)
    pieces = EnergyMeter(1600)
    for start in range(0, samples.size, 777):
        pieces.feed(samples[start : start + 777])
    assert np.array_equal(whole.finish(), pieces.finish())
    assert whole.n_samples == pieces.n_samples == samples.size


def test_a_refused_decoded_length_keeps_the_previous_file_and_leaves_no_temp(tmp_path: Path) -> None:
    destination = tmp_path / "out" / "vod_a.flac"
    good = decode_to_flac(write_tone_audio(tmp_path / "good.flac", seconds=3.0), destination)
    before = destination.read_bytes()
    seen: list[float] = []

    def refuse(seconds: float) -> None:
        seen.append(seconds)
        raise InputError(tmp_path / "short.flac", f"audio lasts {seconds:.1f} s")

    with pytest.raises(InputError, match="short.flac: audio lasts 1.0 s"):
        decode_to_flac(write_tone_audio(tmp_path / "short.flac", seconds=1.0), destination, check_duration=refuse)
    assert seen == [pytest.approx(1.0, abs=0.01)]
    assert destination.read_bytes() == before and good.sha256
    assert [p.name for p in destination.parent.iterdir()] == ["vod_a.flac"]


def test_probe_reads_streams_and_header_length_without_decoding(tmp_path: Path) -> None:
    from dougchat_assets.audio.probe import probe_media
    from dougchat_assets_tests.ingest.support import write_video_only_mp4

    video = probe_media(write_tone_audio(tmp_path / "av.mp4", seconds=3.0, video=True))
    assert video.stream_types == ("video", "audio") and video.audio_codec == "aac"
    assert video.audio_duration_s == pytest.approx(3.0, abs=0.1)
    mute = probe_media(write_video_only_mp4(tmp_path / "mute.mp4"))
    assert not mute.has_audio and mute.stream_types == ("video",) and mute.audio_duration_s is None
    with pytest.raises(InputError, match="notes.txt"):
        (tmp_path / "notes.txt").write_text("not media")
        probe_media(tmp_path / "notes.txt")
