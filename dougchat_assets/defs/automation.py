"""When assets refresh on their own: after their inputs changed, with no one clicking.

Dagster's declarative automation decides, per partition, from what it already records:

- **Per-VOD assets** run when a dependency updated — a new data version of one of the VOD's
  file inputs (``defs/sources.py``: the incoming folder, audits, an override) or a new
  materialization upstream — and only once every upstream *blocking check of that VOD* passed.
  So a new VOD runs end to end, a saved override re-runs that VOD's ``offset_curve`` and
  ``clean_pairs`` and nothing else, and a VOD whose alignment checks fail stops there (no
  retry loop) until its cause changes.
- **Cross-VOD assets**: ``train_split`` is requested when any VOD's ``clean_pairs`` was updated
  since it last ran, ``lora_adapter`` when ``train_split`` was, ``eval_report`` when the
  adapter was — once per change, never while an input is still being built.  Dagster's
  ``eager()`` also waits until no input partition is *missing*; a VOD whose alignment checks
  fail never gets ``clean_pairs`` (by design) and must not freeze the dataset for every other
  one, so that clause is dropped there.

A fresh instance (``dougchat dev`` after ``dougchat demo``) starts nothing: the first
evaluation only records where things stand, and the assets recorded the input versions they
read, so the sensor finds no change.  The conditions run in the Dagster daemon through the
automation sensor below.
"""

from __future__ import annotations

import dagster as dg

PER_VOD = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
REFRESH_WHEN_INPUTS_CHANGE = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())

AUTOMATION: dict[str, dg.AutomationCondition] = {
    "raw_chat": PER_VOD,
    "vod_audio": PER_VOD,
    "transcripts": PER_VOD,
    "offset_curve": PER_VOD,
    "clean_pairs": PER_VOD,
    "train_split": REFRESH_WHEN_INPUTS_CHANGE,
    "lora_adapter": REFRESH_WHEN_INPUTS_CHANGE,
    "eval_report": REFRESH_WHEN_INPUTS_CHANGE,
}

# Dagster's implicit automation sensor starts STOPPED; this one evaluates the conditions above
# from the moment `dougchat dev` starts.
pipeline_automation = dg.AutomationConditionSensorDefinition(
    "pipeline_automation",
    target=dg.AssetSelection.assets(*AUTOMATION),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
