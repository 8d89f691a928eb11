from __future__ import annotations

import random
from pathlib import Path

import av
import numpy as np
import pytest

from dougchat_assets.asr.audio_reader import iter_pcm16_blocks, probe_audio, read_window
from dougchat_assets.errors import InputError


def _full(path: Path) -> np.ndarray:
    return np.concatenate(list(iter_pcm16_blocks(path, 16_000))).astype(np.float32) / 32768.0


def test_windows_are_sample_exact_slices_of_the_full_decode(fixtures):
    path = fixtures / "speech.flac"
    full = _full(path)
    info = probe_audio(path)
    assert info.n_samples == full.size and info.sample_rate == 16_000 and info.channels == 1
    rng = random.Random(7)
    for _ in range(25):
        start = rng.uniform(0, full.size / 16_000)
        end = start + rng.uniform(0.01, 6)
        window = read_window(path, start, end)
        lo, hi = round(start * 16_000), min(round(end * 16_000), full.size)
        assert np.array_equal(window, full[lo:hi]), (start, end)


def test_window_past_the_end_is_clipped_and_empty_window_is_empty(fixtures):
    path = fixtures / "speech.flac"
    n = probe_audio(path).n_samples
    assert read_window(path, n / 16_000 - 0.5, n / 16_000 + 10).size == 8_000
    assert read_window(path, 3.0, 3.0).size == 0
    assert read_window(path, 100.0, 101.0).size == 0


def test_blocks_cover_the_file_in_fixed_sizes(fixtures):
    path = fixtures / "two_voices.flac"
    blocks = list(iter_pcm16_blocks(path, 4_000))
    assert all(b.size == 4_000 for b in blocks[:-1]) and 0 < blocks[-1].size <= 4_000
    assert sum(b.size for b in blocks) == probe_audio(path).n_samples
    assert all(b.dtype == np.int16 for b in blocks)


def test_corrupt_and_missing_files_raise_input_error_naming_them(fixtures, tmp_path):
    with pytest.raises(InputError) as error:
        read_window(fixtures / "corrupt.flac", 0, 1)
    assert "corrupt.flac" in str(error.value)
    with pytest.raises(InputError, match="not found"):
        list(iter_pcm16_blocks(tmp_path / "nope.flac", 100))


def test_audio_that_is_not_16k_mono_is_rejected(tmp_path):
    path = tmp_path / "stereo8k.flac"
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=8_000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 16_000), dtype=np.int16), format="s16", layout="stereo")
        frame.sample_rate = 8_000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(InputError, match="16000 Hz mono"):
        probe_audio(path)
