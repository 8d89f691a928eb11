"""The README's demo command on the bundled VODs, end to end, judged against their ground truth.

This is the one full materialization CI runs: ingest -> transcripts -> offset_curve ->
clean_pairs for all 4 demo VODs, then train_split -> lora_adapter -> eval_report (with a
smaller training and evaluation budget than the demo's own settings, written to the
warehouse before `dougchat demo` so it keeps them), then a mismatched chat/audio pair, a
reviewer override, lineage, generation and a re-run that must give the same ids and version.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest

from dougchat_assets.align import alignment_errors
from dougchat_assets.align.override import Override, override_path, write_override
from dougchat_assets.align.result import Knot
from dougchat_assets.cli import DEMO_DIR, main
from dougchat_assets_tests.dataset.demo_windows import WindowScore, score_windows

VODS = ["demo_01", "demo_02", "demo_03", "demo_04"]
# A CI-sized budget: a few optimizer steps and a small ranking task (the demo's own settings
# are demo/dougchat.toml; the full settings are the defaults).
TEST_SETTINGS = """
[dataset.window]
transcript_s = 20.0
chat_lines = 5
max_context_tokens = 160

[model]
max_train_pairs = 96
torch_threads = 2

[model.train]
max_steps = 10
batch_size = 4
learning_rate = 0.001
eval_every = 5
checkpoint_every = 5
max_val_examples = 12

[eval]
contexts_per_vod = 6
candidates = 10
perplexity_pairs = 12
generation_contexts = 2
generations_per_context = 2
max_new_tokens = 12
report_clips_per_vod = 1
"""


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "warehouse"
    root.mkdir()
    (root / "dougchat.toml").write_text(TEST_SETTINGS)
    patch = pytest.MonkeyPatch()
    patch.setenv("DOUGCHAT_WAREHOUSE", str(root))
    patch.setenv("DAGSTER_HOME", str(root / ".dagster"))
    patch.delenv("DOUGCHAT_HASH_KEY", raising=False)  # the demo sets its public demo key
    assert main(["demo"]) == 0
    yield root
    patch.undo()


def _check_results(root: Path) -> dict[tuple[str, str, str], bool]:
    """(partition, asset, check) -> passed, for the latest evaluation of each."""
    outcomes = {}
    with dg.DagsterInstance.from_config(str(root / ".dagster")) as instance:
        for record in instance.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_CHECK_EVALUATION), ascending=True):
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            run = instance.get_run_by_id(record.run_id)
            key = (run.tags.get("dagster/partition"), evaluation.asset_key.to_user_string(), evaluation.check_name)
            outcomes[key] = evaluation.passed  # ascending: the latest evaluation wins
    return outcomes


def test_demo_ingests_transcribes_and_aligns_every_vod(demo_warehouse: Path) -> None:
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        counts = dict(con.execute("select vod_id, count(*) from raw_chat group by 1").fetchall())
        assert sorted(counts) == VODS and min(counts.values()) > 800
        assert con.execute("select count(*) from vod_audio").fetchone() == (4,)
        assert con.execute("select count(distinct vod_id) from transcript_words").fetchone() == (4,)
        roles = con.execute("select distinct role from vod_manifest order by 1").fetchall()
        assert {r[0] for r in roles} >= {"chat_export", "audio_source", "audio_output", "asr_model", "alignment", "plot"}
        for vod_id in VODS:
            truth = json.loads((DEMO_DIR / "truth" / vod_id / "ground_truth.json").read_text())
            knots = con.execute("select chat_utc_ms, audio_s from offset_curve where vod_id = ? order by knot_index", [vod_id]).fetchall()
            sent = np.array([r[0] for r in con.execute("select sent_at_utc_ms from raw_chat where vod_id = ?", [vod_id]).fetchall()])
            errors = alignment_errors(knots, truth["knots"], sent)
            assert errors.median_s <= 1.0 and errors.p95_s <= 2.0, (vod_id, errors)
    checks = _check_results(demo_warehouse)
    failed = [key for key, passed in checks.items() if not passed and key[1] not in ("eval_report", "clean_pairs")]
    assert failed == []
    assert all(passed for (partition, asset, _), passed in checks.items() if asset == "clean_pairs")


def test_every_vod_gives_pairs_whose_windows_hold_what_the_viewer_heard(demo_warehouse: Path) -> None:
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        pairs = dict(con.execute("select vod_id, count(*) from pairs where variant = 'orig' group by 1").fetchall())
        assert sorted(pairs) == VODS and min(pairs.values()) > 150
        total = WindowScore(0, 0, 0)
        for vod_id in VODS:
            total = total + score_windows(con, vod_id)
        funnel = con.execute("select distinct step from chat_filter_funnel").fetchall()
        users = {u for (u,) in con.execute("select distinct lower(user_login) from raw_chat where user_login is not null").fetchall()}
        hashed = {h for (h,) in con.execute("select distinct user_hash from pairs").fetchall()}
    assert total.reactions > 500
    assert total.inside / total.reactions >= 0.90, total
    assert total.leaked / total.reactions <= 0.02, total
    assert {s for (s,) in funnel} >= {"system", "bots", "commands", "copypasta", "toxicity", "alignment", "balance"}
    assert not users & hashed and all(len(h) == 16 for h in hashed)


def test_split_holds_out_whole_vods_and_exports_what_trainers_read(demo_warehouse: Path) -> None:
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        (version, manifest_path), = con.execute("select split_version, manifest_path from split_versions").fetchall()
        splits = dict(con.execute("select vod_id, split from splits where split_version = ?", [version]).fetchall())
    assert sorted(splits.values()).count("validation") == 1 and sorted(splits.values()).count("test") == 1
    folder = demo_warehouse / "datasets" / version
    assert (demo_warehouse / manifest_path) == folder / "manifest.json"
    train_vods = {v for v, s in splits.items() if s == "train"}
    in_train = {r[0] for r in duckdb.sql(f"select distinct vod_id from read_parquet('{folder}/shards/train/*.parquet')").fetchall()}
    assert in_train == train_vods
    first = json.loads((folder / "train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    manifest = json.loads((folder / "manifest.json").read_text())
    for vod_id in VODS:
        info = manifest["vods"][vod_id]
        assert info["asr_model"]["sha256"] and info["offset_curve"]["version"] and info["clean_pairs"]["filter_params_hash"]


def test_trace_follows_a_pair_to_its_chat_line_transcript_audio_and_files(demo_warehouse: Path, tmp_path: Path, capsys) -> None:
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        pair_id, source_line = con.execute(
            "select p.pair_id, r.source_line from pairs p join raw_chat r using (vod_id, msg_id)"
            " where p.vod_id = 'demo_03' and len(p.segment_ids) > 0 and p.audio_start_s > 0 order by p.pair_id limit 1").fetchone()
    clip = tmp_path / "clip.wav"
    assert main(["trace", pair_id, "--clip", str(clip)]) == 0
    out = capsys.readouterr().out
    assert f"chat.irc.log line {source_line}" in out
    assert "transcript segments in the context" in out and "audio/demo_03.flac" in out and "sha256" in out
    assert "split versions with this VOD" in out and "preset default" in out
    import wave

    with wave.open(str(clip)) as handle:
        assert abs(handle.getnframes() / handle.getframerate() - 20.0) < 0.1  # the 20 s window of the test settings
    assert main(["trace", "no-such-pair"]) == 2


def test_adapter_is_trained_tracked_and_evaluated_on_the_held_out_vod(demo_warehouse: Path) -> None:
    import mlflow

    from dougchat_assets.model.generate import training_info

    run_dir = next((demo_warehouse / "models").glob("v*/training.json")).parent
    info = training_info(run_dir)
    assert info["done"] and info["steps"] == 10 and info["base_model"]["sha256"]
    assert (run_dir / "losses.png").read_bytes().startswith(b"\x89PNG")
    with dg.DagsterInstance.from_config(str(demo_warehouse / ".dagster")) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("lora_adapter"))
        assert "data:image/png;base64," in event.asset_materialization.metadata["loss_plot"].value  # shown inline
    from peft import PeftModel  # the adapter folder loads with plain peft

    from dougchat_assets.model.base import cached_base, choose_precision, load_base_model, resolve_base_model

    base = load_base_model(cached_base(resolve_base_model(), demo_warehouse / "models" / "base"), choose_precision())
    assert PeftModel.from_pretrained(base, run_dir / "adapter") is not None
    mlflow.set_tracking_uri(info["mlflow_tracking_uri"])
    run = mlflow.get_run(info["mlflow_run_id"])
    assert run.data.params["split_version"] == info["split_version"]
    assert len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "train_loss")) == 10
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        metrics = {(v, m, k): x for v, m, k, x in con.execute("select vod_id, model, metric, value from eval_metrics").fetchall()}
        (test_vod,) = con.execute("select vod_id from splits where split = 'test'").fetchone()
    names = {"perplexity", "recall_at_1", "recall_at_5", "recall_at_10", "mean_rank", "mrr", "mrr_shifted_60s",
             "distinct_1", "distinct_2", "emote_only_rate", "toxicity_rate", "memorisation_rate"}
    for model in ("base", "adapter"):
        assert {k for v, m, k in metrics if v == "all" and m == model} >= names
        assert {v for v, m, k in metrics if m == model} == {"all", test_vod}
    # ten steps on chat already make gold chat replies far more likely than the base model finds them
    assert metrics[("all", "adapter", "perplexity")] < 0.5 * metrics[("all", "base", "perplexity")]
    report = next((demo_warehouse / "reports" / "eval").glob("*/index.html"))
    assert test_vod in report.read_text() and list(report.parent.glob("clips/*.wav"))
    checks = {key[2]: passed for key, passed in _check_results(demo_warehouse).items() if key[1] in ("eval_report", "lora_adapter")}
    assert set(checks) == {"prompt_parity", "adapter_beats_base", "adapter_uses_context", "memorisation_rate", "emote_only_rate"}
    assert checks["prompt_parity"]


def test_generate_answers_at_a_moment_of_a_vod(demo_warehouse: Path, capsys) -> None:
    assert main(["generate", "--vod", "demo_03", "--at", "120", "-n", "3", "--emote-density", "1.0"]) == 0
    captured = capsys.readouterr()
    replies = [line for line in captured.out.splitlines() if line.strip()]
    assert 1 <= len(replies) <= 3 and "replies to demo_03 at 120.0 s" in captured.err


def test_rerunning_the_dataset_gives_the_same_pair_ids_and_split_version(demo_warehouse: Path) -> None:
    def snapshot():
        with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
            return (con.execute("select pair_id, context, reply, weight from pairs order by pair_id").fetchall(),
                    con.execute("select split_version, manifest_sha256 from split_versions").fetchall())
    before = snapshot()
    assert main(["materialize", "--select", "clean_pairs", "train_split"]) == 0
    assert snapshot() == before


def test_mismatched_chat_and_audio_fail_the_alignment_checks_and_give_no_pairs(demo_warehouse: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "mismatch"
    folder.mkdir()
    shutil.copy(DEMO_DIR / "vods" / "demo_01" / "audio.opus", folder / "audio.opus")
    shutil.copy(DEMO_DIR / "vods" / "demo_02" / "chat.json", folder / "chat.json")
    shutil.copy(DEMO_DIR / "vods" / "demo_02" / "vod.json", folder / "vod.json")
    assert main(["add", str(folder), "--vod-id", "mismatch"]) == 0
    assert main(["materialize", "--vod", "mismatch", "--select", "raw_chat", "vod_audio", "transcripts", "offset_curve", "clean_pairs"]) == 1
    assert "check alignment_confidence on offset_curve failed" in capsys.readouterr().err
    # run on its own, clean_pairs refuses the untrusted VOD: no pairs, every message logged
    assert main(["materialize", "--vod", "mismatch", "--select", "clean_pairs"]) == 0
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from pairs where vod_id = 'mismatch'").fetchone() == (0,)
        logged, total = con.execute(
            "select (select count(*) from chat_filter_log where vod_id = 'mismatch' and step = 'upstream_checks'),"
            " (select count(*) from raw_chat where vod_id = 'mismatch')").fetchone()
    assert logged == total > 0


def test_reviewer_override_wins_and_is_recorded(demo_warehouse: Path) -> None:
    db = demo_warehouse / "dougchat.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        knots = con.execute("select chat_utc_ms, audio_s from offset_curve where vod_id = 'demo_02' order by knot_index").fetchall()
    nudged = tuple(Knot(ms, audio + 0.5, 0, 1.0, "override") for ms, audio in knots)
    path = override_path(demo_warehouse / "overrides", "demo_02")
    write_override(path, Override(knots=nudged, reviewer="test"))
    assert main(["materialize", "--vod", "demo_02", "--select", "offset_curve"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select chat_utc_ms, audio_s, source from offset_curve where vod_id = 'demo_02' order by knot_index").fetchall()
        assert [(ms, round(audio, 6)) for ms, audio, _ in rows] == [(ms, round(a + 0.5, 6)) for ms, a in knots]
        assert {source for *_, source in rows} == {"override"}
        assert con.execute("select count(*) from vod_manifest where vod_id = 'demo_02' and role = 'override'").fetchone() == (1,)


def test_demo_summary_lists_every_table_with_its_rows(demo_warehouse: Path) -> None:
    import re

    from dougchat_assets.cli import _table_summary
    from dougchat_assets.settings import WarehouseLayout
    from dougchat_assets.store.schema import TABLES

    summary = _table_summary(WarehouseLayout.from_env())
    counts = dict(re.findall(r"(\w+) \(([\d,]+|-)\)", summary))
    assert set(counts) == set(TABLES)
    assert all(int(counts[t].replace(",", "")) > 0 for t in ("raw_chat", "pairs", "splits", "eval_metrics"))
