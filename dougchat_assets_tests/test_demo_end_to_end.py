"""The README's demo command on the bundled VODs, end to end, judged against their ground truth.

This is the one full materialization CI runs: ingest -> transcripts -> offset_curve for all
4 demo VODs (about 2-3 minutes on 2 cores), then a mismatched chat/audio pair and a reviewer
override.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest

from dougchat_assets.align import alignment_errors
from dougchat_assets.align.override import Override, override_path, write_override
from dougchat_assets.align.result import Knot
from dougchat_assets.cli import DEMO_DIR, main

VODS = ["demo_01", "demo_02", "demo_03", "demo_04"]


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "warehouse"
    patch = pytest.MonkeyPatch()
    patch.setenv("DOUGCHAT_WAREHOUSE", str(root))
    patch.setenv("DAGSTER_HOME", str(root / ".dagster"))
    assert main(["demo"]) == 0
    yield root
    patch.undo()


def _check_results(root: Path) -> dict[tuple[str, str, str], bool]:
    """(partition, asset, check) -> passed, for the latest evaluation of each."""
    outcomes = {}
    with dg.DagsterInstance.from_config(str(root / ".dagster")) as instance:
        for record in instance.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_CHECK_EVALUATION), ascending=True):
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            run = instance.get_run_by_id(record.run_id)
            key = (run.tags.get("dagster/partition"), evaluation.asset_key.to_user_string(), evaluation.check_name)
            outcomes[key] = evaluation.passed  # ascending: the latest evaluation wins
    return outcomes


def test_demo_ingests_transcribes_and_aligns_every_vod(demo_warehouse: Path) -> None:
    with duckdb.connect(str(demo_warehouse / "dougchat.duckdb"), read_only=True) as con:
        counts = dict(con.execute("select vod_id, count(*) from raw_chat group by 1").fetchall())
        assert sorted(counts) == VODS and min(counts.values()) > 800
        assert con.execute("select count(*) from vod_audio").fetchone() == (4,)
        assert con.execute("select count(distinct vod_id) from transcript_words").fetchone() == (4,)
        roles = con.execute("select distinct role from vod_manifest order by 1").fetchall()
        assert {r[0] for r in roles} >= {"chat_export", "audio_source", "audio_output", "asr_model", "alignment", "plot"}
        for vod_id in VODS:
            truth = json.loads((DEMO_DIR / "truth" / vod_id / "ground_truth.json").read_text())
            knots = con.execute("select chat_utc_ms, audio_s from offset_curve where vod_id = ? order by knot_index", [vod_id]).fetchall()
            sent = np.array([r[0] for r in con.execute("select sent_at_utc_ms from raw_chat where vod_id = ?", [vod_id]).fetchall()])
            errors = alignment_errors(knots, truth["knots"], sent)
            assert errors.median_s <= 1.0 and errors.p95_s <= 2.0, (vod_id, errors)
    failed = [key for key, passed in _check_results(demo_warehouse).items() if not passed]
    assert failed == []


def test_mismatched_chat_and_audio_fail_the_alignment_checks(demo_warehouse: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "mismatch"
    folder.mkdir()
    shutil.copy(DEMO_DIR / "vods" / "demo_01" / "audio.opus", folder / "audio.opus")
    shutil.copy(DEMO_DIR / "vods" / "demo_02" / "chat.json", folder / "chat.json")
    shutil.copy(DEMO_DIR / "vods" / "demo_02" / "vod.json", folder / "vod.json")
    assert main(["add", str(folder), "--vod-id", "mismatch"]) == 0
    assert main(["materialize", "--vod", "mismatch"]) == 1
    assert "check alignment_confidence on offset_curve failed" in capsys.readouterr().err


def test_reviewer_override_wins_and_is_recorded(demo_warehouse: Path) -> None:
    db = demo_warehouse / "dougchat.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        knots = con.execute("select chat_utc_ms, audio_s from offset_curve where vod_id = 'demo_02' order by knot_index").fetchall()
    nudged = tuple(Knot(ms, audio + 0.5, 0, 1.0, "override") for ms, audio in knots)
    path = override_path(demo_warehouse / "overrides", "demo_02")
    write_override(path, Override(knots=nudged, reviewer="test"))
    assert main(["materialize", "--vod", "demo_02", "--select", "offset_curve"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select chat_utc_ms, audio_s, source from offset_curve where vod_id = 'demo_02' order by knot_index").fetchall()
        assert [(ms, round(audio, 6)) for ms, audio, _ in rows] == [(ms, round(a + 0.5, 6)) for ms, a in knots]
        assert {source for *_, source in rows} == {"override"}
        assert con.execute("select count(*) from vod_manifest where vod_id = 'demo_02' and role = 'override'").fetchone() == (1,)
