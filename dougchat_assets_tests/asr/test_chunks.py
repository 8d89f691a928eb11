from __future__ import annotations

import pytest

from dougchat_assets.asr.chunks import ChunkParams, Piece, plan_chunks, quiet_cut_finder
from dougchat_assets.asr.vad import SpeechRegion, detect_speech


def region(start: float, end: float) -> SpeechRegion:
    return SpeechRegion(start, end, start, end)


def test_chunks_stay_under_the_limit_and_cover_all_speech_once():
    regions = [region(i * 7.0, i * 7.0 + 4.0) for i in range(20)]  # 4 s speech, 3 s pause
    params = ChunkParams(max_s=30.0, keep_gap_s=0.5, join_silence_s=0.4)
    chunks = plan_chunks(regions, params)
    assert all(c.n_samples <= 30 * 16_000 for c in chunks)
    pieces = [p for c in chunks for p in c.pieces]
    assert [(p.start_s, p.end_s) for p in pieces] == [(r.start_s, r.end_s) for r in regions]
    # 4 s pieces + 0.4 s joins: six pieces fit in 30 s (26.0 s), seven do not (30.4 s)
    assert [len(c.pieces) for c in chunks] == [6, 6, 6, 2]
    assert [c.index for c in chunks] == [0, 1, 2, 3]


def test_short_pauses_stay_as_real_audio():
    chunks = plan_chunks([region(0.0, 2.0), region(2.5, 4.0), region(10.0, 11.0)], ChunkParams(keep_gap_s=0.8))
    assert [(p.start_s, p.end_s) for p in chunks[0].pieces] == [(0.0, 4.0), (10.0, 11.0)]


def test_long_region_is_split_where_find_cut_says():
    cuts = []

    def find_cut(lo: float, hi: float) -> float:
        cuts.append((lo, hi))
        return lo + 1.0

    chunks = plan_chunks([region(0.0, 50.0)], ChunkParams(max_s=20.0, min_split_fraction=0.5), find_cut=find_cut)
    assert cuts[0] == (10.0, 20.0)
    assert [(c.start_s, c.end_s) for c in chunks] == [(0.0, 11.0), (11.0, 22.0), (22.0, 33.0), (33.0, 50.0)]


def test_time_map_goes_back_to_file_time():
    chunk = plan_chunks([region(10.0, 12.0), region(20.0, 23.0)], ChunkParams(join_silence_s=0.5))[0]
    assert chunk.n_samples == int(5.5 * 16_000)
    assert chunk.to_file_time(0.0, is_end=False) == 10.0
    assert chunk.to_file_time(1.5, is_end=False) == 11.5
    assert chunk.to_file_time(2.5, is_end=False) == 20.0  # exactly where piece two starts
    assert chunk.to_file_time(3.0, is_end=True) == pytest.approx(20.5)
    # inside the inserted silence: a start snaps to the next piece, an end to the previous
    assert chunk.to_file_time(2.2, is_end=False) == 20.0
    assert chunk.to_file_time(2.2, is_end=True) == 12.0
    assert chunk.to_file_time(99.0, is_end=True) == 23.0


def test_chunk_ids_depend_only_on_audio_and_params(fixtures):
    path = fixtures / "speech.flac"
    params = ChunkParams(max_s=8.0)
    first = plan_chunks(detect_speech(path).regions, params, find_cut=quiet_cut_finder(path))
    again = plan_chunks(detect_speech(path).regions, params, find_cut=quiet_cut_finder(path))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len(first) >= 2
    other = plan_chunks(detect_speech(path).regions, ChunkParams(max_s=20.0))
    assert [c.chunk_id for c in other] != [c.chunk_id for c in first]


def test_quiet_cut_lands_in_the_pause(fixtures, speech_script):
    first, second = speech_script[0], speech_script[1]
    cut = quiet_cut_finder(fixtures / "speech.flac")(first["audio_end_s"] - 2.0, second["audio_start_s"] + 2.0)
    assert first["audio_end_s"] < cut < second["audio_start_s"]


def test_piece_lengths_are_exact_samples():
    piece = Piece(16_000, 40_000)
    assert (piece.start_s, piece.end_s, piece.n) == (1.0, 2.5, 24_000)
