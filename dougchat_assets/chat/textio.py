"""Reading export files: transparent gzip, UTF-8 with an optional BOM, errors with a line.

Exports arrive plain or gzipped whatever their extension says, so the gzip magic bytes
decide.  Text is decoded strictly: a UTF-16 or Latin-1 file is reported with the line where
decoding fails instead of being parsed into mojibake.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from dougchat_assets.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# What reading a damaged gzip member raises (truncated stream, bad CRC, bad deflate data).
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing when it starts with the gzip magic."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
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
        # UTF-16 without a BOM puts a NUL beside every ASCII character; anything else is binary.
        if sample.count(b"\x00") * 3 >= len(sample) and (sample[1::2].count(0) > len(sample) // 3 or sample[0::2].count(0) > len(sample) // 3):
            return "the file looks UTF-16 encoded (no BOM); save it as UTF-8"
        return "binary data, not a text or JSON chat export"
    return None


def iter_text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` (1-based, without the line ending) from a UTF-8 text file.

    Lines split on ``\\n`` only: chat text may contain U+2028 or a lone ``\\r``, which must not
    start a new line.  Raises :class:`InputError` naming the line that is not UTF-8.
    """
    with open_binary(path) as handle:
        lines = iter(handle)
        number = 0
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except GZIP_ERRORS as error:
                raise gzip_error(path, error, line=number + 1) from error
            number += 1
            if number == 1:
                if raw.startswith(UTF8_BOM):
                    raw = raw[3:]
                else:
                    problem = encoding_problem(raw)
                    if problem is not None:
                        raise InputError(path, problem, line=1)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(
                    path, f"not UTF-8 text (byte 0x{raw[error.start]:02X} at column {error.start + 1}); save the file as UTF-8", line=number
                ) from error
            if text.endswith("\n"):
                text = text[:-2] if text.endswith("\r\n") else text[:-1]
            yield number, text
