"""The committed demo folders look exactly like what a user drops into warehouse/incoming/<id>/."""

from __future__ import annotations

import json
from datetime import datetime

import av
import pytest

from dougchat_assets_tests.demo.demo_files import (
    AUDIO_SUFFIXES,
    DEMO,
    TRUTH_DIR,
    VOD_IDS,
    VODS_DIR,
    script,
    truth,
)

MAX_TOTAL_BYTES = 10 * 1024 * 1024


def test_committed_demo_is_under_ten_megabytes():
    total = sum(p.stat().st_size for root in (VODS_DIR, TRUTH_DIR) for p in root.rglob("*") if p.is_file())
    assert 0 < total < MAX_TOTAL_BYTES, f"demo output is {total / 1e6:.2f} MB"


def test_there_are_exactly_four_vod_folders_with_truth():
    assert sorted(p.name for p in VODS_DIR.iterdir() if p.is_dir()) == list(VOD_IDS)
    assert sorted(p.name for p in TRUTH_DIR.iterdir() if p.is_dir()) == list(VOD_IDS)


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_vod_folder_holds_one_audio_one_chat_and_optional_vod_json(vod_id):
    gt = truth(vod_id)
    names = sorted(p.name for p in (VODS_DIR / vod_id).iterdir())
    audio = [n for n in names if any(n.endswith(s) for s in AUDIO_SUFFIXES)]
    assert audio == [gt["audio_file"]]
    rest = sorted(set(names) - {gt["audio_file"], "vod.json"})
    assert rest == [gt["chat_file"]], f"unexpected files in {vod_id}: {names}"
    assert not any("truth" in n or "script" in n for n in names), "ground truth must stay out of the VOD folder"


def test_formats_cover_the_four_exports_and_demo_01_has_no_vod_json():
    formats = {vod_id: truth(vod_id)["chat_format"] for vod_id in VOD_IDS}
    assert sorted(formats.values()) == ["chat_downloader", "chatterino", "irc", "twitchdownloader"]
    assert formats["demo_01"] == "twitchdownloader"
    assert truth("demo_01")["chat_file"].endswith(".json.gz")
    assert not (VODS_DIR / "demo_01" / "vod.json").exists()


@pytest.mark.parametrize("vod_id", [v for v in VOD_IDS if v != "demo_01"])
def test_vod_json_matches_the_truth(vod_id):
    data = json.loads((VODS_DIR / vod_id / "vod.json").read_text())
    gt = truth(vod_id)
    assert data["vod_id"] == vod_id
    assert data["licence"] == "synthetic demo data, CC0"
    assert data["channel"] == "dougdoug"
    assert data["title"]
    started = datetime.fromisoformat(data["started_at"].replace("Z", "+00:00"))
    assert data["started_at"].endswith("Z")
    assert int(started.timestamp() * 1000) == gt["started_at_utc_ms"]
    assert data["duration_s"] == pytest.approx(gt["broadcast_duration_s"])
    if gt["chat_format"] == "chatterino":
        assert data["chat_timezone"] not in ("UTC", "Z", "+00:00")


def test_exactly_one_vod_is_an_mp4_with_black_video_and_aac():
    mp4s = [v for v in VOD_IDS if truth(v)["audio_file"].endswith(".mp4")]
    assert len(mp4s) == 1
    with av.open(str(VODS_DIR / mp4s[0] / truth(mp4s[0])["audio_file"])) as container:
        kinds = {s.type: s.codec_context.name for s in container.streams}
        assert kinds == {"video": "h264", "audio": "aac"}
        video = container.streams.video[0]
        assert video.codec_context.width * video.codec_context.height <= 320 * 240
        frame = next(container.decode(video))
        assert frame.to_ndarray(format="gray").max() <= 20, "the video track should be black"


@pytest.mark.parametrize("vod_id", [v for v in VOD_IDS if not truth(v)["audio_file"].endswith(".mp4")])
def test_other_vods_are_opus_in_ogg(vod_id):
    with av.open(str(VODS_DIR / vod_id / truth(vod_id)["audio_file"])) as container:
        assert container.format.name == "ogg"
        assert [s.codec_context.name for s in container.streams] == ["opus"]


def test_lexicon_terms_are_all_spoken_in_some_script():
    spoken = " ".join(u["text"] for v in VOD_IDS for u in script(v)).lower()
    terms = [t.strip() for t in (DEMO / "lexicon.txt").read_text().splitlines() if t.strip() and not t.startswith("#")]
    assert len(terms) >= 20
    assert [t for t in terms if t.lower() not in spoken] == []


def test_readme_documents_regeneration_and_distortions():
    text = (DEMO / "README.md").read_text()
    for needle in ("python demo/generate.py", "late", "cut", "drift", "ground_truth.json", "script.json"):
        assert needle in text
