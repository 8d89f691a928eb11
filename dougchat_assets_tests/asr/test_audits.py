from __future__ import annotations

import json
import wave
from dataclasses import dataclass

import pytest

from dougchat_assets.asr.audits import (
    AuditLine,
    draw_audit_sample,
    load_audits,
    load_script,
    reference_from_script,
    script_reference,
    write_audit_clips,
)
from dougchat_assets.errors import InputError


@dataclass(frozen=True)
class Seg:
    segment_id: str
    start_s: float
    end_s: float
    text: str


SEGMENTS = [
    Seg(f"{c:05d}-{n:03d}", c * 30 + n * 3.0, c * 30 + n * 3.0 + 2.5, f"text {c} {n}") for c in range(5) for n in range(8)
]


def test_audit_sample_is_reproducible_and_depends_on_vod_and_seed():
    first = draw_audit_sample(SEGMENTS, "vod_a", 5, seed=1)
    assert first == draw_audit_sample(list(reversed(SEGMENTS)), "vod_a", 5, seed=1)
    assert len(first) == 5 and first == sorted(first, key=lambda s: s.start_s)
    assert first != draw_audit_sample(SEGMENTS, "vod_b", 5, seed=1)
    assert first != draw_audit_sample(SEGMENTS, "vod_a", 5, seed=2)
    assert len(draw_audit_sample(SEGMENTS[:3], "vod_a", 5)) == 3
    assert draw_audit_sample(SEGMENTS, "vod_a", 0) == []


def test_clips_and_template_lines_are_written(fixtures, speech_script, tmp_path):
    sample = [
        Seg(f"{i:05d}-000", u["audio_start_s"], u["audio_end_s"], u["text"]) for i, u in enumerate(speech_script[:2])
    ]
    audit = write_audit_clips(fixtures / "speech.flac", sample, tmp_path / "audit", vod_id="demo_01", pad_s=0.25)
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["segment_id"] for line in lines] == ["00000-000", "00001-000"]
    assert set(lines[0]) == {"vod_id", "segment_id", "start_s", "end_s", "clip", "hypothesis", "reference"}
    assert lines[0]["reference"] is None and lines[0]["vod_id"] == "demo_01"
    with wave.open(str(tmp_path / "audit" / lines[0]["clip"])) as clip:
        assert clip.getframerate() == 16_000 and clip.getnchannels() == 1
        expected = (speech_script[0]["audio_end_s"] - speech_script[0]["audio_start_s"] + 0.5) * 16_000
        assert abs(clip.getnframes() - expected) <= 2
    loaded = load_audits(audit)
    first = sample[0]
    assert loaded[0] == AuditLine("demo_01", "00000-000", first.start_s, first.end_s, "00000-000.wav", first.text, None)


def test_filled_audits_load_and_bad_lines_name_line_and_field(tmp_path):
    good = {"vod_id": "v", "segment_id": "00000-000", "start_s": 1, "end_s": 2.5, "clip": "a.wav",
            "hypothesis": "hello chat", "reference": "hello chat"}
    path = tmp_path / "audit.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "reference": None}) + "\n")
    assert [a.reference for a in load_audits(path)] == ["hello chat", None]
    with pytest.raises(InputError) as error:
        load_audits(path, require_reference=True)
    assert (error.value.line, error.value.field) == (3, "reference")

    cases = [
        ("{not json", None),
        (json.dumps({k: v for k, v in good.items() if k != "clip"}), "clip"),
        (json.dumps({**good, "start_s": "one"}), "start_s"),
        (json.dumps({**good, "end_s": 0.5}), "end_s"),
        (json.dumps({**good, "reference": 5}), "reference"),
        (json.dumps([1, 2]), None),
    ]
    for bad, field in cases:
        path.write_text(json.dumps(good) + "\n" + bad + "\n")
        with pytest.raises(InputError) as error:
            load_audits(path)
        assert error.value.line == 2 and error.value.field == field and "audit.jsonl" in str(error.value)


def test_script_loader_checks_fields(tmp_path):
    path = tmp_path / "script.json"
    path.write_text(json.dumps([{"text": "hi", "audio_start_s": 1.0, "audio_end_s": 2.0}]))
    assert load_script(path)[0]["text"] == "hi"
    path.write_text(json.dumps({"utterances": [{"text": "hi", "audio_start_s": 1.0}]}))
    with pytest.raises(InputError) as error:
        load_script(path)
    assert error.value.field == "[0].audio_end_s"


def test_utterances_not_in_the_audio_are_never_reference(tmp_path):
    script = [
        {"text": "cut out", "audio_start_s": None, "audio_end_s": None},
        {"text": "second", "audio_start_s": 5.0, "audio_end_s": 6.0},
        {"text": "first", "audio_start_s": 1.0, "audio_end_s": 2.0},
    ]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    assert load_script(path) == script
    assert script_reference(script) == "first second"
    assert reference_from_script(script, 0.0, 10.0) == "first second"
    assert reference_from_script(script, 4.0, 10.0) == "second"
    path.write_text(json.dumps([{"text": "x", "audio_start_s": None, "audio_end_s": 2.0}]))
    with pytest.raises(InputError, match="both times null"):
        load_script(path)
