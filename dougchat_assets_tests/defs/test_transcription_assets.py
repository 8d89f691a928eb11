"""transcripts materialized for real: faster-whisper tiny.en on real speech, checks from audits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dougchat_assets.asr.warehouse import audits_path, script_audit_lines
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets_tests.conftest import twitchdownloader_export
from dougchat_assets_tests.defs.helpers import materialize_partition, query

FIXTURES = Path(__file__).resolve().parent.parent / "asr" / "fixtures"


def _speech_vod(tmp_path: Path, layout) -> str:
    folder = tmp_path / "src" / "speechvod"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "speech.flac", folder / "speech.flac")
    (folder / "chat.json").write_text(json.dumps(twitchdownloader_export(5)))
    return register_vod_folder(folder, layout).vod_id


def _checks(result) -> dict[str, tuple[bool, str]]:
    return {
        evaluation.check_name: (evaluation.passed, evaluation.severity.value)
        for evaluation in result.get_asset_check_evaluations()
    }


def test_transcripts_with_audits_pass_and_rerun_is_identical(layout, instance, tmp_path) -> None:
    vod_id = _speech_vod(tmp_path, layout)
    script = json.loads((FIXTURES / "speech.json").read_text())
    lines = script_audit_lines(script, vod_id, n=3)
    audits_path(layout, vod_id).parent.mkdir(parents=True, exist_ok=True)
    audits_path(layout, vod_id).write_text("".join(line.to_json() + "\n" for line in lines))

    first = materialize_partition(layout, instance, vod_id, ["raw_chat", "vod_audio", "transcripts"])
    assert first.success
    assert _checks(first) == {
        "chat_within_vod_span": (True, "ERROR"),
        "audited_wer": (True, "ERROR"),
        "audits_present": (True, "WARN"),
        "low_quality_share": (True, "ERROR"),
        "model_checksum_recorded": (True, "ERROR"),
    }
    metadata = first.asset_materializations_for_node("transcripts")[0].metadata
    assert metadata["wer_audited"].value < 0.25
    assert "data:image/png;base64," in metadata["quality_plot"].value  # shown inline in the UI
    plots = query(layout, "select path, sha256 from vod_manifest where asset = 'transcripts' and role = 'plot'")
    assert len(plots) == 1 and len(plots[0][1]) == 64
    words = query(layout, "select word, start_s, end_s from transcript_words where vod_id = ? order by start_s", [vod_id])
    assert len(words) >= 25
    assert all(0.0 <= start <= end <= 20.0 for _, start, end in words)
    # "pizza" is said in the second sentence: its time must fall inside that sentence's range
    pizza = [start for word, start, _ in words if "pizza" in word.lower()]
    assert pizza and script[1]["audio_start_s"] - 0.3 <= pizza[0] <= script[1]["audio_end_s"] + 0.3
    model_rows = query(layout, "select details from vod_manifest where asset = 'transcripts' and role = 'asr_model'")
    assert len(json.loads(model_rows[0][0])["sha256"]) == 64

    before = query(layout, "select * from transcript_segments order by segment_id")
    second = materialize_partition(layout, instance, vod_id, ["transcripts"])
    assert second.success
    assert second.asset_materializations_for_node("transcripts")[0].metadata["chunks_resumed"].value >= 1
    assert query(layout, "select * from transcript_segments order by segment_id") == before


def test_without_audits_a_warning_says_so_and_nothing_is_blocked(layout, instance, tmp_path) -> None:
    vod_id = _speech_vod(tmp_path, layout)
    result = materialize_partition(layout, instance, vod_id, ["raw_chat", "vod_audio", "transcripts"])
    assert result.success
    assert _checks(result)["audits_present"] == (False, "WARN")  # shown, never blocking
    assert _checks(result)["audited_wer"] == (True, "ERROR")  # nothing audited: nothing to judge
