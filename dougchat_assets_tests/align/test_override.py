"""Reviewer overrides: round trip, atomic writes, and clear errors on malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dougchat_assets.align import Flag, Knot, Override, load_override, map_chat_to_audio, override_path, write_override
from dougchat_assets.errors import InputError

T0 = 1_772_478_000_000


def test_global_offset_round_trip(tmp_path: Path):
    path = override_path(tmp_path, "demo_01")
    ov = Override(
        offset_s=-161.25,
        reviewer="alice",
        saved_at="2026-03-05T12:00:00Z",
        flags=(Flag(T0 + 10_000, T0 + 70_000, "ad break chatter"),),
    )
    write_override(path, ov)
    back = load_override(path)
    assert back.offset_s == -161.25 and back.reviewer == "alice" and back.saved_at == "2026-03-05T12:00:00Z"
    assert back.flags == ov.flags
    knots = back.to_knots(T0)
    # audio_s = (chat_utc_ms - started_at) / 1000 + offset_s
    assert map_chat_to_audio(knots, T0 + 200_000) == pytest.approx(200.0 - 161.25)
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


def test_knots_round_trip(tmp_path: Path):
    knots = (
        Knot(T0, 0.0, 0, 1.0, "override"),
        Knot(T0 + 100_000, 100.0, 0, 1.0, "override"),
        Knot(T0 + 130_000, 100.0, 0, 1.0, "override"),
    )
    path = write_override(tmp_path / "v.toml", Override(knots=knots))
    back = load_override(path)
    assert [(k.chat_utc_ms, k.audio_s) for k in back.to_knots(None)] == [(k.chat_utc_ms, k.audio_s) for k in knots]


def test_global_offset_needs_a_start(tmp_path: Path):
    path = write_override(tmp_path / "v.toml", Override(offset_s=3.0))
    with pytest.raises(ValueError, match="started_at"):
        load_override(path).to_knots(None)


@pytest.mark.parametrize(
    ("text", "field", "line", "message"),
    [
        ("[global]\noffset_s = \n", None, 2, "invalid TOML"),
        ("[global]\noffset = 3.0\n", "global.offset", None, "unknown key"),
        ("reviewer = 'x'\n", "global", None, "either"),
        ("[global]\noffset_s = 1.0\n[[knots]]\nchat_utc_ms = 1\naudio_s = 0.0\n", "knots", None, "not both"),
        ("[global]\noffset_s = 'soon'\n", "global.offset_s", None, "finite number"),
        (
            "[[knots]]\nchat_utc_ms = 2\naudio_s = 0.0\n[[knots]]\nchat_utc_ms = 2\naudio_s = 1.0\n",
            "knots[1].chat_utc_ms",
            None,
            "increase",
        ),
        ("[[knots]]\nchat_utc_ms = 1.5\naudio_s = 0.0\n", "knots[0].chat_utc_ms", None, "integer"),
        ("[[knots]]\naudio_s = 0.0\n", "knots[0].chat_utc_ms", None, "missing"),
        (
            "[global]\noffset_s = 1.0\n[[flags]]\nchat_utc_ms_start = 5\nchat_utc_ms_end = 4\n",
            "flags[0].chat_utc_ms_end",
            None,
            "before",
        ),
    ],
)
def test_malformed_files_name_file_and_place(
    tmp_path: Path, text: str, field: str | None, line: int | None, message: str
):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_override(path)
    assert info.value.path == str(path)
    assert info.value.field == field
    assert info.value.line == line
    assert "bad.toml" in str(info.value)


def test_missing_and_non_utf8_files(tmp_path: Path):
    with pytest.raises(InputError, match="not found"):
        load_override(tmp_path / "nope.toml")
    (tmp_path / "latin.toml").write_bytes("reviewer = 'Jos\xe9'\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        load_override(tmp_path / "latin.toml")


def test_invalid_override_never_replaces_a_good_file(tmp_path: Path):
    path = write_override(tmp_path / "v.toml", Override(offset_s=1.0))
    before = path.read_bytes()
    with pytest.raises(ValueError):
        write_override(path, Override())
    assert path.read_bytes() == before


def test_override_path_rejects_unsafe_ids(tmp_path: Path):
    with pytest.raises(InputError):
        override_path(tmp_path, "../etc")


def test_override_wins_and_keeps_the_estimate_for_audit():
    from dougchat_assets.align import estimate_alignment, with_override
    from dougchat_assets.align.simulate import SimConfig, simulate_vod

    v = simulate_vod(11, SimConfig(audio_duration_s=600, n_cuts=0))
    r = estimate_alignment(v.inputs)
    ov = Override(offset_s=-42.0, reviewer="bob", flags=(Flag(T0, T0 + 5000, "noisy"),))
    started = v.inputs.meta.started_at_utc_ms
    out = with_override(r, ov, started)
    assert out.confidence == 1.0 and out.method.startswith("override")
    assert map_chat_to_audio(out.knots, started + 100_000) == pytest.approx(58.0)
    assert out.params["estimator"]["confidence"] == r.confidence
    assert [s.kind for s in out.uncertain_spans] == ["reviewer_flag"]
