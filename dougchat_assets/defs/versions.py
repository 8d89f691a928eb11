"""Code versions of the assets: what each asset's output depends on besides its inputs.

Dagster marks an asset stale ("code version changed") when its ``code_version`` differs
from the one its latest materialization recorded.  Each version here is a short hash of the
parser versions, pipeline format versions and parameters that shape that asset's rows —
read from the same settings the asset reads at run time (``<warehouse>/dougchat.toml`` and the
resources) — so a changed filter preset marks ``clean_pairs`` stale and leaves ``raw_chat``
alone.  Settings are read when the code location loads (reload it after editing them).  A
settings file that does not parse gives the code-only version: the asset itself then fails
with the error naming the file and field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from dougchat_assets.settings import WarehouseLayout


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _raw_chat(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    from dougchat_assets.chat import DEFAULT_LIMITS, ChatFormat, parser_version

    return {"parsers": {str(f): parser_version(f) for f in ChatFormat}, "limits": asdict(DEFAULT_LIMITS)}


def _vod_audio(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    return resources["warehouse"].audio_settings.model_dump(mode="json")


def _transcripts(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    config = resources["asr"].asr_config(layout)
    return {"decode": config.decode_params(), "segments": config.segments.model_dump(mode="json"),
            "gates": config.gates.model_dump(mode="json"), "speakers": config.assign_speakers}


def _offset_curve(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    from dougchat_assets.align.checks import AlignmentThresholds
    from dougchat_assets.align.params import alignment_settings

    return {"params": asdict(alignment_settings(layout).params()), "thresholds": asdict(AlignmentThresholds())}


def _clean_pairs(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    from dougchat_assets.prompt import PROMPT_VERSION

    return {"pairs": resources["dataset"].config(layout).pair_params_hash(), "prompt": PROMPT_VERSION}


def _train_split(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    config = resources["dataset"].config(layout)
    return {"split": config.split.model_dump(mode="json"), "balance": config.balance.model_dump(mode="json"),
            "checks": config.checks.model_dump(mode="json")}


def _lora_adapter(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    return resources["model"].model_settings(layout).model_dump(mode="json")


def _eval_report(resources: Mapping[str, Any], layout: WarehouseLayout) -> object:
    return resources["model"].eval_settings(layout).model_dump(mode="json")


_SOURCES: dict[str, Callable[[Mapping[str, Any], WarehouseLayout], object]] = {
    "raw_chat": _raw_chat,
    "vod_audio": _vod_audio,
    "transcripts": _transcripts,
    "offset_curve": _offset_curve,
    "clean_pairs": _clean_pairs,
    "train_split": _train_split,
    "lora_adapter": _lora_adapter,
    "eval_report": _eval_report,
}


def asset_code_versions(resources: Mapping[str, Any], layout: WarehouseLayout) -> dict[str, str]:
    """asset name -> code version ("<asset>-<hash>", or "<asset>-code" when its settings cannot be read)."""
    versions = {}
    for asset, source in _SOURCES.items():
        try:
            versions[asset] = f"{asset}-{_digest(source(resources, layout))}"
        except Exception:  # noqa: BLE001 - the asset reports a bad settings file itself, naming it
            versions[asset] = f"{asset}-code"
    return versions
