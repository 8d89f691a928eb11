"""The committed chat exports are exactly what the generator produces from the committed truth.

No TTS is needed: the chat simulation's input is read back from ground_truth.json and
script.json.  Byte equality proves the generator is deterministic and that the truth and
the exports cannot drift apart when one of them is edited by hand.
"""

from __future__ import annotations

import json
import sys

import pytest

from dougchat_assets_tests.demo.demo_files import REPO, VOD_IDS, VODS_DIR, script, truth

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from demo.generate import vod_json, write_chat  # noqa: E402
from demo.vods import VOD_BY_ID  # noqa: E402


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_chat_export_and_message_truth_regenerate_byte_for_byte(vod_id, tmp_path):
    gt = truth(vod_id)
    spec = VOD_BY_ID[vod_id]
    records = write_chat(spec, gt, script(vod_id), gt["generator"]["seed"], tmp_path)
    assert (tmp_path / spec.chat_file).read_bytes() == (VODS_DIR / vod_id / spec.chat_file).read_bytes()
    assert records == gt["messages"]
    if spec.write_vod_json:
        assert vod_json(spec, gt) == json.loads((VODS_DIR / vod_id / "vod.json").read_text())


def test_a_different_seed_gives_a_different_chat(tmp_path):
    gt = truth("demo_03")
    spec = VOD_BY_ID["demo_03"]
    records = write_chat(spec, gt, script("demo_03"), gt["generator"]["seed"] + 1, tmp_path)
    assert (tmp_path / spec.chat_file).read_bytes() != (VODS_DIR / "demo_03" / spec.chat_file).read_bytes()
    assert [r["t_send_broadcast_s"] for r in records] != [m["t_send_broadcast_s"] for m in gt["messages"]]
