"""The `dougchat` command line: exit codes and messages a user sees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dougchat_assets.cli import main
from dougchat_assets_tests.conftest import make_vod_folder


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "wh"
    monkeypatch.setenv("DOUGCHAT_WAREHOUSE", str(root))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return root


def test_add_then_materialize(warehouse: Path, tmp_path: Path, capsys) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_cli", gzip_chat=True)
    assert main(["add", str(folder)]) == 0
    assert main(["add", str(folder)]) == 0  # unchanged: a no-op
    assert "unchanged" in capsys.readouterr().out
    # five messages cannot be aligned: the blocking alignment checks fail and the CLI says so
    assert main(["materialize", "--vod", "vod_cli"]) == 1
    captured = capsys.readouterr()
    assert "check alignment_confidence on offset_curve failed" in captured.err
    ingest_only = ["--select", "raw_chat", "--select", "vod_audio", "--select", "transcripts"]
    assert main(["materialize", "--vod", "vod_cli", *ingest_only]) == 0
    assert "ok      vod_cli: raw_chat, transcripts, vod_audio" in capsys.readouterr().out
    with duckdb.connect(str(warehouse / "dougchat.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw_chat").fetchone() == (5,)
    assert (warehouse / ".dagster" / "dagster.yaml").exists()
    import dagster as dg

    with dg.DagsterInstance.from_config(str(warehouse / ".dagster")) as instance:
        assert {run.job_name for run in instance.get_runs()} == {"vod_pipeline", "dataset_and_model"}  # not __ephemeral_asset_job__


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "a,b", "", "x" * 65])
def test_unsafe_vod_id_is_refused_before_touching_a_path(warehouse: Path, tmp_path: Path, capsys, bad_id) -> None:
    folder = make_vod_folder(tmp_path / "src" / "ok_name")
    assert main(["add", str(folder), "--vod-id", bad_id]) == 2
    assert "unsafe VOD id" in capsys.readouterr().err
    assert not (warehouse / "incoming").exists() or list((warehouse / "incoming").iterdir()) == []


def test_folder_without_chat_or_audio_is_refused(warehouse: Path, tmp_path: Path, capsys) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_x")
    (folder / "chat.json").unlink()
    assert main(["add", str(folder)]) == 2
    assert "no chat export found" in capsys.readouterr().err
    folder = make_vod_folder(tmp_path / "src" / "vod_y")
    (folder / "stream.flac").unlink()
    assert main(["add", str(folder)]) == 2
    assert "no audio or video file" in capsys.readouterr().err


def test_unknown_chat_format_names_the_file(warehouse: Path, tmp_path: Path, capsys) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_z")
    (folder / "chat.json").write_text('{"hello": "not a chat export"}')
    assert main(["add", str(folder)]) == 2
    assert "chat.json" in capsys.readouterr().err


def test_materialize_failure_exits_non_zero_with_the_reason(warehouse: Path, tmp_path: Path, capsys) -> None:
    folder = make_vod_folder(tmp_path / "src" / "vod_bad")
    assert main(["add", str(folder)]) == 0
    chat = warehouse / "incoming" / "vod_bad" / "chat.json"
    chat.write_bytes(chat.read_bytes()[:-300])
    assert main(["materialize", "--vod", "vod_bad"]) == 1
    err = capsys.readouterr().err
    assert "FAILED  vod_bad" in err and "chat.json" in err
    log = Path(err.split("details (tracebacks): ")[1].split()[0])
    details = log.read_text()
    assert log.parent == warehouse / "logs" and "chat.json" in details and ("Traceback" in details or "Stack Trace" in details)
    shutil.rmtree(warehouse)


@pytest.mark.parametrize(("vod_id", "why"), [("nope", "was never added"), ("../etc", "unsafe VOD id")])
def test_materialize_refuses_a_vod_that_was_not_added_before_creating_a_partition(
    warehouse: Path, capsys, vod_id, why
) -> None:
    import dagster as dg

    assert main(["materialize", "--vod", vod_id]) == 2
    assert why in capsys.readouterr().err
    home = warehouse / ".dagster"
    if home.exists():
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.get_dynamic_partitions("vods") == []


def test_audit_writes_a_reproducible_sample_of_clips(warehouse: Path, tmp_path: Path, capsys) -> None:
    import json

    fixtures = Path(__file__).resolve().parent / "asr" / "fixtures"
    folder = make_vod_folder(tmp_path / "src" / "vod_speech")
    (folder / "stream.flac").unlink()
    shutil.copy(fixtures / "speech.flac", folder / "speech.flac")
    assert main(["add", str(folder)]) == 0
    assert main(["materialize", "--vod", "vod_speech", "--select", "raw_chat", "--select", "vod_audio", "--select", "transcripts"]) == 0
    assert main(["audit", "vod_speech", "--n", "2"]) == 0
    template = warehouse / "audits" / "vod_speech" / "audit.jsonl"
    first = [json.loads(line) for line in template.read_text().splitlines()]
    assert len(first) == 2 and all(line["reference"] is None for line in first)
    assert all((template.parent / line["clip"]).stat().st_size > 1000 for line in first)
    assert main(["audit", "vod_speech", "--n", "2"]) == 0
    assert [json.loads(line) for line in template.read_text().splitlines()] == first
    assert main(["audit", "no_such_vod"]) == 2


def test_unknown_asset_is_one_line_and_cross_vod_assets_need_no_vod(warehouse: Path, capsys) -> None:
    assert main(["materialize", "--select", "train_split", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown asset(s) nope" in err and "train_split" in err
    # cross-VOD assets run once over what exists: with no VOD built yet, train_split says what is missing
    assert main(["materialize", "--select", "train_split"]) == 1
    assert "no VOD has clean_pairs yet" in capsys.readouterr().err


def test_trace_and_generate_explain_what_is_missing(warehouse: Path, capsys) -> None:
    assert main(["trace", "abc"]) == 2
    assert "no warehouse here yet" in capsys.readouterr().err
    assert main(["generate", "--vod", "demo_01"]) == 2
    assert "give --vod and --at SECONDS" in capsys.readouterr().err


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_dev_hands_dagster_default_signal_handlers_even_from_a_background_shell(signame) -> None:
    """`dougchat dev &` starts with SIGINT ignored; an ignored signal survives exec, so Dagster never stopped.

    The child ignores SIGINT and SIGTERM like a background job, then does what `cmd_dev` does
    before ``execvp``; the program it execs (a stand-in for `dagster dev`) must stop on the signal.
    """
    import signal
    import subprocess
    import sys

    child = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "from dougchat_assets.cli import _restore_default_signals\n"
        "_restore_default_signals()\n"
        "os.execvp(sys.executable, [sys.executable, '-c', \"import time; print('ready', flush=True); time.sleep(60)\"])\n"
    )
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(getattr(signal, signame))
        assert process.wait(timeout=10) != 0
    finally:
        process.kill()
        process.wait()


def test_a_failed_check_is_printed_even_when_the_run_succeeds(warehouse: Path, tmp_path: Path, capsys) -> None:
    # five messages: raw_chat succeeds; transcripts' audits_present warns (no audits), which must show
    folder = make_vod_folder(tmp_path / "src" / "vod_warn")
    assert main(["add", str(folder)]) == 0
    assert main(["materialize", "--vod", "vod_warn", "--select", "raw_chat", "vod_audio", "transcripts"]) == 0
    captured = capsys.readouterr()
    assert "ok      vod_warn" in captured.out
    assert "check audits_present on transcripts failed" in captured.err and "details (tracebacks):" in captured.err


def test_the_public_demo_key_applies_only_to_a_warehouse_the_demo_built(tmp_path: Path, monkeypatch) -> None:
    from dougchat_assets.cli import DEMO_HASH_KEY, DEMO_MARKER, _demo_key_for_demo_warehouse
    from dougchat_assets.privacy import HASH_KEY_ENV
    from dougchat_assets.settings import WarehouseLayout

    layout = WarehouseLayout(root=tmp_path / "wh")
    layout.ensure()
    monkeypatch.delenv(HASH_KEY_ENV, raising=False)
    _demo_key_for_demo_warehouse(layout)
    assert HASH_KEY_ENV not in os.environ  # real data: a missing key stays an error
    (layout.root / DEMO_MARKER).write_text("built by dougchat demo\n")
    _demo_key_for_demo_warehouse(layout)  # `dougchat dev` after `dougchat demo`: new VODs hash as the demo did
    assert os.environ[HASH_KEY_ENV] == DEMO_HASH_KEY
    monkeypatch.setenv(HASH_KEY_ENV, "a-real-secret")
    _demo_key_for_demo_warehouse(layout)
    assert os.environ[HASH_KEY_ENV] == "a-real-secret"  # a key the user set always wins
