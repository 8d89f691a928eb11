"""Stream-level splits, balance, versions, and the immutable export folder."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dougchat_assets.dataset.config import BalanceParams, DatasetChecks, SplitParams
from dougchat_assets.dataset.export import export_split, manifest_problems, verify_export
from dougchat_assets.dataset.split import (
    EXCLUDED, TEST, TRAIN, VALIDATION, VodPairs, assign_splits, balance_factors, split_version,
)
from dougchat_assets.dataset.split_checks import split_checks
from dougchat_assets.errors import InputError
from dougchat_assets.store import TableWrite, replace_rows


def vods(n: int, pairs: int = 10) -> list[VodPairs]:
    return [VodPairs(f"vod{i:02d}", pairs, float(pairs), f"digest{i}") for i in range(n)]


def test_whole_vods_go_to_one_split_with_held_out_vods_once_there_are_three() -> None:
    assert set(assign_splits(vods(2), SplitParams()).values()) == {TRAIN}
    three = assign_splits(vods(3), SplitParams())
    assert sorted(three.values()) == [TEST, TRAIN, VALIDATION]
    ten = assign_splits(vods(10), SplitParams())
    assert list(ten.values()).count(TEST) == 2 and list(ten.values()).count(VALIDATION) == 2
    assert assign_splits(vods(10), SplitParams()) == ten  # deterministic
    assert assign_splits(vods(10), SplitParams(salt="other")) != ten


def test_configured_lists_win_and_bad_lists_name_the_field() -> None:
    params = SplitParams(validation_vods=("vod03",), test_vods=("vod01",))
    out = assign_splits(vods(5), params)
    assert out["vod03"] == VALIDATION and out["vod01"] == TEST
    assert sorted(v for v, s in out.items() if s in (TEST, VALIDATION)) == ["vod01", "vod03"]
    with pytest.raises(InputError, match="test_vods"):
        assign_splits(vods(3), SplitParams(validation_vods=("vod01",), test_vods=("vod01",)))
    with pytest.raises(InputError, match="validation_vods"):
        assign_splits(vods(3), SplitParams(validation_vods=("nope",)))


def test_vods_without_pairs_are_excluded() -> None:
    items = vods(4) + [VodPairs("broken", 0, 0.0, "empty", "blocking checks failed upstream")]
    assert assign_splits(items, SplitParams())["broken"] == EXCLUDED


def test_balance_scales_a_dominant_vod_down_to_the_bound() -> None:
    items = [VodPairs("a", 10, 10.0, "x"), VodPairs("b", 10, 12.0, "y"), VodPairs("c", 100, 100.0, "z")]
    assignment = {"a": TRAIN, "b": TRAIN, "c": TRAIN}
    factors = balance_factors(items, assignment, BalanceParams(max_vod_weight_ratio=2.0))
    assert factors["a"] == 1.0 and factors["b"] == 1.0
    assert factors["c"] * 100.0 == pytest.approx(2.0 * 12.0)


def test_version_changes_with_any_input_and_only_then() -> None:
    items = vods(4)
    assignment = assign_splits(items, SplitParams())
    version = split_version(items, assignment, "p1")
    assert split_version(list(reversed(items)), assignment, "p1") == version
    assert split_version(items, assignment, "p2") != version
    changed = items[:3] + [VodPairs("vod03", 10, 10.0, "another digest")]
    assert split_version(changed, assignment, "p1") != version


def _warehouse_with_pairs(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    rows = []
    for vod, n in (("a", 6), ("b", 4), ("c", 3)):
        for i in range(n):
            for variant in ("orig", "jitter1"):
                rows.append({
                    "pair_id": f"{vod}{i}{variant}", "vod_id": vod, "msg_id": f"{vod}{i}", "variant": variant,
                    "user_hash": "h", "sent_at_utc_ms": i, "viewer_audio_s": 1.0, "audio_start_s": 0.0,
                    "audio_end_s": 1.0, "segment_ids": ["s"], "chat_context_msg_ids": [], "context": "ctx",
                    "reply": "LUL" if i == 0 else f"reply number {i} from {vod}", "weight": 0.5 if i == 0 else 1.0,
                    "is_emote_only": i == 0, "approx_tokens": 2, "curve_version": "c", "curve_segment": 0,
                    "curve_confidence": 1.0, "filter_preset": "default", "filter_params_hash": "f",
                    "window_params_hash": "w", "prompt_version": "p",
                })
    replace_rows(con, [TableWrite("pairs", pa.Table.from_pylist(rows))])
    return con


def _manifest() -> dict:
    vod_info = lambda split: {  # noqa: E731
        "split": split, "pairs": 1, "files": [{"sha256": "x"}], "asr_model": {"sha256": "m"},
        "offset_curve": {"version": "c"}, "clean_pairs": {"filter_params_hash": "f"},
    }
    return {"split_version": "v1", "prompt_version": "p", "system_prompt": "s", "params": {}, "counts": {}, "usage": "u",
            "vods": {"a": vod_info(TRAIN), "b": vod_info(VALIDATION), "c": vod_info(TEST)}}


def test_export_writes_shards_jsonl_and_a_verified_manifest_once(tmp_path: Path) -> None:
    con = _warehouse_with_pairs(tmp_path)
    assignment = {"a": TRAIN, "b": VALIDATION, "c": TEST}
    out = export_split(con, tmp_path / "datasets", "v1", assignment, {"a": 0.5, "b": 1.0, "c": 1.0}, _manifest())
    assert not out.reused and manifest_problems(out.folder) == []
    train = duckdb.sql(f"select variant, sum(weight) from read_parquet('{out.folder}/shards/train/a.parquet') group by 1 order by 1").fetchall()
    assert train == [("jitter1", 0.5 * 5.5), ("orig", 0.5 * 5.5)]  # jitter copies in train only, scaled by balance
    held_out = duckdb.sql(f"select distinct variant from read_parquet('{out.folder}/shards/*/[bc].parquet')").fetchall()
    assert held_out == [("orig",)]
    first = json.loads((out.folder / "train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    assert first["messages"][1]["content"] == "ctx"
    again = export_split(con, tmp_path / "datasets", "v1", assignment, {"a": 0.5}, _manifest())
    assert again.reused and again.manifest_sha256 == out.manifest_sha256
    # a damaged version is detected, never silently rewritten
    (out.folder / "validation.jsonl").write_text("tampered\n")
    assert any("checksum" in p for p in manifest_problems(out.folder))
    with pytest.raises(InputError, match="damaged"):
        verify_export(out.folder)


def test_split_checks_read_the_files(tmp_path: Path) -> None:
    con = _warehouse_with_pairs(tmp_path)
    out = export_split(con, tmp_path / "datasets", "v1", {"a": TRAIN, "b": VALIDATION, "c": TEST}, {}, _manifest())
    checks = {c.name: c for c in split_checks(out.folder, DatasetChecks(), BalanceParams())}
    assert checks["vods_in_one_split"].passed and checks["manifest_complete"].passed
    assert checks["emote_only_share"].value == pytest.approx(0.5 / 5.5, abs=1e-4)
    # a held-out VOD's shard copied into train is caught from the files themselves
    (out.folder / "shards" / "train" / "b.parquet").write_bytes((out.folder / "shards" / "validation" / "b.parquet").read_bytes())
    checks = {c.name: c for c in split_checks(out.folder, DatasetChecks(), BalanceParams())}
    assert not checks["vods_in_one_split"].passed and checks["vods_in_one_split"].value == ["b"]


def test_hugging_face_datasets_reads_the_exports(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    con = _warehouse_with_pairs(tmp_path)
    out = export_split(con, tmp_path / "datasets", "v1", {"a": TRAIN, "b": VALIDATION, "c": TEST}, {}, _manifest())
    chat = datasets.load_dataset("json", data_files=str(out.folder / "train.jsonl"), split="train",
                                 cache_dir=str(tmp_path / "hf"))
    assert len(chat) == 12 and chat[0]["messages"][2]["role"] == "assistant"
    shards = datasets.load_dataset("parquet", data_files=str(out.folder / "shards" / "test" / "*.parquet"),
                                   split="train", cache_dir=str(tmp_path / "hf"))
    assert set(shards["vod_id"]) == {"c"} and "context" in shards.column_names
