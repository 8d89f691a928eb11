"""The LoRA adapter folder on disk: atomic writes, its training-state record, loading for inference.

Training replaces ``<out_dir>/adapter`` every time validation improves, and a crash must never
leave a half-written adapter under that name: evaluation and generation load whatever is
there.  So every write goes to a hidden sibling folder first and is swapped in by rename.
Beside the peft files the folder holds ``training_state.json`` (step, losses, config hash,
``done``), which is how a re-run knows the adapter is finished and must not be retrained.
The folder stays loadable with plain ``peft.PeftModel.from_pretrained`` (extra files are ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_write_text

ADAPTER_DIRNAME = "adapter"
STATE_FILENAME = "training_state.json"
WEIGHTS_FILENAME = "adapter_model.safetensors"


def staging_dir(final: Path) -> Path:
    """A fresh hidden folder beside ``final`` (same file system, so the later rename is atomic)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))


def replace_dir(staged: Path, final: Path) -> None:
    """Move a complete ``staged`` folder to ``final``, replacing any folder already there.

    POSIX cannot rename a folder onto a non-empty one, so the old folder is first renamed
    aside; a crash between the two renames leaves ``final`` missing (never half-written),
    and training's resume restores it from the checkpoint's copy.
    """
    if final.exists():
        aside = final.with_name(f".{final.name}.old-{os.getpid()}")
        if aside.exists():
            shutil.rmtree(aside)
        os.replace(final, aside)
        os.replace(staged, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(staged, final)


def copy_dir_atomic(source: Path, final: Path) -> None:
    """Copy folder ``source`` to ``final`` so that ``final`` appears complete or not at all."""
    staged = staging_dir(final)
    try:
        shutil.copytree(source, staged, dirs_exist_ok=True)
        replace_dir(staged, final)
    finally:
        if staged.exists():
            shutil.rmtree(staged)


def save_adapter_atomic(peft_model: Any, final: Path, state: dict[str, Any]) -> None:
    """``save_pretrained`` the adapter plus ``training_state.json`` into ``final``, atomically."""
    staged = staging_dir(final)
    try:
        # save_embedding_layers=False: LoRA never resizes the vocabulary, and "auto" would probe
        # the Hub for the base model's config (we are offline).
        peft_model.save_pretrained(str(staged), save_embedding_layers=False)
        (staged / STATE_FILENAME).write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        replace_dir(staged, final)
    finally:
        if staged.exists():
            shutil.rmtree(staged)


def read_training_state(adapter_dir: Path) -> dict[str, Any] | None:
    """The adapter folder's training record, or None when there is no (readable) record."""
    path = Path(adapter_dir) / STATE_FILENAME
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return state if isinstance(state, dict) else None


def write_training_state(adapter_dir: Path, state: dict[str, Any]) -> None:
    """Rewrite the training record in place (atomic file write; the weights are untouched)."""
    atomic_write_text(Path(adapter_dir) / STATE_FILENAME, json.dumps(state, indent=1, sort_keys=True))


def load_adapter(model: Any, adapter_dir: Path) -> Any:
    """``model`` (a plain base model) with the LoRA adapter at ``adapter_dir``, in eval mode.

    Nothing more than ``peft.PeftModel.from_pretrained``: an adapter we save must load with
    stock peft, so this is the only loader and it adds no private conventions.
    """
    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise InputError(adapter_dir, "not a LoRA adapter folder (no adapter_config.json)")
    from peft import PeftModel

    peft_model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    peft_model.eval()
    return peft_model
