"""Runs whose process died: recognised by the process that ran them, and marked failed.

Dagster's default run launcher cannot see a run whose process was killed (kill -9, the
out-of-memory killer, a power cut): the run stays STARTED forever, and any concurrency slot
it held stays taken.  Every dougchat run records the process executing it (pid, host and the
process's start time, so a recycled pid is not mistaken for it); ``fail_dead_runs`` marks
the runs whose process is gone as failed and frees whatever slots they held.  It runs when
`dougchat materialize` and `dougchat dev` start, and on every tick of the incoming sensor.

"The process executing the run" is the run's own process, not a step's: under the
multiprocess executor (the daemon's runs) each step is a child process that exits when the
step ends, so recording it made a run look dead between two steps, and at its very end (a
run that had just succeeded was then marked failed).  A step records its multiprocessing
parent, the run worker that lives for the whole run; in-process runs (the CLI) record their
own process.  And a run is failed only if, once its process is known to be gone, it still
has not ended: a process writes its run's final status before it exits.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from pathlib import Path

import dagster as dg

PID_TAG = "dougchat/pid"
HOST_TAG = "dougchat/host"
START_TAG = "dougchat/pid_start"
LIVE_STATUSES = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING]


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def run_process_id() -> int:
    """The process that owns the current run: the multiprocessing parent of a step run as a
    child process (the multiprocess executor's run worker), else this process."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid is not None else os.getpid()


def process_tags() -> dict[str, str]:
    """Tags naming the process that owns the current run, for that run."""
    pid = run_process_id()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), START_TAG: _start_time(pid) or ""}


def record_run_process(context: dg.AssetExecutionContext) -> None:
    """Tag the current run with the process executing this step (runs launched by the daemon too)."""
    context.instance.add_run_tags(context.run_id, process_tags())


def process_gone(tags: dict[str, str]) -> bool:
    """True when the tagged process is no longer running on this host (unknown hosts: never)."""
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG):
        return False
    start = _start_time(int(tags[PID_TAG]))
    return start is None or (bool(tags.get(START_TAG)) and start != tags[START_TAG])


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark live-looking runs whose process is gone as failed; return their ids."""
    failed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=LIVE_STATUSES)):
        if not process_gone(run.tags):
            continue
        # read again now that the process is known to be gone: a run that ended on its own
        # wrote its status before its process exited (the first read may predate both)
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status not in LIVE_STATUSES:
            continue
        instance.report_run_failed(
            run, message=f"the process running it (pid {run.tags[PID_TAG]} on {run.tags[HOST_TAG]}) is gone: "
                         "it was killed or crashed; its partial work was rolled back"
        )
        try:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        except NotImplementedError:  # storages without concurrency support hold no slots
            pass
        failed.append(run.run_id)
    return failed
