"""Code versions: a changed setting marks exactly the assets it shapes as changed."""

from __future__ import annotations

import dagster as dg

from dougchat_assets.defs.resources import build_resources
from dougchat_assets.defs.versions import asset_code_versions
from dougchat_assets.runner import load_definitions


def _versions(layout, settings: str | None = None) -> dict[str, str]:
    if settings is not None:
        layout.settings_path.write_text(settings)
    return asset_code_versions(build_resources(layout), layout)


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {asset for asset in before if before[asset] != after[asset]}


def test_each_setting_changes_only_the_assets_it_shapes(layout) -> None:
    base = _versions(layout)
    assert set(base) == {"raw_chat", "vod_audio", "transcripts", "offset_curve", "clean_pairs", "train_split",
                         "lora_adapter", "eval_report"}
    assert not [v for v in base.values() if v.endswith("-code")]  # every version read its settings
    assert _versions(layout) == base  # stable
    assert _changed(base, _versions(layout, '[dataset]\nfilter_preset = "strict"\n')) == {"clean_pairs"}
    assert _changed(base, _versions(layout, "[model.train]\nmax_steps = 7\n")) == {"lora_adapter"}
    assert _changed(base, _versions(layout, "[eval]\ncandidates = 7\n")) == {"eval_report"}
    assert _changed(base, _versions(layout, "[alignment]\nread_delay_s = 5.5\n")) == {"offset_curve"}


def test_a_broken_settings_file_leaves_the_code_version_and_loading_alive(layout) -> None:
    versions = _versions(layout, "[dataset]\nfilter_preset = 12\n")
    assert versions["clean_pairs"] == "clean_pairs-code" and not versions["raw_chat"].endswith("-code")


def test_the_code_location_carries_the_versions() -> None:
    specs = {spec.key.to_user_string(): spec for assets_def in load_definitions().assets
             if isinstance(assets_def, dg.AssetsDefinition) for spec in assets_def.specs}
    assert all(spec.code_version and spec.code_version.startswith(name + "-") for name, spec in specs.items())
