"""A picture of a training run: train loss per step and validation loss per evaluation.

Shown inline in the lora_adapter asset's metadata, so whoever opens the asset sees at once
whether the run learned, plateaued or stopped early (the numbers are also in MLflow).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dougchat_assets.fileio import save_png
from dougchat_assets.model.train import TrainEvent


def plot_losses(history: Sequence[TrainEvent], path: str | Path, best_step: int | None = None) -> Path:
    """Write a PNG of the run's losses to ``path`` (atomically) and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(e.step, e.train_loss) for e in history if e.kind == "step" and e.train_loss is not None]
    val = [(e.step, e.val_loss) for e in history if e.val_loss is not None]
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=90)
    if train:
        ax.plot(*zip(*train), lw=1, alpha=0.7, label="train loss (per step)")
    if val:
        ax.plot(*zip(*val), "o-", lw=1.5, label="validation loss (held-out VODs)")
    if best_step is not None:
        ax.axvline(best_step, color="grey", ls="--", lw=1, label=f"best step {best_step}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if train or val:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, path)
