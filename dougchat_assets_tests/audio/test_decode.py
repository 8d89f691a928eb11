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
