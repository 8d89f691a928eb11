"""Runs whose process died are marked failed; a run's process is the run's, not a step's."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import dagster as dg
from dagster._core.utils import make_new_run_id

from dougchat_assets.defs.runs import PID_TAG, fail_dead_runs, process_tags, run_process_id


def _child_reports(queue) -> None:
    queue.put((os.getpid(), run_process_id()))


def test_a_step_in_a_child_process_names_the_run_worker_that_spawned_it() -> None:
    # the multiprocess executor runs each step in a child process that exits with the step;
    # naming it made a run look dead between two steps, and failed runs that had just succeeded
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child_reports, args=(queue,))
    child.start()
    child_pid, named = queue.get(timeout=60)
    child.join(timeout=60)
    assert child_pid != os.getpid() and named == os.getpid()
    assert run_process_id() == os.getpid()  # in-process runs (the CLI): this process


def test_only_runs_whose_process_is_gone_and_that_never_ended_are_failed(instance) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_tags = {**process_tags(), PID_TAG: finished.stdout.strip()}
    dead_tags["dougchat/pid_start"] = ""  # whatever started it, that pid is gone now

    def run(tags: dict[str, str], status: dg.DagsterRunStatus) -> dg.DagsterRun:
        return instance.add_run(dg.DagsterRun(job_name="vod_pipeline", run_id=make_new_run_id(), tags=tags, status=status))

    alive = run(process_tags(), dg.DagsterRunStatus.STARTED)
    dead = run(dead_tags, dg.DagsterRunStatus.STARTED)
    done = run(dead_tags, dg.DagsterRunStatus.SUCCESS)
    assert fail_dead_runs(instance) == [dead.run_id]
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
    assert instance.get_run_by_id(done.run_id).status == dg.DagsterRunStatus.SUCCESS
