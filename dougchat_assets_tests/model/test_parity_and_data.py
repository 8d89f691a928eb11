"""Shadow parity catches drift between training and generation; training reads train VODs only."""

from __future__ import annotations

from pathlib import Path

import pytest

from dougchat_assets.dataset.config import DatasetConfig
from dougchat_assets.dataset.export import export_split
from dougchat_assets.dataset.pairs import ContextSource, build_pairs
from dougchat_assets.dataset.split import TEST, TRAIN, VALIDATION
from dougchat_assets.model.data import TrainingStream, sample_pairs, shuffle_buffer
from dougchat_assets.model.parity import prompt_parity
from dougchat_assets.prompt import WindowParams
from dougchat_assets.store import TableWrite, replace_rows
from dougchat_assets_tests.dataset.test_pairs import KEY, kept, vod


@pytest.fixture(scope="module")
def tokenizer():
    from dougchat_assets.model.base import load_tokenizer, resolve_base_model

    return load_tokenizer(resolve_base_model())


def _pairs_and_source(window: WindowParams):
    data, messages = vod(), kept([40.0, 41.0, 55.0, 60.0, 150.0, 170.0])
    config = DatasetConfig(window=window)
    return build_pairs(data, messages, config, KEY).pairs.to_pylist(), ContextSource.build(data, messages, window)


def test_parity_passes_when_both_paths_render_the_same_prompt(tokenizer) -> None:
    pairs, source = _pairs_and_source(WindowParams())
    record = prompt_parity(pairs, {"v1": source}, tokenizer)
    assert record.passed, record.description
    assert record.value["pairs"] == 6


def test_parity_fails_when_the_generation_side_uses_another_window(tokenizer) -> None:
    pairs, _ = _pairs_and_source(WindowParams())
    _, drifted = _pairs_and_source(WindowParams(latency_s=4.0))
    record = prompt_parity(pairs, {"v1": drifted}, tokenizer)
    assert not record.passed and record.value["text_mismatch"]
    assert "differ in text" in record.description


def _split(tmp_path: Path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    data = vod()
    rows = []
    for name, offsets in (("tr", [40.0, 50.0, 60.0, 70.0]), ("va", [45.0, 65.0]), ("te", [55.0, 75.0])):
        pairs = build_pairs(data, kept(offsets), DatasetConfig(window=WindowParams(jitter_s=1.0, jitter_copies=1)), KEY).pairs
        rows += [{**r, "vod_id": name, "pair_id": f"{name}-{r['pair_id']}"} for r in pairs.to_pylist()]
    import pyarrow as pa

    replace_rows(con, [TableWrite("pairs", pa.Table.from_pylist(rows))])
    manifest = {"vods": {"tr": {"split": TRAIN}, "va": {"split": VALIDATION}, "te": {"split": TEST}}}
    return export_split(con, tmp_path / "datasets", "v1", {"tr": TRAIN, "va": VALIDATION, "te": TEST}, {}, manifest)


def test_training_stream_reads_train_vods_only_and_is_deterministic(tmp_path: Path, tokenizer) -> None:
    out = _split(tmp_path)
    stream = TrainingStream(out.folder, tokenizer, seed=3, buffer=2)
    first = list(stream(0))
    assert len(first) == 8  # 4 pairs + their jitter copies, train VOD only
    assert [e.input_ids for e in stream(0)] == [e.input_ids for e in first]
    assert [e.input_ids for e in stream(1)] != [e.input_ids for e in first]  # another epoch, another order
    assert len(list(TrainingStream(out.folder, tokenizer, max_pairs=3)(0))) == 3
    held_out = sample_pairs(out.folder, "validation", 10)
    assert {p["vod_id"] for p in held_out} == {"va"} and {p["variant"] for p in held_out} == {"orig"}


def test_shuffle_buffer_keeps_every_item_once() -> None:
    import random

    items = [{"i": i} for i in range(50)]
    out = list(shuffle_buffer(iter(items), 7, random.Random(0)))
    assert sorted(x["i"] for x in out) == list(range(50)) and [x["i"] for x in out] != list(range(50))
