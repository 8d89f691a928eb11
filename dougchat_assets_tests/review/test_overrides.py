"""Override files: validated, written atomically and byte-identically, parseable by tomllib."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.review.overrides import (
    Flag,
    Override,
    override_knot,
    override_path,
    parse_override,
    read_override,
    write_override,
)
from dougchat_assets.settings import WarehouseLayout

T0 = 1_772_478_000_000


def _override(**changes: object) -> Override:
    fields = dict(
        vod_id="demo_01",
        reviewer="local",
        saved_at="2026-11-25T20:00:00Z",
        note="free text",
        knots=(override_knot(T0, 12.5), override_knot(T0 + 300_000, 312.0)),
        flags=(Flag(T0 + 100_000, T0 + 160_000, "chat looks early here"),),
    )
    fields.update(changes)
    return Override(**fields)  # type: ignore[arg-type]


def test_written_file_is_the_documented_format(tmp_path: Path) -> None:
    layout = WarehouseLayout(root=tmp_path)
    path = write_override(layout, _override())
    assert path == layout.overrides_dir / "demo_01.toml" == override_path(layout, "demo_01")
    data = tomllib.loads(path.read_text())
    assert data == {
        "vod_id": "demo_01",
        "reviewer": "local",
        "saved_at": "2026-11-25T20:00:00Z",
        "note": "free text",
        "knots": [{"chat_utc_ms": T0, "audio_s": 12.5}, {"chat_utc_ms": T0 + 300_000, "audio_s": 312.0}],
        "flags": [
            {"chat_utc_ms_start": T0 + 100_000, "chat_utc_ms_end": T0 + 160_000, "note": "chat looks early here"}
        ],
    }
    assert read_override(path, vod_id="demo_01") == _override()
    first = path.read_bytes()
    write_override(layout, _override())
    assert path.read_bytes() == first  # same review, same bytes


def test_write_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = WarehouseLayout(root=tmp_path)
    path = write_override(layout, _override())
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("dougchat_assets.review.overrides.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_override(layout, _override(note="a newer review"))
    assert path.read_bytes() == before  # the old file survives a failed save intact
    assert sorted(p.name for p in layout.overrides_dir.iterdir()) == ["demo_01.toml"]
    monkeypatch.undo()
    write_override(layout, _override(note="a newer review"))
    assert read_override(path).note == "a newer review"
    assert sorted(p.name for p in layout.overrides_dir.iterdir()) == ["demo_01.toml"]


def test_parse_sorts_knots_and_flags() -> None:
    parsed = parse_override(
        {
            "knots": [{"chat_utc_ms": T0 + 5, "audio_s": 2}, {"chat_utc_ms": T0, "audio_s": 1.0}],
            "flags": [{"chat_utc_ms_start": T0 + 9, "chat_utc_ms_end": T0 + 10}, {"chat_utc_ms_start": T0,
                                                                                   "chat_utc_ms_end": T0}],
        },
        "payload",
        vod_id="demo_01",
    )
    assert parsed.vod_id == "demo_01" and parsed.reviewer == "local"
    assert [(k.chat_utc_ms, k.audio_s, k.method) for k in parsed.knots] == [(T0, 1.0, "override"), (T0 + 5, 2.0,
                                                                                                     "override")]
    assert isinstance(parsed.knots[1].audio_s, float)
    assert [f.chat_utc_ms_start for f in parsed.flags] == [T0, T0 + 9]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"knots": []}, "knots"),
        ({"knots": [{"chat_utc_ms": 1.77e12, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
        ({"knots": [{"chat_utc_ms": 1_772_478_000, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),  # seconds, not ms
        ({"knots": [{"chat_utc_ms": T0, "audio_s": "12"}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": float("nan")}]}, "knots[0].audio_s"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": 1.0}, {"chat_utc_ms": T0, "audio_s": 2.0}]}, "knots"),
        ({"knots": [{"chat_utc_ms": T0, "audio_s": 1.0}], "flags": [{"chat_utc_ms_start": T0 + 1,
                                                                     "chat_utc_ms_end": T0}]}, "flags[0]"),
        ({"vod_id": "demo_02", "knots": [{"chat_utc_ms": T0, "audio_s": 1.0}]}, "vod_id"),
        ({"vod_id": "../etc", "knots": [{"chat_utc_ms": T0, "audio_s": 1.0}]}, "vod_id"),
        ({"note": 5, "knots": [{"chat_utc_ms": T0, "audio_s": 1.0}]}, "note"),
    ],
)
def test_bad_overrides_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_override(data, "payload", vod_id="demo_01")
    assert caught.value.field == field
    assert caught.value.path == "payload"


def test_broken_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "demo_01.toml"
    path.write_text('vod_id = "demo_01"\nknots = [\n')
    with pytest.raises(InputError) as caught:
        read_override(path)
    assert caught.value.path == str(path) and caught.value.line is not None


def test_a_reviewer_saved_file_is_what_the_offset_curve_asset_loads(tmp_path) -> None:
    """The reviewer writes the file, the pipeline (align.override) reads it: same knots and flags."""
    from dougchat_assets.align.override import load_override
    from dougchat_assets.review.overrides import Flag as ReviewFlag
    from dougchat_assets.review.overrides import Override as ReviewOverride
    from dougchat_assets.review.overrides import override_knot
    from dougchat_assets.review.overrides import write_override as review_write
    from dougchat_assets.settings import WarehouseLayout

    layout = WarehouseLayout(root=tmp_path)
    saved = review_write(layout, ReviewOverride(
        vod_id="demo_01", reviewer="me", saved_at="2026-11-25T20:00:00Z", note="checked",
        knots=(override_knot(1772478000000, 1.0), override_knot(1772478300000, 301.25)),
        flags=(ReviewFlag(1772478100000, 1772478160000, "early"),),
    ))
    loaded = load_override(saved)
    assert [(k.chat_utc_ms, k.audio_s) for k in loaded.to_knots(None)] == [(1772478000000, 1.0), (1772478300000, 301.25)]
    assert [(f.chat_utc_ms_start, f.chat_utc_ms_end, f.note) for f in loaded.flags] == [(1772478100000, 1772478160000, "early")]
