"""Checksums and all-or-nothing file writes.

A crash (or a bad input discovered halfway) must never leave a half-written artefact
under its final name, and every artefact is recorded with a sha256 in the manifest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dougchat_assets.faults import fault_point

_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks (audio files can be many GB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_path(final: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside ``final``; rename it into place only if the block succeeds.

    The temp file lives in the same folder so the rename is atomic on POSIX.  On any error
    the temp file is removed and ``final`` is left as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.name}.", suffix=suffix or final.suffix or ".tmp", dir=final.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        fault_point(f"rename:{final.name}")  # written, not yet in place
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(final: Path, text: str) -> None:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_png(figure, path: str | Path) -> Path:
    """Write a matplotlib ``figure`` to ``path`` as PNG atomically, close it, return the path."""
    import matplotlib.pyplot as plt

    out = Path(path)
    with atomic_path(out, suffix=".png") as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
    return out


def atomic_copy_files(files: list[Path], final: Path) -> None:
    """Copy ``files`` into folder ``final`` so that it appears complete or not at all.

    Files are staged in a hidden sibling folder, then swapped in with one rename; mtimes are
    preserved so folder fingerprints stay stable.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        for item in files:
            shutil.copy2(item, tmp / item.name)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
