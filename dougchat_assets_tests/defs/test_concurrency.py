"""Two VOD partitions materialize at the same time, in two real processes, on one warehouse.

The warehouse lock (:mod:`dougchat_assets.store.lock`) is taken only around DuckDB
connections, so the long work of a stage (parsing the chat export, decoding the audio) runs
while another process holds it.  The test holds the lock itself while both runs start, and
waits until each child has parsed or decoded its VOD *without* the lock (its chat spool or
its FLAC exists); only then does it let go.  Both children then queue for their short
writes: both must exit 0 with no lock error, and both partitions' rows must be there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets.runner import ensure_dagster_home
from dougchat_assets.settings import WarehouseLayout
from dougchat_assets.store.lock import warehouse_lock
from dougchat_assets_tests.defs.helpers import query
from dougchat_assets_tests.ingest.support import vod_folder_with

VODS = ("vod_a", "vod_b")
STAGES = ("raw_chat", "vod_audio")
WAIT_S = 60.0  # generous: each child imports Dagster on a busy 2-core machine
LOCK_ERRORS = ("WarehouseLockTimeout", "warehouse is busy", "Could not set lock", "IO Error", "database is locked")


def _child(root: Path, vod_id: str) -> subprocess.Popen:
    env = dict(os.environ, DOUGCHAT_WAREHOUSE=str(root), DAGSTER_HOME=str(root / ".dagster"))
    env.pop("DOUGCHAT_FAULT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "dougchat_assets.cli", "materialize", "--vod", vod_id, "--select", *STAGES],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _did_long_work(layout: WarehouseLayout, vod_id: str) -> bool:
    """The child parsed its chat (spool written, waiting to insert) or decoded its audio (FLAC renamed into place)."""
    spools = (layout.work_dir / "raw_chat").glob(f".{vod_id}.parquet.*")
    return layout.audio_path(vod_id).exists() or any(p.stat().st_size > 0 for p in spools if p.exists())


def _started_runs(root: Path) -> int:
    with dg.DagsterInstance.from_config(str(root / ".dagster")) as instance:
        return len(instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])))


def test_two_partitions_materialize_concurrently_without_a_lock_error(tmp_path: Path) -> None:
    layout = WarehouseLayout(root=tmp_path / "warehouse")
    layout.ensure()
    for vod_id in VODS:
        register_vod_folder(vod_folder_with(tmp_path / "src" / vod_id, audio_s=6.0), layout, vod_id=vod_id)
    ensure_dagster_home(layout)  # dagster.yaml in place, as `dougchat materialize` leaves it
    with dg.DagsterInstance.from_config(str(layout.dagster_home)):
        pass  # instance storage created once, before two processes open it

    children: dict[str, subprocess.Popen] = {}
    try:
        with warehouse_lock(layout.root, "test: holding the warehouse while both runs start"):
            children = {vod_id: _child(layout.root, vod_id) for vod_id in VODS}
            deadline = time.monotonic() + WAIT_S
            while not (all(_did_long_work(layout, v) for v in VODS) and _started_runs(layout.root) == len(VODS)):
                if any(child.poll() is not None for child in children.values()) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            worked_unlocked = {vod_id: _did_long_work(layout, vod_id) for vod_id in VODS}
            live_runs = _started_runs(layout.root)
        outputs = {vod_id: child.communicate(timeout=120) for vod_id, child in children.items()}
    finally:
        for child in children.values():  # only on a failure above: our own children, by handle
            if child.poll() is None:
                child.kill()
                child.wait()

    for vod_id, child in children.items():
        stdout, stderr = outputs[vod_id]
        assert child.returncode == 0, f"{vod_id}: exit {child.returncode}\n{stderr[-3000:]}"
        assert not [e for e in LOCK_ERRORS if e in stderr], stderr[-3000:]
        assert f"ok      {vod_id}" in stdout
    # while this test held the lock, both runs were live and each had parsed or decoded its VOD
    assert worked_unlocked == {vod_id: True for vod_id in VODS}
    assert live_runs == len(VODS)
    for vod_id in VODS:
        assert query(layout, "select count(*) from raw_chat where vod_id = ?", [vod_id]) == [(5,)]
        assert query(layout, "select count(*) from vod_audio where vod_id = ?", [vod_id]) == [(1,)]
        assert query(layout, "select count(*) from audio_energy where vod_id = ?", [vod_id])[0][0] > 0
    assert not list((layout.work_dir / "raw_chat").glob(".*")), "chat spools left behind"
    with dg.DagsterInstance.from_config(str(layout.dagster_home)) as instance:
        runs = instance.get_runs()
        assert sorted(r.tags.get("dagster/partition") for r in runs) == sorted(VODS)
        assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}

