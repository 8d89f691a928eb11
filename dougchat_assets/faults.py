"""Named fault points: where the fault tests kill a real run with SIGKILL, deterministically.

A test that kills a run "mid-stage" by timing is flaky (a fast stage finishes first) and
cannot aim at the moments that matter: inside a write transaction, after a temp file is
written but before its rename, after some of a VOD's ASR chunks are saved.  Setting
``DOUGCHAT_FAULT=<name>`` makes the process kill itself at that point, exactly as an
out-of-memory kill or a power cut would.  Never set it outside the fault tests; unset, a
fault point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "DOUGCHAT_FAULT"


def fault_point(name: str) -> None:
    """SIGKILL this process if ``DOUGCHAT_FAULT`` names this point."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
