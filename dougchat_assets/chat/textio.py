"""Reading export files: transparent gzip, UTF-8 with an optional BOM, errors with a line.

Exports arrive plain or gzipped whatever their extension says, so the gzip magic bytes
decide.  Text is decoded strictly: a UTF-16 or Latin-1 file is reported with the line where
decoding fails instead of being parsed into mojibake.  Reading is bounded (see
:class:`~dougchat_assets.chat.limits.ReaderLimits`): a line is read at most
``max_line_bytes + 1`` bytes at a time, so an endless line is refused after that much, and a
gzip stops decompressing once it passes its allowance.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, too_long
from dougchat_assets.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# What reading a damaged gzip member raises (truncated stream, bad CRC, bad deflate data).
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


class _CappedGzip(io.RawIOBase):
    """A gzip file (all its members) read as raw bytes that refuses to inflate past its allowance.

    Counting the decompressed position (not the bytes handed out) keeps the cap right when a
    reader seeks forward to resume where another left off.  Wrapped in a ``BufferedReader``
    by :func:`open_binary`, so ``readline(limit)``, iteration and ``seek`` work as on a file.
    """

    def __init__(self, path: Path, limits: ReaderLimits) -> None:
        self.path = path
        self._compressed = path.stat().st_size
        self._limits = limits
        self._allowance = limits.decompressed_allowance(self._compressed)
        self._gzip = gzip.open(path, "rb")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._gzip.readinto(buffer)
        self._pos += count
        if self._pos > self._allowance:
            raise self._refusal()
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = self._gzip.seek(offset, whence)
        if self._pos > self._allowance:
            raise self._refusal()
        return self._pos

    def close(self) -> None:
        if not self.closed:
            self._gzip.close()
        super().close()

    def _refusal(self) -> InputError:
        limits = self._limits
        return InputError(
            self.path,
            f"the gzip data decompresses to more than {self._allowance} bytes from {self._compressed} compressed "
            f"bytes (limits: {limits.max_decompressed_ratio:g}x the compressed size above "
            f"{limits.ratio_exempt_bytes} bytes, at most {limits.max_decompressed_bytes} bytes); real chat "
            "compresses 5-20x, so this looks like a gzip bomb, not a chat export",
        )


def open_binary(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing when it starts with the gzip magic.

    A gzip is capped by ``limits`` (decompressed size against compressed size); passing the
    cap raises :class:`InputError` from the read that crosses it.
    """
    if is_gzip(path):
        return io.BufferedReader(_CappedGzip(Path(path), limits), 1 << 16)  # type: ignore[return-value]
    return open(path, "rb")


def gzip_error(path: Path, error: BaseException, *, line: int | None = None, field: str | None = None) -> InputError:
    return InputError(path, f"gzip data is truncated or corrupt ({error})", line=line, field=field)


def read_head(path: Path, size: int = 1 << 16) -> bytes:
    """Up to ``size`` bytes of the (decompressed) content, tolerating a short or damaged gzip.

    Detection must work on a truncated gzip too (the parser then reports the damage with a
    position), so this decompresses with zlib and keeps whatever came out.
    """
    with open(path, "rb") as handle:
        raw = handle.read(size)
        if raw[:2] != GZIP_MAGIC:
            return raw
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = bytearray()
        try:
            while raw and len(out) < size:
                out += inflater.decompress(raw, size - len(out))
                raw = inflater.unconsumed_tail or handle.read(1 << 16)
                if inflater.eof:
                    break
        except zlib.error:
            pass
        return bytes(out)


def encoding_problem(head: bytes) -> str | None:
    """Why ``head`` (the first bytes of a file) is not UTF-8 text, if it plainly is not."""
    if head.startswith(_UTF16_BOMS) or head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return "the file is UTF-16/UTF-32 encoded; save it as UTF-8"
    sample = head[:4096]
    if sample and b"\x00" in sample:
        nuls = sample.count(0)
        if nuls * 10 >= len(sample) * 9:
            # A preallocated download that never got its data, a zeroed disk block: no text
            # encoding is all NULs, so saying "UTF-16" would send the user the wrong way.
            what = "only NUL bytes" if nuls == len(sample) else "almost only NUL bytes"
            return f"the file holds {what} (zeroed or empty binary data, e.g. an interrupted download), not a chat export"
        # UTF-16 without a BOM puts a NUL beside every ASCII character (in every other byte)
        # while the bytes between stay non-NUL; anything else with NULs is binary.
        for width in (2, 4):
            lanes = [sample[i::width] for i in range(width)]
            for text_lane in (0, width - 1):  # little- or big-endian: the character byte first or last
                text_ok = lanes[text_lane].count(0) * 10 <= len(lanes[text_lane])
                if text_ok and all(lane.count(0) * 3 >= len(lane) * 2 for i, lane in enumerate(lanes) if i != text_lane):
                    return f"the file looks UTF-{8 * width} encoded (no BOM); save it as UTF-8"
        return "binary data, not a text or JSON chat export"
    return None


def iter_text_lines(path: Path, limits: ReaderLimits = DEFAULT_LIMITS) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` (1-based, without the line ending) from a UTF-8 text file.

    Lines split on ``\\n`` only: chat text may contain U+2028 or a lone ``\\r``, which must not
    start a new line.  Raises :class:`InputError` naming the line that is not UTF-8, or that is
    longer than ``limits.max_line_bytes`` (read no further than one byte past the cap).
    """
    cap = limits.max_line_bytes
    with open_binary(path, limits) as handle:
        readline = handle.readline
        number = 0
        while True:
            try:
                raw = readline(cap + 1)
            except GZIP_ERRORS as error:
                raise gzip_error(path, error, line=number + 1) from error
            if not raw:
                return
            number += 1
            cut = len(raw) > cap and raw[-1] != 0x0A  # the line goes on past the cap
            if number == 1:
                if raw.startswith(UTF8_BOM):
                    raw = raw[3:]
                else:
                    problem = encoding_problem(raw)
                    if problem is not None:
                        raise InputError(path, problem, line=1)
            if cut:
                raise InputError(path, too_long("the line", cap), line=number)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(
                    path, f"not UTF-8 text (byte 0x{raw[error.start]:02X} at column {error.start + 1}); save the file as UTF-8", line=number
                ) from error
            if text.endswith("\n"):
                text = text[:-2] if text.endswith("\r\n") else text[:-1]
            yield number, text
