"""The training run's loss picture, and how the UI gets it inline."""

from __future__ import annotations

import base64

from dougchat_assets.defs.plots import MAX_INLINE_BYTES, inline_png
from dougchat_assets.model.loss_plot import plot_losses
from dougchat_assets.model.train import TrainEvent

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_loss_plot_is_a_png_embedded_inline(tmp_path) -> None:
    history = [TrainEvent("step", s, train_loss=5.0 - 0.1 * s) for s in range(1, 21)]
    history += [TrainEvent("eval", s, val_loss=5.2 - 0.05 * s) for s in (5, 10, 15, 20)]
    path = plot_losses(history, tmp_path / "losses.png", best_step=20)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and not list(tmp_path.glob(".*"))  # written atomically, no temp left
    markdown = inline_png(path, "losses").value
    encoded = markdown.split("data:image/png;base64,")[1].rstrip(")")
    assert base64.b64decode(encoded) == data


def test_a_png_too_large_to_embed_is_named_instead(tmp_path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(PNG_MAGIC + b"\0" * MAX_INLINE_BYTES)
    markdown = inline_png(big, "big").value
    assert "data:image" not in markdown and str(big) in markdown
