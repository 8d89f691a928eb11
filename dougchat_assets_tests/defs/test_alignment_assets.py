"""Real materializations of offset_curve: a reviewer's override wins even where the estimator has nothing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dougchat_assets.align.override import Override, override_path, write_override
from dougchat_assets.store import TableWrite, replace_rows
from dougchat_assets.store.checks import CheckRecord, check_table
from dougchat_assets.store.schema import ensure_schema
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets_tests.defs.helpers import materialize_partition, query
from dougchat_assets_tests.defs.test_ingest_assets import make_vod_folder


def _transcribed_without_words(layout, vod_id: str) -> None:
    """The state a VOD of music or silence leaves: transcripts checked and passed, no words.

    Written with the store's own writer (running faster-whisper on the fixture's tone would
    cost ~10 s to produce the same empty tables).
    """
    with duckdb.connect(str(layout.duckdb_path)) as con:
        ensure_schema(con)
        record = CheckRecord("transcript_low_confidence_share", True, 0.0, 0.5, "no speech: nothing to gate")
        replace_rows(con, [TableWrite("quality_checks", check_table(vod_id, "transcripts", [record]),
                                      {"vod_id": vod_id, "asset": "transcripts"})])


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_an_override_applies_where_the_estimate_has_nothing_and_is_what_is_checked(
    layout, instance, tmp_path: Path
) -> None:
    """No transcript (never transcribed): the estimate is blocked; with an override the same run passes.

    The checks, the rows and the asset's metadata then describe the reviewer's curve.
    """
    register_vod_folder(make_vod_folder(tmp_path / "src" / "vod_a"), layout, vod_id="vod_a")
    assert materialize_partition(layout, instance, "vod_a").success  # raw_chat + vod_audio
    _transcribed_without_words(layout, "vod_a")

    estimate = materialize_partition(layout, instance, "vod_a", ["offset_curve"])
    assert not estimate.success and _checks(estimate)["alignment_confidence"] is False  # nothing to align on

    write_override(override_path(layout.overrides_dir, "vod_a"), Override(offset_s=-2.0, reviewer="ann"))
    result = materialize_partition(layout, instance, "vod_a", ["offset_curve"])
    assert result.success
    assert all(_checks(result).values()), _checks(result)
    metadata = result.asset_materializations_for_node("offset_curve")[0].metadata
    assert metadata["source"].value == "override"
    assert metadata["method"].value.startswith("override")
    assert metadata["latency_source"].value == "override"
    assert metadata["confidence"].value == 1.0
    sources = {row[0] for row in query(layout, "select distinct source from offset_curve where vod_id = 'vod_a'")}
    assert sources == {"override"}
    (details,) = query(
        layout, "select details from vod_manifest where vod_id = 'vod_a' and asset = 'offset_curve' and role = 'alignment'"
    )[0]
    record = json.loads(details)
    assert record["source"] == "override" and record["latency_source"] == "override"
    assert all(c["passed"] for c in record["checks"].values())
    assert record["params"]["estimator"]["confidence"] < 0.5  # the estimate stays on record
