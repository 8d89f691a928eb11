"""VODs in parallel: 2 concurrent `dougchat materialize` processes against 1, on the demo VODs.

Run:  nice -n 10 .venv/bin/python bench/parallel.py [--vods demo_01 demo_02 demo_03 demo_04] [--repeats 1]

The warehouse lock is held only while a DuckDB connection is open (reading a stage's
inputs, writing its rows), never during the chat parse, audio decode, ASR, estimation or
filtering in between.  So two processes working on different VODs should overlap almost
completely, and on 2 cores take little more than half the time of one process doing all.

Each arm gets its own fresh warehouse with the same VODs added (`dougchat add`), so neither
reuses the other's finished ASR chunks:

* baseline: one process, ``materialize --vod A --vod B --vod C --vod D`` (one run per VOD,
  one after the other);
* parallel: two processes started together, each ``materialize`` for half the VODs.

Both arms run the per-VOD stages raw_chat, vod_audio, transcripts, offset_curve and
clean_pairs with ``OMP_NUM_THREADS=1`` (faster-whisper's CPU thread count when none is
configured, and numpy's), so each process uses one core and the comparison is fair.
Printed: the wall time of each arm, the speed-up ratio measured in the same run, the load
average before and after (the machine may be shared), and the assertions that every process
exited 0 with no lock error in its output and that both arms wrote the same row counts.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from dougchat_assets.cli import _install_demo_references, _use_demo_settings  # noqa: E402
from dougchat_assets.ingest.register import register_vod_folder  # noqa: E402
from dougchat_assets.runner import ensure_dagster_home  # noqa: E402
from dougchat_assets.settings import WarehouseLayout  # noqa: E402

DEMO_VODS = ROOT / "demo" / "vods"
STAGES = ["raw_chat", "vod_audio", "transcripts", "offset_curve", "clean_pairs"]
LOCK_ERRORS = ("WarehouseLockTimeout", "warehouse is busy", "Could not set lock", "IO Error", "database is locked")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
COUNTED = ["raw_chat", "vod_audio", "transcript_segments", "transcript_words", "offset_curve", "pairs"]


def make_warehouse(root: Path, vod_ids: list[str]) -> WarehouseLayout:
    """A warehouse as `dougchat demo` sets it up (VODs added, audits, settings), nothing materialized.

    The Dagster instance storage is created here, once: two `dougchat materialize` started
    at the same moment on a warehouse whose instance does not exist yet race to create its
    SQLite tables ("table runs already exists"), a start-up problem, not the one measured.
    """
    layout = WarehouseLayout(root=root)
    layout.ensure()
    for vod_id in vod_ids:
        register_vod_folder(DEMO_VODS / vod_id, layout, vod_id=vod_id)
    _install_demo_references(layout, DEMO_VODS.parent, vod_ids)
    _use_demo_settings(layout, DEMO_VODS.parent)  # settings file; the public demo hash key unless one is set
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(layout.dagster_home)
    try:
        ensure_dagster_home(layout)
        with dg.DagsterInstance.get():
            pass
    finally:
        os.environ.pop("DAGSTER_HOME") if saved is None else os.environ.update(DAGSTER_HOME=saved)
    return layout


def start(layout: WarehouseLayout, vod_ids: list[str]) -> subprocess.Popen:
    env = dict(os.environ, DOUGCHAT_WAREHOUSE=str(layout.root), DAGSTER_HOME=str(layout.dagster_home), **ONE_THREAD)
    env.pop("DOUGCHAT_FAULT", None)
    command = [sys.executable, "-m", "dougchat_assets.cli", "materialize", "--select", *STAGES]
    for vod_id in vod_ids:
        command += ["--vod", vod_id]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_arm(layout: WarehouseLayout, groups: list[list[str]]) -> tuple[float, list[tuple[list[str], int, str, str]], list[float]]:
    """Start one process per group at once: wall time until the last ends, and each one's CPU seconds."""
    started = time.perf_counter()
    children = [(group, start(layout, group)) for group in groups]
    results, cpu = [], []
    for group, child in children:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        stdout, stderr = child.communicate()  # reaps the child: its CPU time joins RUSAGE_CHILDREN
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        results.append((group, child.returncode, stdout, stderr))
    return time.perf_counter() - started, results, cpu


def row_counts(layout: WarehouseLayout, vod_ids: list[str]) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(layout.duckdb_path), read_only=True) as con:
        return {
            (table, vod_id): con.execute(f"SELECT count(*) FROM {table} WHERE vod_id = ?", [vod_id]).fetchone()[0]
            for table in COUNTED for vod_id in vod_ids
        }


def check(results: list[tuple[list[str], int, str, str]], arm: str) -> list[str]:
    """Lock errors in any process's output: the one thing concurrency must never cause."""
    problems = []
    for group, _code, stdout, stderr in results:
        errors = [e for e in LOCK_ERRORS if e in stderr or e in stdout]
        if errors:
            problems.append(f"{arm} process for {', '.join(group)}: lock error(s) {errors}:\n{stderr[-2500:]}")
    return problems


def outcomes(results: list[tuple[list[str], int, str, str]]) -> dict[str, str]:
    """vod_id -> "ok", or "FAILED: <first reason>" as `dougchat materialize` printed it."""
    out = {}
    for group, _code, stdout, stderr in results:
        for vod_id in group:
            if f"ok      {vod_id}:" in stdout:
                out[vod_id] = "ok"
                continue
            lines = stderr.splitlines()
            index = next((i for i, line in enumerate(lines) if line.strip() == f"FAILED  {vod_id}"), None)
            reason = lines[index + 1].strip() if index is not None and index + 1 < len(lines) else stderr[-300:]
            out[vod_id] = f"FAILED: {reason}"
    return out


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vods", nargs="+", default=sorted(p.name for p in DEMO_VODS.glob("demo_0*")))
    parser.add_argument("--processes", type=int, default=2, help="concurrent processes in the parallel arm")
    parser.add_argument("--repeats", type=int, default=1, help="pairs of arms, order alternating")
    parser.add_argument("--keep", action="store_true", help="keep the warehouses (printed)")
    args = parser.parse_args()
    vod_ids = args.vods
    groups = [vod_ids[i :: args.processes] for i in range(args.processes)]
    work = Path(tempfile.mkdtemp(prefix="dougchat-bench-parallel-"))
    print(f"{len(vod_ids)} VODs ({', '.join(vod_ids)}); stages {', '.join(STAGES)}; "
          f"{' '.join(f'{k}={v}' for k, v in ONE_THREAD.items())}")
    print(f"parallel arm: {args.processes} processes: " + " | ".join(", ".join(g) for g in groups))
    print(f"before: {load()}")
    problems: list[str] = []
    walls: dict[str, list[float]] = {"1 process": [], f"{args.processes} processes": []}
    cpus: dict[str, list[list[float]]] = {arm: [] for arm in walls}
    counts: dict[str, dict] = {}
    results_by_arm: dict[str, dict[str, str]] = {}
    codes: dict[str, list[int]] = {}
    try:
        for repeat in range(args.repeats):
            arms = [("1 process", [vod_ids]), (f"{args.processes} processes", groups)]
            if repeat % 2:
                arms.reverse()
            for arm, arm_groups in arms:
                layout = make_warehouse(work / f"{arm.replace(' ', '_')}_{repeat}", vod_ids)
                wall, results, cpu = run_arm(layout, arm_groups)
                walls[arm].append(wall)
                cpus[arm].append(cpu)
                problems += check(results, arm)
                results_by_arm[arm] = outcomes(results)
                codes.setdefault(arm, []).extend(code for _, code, _, _ in results)
                counts[arm] = row_counts(layout, vod_ids)
                print(f"  repeat {repeat + 1}: {arm:<12} {wall:7.1f} s wall, CPU s per process "
                      f"{' + '.join(f'{c:.1f}' for c in cpu)}   ({load()})")
    finally:
        if args.keep:
            print(f"warehouses kept under {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sequential, parallel = (min(w) for w in walls.values())
    print(f"after: {load()}")
    print(f"wall (best of {args.repeats}): 1 process {sequential:.1f} s, {args.processes} processes {parallel:.1f} s")
    print(f"speed-up {sequential / parallel:.2f}x  (target >= 1.6x on 2 otherwise idle cores)")
    # Load-independent: with a core per process and no waiting on each other, the parallel arm
    # would take as long as its busiest process's CPU time; the sequential one its CPU time.
    ceiling = min(sum(c) for c in cpus["1 process"]) / min(max(c) for c in cpus[f"{args.processes} processes"])
    print(f"CPU-bound ceiling (1-process CPU s / busiest parallel process CPU s): {ceiling:.2f}x; "
          f"measured / ceiling {sequential / parallel / ceiling:.0%} (below 100%: waiting, or cores taken by other load)")
    parallel_arm = f"{args.processes} processes"
    same = counts["1 process"] == counts[parallel_arm]
    print(f"row counts per VOD and table identical in both arms: {same}")
    if not same:
        problems.append(f"row counts differ: {counts}")
    print(f"exit codes: 1 process {codes['1 process']}, {parallel_arm} {codes[parallel_arm]}")
    for vod_id in vod_ids:
        print(f"  {vod_id}: {results_by_arm['1 process'][vod_id]}")
    if results_by_arm["1 process"] != results_by_arm[parallel_arm]:
        problems.append(f"per-VOD outcomes differ between the arms: {results_by_arm}")
    elif any(code != 0 for arm_codes in codes.values() for code in arm_codes):
        print("note: the same VODs failed the same way in both arms (their checks, not concurrency); "
              "every process of a warehouse whose VODs all pass exits 0")
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    print("no lock error, same outcomes and rows in both arms" if not problems else f"{len(problems)} problem(s), see stderr")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
