"""Fast path for the comments of a minified TwitchDownloader export: decode ~1 MB at a time.

Decoding one comment at a time builds every field as a Python object (commenter logo, bio,
fragments...), which caps the stdlib scanner at about 190k comments/s here.  msgspec decodes
into typed structs that keep only the fields we use, skipping the rest in C, but it needs a
complete JSON document.  So this reader cuts the comments array between two comments and
decodes the pieces as small arrays.

Where to cut: TwitchDownloader writes minified JSON in which each comment ends with its
``message`` object and the next starts with ``_id``, so ``}},{"_id":"`` marks a boundary.
Inside a JSON string that text cannot occur (it holds bare quotes), and a cut at a wrong
structural place leaves an unclosed object, so the piece fails to decode: a piece that
decodes is exactly a run of whole comments.  Whenever a piece fails (a wrong cut, broken
JSON, an unexpected type, the end of the array) the reader stops and reports the byte offset
of the piece, and the caller continues from there with the general streaming reader, which
accepts any formatting and reports errors with their line and comment index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from dougchat_assets.chat.textio import GZIP_ERRORS

MARKER = b'}},{"_id":"'
CHUNK_BYTES = 1 << 20  # aim for pieces of about 1 MiB (about 2,000 comments)
_MAX_BUFFER = 1 << 26  # a single comment beyond 64 MiB goes to the general reader


class BulkArrayReader:
    """Yields lists of decoded items from the array starting at ``start_byte`` (just after its ``[``).

    After iteration, :attr:`handover_byte` is the byte offset (of the decompressed file) of
    the first item not yielded, or None when ``handle`` could not be read there.
    """

    def __init__(self, path: Path, handle: BinaryIO, start_byte: int, pending: bytes, decoder: msgspec.json.Decoder) -> None:
        self.path = path
        self._handle = handle
        self._decoder = decoder
        self._buf = pending  # bytes from start_byte on, already read from handle
        self.handover_byte = start_byte
        self._eof = False

    def _read_more(self, want: int) -> bool:
        """Grow the buffer to ``want`` bytes; False when the file ended (or broke) first."""
        parts = [self._buf]
        size = len(self._buf)
        while size < want and not self._eof:
            try:
                raw = self._handle.read(CHUNK_BYTES)
            except GZIP_ERRORS:
                raw = b""  # the general reader meets the damage again and reports it
            if not raw:
                self._eof = True
                break
            parts.append(raw)
            size += len(raw)
        self._buf = b"".join(parts)
        return size >= want

    def __iter__(self) -> Iterator[list[Any]]:
        decode = self._decoder.decode
        while True:
            self._read_more(2 * CHUNK_BYTES)
            buf = self._buf
            cut = buf.rfind(MARKER, 0, CHUNK_BYTES)
            while cut < 0 and not self._eof and len(buf) < _MAX_BUFFER:
                cut = buf.find(MARKER, CHUNK_BYTES)  # one huge comment: look further
                if cut < 0:
                    self._read_more(len(buf) * 2)
                    buf = self._buf
            if cut < 0:
                return  # the end of the array (or no markers at all): hand over
            try:
                items = decode(b"[" + buf[: cut + 2] + b"]")
            except (msgspec.MsgspecError, ValueError):  # ValueError: msgspec reports bad UTF-8 as UnicodeDecodeError
                return
            yield items
            self._buf = buf[cut + 3 :]
            self.handover_byte += cut + 3
