"""The cluster profile for real on one machine: PostgreSQL + Redis + two Celery workers + DuckLake.

What runs: ``scripts/cluster_services.sh`` starts a throwaway PostgreSQL (Dagster's run/event
storage and the DuckLake catalog) and Redis (the Celery broker) on loopback ports; two
``dagster-celery`` workers start, one on the default queue (``cpu``) and one on the ``gpu``
queue; a run of ``vod_pipeline`` for one demo VOD is executed with the code location's own
executor under ``DOUGCHAT_PROFILE=cluster`` (so every step is a Celery task), writing its
tables into the DuckLake.  The same VOD is materialized single-machine, in-process, into a
DuckDB file with :mod:`dougchat_assets.runner`.  Every table must hold identical rows, the
``transcripts`` step must have run on the GPU worker and every other step on the CPU worker.

Why one VOD through ``vod_pipeline``: it exercises every per-VOD asset, both queues and every
table those assets write (ingest, ASR, alignment, pairs, checks, manifests) in about a minute;
the cross-VOD assets add minutes of LoRA training whose routing is the same ``gpu`` tag
(checked on the definitions below) and whose storage path is the same resource.

Run with ``pytest -m cluster`` (.ci/run does); it skips only when PostgreSQL or redis-server
cannot be installed (the services script exits 3), naming what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from dougchat_assets.settings import WarehouseLayout

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
VOD = "demo_03"
DEMO_HASH_KEY = "dougchat-demo-only-key-not-a-secret"
PER_VOD_ASSETS = ["raw_chat", "vod_audio", "transcripts", "offset_curve", "clean_pairs"]

# The coordinating process of a run: what the daemon's run launcher starts on a real cluster.
# It loads the code location as any Dagster process does (module + attribute), so the executor
# is the profile's: every step goes to Celery.
RUN_SCRIPT = """
import json, sys
import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository

vod, root = sys.argv[1], sys.argv[2]
job = ReconstructableRepository.for_module("dougchat_assets.definitions", "defs", working_directory=root) \\
    .get_reconstructable_job("vod_pipeline")
with dg.DagsterInstance.get() as instance:
    if not instance.has_dynamic_partition("vods", vod):
        instance.add_dynamic_partitions("vods", [vod])
    result = dg.execute_job(job, instance, tags={"dagster/partition": vod}, raise_on_error=False)
    workers = {}
    for record in instance.all_logs(result.run_id):
        event = record.dagster_event
        if event is not None and event.is_engine_event and event.step_key and "Celery worker" in (
            event.engine_event_data.metadata or {}
        ):
            workers[event.step_key] = str(event.engine_event_data.metadata["Celery worker"].value)
    print(json.dumps({"success": result.success, "run_id": result.run_id, "workers": workers}))
"""


def _prepare_warehouse(root: Path) -> WarehouseLayout:
    """One demo VOD registered as `dougchat demo` registers it (folder, audits, settings)."""
    from dougchat_assets.cli import _install_demo_references
    from dougchat_assets.ingest.register import register_vod_folder

    layout = WarehouseLayout(root=root)
    layout.ensure()
    register_vod_folder(DEMO / "vods" / VOD, layout, vod_id=VOD, force=True)
    _install_demo_references(layout, DEMO, [VOD])
    shutil.copyfile(DEMO / "dougchat.toml", layout.settings_path)
    return layout


def _table_rows(con: duckdb.DuckDBPyConnection, table: str, root: Path) -> list[tuple]:
    """All rows of ``table``, sorted, with the warehouse's own path written as <warehouse>."""
    rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    prefix = str(root)
    return [tuple(v.replace(prefix, "<warehouse>") if isinstance(v, str) else v for v in row) for row in rows]


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def services():
    """PostgreSQL + Redis on loopback, stopped at the end whatever happened."""
    for module in ("dagster_celery", "dagster_postgres", "psycopg2", "duckdb_extension_ducklake"):
        try:
            __import__(module)
        except ImportError:
            pytest.fail(f"the cluster test needs the cluster extra ({module} is missing): pip install -e '.[cluster]'")
    state = Path(tempfile.mkdtemp(prefix="dougchat-cluster-"))
    script = ROOT / "scripts" / "cluster_services.sh"
    started = subprocess.run(["bash", str(script), "start", str(state)], capture_output=True, text=True, timeout=600)
    try:
        if started.returncode == 3:
            pytest.skip(f"cluster services unavailable: {started.stderr.strip().splitlines()[-1]}")
        assert started.returncode == 0, started.stderr
        env = {}
        for line in started.stdout.splitlines():
            key, _, value = line.partition("=")
            env[key] = value.strip("'")
        yield state, env
    finally:
        subprocess.run(["bash", str(script), "stop", str(state)], capture_output=True, timeout=120)
        shutil.rmtree(state, ignore_errors=True)


def test_gpu_steps_are_routed_by_tag_and_the_local_profile_keeps_the_multiprocess_executor(monkeypatch) -> None:
    import dagster as dg

    from dougchat_assets.defs.executor import GPU_QUEUE_TAG, executor_for_profile
    from dougchat_assets.defs.model import lora_adapter
    from dougchat_assets.defs.transcription import transcripts
    from dougchat_assets.defs.ingest import raw_chat

    assert transcripts.op.tags.get("dagster-celery/queue") == GPU_QUEUE_TAG["dagster-celery/queue"]
    assert lora_adapter.op.tags.get("dagster-celery/queue") == "gpu"
    assert "dagster-celery/queue" not in raw_chat.op.tags
    monkeypatch.delenv("DOUGCHAT_PROFILE", raising=False)
    assert executor_for_profile() is dg.multiprocess_executor
    monkeypatch.setenv("DOUGCHAT_PROFILE", "cluster")
    assert executor_for_profile().name == "celery"
    monkeypatch.setenv("DOUGCHAT_PROFILE", "clsuter")
    with pytest.raises(ValueError, match="DOUGCHAT_PROFILE.*clsuter"):
        executor_for_profile()


def test_demo_vod_through_celery_workers_into_ducklake_matches_the_single_machine_run(services, tmp_path, monkeypatch) -> None:
    from dougchat_assets.runner import load_definitions, materialize_vods
    from dougchat_assets.store.lake import LakeConfig
    from dougchat_assets.store.readonly import read_only_warehouse
    from dougchat_assets.store.schema import TABLES

    state, service_env = services
    monkeypatch.setenv("DOUGCHAT_HASH_KEY", DEMO_HASH_KEY)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the same ASR thread count in both runs
    for name in ("DOUGCHAT_LAKE_CATALOG", "DOUGCHAT_LAKE_DATA_PATH", "DOUGCHAT_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    # The cluster: its own warehouse folder (what the machines share) and Dagster home.
    cluster_root = tmp_path / "cluster-warehouse"
    _prepare_warehouse(cluster_root)
    home = tmp_path / "cluster-dagster-home"
    home.mkdir()
    shutil.copyfile(ROOT / "cluster" / "dagster.yaml", home / "dagster.yaml")
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ, **service_env,
        "DAGSTER_HOME": str(home), "DOUGCHAT_PROFILE": "cluster", "DOUGCHAT_WAREHOUSE": str(cluster_root),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
    }
    celery_cli = shutil.which("dagster-celery", path=env["PATH"])
    assert celery_cli, "dagster-celery is not on PATH (pip install -e '.[cluster]')"
    workers, logs = [], []
    try:
        for name, queue in (("cpu", "dagster"), ("gpu", "gpu")):
            log = open(tmp_path / f"worker-{name}.log", "w")
            logs.append(log)
            workers.append(subprocess.Popen(
                [celery_cli, "worker", "start", "-y", str(ROOT / "cluster" / "celery.yaml"), "-A", "dagster_celery.app",
                 "-q", queue, "-n", name, "--", "--concurrency=1"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-c", RUN_SCRIPT, VOD, str(ROOT)], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=400)
        cluster_seconds = time.monotonic() - started
    finally:
        for worker in workers:
            _kill_group(worker)
        for log in logs:
            log.close()
    logs = "\n".join((tmp_path / f"worker-{n}.log").read_text(errors="replace")[-3000:] for n in ("cpu", "gpu"))
    assert run.returncode == 0, run.stderr[-4000:] + logs
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["success"], run.stderr[-4000:] + logs
    ran_on = {step: host.split("@")[0] for step, host in outcome["workers"].items()}
    assert set(PER_VOD_ASSETS) <= set(ran_on), ran_on
    assert ran_on["transcripts"] == "gpu" and {w for s, w in ran_on.items() if s != "transcripts"} == {"cpu"}, ran_on

    # The same VOD on one machine, in-process, into a DuckDB file.
    local_root = tmp_path / "local-warehouse"
    layout = _prepare_warehouse(local_root)
    import dagster as dg

    started = time.monotonic()
    with dg.DagsterInstance.ephemeral() as instance:
        outcomes = materialize_vods([VOD], None, instance, load_definitions(), layout)
    local_seconds = time.monotonic() - started
    assert outcomes[0].success, outcomes[0].errors
    print(f"cluster run {cluster_seconds:.0f} s, single-machine run {local_seconds:.0f} s")

    lake = LakeConfig(catalog=service_env["DOUGCHAT_LAKE_CATALOG"], data_path=cluster_root / "lake")
    compared = {}
    monkeypatch.setenv("DOUGCHAT_LAKE_CATALOG", service_env["DOUGCHAT_LAKE_CATALOG"])  # what the CLI reads through
    with duckdb.connect(str(layout.duckdb_path), read_only=True) as local, \
            read_only_warehouse(WarehouseLayout(root=cluster_root).duckdb_path, "test") as remote:
        local_tables = {r[0] for r in local.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        lake_tables = {r[0] for r in remote.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()}
        assert local_tables == lake_tables
        for table in sorted(set(TABLES) & local_tables):
            expected, actual = _table_rows(local, table, local_root), _table_rows(remote, table, cluster_root)
            assert actual == expected, f"{table}: {len(actual)} rows on the cluster, {len(expected)} single-machine"
            compared[table] = len(expected)
    # A slice that wrote nothing would compare equal too: the slice must reach the pairs.
    assert compared["raw_chat"] > 100 and compared["transcript_segments"] > 10 and compared["pairs"] > 10, compared
    assert list(lake.data_path.rglob("*.parquet")), "the lake's data files are not under the shared path"
    print("identical tables (rows):", compared)


WRITER_SCRIPT = """
import sys
import pyarrow as pa
from dougchat_assets.defs.resources import WarehouseDuckDB
from dougchat_assets.store.writes import TableWrite, replace_rows

database, vod, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = WarehouseDuckDB(database=database, lock_timeout_s=120)
for i in range(rounds):
    frames = pa.table({"vod_id": [vod] * 50, "frame_index": list(range(50)), "start_s": [0.1 * j for j in range(50)],
                       "rms_db": [float(i)] * 50})
    with db.get_connection() as con:
        replace_rows(con, [TableWrite("audio_energy", frames, {"vod_id": vod}),
                           TableWrite("vods", pa.table({"vod_id": [vod], "title": [f"round {i}"]}), {"vod_id": vod})])
"""

HOLDER_SCRIPT = """
import sys, time
from pathlib import Path
from dougchat_assets.store.lake import LakeConfig, lake_lock

with lake_lock(LakeConfig(catalog=sys.argv[1], data_path=Path(sys.argv[2])), "holding for the test"):
    print("held", flush=True)
    time.sleep(600)
"""


def _lake_env(service_env: dict[str, str], catalog: str) -> dict[str, str]:
    return {**os.environ, **service_env, "DOUGCHAT_LAKE_CATALOG": catalog}


def _fresh_lake(service_env: dict[str, str], name: str) -> str:
    """A new, empty catalog database on the test's PostgreSQL (each test its own lake)."""
    import psycopg2

    dsn = service_env["DOUGCHAT_LAKE_CATALOG"].removeprefix("postgres:")
    pg = psycopg2.connect(dsn)
    try:
        pg.autocommit = True
        with pg.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
            cur.execute(f"CREATE DATABASE {name}")
    finally:
        pg.close()
    return service_env["DOUGCHAT_LAKE_CATALOG"].replace("dbname=lake", f"dbname={name}")


def test_concurrent_partition_writers_on_the_lake_all_commit(services, tmp_path) -> None:
    """Three processes replacing partitions of the same tables at once: every commit lands.

    Without the catalog lock DuckLake refuses the second of two overlapping DELETE + INSERT
    transactions on a table ("another transaction has deleted from it").
    """
    from dougchat_assets.store.lake import LakeConfig, lake_connection

    _, service_env = services
    catalog = _fresh_lake(service_env, "lake_writers")
    env = _lake_env(service_env, catalog)
    database = str(tmp_path / "dougchat.duckdb")
    writers = [subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, database, f"v{n}", "4"], env=env, cwd=ROOT,
                                stderr=subprocess.PIPE, text=True) for n in range(3)]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], "\n".join(errors)
    assert not (tmp_path / "dougchat.duckdb").exists(), "wrote the DuckDB file instead of the lake"
    with lake_connection(LakeConfig(catalog=catalog, data_path=tmp_path / "lake"), read_only=True) as con:
        assert con.execute("SELECT vod_id, count(*), min(rms_db) FROM audio_energy GROUP BY ALL ORDER BY ALL").fetchall() \
            == [("v0", 50, 3.0), ("v1", 50, 3.0), ("v2", 50, 3.0)]
        assert con.execute("SELECT vod_id, title FROM vods ORDER BY ALL").fetchall() \
            == [("v0", "round 3"), ("v1", "round 3"), ("v2", "round 3")]


def test_a_killed_lock_holder_frees_the_lake_and_a_busy_lake_names_its_holder(services, tmp_path) -> None:
    from dougchat_assets.store.lake import LakeConfig, LakeError, lake_lock

    _, service_env = services
    config = LakeConfig(catalog=service_env["DOUGCHAT_LAKE_CATALOG"], data_path=tmp_path / "lake")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER_SCRIPT, config.catalog, str(config.data_path)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LakeError, match="busy: held by dougchat .* holding for the test"):
            with lake_lock(config, "second writer", timeout_s=1.0):
                pass
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        started = time.monotonic()
        with lake_lock(config, "after the kill", timeout_s=30.0):
            waited = time.monotonic() - started
        assert waited < 10, f"the dead holder's lock lasted {waited:.1f} s"
    finally:
        _kill_group(holder)
