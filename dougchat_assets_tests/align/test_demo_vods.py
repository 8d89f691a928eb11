"""The estimator on the committed demo VODs, with the reference script as an ideal transcript.

Real ASR is measured by ``bench/alignment.py`` (it takes a minute); here the words come from
``demo/truth/<id>/script.json`` (spread over each utterance by length), the chat from the
committed export through the project's parsers, and the energy is left empty — so the test is
fast and still runs the real chat formats, late starts, drift and the ad cut.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dougchat_assets.align.inputs import pair_chat_with_audio
from dougchat_assets.align import (
    AlignmentInputs,
    ChatMessages,
    EnergyFrames,
    VodMeta,
    WordTimings,
    alignment_errors,
    all_passed,
    estimate_alignment,
    evaluate_checks,
)

DEMO = Path(__file__).resolve().parents[2] / "demo"
IDS = (
    sorted(p.name for p in (DEMO / "truth").glob("demo_*") if (p / "ground_truth.json").exists())
    if (DEMO / "truth").exists()
    else []
)
pytestmark = pytest.mark.skipif(not IDS, reason="demo VODs not generated")


def _script_words(script: list[dict]) -> WordTimings:
    starts, ends, words = [], [], []
    for utt in script:
        if utt.get("audio_start_s") is None or utt.get("audio_end_s") is None:
            continue
        toks = utt["text"].split()
        weights = np.array([len(t) + 2 for t in toks], dtype=float)
        edges = utt["audio_start_s"] + (utt["audio_end_s"] - utt["audio_start_s"]) * np.concatenate(
            [[0.0], np.cumsum(weights) / weights.sum()]
        )
        for i, tok in enumerate(toks):
            starts.append(edges[i])
            ends.append(edges[i + 1] - 0.03)
            words.append(" " + tok)
    return WordTimings.from_arrays(starts, ends, words)


def _inputs(vid: str) -> tuple[AlignmentInputs, list[dict]]:
    from dougchat_assets.chat import ChatContext, iter_chat_batches, read_export_metadata

    truth = json.loads((DEMO / "truth" / vid / "ground_truth.json").read_text())
    script = json.loads((DEMO / "truth" / vid / "script.json").read_text())
    folder = DEMO / "vods" / vid
    meta_json = json.loads((folder / "vod.json").read_text()) if (folder / "vod.json").exists() else {}
    chat_path = folder / truth["chat_file"]
    if "started_at" in meta_json:
        started = int(dt.datetime.fromisoformat(meta_json["started_at"].replace("Z", "+00:00")).timestamp() * 1000)
    else:
        started = read_export_metadata(chat_path).started_at_utc_ms
    ctx = ChatContext(vod_id=vid, started_at_utc_ms=started, timezone=meta_json.get("chat_timezone"))
    meta = VodMeta(audio_duration_s=truth["audio_duration_s"], started_at_utc_ms=started)
    chat = ChatMessages.from_batches(
        (pa.Table.from_batches([b]) for b in iter_chat_batches(chat_path, ctx)), bots=meta.bots
    )
    energy = EnergyFrames.from_arrays(np.zeros(0), np.zeros(0))
    return AlignmentInputs(_script_words(script), chat, energy, meta), truth["knots"]


@pytest.mark.parametrize("vid", IDS)
def test_demo_vod_meets_targets(vid: str):
    inputs, true_knots = _inputs(vid)
    r = estimate_alignment(inputs)
    err = alignment_errors(r.knots, true_knots, inputs.chat.sent_at_utc_ms)
    assert err.median_s <= 1.0, err
    assert err.p95_s <= 2.0, err
    assert len(r.segments) == 2  # every demo VOD has exactly one ad cut
    assert all_passed(evaluate_checks(r, inputs.meta.audio_duration_s)), evaluate_checks(
        r, inputs.meta.audio_duration_s
    )


def test_demo_chat_with_another_demo_audio_fails():
    a, _ = _inputs(IDS[0])
    b, _ = _inputs(IDS[-1])
    r = estimate_alignment(pair_chat_with_audio(a, b))
    assert not all_passed(evaluate_checks(r, b.meta.audio_duration_s))
