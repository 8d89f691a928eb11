"""When the cross-VOD assets refresh on their own: after their inputs changed, with no one clicking.

Per-VOD partitions are driven by the incoming sensor and the stale-backfill schedule (a
folder's files are the input Dagster cannot see).  The cross-VOD assets use Dagster's
declarative automation: ``train_split`` is requested when any VOD's ``clean_pairs`` was
updated since it last ran, ``lora_adapter`` when ``train_split`` was, ``eval_report`` when
the adapter was — once per change, never while an input is still being built.

Dagster's ``eager()`` also waits until no input partition is *missing*; here a VOD whose
alignment checks fail never gets ``clean_pairs`` (by design), and that VOD must not freeze
the dataset for every other one, so that clause is dropped.  The conditions run in the
Dagster daemon (``dougchat dev``) through its default automation-condition sensor.
"""

from __future__ import annotations

import dagster as dg

REFRESH_WHEN_INPUTS_CHANGE = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())

AUTOMATION: dict[str, dg.AutomationCondition] = {
    "train_split": REFRESH_WHEN_INPUTS_CHANGE,
    "lora_adapter": REFRESH_WHEN_INPUTS_CHANGE,
    "eval_report": REFRESH_WHEN_INPUTS_CHANGE,
}

# Dagster's implicit automation sensor starts STOPPED; this one evaluates the conditions above
# from the moment `dougchat dev` starts, so new pairs reach the model without a click.
cross_vod_automation = dg.AutomationConditionSensorDefinition(
    "cross_vod_automation",
    target=dg.AssetSelection.assets(*AUTOMATION),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
)
