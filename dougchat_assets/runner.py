"""In-process materialization for the CLI: the same assets, checks and resources as the UI.

`dougchat materialize` records its runs in the same Dagster instance the UI reads
(``$DAGSTER_HOME``, default ``<warehouse>/.dagster``), so a partition built from the
terminal shows up as materialized in `dougchat dev`.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import build_resources
from dougchat_assets.defs.runs import process_tags
from dougchat_assets.settings import WarehouseLayout

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def ensure_dagster_home(layout: WarehouseLayout) -> Path:
    """Point DAGSTER_HOME at the warehouse (unless the user chose one) and install dagster.yaml there."""
    home = Path(os.environ.get("DAGSTER_HOME") or layout.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    template = PROJECT_ROOT / "dagster.yaml"
    target = home / "dagster.yaml"
    if template.exists() and (not target.exists() or target.read_bytes() != template.read_bytes()):
        shutil.copyfile(template, target)
    return home


def open_instance(layout: WarehouseLayout) -> dg.DagsterInstance:
    """The warehouse's Dagster instance, its storage created under the warehouse lock.

    Two `dougchat materialize` started at once on a fresh warehouse both created the SQLite
    run storage and one failed with "table runs already exists"; creating (and touching every
    storage) while holding a lock makes the second find it made.  The lock is a file in
    DAGSTER_HOME, not the warehouse's, so a run never waits for another run's DuckDB commit.
    """
    from dougchat_assets.store.lock import warehouse_lock

    home = ensure_dagster_home(layout)
    with warehouse_lock(home, "creating Dagster's instance storage"):
        instance = dg.DagsterInstance.get()  # builds (and migrates) run, event and schedule storage
        instance.get_runs(limit=1)
    return instance


@functools.cache
def load_definitions() -> dg.Definitions:
    """The code location's definitions, loaded once per process.

    Loading walks defs/ and binds Dagster's process-global load context to the current
    instance's state storage; loading again after that instance is closed fails, and would
    redo the same work anyway.
    """
    from dougchat_assets.definitions import defs

    return defs()


def executable_assets(definitions: dg.Definitions) -> list:
    """Each asset and check definition once (autoloading sees a definition in every module that imports it).

    The observable file inputs (``defs/sources.py``) are left out: runs materialize, the sensor observes.
    """
    unique: dict[int, object] = {}
    for item in list(definitions.assets or []) + list(definitions.asset_checks or []):
        if not isinstance(item, dg.SourceAsset):
            unique.setdefault(id(item), item)
    return list(unique.values())


@dataclass(frozen=True)
class PartitionOutcome:
    vod_id: str
    success: bool
    errors: list[str]
    materialized: list[str]
    log_path: Path | None = None  # full tracebacks of a failed run


def write_failure_log(result: dg.ExecuteInProcessResult, layout: WarehouseLayout) -> Path | None:
    """Dagster's full error chains (tracebacks) and failed checks of a run, in ``<warehouse>/logs/<run id>.log``.

    The terminal gets one line per failure; the person debugging gets everything, here.
    """
    from dougchat_assets.fileio import atomic_write_text

    parts = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error is not None:
            parts.append(f"== step {event.step_key} failed ==\n{event.step_failure_data.error.to_string()}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
            data = event.event_specific_data
            description = data.description or ""
            parts.append(f"== check {data.check_name} on {data.asset_key.to_user_string()} failed ==\n{description}")
    if not parts:
        return None
    path = layout.root / "logs" / f"{result.run_id}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, f"run {result.run_id}\n\n" + "\n\n".join(parts) + "\n")
    return path


def _failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error is not None:
            error = event.step_failure_data.error
            while error.cause is not None and "InputError" not in error.cls_name:
                error = error.cause
            messages.append(f"{event.step_key}: {error.message.strip()}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.event_specific_data
            if not data.passed:
                reason = (data.description or "").strip().splitlines()
                messages.append(f"check {data.check_name} on {data.asset_key.to_user_string()} failed"
                                + (f": {reason[0]}" if reason else ""))
    return messages


class UnknownAssetError(ValueError):
    """An asset name the code location does not define (the CLI prints it as one line)."""


def split_selection(definitions: dg.Definitions, selection: list[str] | None) -> tuple[list[str], list[str]]:
    """(per-VOD asset keys, cross-VOD asset keys) of ``selection`` (None = everything, in order)."""
    per_vod = [k.to_user_string() for k in definitions.resolve_job_def("vod_pipeline").asset_layer.executable_asset_keys]
    cross = [k.to_user_string() for k in definitions.resolve_job_def("dataset_and_model").asset_layer.executable_asset_keys]
    if selection is None:
        return per_vod, cross
    unknown = [name for name in selection if name not in per_vod and name not in cross]
    if unknown:
        raise UnknownAssetError(
            f"unknown asset(s) {', '.join(unknown)}: choose from {', '.join(per_vod + cross)}"
        )
    return [k for k in per_vod if k in selection], [k for k in cross if k in selection]


def materialize_in_process(
    assets: list,
    instance: dg.DagsterInstance,
    *,
    selection: list[str],
    resources: dict[str, object],
    job_name: str = "vod_pipeline",
    partition_key: str | None = None,
    **kwargs,
) -> dg.ExecuteInProcessResult:
    """Run ``selection`` in-process as the named job (``vod_pipeline``, ``dataset_and_model``).

    ``dg.materialize`` would record every CLI run as ``__ephemeral_asset_job__``; a job of the
    code location's name, built over the same asset objects with this warehouse's resources,
    shows CLI runs beside the UI's under the job people know.

    Entering any DagsterInstance puts its defs-state storage in a process-wide context
    variable that execution reads through a weak reference to that instance.  When an
    instance entered earlier (by Dagster or a test) has been collected while the variable
    still names its storage, the run fails with "Attempted to resolve undefined DagsterInstance
    weakref", depending on garbage-collection timing.  Scoping the storage of the instance we
    run against makes every run independent of what came before.
    """
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    checks = [a for a in assets if isinstance(a, dg.AssetChecksDefinition)]
    job = dg.define_asset_job(job_name, selection=dg.AssetSelection.assets(*selection))
    definitions = dg.Definitions(
        assets=[a for a in assets if not isinstance(a, dg.AssetChecksDefinition)], asset_checks=checks,
        jobs=[job], resources=resources,
    )
    with set_defs_state_storage(instance.defs_state_storage):
        return definitions.resolve_job_def(job_name).execute_in_process(
            instance=instance, partition_key=partition_key, **kwargs
        )


def materialize_cross_vod(
    keys: list[str],
    instance: dg.DagsterInstance,
    definitions: dg.Definitions,
    layout: WarehouseLayout,
    log_level: str = "WARNING",
) -> PartitionOutcome:
    """Materialize the cross-VOD assets (train_split, lora_adapter, eval_report) in one run."""
    result = materialize_in_process(
        executable_assets(definitions),
        instance,
        job_name="dataset_and_model",
        selection=keys,
        resources=build_resources(layout),
        raise_on_error=False,
        tags={"dougchat/launched_by": "cli", **process_tags()},
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    done = sorted(event.asset_key.to_user_string() for event in result.get_asset_materialization_events())
    return PartitionOutcome("all VODs", result.success, _failure_messages(result), done, write_failure_log(result, layout))


def materialize_vods(
    vod_ids: list[str],
    selection: list[str] | None,
    instance: dg.DagsterInstance,
    definitions: dg.Definitions,
    layout: WarehouseLayout,
    log_level: str = "WARNING",
    progress: Callable[[str], None] | None = None,
) -> list[PartitionOutcome]:
    """Materialize the per-VOD assets (or ``selection``) for each VOD, one run per partition.

    ``progress`` gets a line as each VOD starts and ends (the CLI prints them: a 6-hour VOD's
    transcription takes a while, and silence looks like a hang).
    """
    missing = [vod_id for vod_id in vod_ids if not instance.has_dynamic_partition(vods.name, vod_id)]
    if missing:
        instance.add_dynamic_partitions(vods.name, missing)
    job = definitions.resolve_job_def("vod_pipeline")
    keys = selection or [key.to_user_string() for key in job.asset_layer.executable_asset_keys]
    assets = executable_assets(definitions)
    outcomes = []
    for number, vod_id in enumerate(vod_ids, start=1):
        started = time.monotonic()
        if progress is not None:
            progress(f"[{number}/{len(vod_ids)}] {vod_id}: {', '.join(keys)} ...")
        result = materialize_in_process(
            assets,
            instance,
            selection=keys,
            partition_key=vod_id,
            resources=build_resources(layout),  # this warehouse, whatever the env said at load time
            raise_on_error=False,
            tags={"dougchat/launched_by": "cli", **process_tags()},
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        done = sorted(
            event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
        )
        outcomes.append(
            PartitionOutcome(vod_id, result.success, _failure_messages(result), done, write_failure_log(result, layout))
        )
        if progress is not None:
            progress(f"[{number}/{len(vod_ids)}] {vod_id}: {'done' if result.success else 'FAILED'} "
                     f"in {time.monotonic() - started:.0f} s")
    return outcomes
