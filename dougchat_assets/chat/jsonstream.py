"""Stream the items of a JSON array (or the members of an object) from a huge file.

A TwitchDownloader export is one JSON object of up to a few GB, so it cannot be loaded
whole.  This reader keeps a sliding window of decoded text and decodes one value at a time
with the C scanner of the standard ``json`` module.  Measured on this machine that decodes
comments about 1.4x faster than ``ijson``'s yajl2_c ``items()`` while holding only the
window (about 1 MB) in memory.  It accepts any JSON formatting; the faster bulk path for
minified exports (:mod:`dougchat_assets.chat.bulkjson`) hands over to it for anything else.

Errors become :class:`InputError` with the line (counted over the whole file) and the path
of the value that failed (``comments[12]``).  Array items are capped (``max_item_chars``):
an item whose text passes the cap is refused as soon as the window holds that much of it,
so a hostile 1e9-character message is never decoded.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, too_long
from dougchat_assets.chat.textio import GZIP_ERRORS, UTF8_BOM, encoding_problem, gzip_error, open_binary
from dougchat_assets.errors import InputError

_WS = re.compile(r"[ \t\r\n]*")
_CHUNK_BYTES = 1 << 20  # 1 MiB of input per read
_AHEAD = 1 << 16  # characters kept ahead of the cursor while streaming an array
_MAX_VALUE_CHARS = 1 << 26  # default cap on one decoded value; readers pass tighter ones (ReaderLimits)
_RETRY_WINDOW = 1 << 20  # a decode error this far before the end of the window is real, not a cut
_DECODER = json.JSONDecoder()
_decode_value = _DECODER.raw_decode
_scan_once = _DECODER.scan_once  # the C scanner: (value, end) or StopIteration


def count_newlines(path: Path, end_byte: int, limits: ReaderLimits = DEFAULT_LIMITS) -> int:
    """Newlines in the first ``end_byte`` bytes of the (decompressed) file."""
    count = 0
    seen = 0
    try:
        with open_binary(path, limits) as handle:
            while seen < end_byte:
                raw = handle.read(min(_CHUNK_BYTES, end_byte - seen))
                if not raw:
                    break
                count += raw.count(b"\n")
                seen += len(raw)
    except (*GZIP_ERRORS, OSError):
        pass  # a damaged gzip: the count so far is the best answer
    return count


class JsonStream:
    """A forward-only cursor over the decoded text of a (possibly gzipped) UTF-8 JSON file.

    ``start_byte`` starts the cursor that far into the (decompressed) file, at a value
    boundary found by the bulk reader; line numbers still count from the top of the file.
    ``limits`` caps the decompression of a gzip (array items are capped by the caller, see
    :meth:`iter_array`).
    """

    def __init__(self, path: Path, start_byte: int = 0, *, limits: ReaderLimits = DEFAULT_LIMITS) -> None:
        self.path = path
        self.limits = limits
        self._handle = open_binary(path, limits)
        self._start_byte = start_byte
        if start_byte:
            try:
                self._handle.seek(start_byte)
            except GZIP_ERRORS as error:
                self._handle.close()
                raise gzip_error(path, error) from error
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf = ""
        self.pos = 0
        self._bytes_read = start_byte
        self._chars_before = 0  # characters dropped from the window since start_byte
        self._first = start_byte == 0
        self.eof = False

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> JsonStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- window management -------------------------------------------------------------
    def fill(self) -> bool:
        """Append the next chunk of text to the window; False at the end of the file."""
        if self.eof:
            return False
        try:
            raw = self._handle.read(_CHUNK_BYTES)
        except GZIP_ERRORS as error:
            raise gzip_error(self.path, error, line=self.line_at(len(self.buf))) from error
        skipped = 0
        if self._first:
            self._first = False
            if raw.startswith(UTF8_BOM):
                raw, skipped = raw[3:], 3
            else:
                problem = encoding_problem(raw[:4096])
                if problem is not None:
                    raise InputError(self.path, problem, line=1)
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as error:
            line = self.line_at(len(self.buf))
            if not raw:
                raise InputError(self.path, "not UTF-8 text: the file ends inside a multi-byte character", line=line) from error
            raise InputError(
                self.path,
                f"not UTF-8 text (byte 0x{raw[error.start]:02X} at byte offset "
                f"{self._bytes_read + skipped + error.start}); save the file as UTF-8",
                line=line + raw[: error.start].count(b"\n"),
            ) from error
        self._bytes_read += len(raw) + skipped
        if not raw:
            self.eof = True
            return False
        # Drop what the cursor has passed: errors re-read the file for their line (line_at),
        # so the window only needs the text ahead, and stays small enough to sit in cache.
        self._chars_before += self.pos
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return True

    @property
    def offset(self) -> int:
        """Characters of text the cursor has passed since ``start_byte`` (sizes of items, for batching)."""
        return self._chars_before + self.pos

    def line_at(self, pos: int) -> int:
        """1-based line number of window position ``pos``.

        Only error messages need it, so lines are not counted while streaming (counting every
        window costs as much as a second pass over the text); the file is re-read instead.
        """
        lines = 1 + count_newlines(self.path, self._start_byte, self.limits)
        target = self._chars_before + pos
        seen = 0
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            with open_binary(self.path, self.limits) as handle:
                handle.seek(self._start_byte)
                first = self._start_byte == 0
                while seen < target:
                    raw = handle.read(_CHUNK_BYTES)
                    if not raw:
                        break
                    if first and raw.startswith(UTF8_BOM):
                        raw = raw[3:]
                    first = False
                    text = decoder.decode(raw)
                    take = min(len(text), target - seen)
                    lines += text.count("\n", 0, take)
                    seen += take
        except (*GZIP_ERRORS, OSError):
            pass
        return lines

    def error(self, message: str, *, pos: int | None = None, field: str | None = None) -> InputError:
        return InputError(self.path, message, line=self.line_at(self.pos if pos is None else pos), field=field)

    # -- tokens -------------------------------------------------------------------------
    def peek(self) -> str:
        """The next non-whitespace character ('' at the end of the file), not consumed."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def expect(self, chars: str, what: str, field: str | None = None) -> str:
        char = self.peek()
        if char == "" or char not in chars:
            found = "the end of the file (truncated?)" if char == "" else repr(char)
            raise self.error(f"invalid JSON: expected {what}, found {found}", field=field)
        self.pos += 1
        return char

    def value(
        self, field: str | None = None, max_chars: int = _MAX_VALUE_CHARS, what: str = "the value", setting: str | None = None
    ) -> Any:
        """Decode the next JSON value, reading more text as needed.

        A value whose text passes ``max_chars`` is refused (``what`` and the ``setting`` that
        sets the cap name it in the error) once the window holds that much of it: the window
        never grows far past the cap.
        """
        if self.peek() == "":
            raise self.error("invalid JSON: expected a value, found the end of the file (truncated?)", field=field)
        start = self.pos
        while True:
            try:
                value, end = _decode_value(self.buf, start)
            except json.JSONDecodeError as error:
                unterminated = error.msg.startswith("Unterminated string")
                cut_possible = unterminated or error.pos >= len(self.buf) - _RETRY_WINDOW
                if self.eof or not cut_possible:
                    raise self._decode_error(error, field) from None
                if (len(self.buf) if unterminated else error.pos) - start > max_chars:
                    raise self.error(too_long(what, max_chars, "characters", setting), pos=start, field=field) from None
                if not self.fill():
                    raise self._decode_error(error, field) from None
                start = self.pos  # fill() moved the window; the cursor still marks the value
                continue
            except RecursionError:
                raise self.error("invalid JSON: nested too deeply", pos=start, field=field) from None
            if end >= len(self.buf) and not self.eof and self.fill():
                start = self.pos  # a number may go on in the next chunk: decode again
                continue
            if end - start > max_chars:
                raise self.error(too_long(what, max_chars, "characters", setting), pos=start, field=field)
            self.pos = end
            return value

    def _decode_error(self, error: json.JSONDecodeError, field: str | None) -> InputError:
        if self.eof and error.pos >= len(self.buf) - _RETRY_WINDOW:
            return self.error(f"invalid JSON: the file ends inside this value (truncated?): {error.msg}", pos=error.pos, field=field)
        return self.error(f"invalid JSON: {error.msg}", pos=error.pos, field=field)

    def skip_to_end(self, field: str) -> None:
        """Check that only whitespace follows the top-level value."""
        char = self.peek()
        if char:
            raise self.error(f"invalid JSON: unexpected {char!r} after the end of the document", field=field)

    # -- structures ---------------------------------------------------------------------
    def iter_array(
        self, field: str, *, opened: bool = False, first_index: int = 0, max_item_chars: int = _MAX_VALUE_CHARS
    ) -> Iterator[Any]:
        """Yield the items of the array at the cursor.

        ``opened``: the cursor is already inside the array, at an item (the bulk reader
        hands over mid-array).  Minified JSON (item, comma, item) calls the C scanner
        directly; whitespace, a window boundary or an error take the careful path.  An item
        whose text is longer than ``max_item_chars`` is refused, whichever path read it.
        """
        if not opened:
            self.expect("[", "'['", field)
            if self.peek() == "]":
                self.pos += 1
                return
        scan = _scan_once
        index = first_index
        while True:
            if len(self.buf) - self.pos < _AHEAD and not self.eof:
                self.fill()  # keep a full item ahead so scans rarely hit the window's end
            buf, pos = self.buf, self.pos
            try:
                value, end = scan(buf, pos)
                if end >= len(buf) - 1 or end - pos > max_item_chars:
                    raise StopIteration(pos)  # too close to the window's end (or too long): let value() decide
            except (StopIteration, ValueError):
                value = self.value(f"{field}[{index}]", max_item_chars, "this item", "ReaderLimits.max_line_bytes")
                buf, end = self.buf, self.pos
            except RecursionError:
                raise self.error("invalid JSON: nested too deeply", field=f"{field}[{index}]") from None
            index += 1
            char = buf[end] if end < len(buf) else ""
            if char == ",":
                self.pos = end + 1
            elif char == "]":
                self.pos = end + 1
                yield value
                return
            else:
                self.pos = end
                if self.expect(",]", "',' or ']'", f"{field}[{index}]") == "]":
                    yield value
                    return
            yield value

    def iter_object_keys(self, field: str) -> Iterator[str]:
        """Yield the keys of the object at the cursor; the caller consumes each value."""
        self.expect("{", "'{'", field)
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise self.error("invalid JSON: expected a key string", field=field)
            key = self.value(field)
            self.expect(":", "':'", f"{field}.{key}")
            yield key
            if self.expect(",}", "',' or '}'", field) == "}":
                return
