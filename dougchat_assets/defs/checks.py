"""CheckRecord (pure, persisted in ``quality_checks``) -> Dagster AssetCheckResult.

One conversion for every asset, so a check shows the same fields in the UI whichever stage
computed it: the VOD it judged, what was measured, the threshold and a sentence saying why.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from dougchat_assets.defs.partitions import vods
from dougchat_assets.store.checks import WARN, CheckRecord


def vod_check(name: str, asset: str, description: str, *, blocking: bool = True) -> dg.AssetCheckSpec:
    """A check judged per VOD: its result is recorded against the run's partition, so the UI
    shows one result per VOD (not the latest VOD's for all), and the automation's
    "blocking checks passed" is decided per VOD too."""
    return dg.AssetCheckSpec(name, asset=asset, blocking=blocking, description=description, partitions_def=vods)


def _metadata_value(value: object) -> object:
    if value is None:
        return "n/a"
    if isinstance(value, (bool, int, float, str)):
        return value
    return dg.MetadataValue.json(value)


def check_results(
    records: Iterable[CheckRecord], vod_id: str | None = None, extra: dict[str, dict[str, object]] | None = None
) -> list[dg.AssetCheckResult]:
    """``extra``: check name -> more metadata for that check (e.g. the worst audited lines)."""
    results = []
    for record in records:
        metadata: dict[str, object] = {
            "value": _metadata_value(record.value),
            "threshold": _metadata_value(record.threshold),
        }
        if vod_id is not None:
            metadata["vod_id"] = vod_id
        metadata.update((extra or {}).get(record.name, {}))
        results.append(
            dg.AssetCheckResult(
                check_name=record.name,
                passed=bool(record.passed),
                severity=dg.AssetCheckSeverity.WARN if record.severity == WARN else dg.AssetCheckSeverity.ERROR,
                description=record.description or None,
                metadata=metadata,
            )
        )
    return results
