"""One writer per chat export format, each producing the exact real-world shape.

Every writer takes the simulated messages in export order and returns, per message, the
1-based line it landed on (text formats) or None (JSON formats, where the index is the
position in the array / ``comments[]``), so the ground truth can point at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from demo.chatsim import SimMessage
from demo.writers import chat_downloader, chatterino, irc, twitchdownloader
from demo.writers.common import ExportContext

Writer = Callable[[Path, list[SimMessage], ExportContext], list[int | None]]

WRITERS: dict[str, Writer] = {
    "twitchdownloader": twitchdownloader.write,
    "chat_downloader": chat_downloader.write,
    "irc": irc.write,
    "chatterino": chatterino.write,
}

__all__ = ["WRITERS", "ExportContext", "Writer"]
