"""Check outcomes as warehouse rows (table ``quality_checks``).

A check computed by an asset is shown in Dagster, but Dagster's record is per run; the
warehouse keeps the outcome beside the rows it judges, written in the same transaction, so
``clean_pairs`` can refuse a partition whose blocking checks failed no matter how (or in
which run) it is launched, and a person can ask SQL which VODs are trusted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

ERROR = "ERROR"
WARN = "WARN"

CHECK_SCHEMA = pa.schema(
    [
        ("vod_id", pa.string()),
        ("asset", pa.string()),
        ("check_name", pa.string()),
        ("passed", pa.bool_()),
        ("severity", pa.string()),
        ("value", pa.string()),
        ("threshold", pa.string()),
        ("description", pa.string()),
    ]
)


@dataclass(frozen=True)
class CheckRecord:
    """One evaluated check: what was measured against what, and whether it blocks."""

    name: str
    passed: bool
    value: object = None
    threshold: object = None
    description: str = ""
    severity: str = ERROR

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == ERROR


def check_table(vod_id: str, asset: str, checks: Iterable[CheckRecord]) -> pa.Table:
    rows = [
        {
            "vod_id": vod_id,
            "asset": asset,
            "check_name": c.name,
            "passed": bool(c.passed),
            "severity": c.severity,
            "value": json.dumps(c.value, default=str),
            "threshold": json.dumps(c.threshold, default=str),
            "description": c.description,
        }
        for c in checks
    ]
    return pa.Table.from_pylist(rows, schema=CHECK_SCHEMA)


def failed_blocking_checks(con: duckdb.DuckDBPyConnection, vod_id: str, assets: Iterable[str]) -> dict[str, list[str]]:
    """asset -> names of its failed blocking checks; an asset with no recorded checks maps to ["not checked"]."""
    wanted = list(assets)
    rows = con.execute(
        "SELECT asset, check_name, passed, severity FROM quality_checks WHERE vod_id = ? AND list_contains(?, asset)",
        [vod_id, wanted],
    ).fetchall()
    seen = {asset for asset, *_ in rows}
    failed: dict[str, list[str]] = {asset: ["not checked"] for asset in wanted if asset not in seen}
    for asset, name, passed, severity in rows:
        if not passed and severity == ERROR:
            failed.setdefault(asset, []).append(name)
    return failed
