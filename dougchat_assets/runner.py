"""In-process materialization for the CLI: the same assets, checks and resources as the UI.

`dougchat materialize` records its runs in the same Dagster instance the UI reads
(``$DAGSTER_HOME``, default ``<warehouse>/.dagster``), so a partition built from the
terminal shows up as materialized in `dougchat dev`.
"""

from __future__ import annotations

import functools
import os
import shutil
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
    """Each asset and check definition once (autoloading sees a definition in every module that imports it)."""
    unique: dict[int, object] = {}
    for item in list(definitions.assets or []) + list(definitions.asset_checks or []):
        unique.setdefault(id(item), item)
    return list(unique.values())


@dataclass(frozen=True)
class PartitionOutcome:
    vod_id: str
    success: bool
    errors: list[str]
    materialized: list[str]


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
                messages.append(f"check {data.check_name} on {data.asset_key.to_user_string()} failed")
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


def materialize_in_process(assets: list, instance: dg.DagsterInstance, **kwargs) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` with ``instance``'s own defs-state storage in scope.

    Entering any DagsterInstance puts its defs-state storage in a process-wide context
    variable that ``materialize`` reads through a weak reference to that instance.  When an
    instance entered earlier (by Dagster or a test) has been collected while the variable
    still names its storage, ``materialize`` fails with "Attempted to resolve undefined
    DagsterInstance weakref", depending on garbage-collection timing.  Scoping the storage of
    the instance we run against makes every run independent of what came before.
    """
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(instance.defs_state_storage):
        return dg.materialize(assets, instance=instance, **kwargs)


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
        selection=keys,
        resources=build_resources(layout),
        raise_on_error=False,
        tags={"dougchat/launched_by": "cli", **process_tags()},
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    done = sorted(event.asset_key.to_user_string() for event in result.get_asset_materialization_events())
    return PartitionOutcome("all VODs", result.success, _failure_messages(result), done)


def materialize_vods(
    vod_ids: list[str],
    selection: list[str] | None,
    instance: dg.DagsterInstance,
    definitions: dg.Definitions,
    layout: WarehouseLayout,
    log_level: str = "WARNING",
) -> list[PartitionOutcome]:
    """Materialize the per-VOD assets (or ``selection``) for each VOD, one run per partition."""
    missing = [vod_id for vod_id in vod_ids if not instance.has_dynamic_partition(vods.name, vod_id)]
    if missing:
        instance.add_dynamic_partitions(vods.name, missing)
    job = definitions.resolve_job_def("vod_pipeline")
    keys = selection or [key.to_user_string() for key in job.asset_layer.executable_asset_keys]
    assets = executable_assets(definitions)
    outcomes = []
    for vod_id in vod_ids:
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
        outcomes.append(PartitionOutcome(vod_id, result.success, _failure_messages(result), done))
    return outcomes
