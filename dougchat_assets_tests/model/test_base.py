"""Base model resolution: the bundled GGUF, a user's folder, checksums, precision, the conversion cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.model.base import DEFAULT_GGUF, cached_base, choose_precision, resolve_base_model


def test_default_base_is_the_bundled_gguf_with_its_checksum() -> None:
    ref = resolve_base_model()
    assert ref.gguf_file == DEFAULT_GGUF and (ref.folder / DEFAULT_GGUF).exists()
    assert len(ref.sha256) == 64 and "SmolLM2-135M-Instruct" in ref.model_id


def test_a_local_folder_needs_weights_and_config_and_is_checksummed_by_content(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="neither a local folder"):
        resolve_base_model(tmp_path / "missing")
    folder = tmp_path / "my-model"
    folder.mkdir()
    with pytest.raises(InputError, match="config.json"):
        resolve_base_model(folder)
    (folder / "config.json").write_text(json.dumps({"_name_or_path": "team/model"}))
    with pytest.raises(InputError, match="no model weights"):
        resolve_base_model(folder)
    (folder / "model.safetensors").write_bytes(b"weights v1")
    first = resolve_base_model(folder)
    assert first.model_id == "team/model" and first.gguf_file is None
    (folder / "model.safetensors").write_bytes(b"weights v2")
    assert resolve_base_model(folder).sha256 != first.sha256


def test_precision_on_the_cpu_is_fp32_and_4bit_is_refused() -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert choose_precision().as_dict() == {"device": "cpu", "quantization": "none", "compute_dtype": "float32"}
    with pytest.raises(InputError, match="CUDA"):
        choose_precision("4bit")


def test_cache_is_a_no_op_for_hugging_face_folders(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"w")
    ref = resolve_base_model(folder)
    assert cached_base(ref, tmp_path / "cache") == ref and not (tmp_path / "cache").exists()
