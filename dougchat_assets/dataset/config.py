"""The dataset stage's configuration in one object: filter preset, context window, balance,
splits and the thresholds of its checks.

Each part hashes its own content; the hashes go into pair rows, the split version and the
manifest, so what produced a dataset is always recorded next to it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.dataset.params import FilterParams, filter_preset, stable_hash
from dougchat_assets.prompt import WindowParams


class BalanceParams(BaseModel):
    """Per-stream balance: no VOD may dominate the training data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_pairs_per_audio_hour: int = Field(20_000, ge=1, description="cap per VOD, scaled by its audio length")
    max_vod_weight_ratio: float = Field(
        2.0, ge=1.0, description="a train VOD's total weight is scaled down to at most this times the median VOD's"
    )


class SplitParams(BaseModel):
    """Whole VODs go to train / validation / test: a configured list, else a deterministic hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    validation_vods: tuple[str, ...] = ()
    test_vods: tuple[str, ...] = ()
    validation_share: float = Field(0.2, ge=0, lt=1)
    test_share: float = Field(0.2, ge=0, lt=1)
    salt: str = Field("dougchat-split-v1", description="change to draw another hash assignment")


class DatasetChecks(BaseModel):
    """Thresholds of the dataset checks (after filtering)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_emote_only_share: float = Field(0.35, description="emote-only replies, by weight")
    max_top_token_share: float = Field(0.08, description="the most frequent reply token's share of all reply tokens")


class DatasetConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    filter_preset: str = "default"
    filter_overrides: dict[str, object] = Field(default_factory=dict)
    window: WindowParams = WindowParams()
    balance: BalanceParams = BalanceParams()
    split: SplitParams = SplitParams()
    checks: DatasetChecks = DatasetChecks()

    @property
    def filters(self) -> FilterParams:
        """The named preset with any overrides applied, validated (a wrong knob is an error)."""
        preset = filter_preset(self.filter_preset)
        if not self.filter_overrides:
            return preset
        return FilterParams.model_validate({**preset.model_dump(), **self.filter_overrides})

    def pair_params_hash(self) -> str:
        """What makes one VOD's pairs what they are (filters, window, per-VOD balance)."""
        return stable_hash(
            {"filters": self.filters.params_hash(), "window": self.window.params_hash(),
             "balance": self.balance.model_dump(mode="json")}
        )
