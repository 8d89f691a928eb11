"""A 2.5 GB one-line export in an 11 MB gzip is refused in bounded memory, in every reader (issue 11).

Before the caps, the text readers read a whole line at once: a 2.5 GB IRC line drove a run
past 6 GiB.  Here each format's file is the head of a valid export, then one message whose
body is 2.5 GB of "a" (one gzip member written by ``gzip.open`` in 1 MiB chunks, shared by all
formats), then the export's closing text.  A child process parses it and reports the growth
of its peak RSS (VmHWM) over what it had after imports; its address space is capped too, so
a regression fails with MemoryError instead of taking the machine down.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .hostile import FILE_NAMES, FORMATS, MIB, Long, where, write_export

TAIL_BYTES = 2500 * MIB
PEAK_EXTRA_MB = 100  # measured about 10-20 MB; the old readers needed over 10 GB

_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from dougchat_assets.chat import ChatContext, iter_chat_batches
    from dougchat_assets.errors import InputError

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB

    # 2 GiB of address space beyond what the imports took: the old readers hit MemoryError.
    resource.setrlimit(resource.RLIMIT_AS, (status("VmSize") * 1024 + (2 << 30), resource.RLIM_INFINITY))
    base = status("VmHWM")
    result = {}
    try:
        context = ChatContext("v", timezone="UTC")
        result["rows"] = sum(b.num_rows for b in iter_chat_batches(Path(sys.argv[1]), context))
    except InputError as error:
        result.update(error=str(error), line=error.line, field=error.field)
    except MemoryError:
        result["error"] = "MemoryError"
    result["extra_mb"] = (status("VmHWM") - base) / 1024
    print(json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def tail(tmp_path_factory) -> Path:
    """One gzip member holding 2.5 GB of "a" (about 11 MB on disk)."""
    path = tmp_path_factory.mktemp("hostile") / "tail.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        Long(TAIL_BYTES).write(out)
    return path


def _bomb(folder: Path, fmt: str, tail: Path) -> Path:
    """``fmt``'s export with message 1 = the 2.5 GB tail: gzip members head + tail + closing."""
    plain = write_export(folder, fmt, ["hi", "@@SPLIT@@"], name="plain")
    head, closing = plain.read_bytes().split(b"@@SPLIT@@")
    path = folder / (FILE_NAMES[fmt] + ".gz")
    with open(path, "wb") as out:
        out.write(gzip.compress(head, mtime=0))
        out.write(tail.read_bytes())
        out.write(gzip.compress(closing, mtime=0))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_2_5_gb_line_in_a_small_gzip_is_refused_in_bounded_memory(tmp_path, tail, fmt):
    path = _bomb(tmp_path, fmt, tail)
    assert path.stat().st_size < 16 * MIB  # about 11 MB, like the file in the issue
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert "rows" not in result, f"a 2.5 GB message was parsed: {result}"
    assert path.name in result["error"] and "max_line_bytes" in result["error"], result
    kind, expected = where(fmt, 1)
    assert result[kind] == expected, result
    assert result["extra_mb"] < PEAK_EXTRA_MB, result
    print(f"{fmt}: peak RSS grew {result['extra_mb']:.1f} MB")
