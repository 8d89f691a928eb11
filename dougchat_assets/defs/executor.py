"""Which executor runs the steps: chosen by deployment profile, not by code.

``DOUGCHAT_PROFILE`` unset or ``local``: Dagster's multiprocess executor, one process per step on
this machine (the warehouse is one DuckDB file).  ``cluster``: every step is a Celery task
(dagster-celery) on whichever worker listens on its queue; ``transcripts``,
``lora_adapter`` and ``eval_report`` carry ``dagster-celery/queue: gpu`` (:data:`GPU_QUEUE_TAG`), so only GPU
workers take them.  The broker and result backend come from ``$DOUGCHAT_CELERY_BROKER`` /
``$DOUGCHAT_CELERY_BACKEND`` (the same variables ``cluster/celery.yaml`` gives the workers),
so one image serves every machine.  See cluster/README.md.
"""

from __future__ import annotations

import os

import dagster as dg

from dougchat_assets.errors import InputError

PROFILE_ENV = "DOUGCHAT_PROFILE"
PROFILES = ("local", "cluster")
GPU_QUEUE = "gpu"
# dagster-celery's step-routing tag (dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG), spelled out
# so the code location loads without the cluster extra installed.
GPU_QUEUE_TAG = {"dagster-celery/queue": GPU_QUEUE}


def profile() -> str:
    value = os.environ.get(PROFILE_ENV, "").strip() or "local"
    if value not in PROFILES:
        raise InputError(PROFILE_ENV, f"unknown profile {value!r}: choose one of {', '.join(PROFILES)}")
    return value


def executor_for_profile() -> dg.ExecutorDefinition:
    """The executor of the code location's jobs for the current profile."""
    if profile() == "local":
        return dg.multiprocess_executor
    try:
        from dagster_celery import celery_executor
    except ImportError as error:
        raise InputError(PROFILE_ENV, "the cluster profile needs dagster-celery: pip install 'dougchat[cluster]'") from error
    return celery_executor.configured(
        {"broker": {"env": "DOUGCHAT_CELERY_BROKER"}, "backend": {"env": "DOUGCHAT_CELERY_BACKEND"}},
        name="celery",
    )
