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

Pieces are never longer than ``max_item_bytes`` (the reader limits' line cap), so every comment
this path decodes is within the cap that the general reader enforces; a comment that may be
longer is left to the general reader, which refuses it.  So the rows, and which files are
refused, never depend on the path taken, and the buffer stays within about two pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from dougchat_assets.chat.textio import GZIP_ERRORS

MARKER = b'}},{"_id":"'
CHUNK_BYTES = 1 << 20  # aim for pieces of about 1 MiB (about 2,000 comments)


class BulkArrayReader:
    """Yields lists of decoded items from the array starting at ``start_byte`` (just after its ``[``).

    After iteration, :attr:`handover_byte` is the byte offset (of the decompressed file) of
    the first item not yielded, or None when ``handle`` could not be read there.
    """

    def __init__(
        self, path: Path, handle: BinaryIO, start_byte: int, pending: bytes, decoder: msgspec.json.Decoder, max_item_bytes: int
    ) -> None:
        self.path = path
        self._handle = handle
        self._decoder = decoder
        self._max_item = max_item_bytes
        self._piece = min(CHUNK_BYTES, max_item_bytes)  # a piece (hence every comment in it) fits the cap
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
        piece, max_item = self._piece, self._max_item
        while True:
            self._read_more(2 * CHUNK_BYTES)
            buf = self._buf
            cut = buf.rfind(MARKER, 0, piece)
            if cut < 0 and max_item > piece:
                # One long comment: look further, but only as far as a comment within the cap
                # can reach (its end marker starts by byte max_item - 2).
                limit = max_item + len(MARKER)
                while True:
                    cut = buf.find(MARKER, max(0, piece - len(MARKER) + 1), limit)
                    if cut >= 0 or self._eof or len(buf) >= limit:
                        break
                    self._read_more(min(len(buf) * 2, limit))
                    buf = self._buf
            if cut < 0 or cut + 2 > max_item:
                return  # the end of the array, no markers, or a comment that may pass the cap: hand over
            try:
                items = decode(b"[" + buf[: cut + 2] + b"]")
            except (msgspec.MsgspecError, ValueError):  # ValueError: msgspec reports bad UTF-8 as UnicodeDecodeError
                return
            yield items
            self._buf = buf[cut + 3 :]
            self.handover_byte += cut + 3
