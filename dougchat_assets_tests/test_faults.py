"""A run killed with SIGKILL in the middle of any per-VOD stage never hurts the warehouse.

For each stage a real child process (`python -m dougchat_assets.cli materialize ...`) is
killed at a named fault point (:mod:`dougchat_assets.faults`): inside the write transaction,
after the audio's temp file is written but before its rename, after the first ASR chunk is
saved.  Then:

* nothing of the stage is committed (its tables hold no row of the VOD), nothing is left
  half-written under a final name;
* the next run does not hang (the lock died with the process; the dead run is marked failed)
  and ends with exactly the tables and files of an uninterrupted run, no stray temp file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dougchat_assets.cli import DEMO_VODS, main
from dougchat_assets.fileio import sha256_file

VOD = "demo_01"
# stage, fault point, the tables it writes (must hold nothing of the VOD after the kill)
STAGES = [
    ("raw_chat", "write:raw_chat", ["raw_chat", "vods"]),
    ("vod_audio", f"rename:{VOD}.flac", ["vod_audio", "audio_energy"]),
    ("transcripts", "asr:chunk_saved", ["transcript_segments", "transcript_words"]),
    ("offset_curve", "write:offset_curve", ["offset_curve", "alignment_anchors", "alignment_uncertain_spans"]),
    ("clean_pairs", "write:pairs", ["pairs", "kept_chat", "chat_filter_log", "chat_filter_funnel"]),
]
TABLES = [t for _, _, tables in STAGES for t in tables] + ["vod_manifest", "quality_checks"]
NOT_COMPARED = {".dagster", "work", "logs", "dougchat.duckdb", "dougchat.duckdb.wal", ".dougchat.lock"}  # logs: per-run diagnostics


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DOUGCHAT_WAREHOUSE=str(root), DAGSTER_HOME=str(root / ".dagster"), **extra)
    env.pop("DOUGCHAT_FAULT", None)
    env.update(extra)
    return env


def _materialize(root: Path, stage: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dougchat_assets.cli", "materialize", "--vod", VOD, "--select", stage],
        env=_env(root, **extra), capture_output=True, text=True, timeout=600,
    )


def _tables(root: Path, tables: list[str]) -> dict[str, list]:
    with duckdb.connect(str(root / "dougchat.duckdb"), read_only=True) as con:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        out = {}
        for table in tables:
            rows = con.execute(f"select * from {table} where vod_id = ? order by all", [VOD]).fetchall() if table in present else []
            out[table] = [tuple(_portable(v) for v in row) for row in rows]
        return out


def _portable(value: object) -> str:
    """A value with any absolute path into a warehouse's incoming folder made relative (copies move)."""
    text = str(value)
    cut = text.find("/incoming/")
    return "<warehouse>" + text[cut:] if text.startswith("/") and cut >= 0 else text


def _files(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in NOT_COMPARED or not path.is_file():
            continue
        out[str(rel)] = sha256_file(path)
    return out


def _stray(root: Path) -> list[str]:
    """Temp files (hidden, "."-prefixed) anywhere the pipeline writes final artefacts."""
    return [str(p.relative_to(root)) for p in root.rglob(".*")
            if p.relative_to(root).parts[0] not in NOT_COMPARED and p.name != ".dougchat.lock"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> tuple[dict[str, Path], dict[str, Path]]:
    """Copies of one warehouse taken just before and just after each stage ran, uninterrupted."""
    base = tmp_path_factory.mktemp("faults")
    root = base / "reference"
    patch = pytest.MonkeyPatch()
    patch.setenv("DOUGCHAT_WAREHOUSE", str(root))
    patch.setenv("DAGSTER_HOME", str(root / ".dagster"))
    before: dict[str, Path] = {}
    after: dict[str, Path] = {}
    try:
        assert main(["add", str(DEMO_VODS / VOD), "--vod-id", VOD]) == 0
        for stage, _, _ in STAGES:
            before[stage] = base / f"before_{stage}"
            shutil.copytree(root, before[stage])
            assert main(["materialize", "--vod", VOD, "--select", stage]) == 0
            after[stage] = base / f"after_{stage}"
            shutil.copytree(root, after[stage])
    finally:
        patch.undo()
    return before, after


@pytest.mark.parametrize(("stage", "fault", "tables"), STAGES, ids=[s for s, _, _ in STAGES])
def test_sigkill_mid_stage_leaves_nothing_half_done_and_a_rerun_ends_identical(staged, tmp_path, stage, fault, tables):
    before, after = staged
    reference = after[stage]
    root = tmp_path / "warehouse"
    shutil.copytree(before[stage], root)
    killed = _materialize(root, stage, DOUGCHAT_FAULT=fault)
    assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
    assert all(rows == [] for rows in _tables(root, tables).values()), f"{stage}: rows committed by a killed run"
    rerun = _materialize(root, stage)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "marked run" in rerun.stderr and "its process is gone" in rerun.stderr
    assert _tables(root, TABLES) == _tables(reference, TABLES)
    assert _files(root) == _files(reference)
    assert _stray(root) == []
    with dg.DagsterInstance.from_config(str(root / ".dagster")) as instance:
        runs = instance.get_runs()
        assert {r.status for r in runs} <= {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}
