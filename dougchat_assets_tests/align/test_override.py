"""Reviewer overrides (the one format module): round trip, atomic writes, range checks, clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dougchat_assets.align import Flag, Knot, Override, load_override, map_chat_to_audio, override_path, write_override
from dougchat_assets.align.override import (
    AUDIO_SLACK_S,
    CHAT_SLACK_MS,
    MAX_KNOTS,
    OverrideBounds,
    override_from_dict,
    parse_override,
)
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
            f"[[knots]]\nchat_utc_ms = {T0}\naudio_s = 0.0\n[[knots]]\nchat_utc_ms = {T0}\naudio_s = 1.0\n",
            "knots[1].chat_utc_ms",
            None,
            "increase",
        ),
        ("[[knots]]\nchat_utc_ms = 1.5\naudio_s = 0.0\n", "knots[0].chat_utc_ms", None, "integer"),
        ("[[knots]]\naudio_s = 0.0\n", "knots[0].chat_utc_ms", None, "missing"),
        (
            f"[global]\noffset_s = 1.0\n[[flags]]\nchat_utc_ms_start = {T0 + 5}\nchat_utc_ms_end = {T0 + 4}\n",
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
    from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
    from dougchat_sim.alignment import simulate_alignment_vod

    v = simulate_alignment_vod(11, **PRIOR_MATCHED, audio_duration_s=600, n_cuts=0)
    r = estimate_alignment(v.inputs)
    ov = Override(offset_s=-42.0, reviewer="bob", flags=(Flag(T0, T0 + 5000, "noisy"),))
    started = v.inputs.meta.started_at_utc_ms
    out = with_override(r, ov, v.inputs)
    assert out.confidence == 1.0 and out.method.startswith("override")
    assert map_chat_to_audio(out.knots, started + 100_000) == pytest.approx(58.0)
    assert out.params["estimator"]["confidence"] == r.confidence
    assert [s.kind for s in out.uncertain_spans] == ["reviewer_flag"]


# -- a bad file on disk stops offset_curve with the file and field named ------------------------

BAD_ON_DISK = {
    "audio_s 1e308": ("[[knots]]\nchat_utc_ms = {t}\naudio_s = 1e308\n", "knots[0].audio_s"),
    "audio_s a day into a 3-minute audio": (
        "[[knots]]\nchat_utc_ms = {t}\naudio_s = 0.0\n[[knots]]\nchat_utc_ms = {t1}\naudio_s = 86400.0\n",
        "knots[1].audio_s",
    ),
    "chat time a week after the VOD": ("[[knots]]\nchat_utc_ms = {week}\naudio_s = 10.0\n", "knots[0].chat_utc_ms"),
    "flag outside the VOD": (
        "[global]\noffset_s = 0.0\n[[flags]]\nchat_utc_ms_start = {week}\nchat_utc_ms_end = {week1}\n",
        "flags[0].chat_utc_ms_start",
    ),
    "global offset of 1e300 s": ("[global]\noffset_s = 1e300\n", "global.offset_s"),
}


@pytest.mark.parametrize(("text", "field"), BAD_ON_DISK.values(), ids=BAD_ON_DISK.keys())
def test_a_bad_override_on_disk_fails_offset_curve_naming_file_and_field(tmp_path: Path, text: str, field: str):
    """What ``offset_curve`` runs: the error is the override file's, not numpy's ``arange``."""
    from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
    from dougchat_sim.alignment import simulate_alignment_vod
    from dougchat_assets.align.pipeline import align_vod
    from dougchat_assets.settings import WarehouseLayout

    v = simulate_alignment_vod(11, **PRIOR_MATCHED, audio_duration_s=180, n_cuts=0)
    t = v.inputs.meta.started_at_utc_ms
    week = t + 7 * 86_400_000
    layout = WarehouseLayout(root=tmp_path)
    path = override_path(layout.overrides_dir, "demo_01")
    path.parent.mkdir(parents=True)
    path.write_text(text.format(t=t, t1=t + 60_000, week=week, week1=week + 60_000), encoding="utf-8")
    with pytest.raises(InputError) as info:
        align_vod(v.inputs, layout.overrides_dir, "demo_01")
    assert info.value.path == str(path) and info.value.field == field, str(info.value)


def test_a_good_override_on_disk_wins_in_offset_curve(tmp_path: Path):
    from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
    from dougchat_sim.alignment import simulate_alignment_vod
    from dougchat_assets.align.pipeline import align_vod
    from dougchat_assets.settings import WarehouseLayout

    v = simulate_alignment_vod(11, **PRIOR_MATCHED, audio_duration_s=180, n_cuts=0)
    t = v.inputs.meta.started_at_utc_ms
    layout = WarehouseLayout(root=tmp_path)
    path = write_override(override_path(layout.overrides_dir, "demo_01"), Override(offset_s=-4.0, reviewer="r"))
    outcome = align_vod(v.inputs, layout.overrides_dir, "demo_01")
    assert outcome.override_file == path and outcome.result.confidence == 1.0
    assert float(map_chat_to_audio(outcome.result.knots, t + 100_000)) == pytest.approx(96.0)
    # the override's knots stay inside the audio
    assert all(-1e-6 <= k.audio_s <= 180.0 + 1e-6 for k in outcome.result.knots)


def _no_words(inputs):
    import numpy as np

    from dougchat_assets.align import AlignmentInputs, WordTimings

    empty = WordTimings.from_arrays(np.zeros(0), np.zeros(0), [])
    return AlignmentInputs(empty, inputs.chat, inputs.energy, inputs.meta)


def test_an_override_applies_when_the_estimate_has_nothing_to_go_on(tmp_path: Path):
    """No transcript words: the estimate fails its checks, the reviewer's curve passes them."""
    from dougchat_assets.align import all_passed, estimate_alignment, evaluate_checks
    from dougchat_assets.align.pipeline import align_vod
    from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
    from dougchat_sim.alignment import simulate_alignment_vod

    v = simulate_alignment_vod(11, **PRIOR_MATCHED, audio_duration_s=180, n_cuts=0)
    inputs = _no_words(v.inputs)
    t = inputs.meta.started_at_utc_ms
    assert not all_passed(evaluate_checks(estimate_alignment(inputs), 180.0))
    write_override(override_path(tmp_path, "v1"), Override(offset_s=-4.0, reviewer="r", flags=(Flag(t, t + 5000),)))
    outcome = align_vod(inputs, tmp_path, "v1")
    result = outcome.result
    assert outcome.source == "override" and result.method.startswith("override")
    assert all(o.passed for o in outcome.checks.values()), outcome.checks
    assert "override" in outcome.checks["alignment_confidence"].description
    assert result.drift_s_per_h == pytest.approx(0.0) and result.offset_s == pytest.approx(-4.0)
    assert [s.kind for s in result.uncertain_spans] == ["reviewer_flag"]
    assert result.params["estimator"]["method"].startswith(("xcorr", "metadata"))
    assert result.params["estimator"]["confidence"] < 0.5


def test_an_override_applies_when_the_estimator_raises(tmp_path: Path):
    """An estimator error without an override stops the asset; with one, it is recorded instead."""
    from dougchat_assets.align import AlignmentParams
    from dougchat_assets.align.pipeline import align_vod
    from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
    from dougchat_sim.alignment import simulate_alignment_vod

    v = simulate_alignment_vod(11, **PRIOR_MATCHED, audio_duration_s=180, n_cuts=0)
    broken = AlignmentParams(offset_bin_s=0.0)  # the estimator cannot run with a zero-width offset grid
    with pytest.raises(ZeroDivisionError):
        align_vod(v.inputs, tmp_path, "v1", params=broken)
    t = v.inputs.meta.started_at_utc_ms
    knots = (Knot(t, 0.0), Knot(t + 60_000, 60.0), Knot(t + 90_000, 60.0), Knot(t + 210_000, 180.0))
    write_override(override_path(tmp_path, "v1"), Override(knots=knots, reviewer="r"))
    outcome = align_vod(v.inputs, tmp_path, "v1", params=broken)
    result = outcome.result
    assert all(o.passed for o in outcome.checks.values()), outcome.checks
    assert "ZeroDivisionError" in result.params["estimator"]["error"]
    assert result.method.startswith("override") and len(result.segments) >= 1
    assert float(map_chat_to_audio(result.knots, t + 75_000)) == pytest.approx(60.0)  # inside the reviewer's cut


def test_checks_describe_the_overridden_curve_not_the_estimate(tmp_path: Path):
    """A reviewer's curve with an implausible drift fails the drift check, whatever the estimate said."""
    from dougchat_assets.align.pipeline import align_vod
    from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
    from dougchat_sim.alignment import simulate_alignment_vod

    v = simulate_alignment_vod(11, **PRIOR_MATCHED, audio_duration_s=180, n_cuts=0)
    t = v.inputs.meta.started_at_utc_ms
    # 180 s of audio over 150 s of chat: 20 % fast, 720 s/h
    write_override(override_path(tmp_path, "v1"), Override(knots=(Knot(t, 0.0), Knot(t + 150_000, 180.0))))
    outcome = align_vod(v.inputs, tmp_path, "v1")
    assert outcome.result.drift_s_per_h == pytest.approx(720.0)
    assert not outcome.checks["alignment_drift_plausible"].passed
    assert outcome.result.params["estimator"]["drift_s_per_h"] == pytest.approx(0.0, abs=20.0)


# -- the written format ---------------------------------------------------------------------------


def _full() -> Override:
    return Override(
        knots=(Knot(T0, 12.5, 0, 1.0, "override"), Knot(T0 + 300_000, 312.0, 0, 1.0, "override")),
        flags=(Flag(T0 + 100_000, T0 + 160_000, "chat looks early here"),),
        vod_id="demo_01", reviewer="local", saved_at="2026-11-25T20:00:00Z", note="free text",
    )


def test_written_file_is_the_documented_format_and_byte_stable(tmp_path: Path) -> None:
    path = write_override(override_path(tmp_path, "demo_01"), _full())
    assert tomllib.loads(path.read_text()) == {
        "vod_id": "demo_01",
        "reviewer": "local",
        "saved_at": "2026-11-25T20:00:00Z",
        "note": "free text",
        "knots": [{"chat_utc_ms": T0, "audio_s": 12.5}, {"chat_utc_ms": T0 + 300_000, "audio_s": 312.0}],
        "flags": [{"chat_utc_ms_start": T0 + 100_000, "chat_utc_ms_end": T0 + 160_000,
                   "note": "chat looks early here"}],
    }
    assert load_override(path, vod_id="demo_01") == _full()
    first = path.read_bytes()
    write_override(path, _full())
    assert path.read_bytes() == first  # same review, same bytes


def test_a_failed_rename_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_override(override_path(tmp_path, "demo_01"), _full())
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_override(path, Override(knots=_full().knots, note="a newer review"))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["demo_01.toml"]


# -- field checks on their own (the reviewer's JSON goes through the same function) ---------------

K = {"chat_utc_ms": T0, "audio_s": 1.0}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"knots": []}, "knots"),
        ({"knots": "x"}, "knots"),
        ({"knots": [{"chat_utc_ms": 1.77e12, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
        ({"knots": [{"chat_utc_ms": 1_772_478_000, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),  # seconds, not ms
        ({"knots": [{"chat_utc_ms": True, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": "12"}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": float("nan")}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": float("inf")}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": 1e308}]}, "knots[0].audio_s"),  # no VOD needed to refuse it
        ({"knots": [{"chat_utc_ms": T0, "audio_s": 10**400}]}, "knots[0].audio_s"),
        ({"knots": [K, K]}, "knots[1].chat_utc_ms"),
        ({"knots": [{"chat_utc_ms": T0 + i, "audio_s": 1.0} for i in range(MAX_KNOTS + 1)]}, "knots"),
        ({"knots": [K], "flags": [{"chat_utc_ms_start": T0 + 1, "chat_utc_ms_end": T0}]}, "flags[0].chat_utc_ms_end"),
        ({"knots": [K], "flags": [{"chat_utc_ms_start": T0}]}, "flags[0].chat_utc_ms_end"),
        ({"vod_id": "demo_02", "knots": [K]}, "vod_id"),
        ({"vod_id": "../etc", "knots": [K]}, "vod_id"),
        ({"note": 5, "knots": [K]}, "note"),
        ({"note": "x\ud800", "knots": [K]}, "note"),
        ({"note": "x" * 5000, "knots": [K]}, "note"),
        ({"reviewer": ["a"], "knots": [K]}, "reviewer"),
        ({"global": {"offset_s": 1.0, "drift": 2}}, "global.drift"),
        ({"global": {}}, "global.offset_s"),
        ({"knots": [K], "\udfff": 1}, "\\udfff"),
    ],
)
def test_bad_fields_are_named(data: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        override_from_dict(data, "payload", vod_id="demo_01")
    assert caught.value.field == field and caught.value.path == "payload", str(caught.value)
    str(caught.value).encode("utf-8")  # the message itself is always printable


def test_saved_at_may_be_a_toml_datetime(tmp_path: Path) -> None:
    ov = parse_override(f"saved_at = 2026-03-05T12:00:00Z\n[[knots]]\nchat_utc_ms = {T0}\naudio_s = 1.0\n", "f")
    assert ov.saved_at == "2026-03-05T12:00:00+00:00"


def test_deeply_nested_or_huge_files_are_input_errors(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(InputError, match="deep.toml"):
        load_override(deep)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    with pytest.raises(InputError, match="larger than"):
        load_override(huge)


# -- range checks against the VOD -------------------------------------------------------------------

AUDIO_S = 300.0
BOUNDS = OverrideBounds(started_at_utc_ms=T0, audio_duration_s=AUDIO_S, chat_first_ms=T0 - 5_000,
                        chat_last_ms=T0 + 290_000)
END = T0 + int(AUDIO_S * 1000)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"knots": [{"chat_utc_ms": T0, "audio_s": AUDIO_S + AUDIO_SLACK_S + 1}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": -AUDIO_SLACK_S - 1}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": END + CHAT_SLACK_MS + 1, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
        ({"knots": [{"chat_utc_ms": T0 - 5_000 - CHAT_SLACK_MS - 1, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
        ({"knots": [K], "flags": [{"chat_utc_ms_start": T0, "chat_utc_ms_end": END + CHAT_SLACK_MS + 1}]},
         "flags[0].chat_utc_ms_end"),
        ({"global": {"offset_s": AUDIO_S + CHAT_SLACK_MS / 1000 + 1}}, "global.offset_s"),
        ({"global": {"offset_s": -(AUDIO_S + CHAT_SLACK_MS / 1000 + 1)}}, "global.offset_s"),
    ],
)
def test_out_of_range_values_are_named(data: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        override_from_dict(data, "payload", bounds=BOUNDS)
    assert caught.value.field == field, str(caught.value)
    override_from_dict(data, "payload")  # on its own (no VOD known) the same values are plausible


@pytest.mark.parametrize(
    "data",
    [
        {"knots": [{"chat_utc_ms": T0 - 5_000 - CHAT_SLACK_MS, "audio_s": -AUDIO_SLACK_S},
                   {"chat_utc_ms": END + CHAT_SLACK_MS, "audio_s": AUDIO_S + AUDIO_SLACK_S}]},
        {"global": {"offset_s": -12.5}},
        {"knots": [K], "flags": [{"chat_utc_ms_start": T0 - 5_000, "chat_utc_ms_end": END}]},
    ],
)
def test_values_at_the_edges_are_accepted(data: dict) -> None:
    override_from_dict(data, "payload", bounds=BOUNDS)


def test_global_offset_knots_sit_at_the_audio_ends() -> None:
    ov = override_from_dict({"global": {"offset_s": 7.0}}, "payload", bounds=BOUNDS)
    knots = ov.to_knots(T0, AUDIO_S)
    assert [k.audio_s for k in knots] == [0.0, AUDIO_S]
    assert [k.chat_utc_ms for k in knots] == [T0 - 7_000, T0 + 293_000]
    assert float(map_chat_to_audio(knots, T0 + 50_000)) == pytest.approx(57.0)


def test_write_refuses_what_load_would_refuse(tmp_path: Path) -> None:
    path = override_path(tmp_path, "demo_01")
    bad = Override(knots=(Knot(T0, AUDIO_S + AUDIO_SLACK_S + 10.0),))
    with pytest.raises(InputError, match="outside the audio"):
        write_override(path, bad, bounds=BOUNDS)
    assert not path.exists() and list(tmp_path.iterdir()) == []
