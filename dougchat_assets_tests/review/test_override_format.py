"""One override format: what the reviewer saves the pipeline loads, and the reverse, feature by feature.

The reviewer side is exercised through its real interface (HTTP save, HTTP detail); the
pipeline side through ``align.override`` (what ``offset_curve`` reads) and ``estimate_for_vod``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_assets.align.override import Flag, Override, load_override, override_path, write_override
from dougchat_assets.align.result import Knot
from dougchat_assets.review import ReviewServer, serve
from dougchat_assets_tests.review.conftest import START_MS, ReviewWarehouse
from dougchat_assets_tests.review.test_server import get_json, request

SAVE = "/api/vods/demo_01/override"
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture
def server(warehouse: ReviewWarehouse) -> Iterator[ReviewServer]:
    running = serve(warehouse.layout, None).start()
    yield running
    running.shutdown()


def _path(warehouse: ReviewWarehouse) -> Path:
    return override_path(warehouse.layout.overrides_dir, "demo_01")


def _save(server: ReviewServer, payload: dict) -> dict:
    status, _, body = request(server, "POST", SAVE, json.dumps(payload).encode(), JSON_TYPE)
    assert status == 200, body
    return json.loads(body)


# -- reviewer -> pipeline ---------------------------------------------------------------------


def test_reviewer_knots_flags_and_metadata_load_in_the_pipeline(server: ReviewServer,
                                                                warehouse: ReviewWarehouse) -> None:
    knots = [{"chat_utc_ms": START_MS, "audio_s": 1.25}, {"chat_utc_ms": START_MS + 12_000, "audio_s": 13.0},
             {"chat_utc_ms": START_MS + 12_001, "audio_s": 13.0}, {"chat_utc_ms": START_MS + 20_000, "audio_s": 21.5}]
    flags = [{"chat_utc_ms_start": START_MS + 1_000, "chat_utc_ms_end": START_MS + 3_000, "note": "early? ünïcode"}]
    saved = _save(server, {"reviewer": "ann", "note": "line one\nline two", "knots": knots, "flags": flags})

    loaded = load_override(_path(warehouse), vod_id="demo_01")
    assert [(k.chat_utc_ms, k.audio_s) for k in loaded.to_knots(START_MS)] == [
        (k["chat_utc_ms"], k["audio_s"]) for k in knots]
    assert loaded.flags == (Flag(START_MS + 1_000, START_MS + 3_000, "early? ünïcode"),)
    assert (loaded.vod_id, loaded.reviewer, loaded.note, loaded.saved_at) == (
        "demo_01", "ann", "line one\nline two", saved["saved_at"])


def test_reviewer_global_offset_loads_in_the_pipeline(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    _save(server, {"reviewer": "ann", "global": {"offset_s": 1.75}})
    loaded = load_override(_path(warehouse), vod_id="demo_01")
    assert loaded.offset_s == 1.75 and not loaded.knots
    assert float(map_chat_to_audio(loaded.to_knots(START_MS), START_MS + 10_000)) == pytest.approx(11.75)


# -- pipeline -> reviewer ---------------------------------------------------------------------


def test_pipeline_knots_flags_and_metadata_load_in_the_reviewer(server: ReviewServer,
                                                                warehouse: ReviewWarehouse) -> None:
    knots = (Knot(START_MS, 2.0), Knot(START_MS + 15_000, 17.5))
    write_override(_path(warehouse), Override(
        knots=knots, flags=(Flag(START_MS + 5_000, START_MS + 6_000, "hm"),), vod_id="demo_01", reviewer="bob",
        saved_at="2026-03-05T12:00:00Z", note="by hand",
    ))
    detail = get_json(server, "/api/vods/demo_01")
    assert detail["override_error"] is None
    override = detail["override"]
    assert override["knots"] == [{"chat_utc_ms": START_MS, "audio_s": 2.0},
                                 {"chat_utc_ms": START_MS + 15_000, "audio_s": 17.5}]
    assert override["flags"] == [{"chat_utc_ms_start": START_MS + 5_000, "chat_utc_ms_end": START_MS + 6_000,
                                  "note": "hm"}]
    assert (override["reviewer"], override["saved_at"], override["note"]) == ("bob", "2026-03-05T12:00:00Z", "by hand")
    chat = get_json(server, f"/api/vods/demo_01/chat?around_ms={START_MS + 15_000}&before=0&after=1")
    message = chat["messages"][0]
    assert message["audio_s"] == pytest.approx(float(map_chat_to_audio(knots, message["chat_utc_ms"])), abs=1e-6)


def test_pipeline_global_offset_loads_in_the_reviewer_and_saves_back(server: ReviewServer,
                                                                     warehouse: ReviewWarehouse) -> None:
    write_override(_path(warehouse), Override(offset_s=3.0, reviewer="bob"))
    detail = get_json(server, "/api/vods/demo_01")
    assert detail["override_error"] is None and detail["override"]["offset_s"] == 3.0
    curve = [Knot(k["chat_utc_ms"], k["audio_s"]) for k in detail["override"]["knots"]]
    assert float(map_chat_to_audio(curve, START_MS + 8_000)) == pytest.approx(11.0)
    chat = get_json(server, f"/api/vods/demo_01/chat?around_ms={START_MS + 8_000}&before=0&after=1")
    assert chat["messages"][0]["audio_s"] == pytest.approx(11.0)
    # what the page posts back (the knots it was shown) is accepted and means the same curve
    _save(server, {"reviewer": "bob", "knots": detail["override"]["knots"]})
    again = load_override(_path(warehouse), vod_id="demo_01")
    probe = np.array([START_MS - 1_000, START_MS + 8_000, START_MS + 21_000])
    assert np.allclose(map_chat_to_audio(again.to_knots(START_MS), probe), (probe - START_MS) / 1000 + 3.0)


# -- the same verdict on the same file ----------------------------------------------------------

T = START_MS
FILES = {
    # files the two readers used to disagree on
    "global offset": ("[global]\noffset_s = 1.5\n", True),
    "unknown top-level key": (f"colour = 'red'\n[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n", False),
    "unknown knot key": (f"[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\nweight = 2\n", False),
    "chat time in seconds": ("[[knots]]\nchat_utc_ms = 1772478000\naudio_s = 1.0\n", False),
    "chat time 1 ms after the epoch": ("[[knots]]\nchat_utc_ms = 1\naudio_s = 1.0\n", False),
    "knots out of order": (
        f"[[knots]]\nchat_utc_ms = {T + 5}\naudio_s = 2.0\n[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n", False),
    "TOML date-time saved_at": (f"saved_at = 2026-03-05T12:00:00Z\n[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n",
                                True),
    "no vod_id": (f"[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n", True),
    "another VOD's file": (f"vod_id = 'demo_02'\n[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n", False),
    "empty flag": (f"[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n[[flags]]\nchat_utc_ms_start = {T}\n"
                   f"chat_utc_ms_end = {T}\n", False),
    "audio_s 1e308": (f"[[knots]]\nchat_utc_ms = {T}\naudio_s = 1e308\n", False),
    "offset and knots": (f"[global]\noffset_s = 1.0\n[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n", False),
    "neither": ("reviewer = 'x'\n", False),
    "full file": (f"vod_id = 'demo_01'\nreviewer = 'x'\nsaved_at = '2026-03-05T12:00:00Z'\nnote = 'n'\n"
                  f"[[knots]]\nchat_utc_ms = {T}\naudio_s = 1.0\n[[knots]]\nchat_utc_ms = {T + 1}\naudio_s = 1.0\n"
                  f"[[flags]]\nchat_utc_ms_start = {T}\nchat_utc_ms_end = {T + 9}\nnote = 'f'\n", True),
}


@pytest.mark.parametrize(("text", "valid"), FILES.values(), ids=FILES.keys())
def test_reviewer_and_pipeline_give_the_same_verdict(server: ReviewServer, warehouse: ReviewWarehouse,
                                                     text: str, valid: bool) -> None:
    path = _path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        load_override(path, vod_id="demo_01")
        pipeline_ok = True
    except ValueError:
        pipeline_ok = False
    detail = get_json(server, "/api/vods/demo_01")
    reviewer_ok = detail["override"] is not None
    assert (pipeline_ok, reviewer_ok) == (valid, valid), detail["override_error"]
    if not valid:
        assert str(path.name) in detail["override_error"]
