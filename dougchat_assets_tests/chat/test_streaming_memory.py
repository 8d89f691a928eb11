"""A long export parses with bounded memory (slow: run with ``-m slow``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dougchat_assets.chat.synthetic import write_twitchdownloader_export


@pytest.mark.slow
def test_400k_comment_export_stays_under_300_mb(tmp_path):
    export = write_twitchdownloader_export(tmp_path / "long.json", 400_000, seed=2)
    assert export.path.stat().st_size > 250_000_000  # larger than the memory we allow
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from dougchat_assets.chat import ChatContext, iter_chat_batches
        rows = sum(b.num_rows for b in iter_chat_batches(Path({str(export.path)!r}), ChatContext("v")))
        print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    rows, peak_mb = map(int, done.stdout.split())
    assert rows == 400_000
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"
