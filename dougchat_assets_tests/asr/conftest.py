"""Fixtures of the ASR tests: the committed clips and one Whisper model shared by all tests.

Loading tiny.en takes about a second; sharing it keeps the real-model tests fast.  The clips
are made by ``fixtures/make_fixtures.sh`` (espeak-ng + sox) and committed, so tests need
neither tool.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def speech_script() -> list[dict]:
    """Where each sentence of speech.flac lies (the demo's script.json format)."""
    return json.loads((FIXTURES / "speech.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def whisper():
    from dougchat_assets.asr.model import choose_device, load_whisper, resolve_model

    device, compute_type = choose_device()
    return load_whisper(resolve_model(None), device, compute_type)
