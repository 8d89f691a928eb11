"""The reviewer's local web server: static page, JSON API, seekable audio, override saving.

Standard library only (``http.server``): the tool must start offline in a second with nothing
to install, and it serves one person on one machine.  Because it writes files and has no
login, it is kept to loopback: it refuses to bind anything but a loopback address (127.0.0.0/8,
::1, ``localhost``), with one line saying so and how to forward the port instead (there is
deliberately no opt-in for a public address); it answers only requests whose ``Host`` names
the address it is bound to or loopback by name (so a web page cannot reach it through DNS
rebinding); and it accepts saves only as same-origin JSON (a cross-site form cannot post
``application/json``).

Saves are hostile input until validated: a body over :data:`MAX_BODY_BYTES` is 413 and the
connection is closed (its unread rest must not be parsed as a request); anything that is not
plain JSON (invalid UTF-8, a lone surrogate, ``NaN``, nesting deep enough to exhaust the
parser's recursion, integers past Python's digit limit) is 400; the override is then checked by
the one override module (:mod:`dougchat_assets.align.override`) against this VOD's span and
audio, and any bad field is 400 naming it.  Nothing is written unless all of that passes.

Routes::

    GET  /                           index.html (?vod=ID preselects a VOD)
    GET  /static/{app.js,style.css}
    GET  /audio/<vod_id>.flac        the VOD audio, with HTTP Range (206) so the player can seek
    GET  /api/vods                   VOD picker entries + default VOD + default reviewer
    GET  /api/vods/<id>              metadata, estimated curve, override (if any), chat extent
    GET  /api/vods/<id>/chat?around_ms=T&before=N&after=N   a window of chat, mapped to audio time
    POST /api/vods/<id>/override     {reviewer, note, knots or global, flags} -> warehouse/overrides/<id>.toml
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import socket
import sys
import threading
import webbrowser
from datetime import datetime, timezone
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

from dougchat_assets.align.override import override_from_dict, override_path, write_override
from dougchat_assets.errors import InputError
from dougchat_assets.review.data import WarehouseBusy, chat_window, list_vods, load_vod, override_json
from dougchat_assets.settings import WarehouseLayout, validate_vod_id

log = logging.getLogger(__name__)

STATIC_FILES: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_WINDOW = 300
_CHUNK = 64 * 1024
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; media-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_RANGE_RE = re.compile(r"^(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    """A Range header we will not serve (beyond the end, empty or malformed): answer 416."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive ``(start, end)`` byte range from a ``Range`` header, or ``None`` for the whole file.

    ``None`` also for what RFC 9110 lets a server ignore: another unit, or several ranges
    (media players ask for one; the full 200 answer is always correct).  Malformed byte
    ranges and ranges starting past the end raise :class:`RangeNotSatisfiable`.
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes":
        return None
    spec = spec.strip()
    if "," in spec:
        return None
    match = _RANGE_RE.fullmatch(spec)
    if not match or match.group(0) == "-" or size <= 0:
        raise RangeNotSatisfiable(header)
    first, last = match.groups()
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(header)
    return start, min(end, size - 1)


def default_reviewer() -> str:
    """Who is reviewing, for the override file's ``reviewer`` (editable on the page)."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or "local"


def utc_now_iso() -> str:
    """Seconds-precision UTC timestamp with a ``Z``, the format of ``saved_at``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_error(host: str, port: int, message: str) -> InputError:
    """One line for the CLI (``error: ...``), no traceback."""
    return InputError(f"review --host {host} --port {port}", message, field=None)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection must not hold up shutdown
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], layout: WarehouseLayout, vod_id: str | None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.layout = layout
        self.default_vod = vod_id
        bound, port = str(self.server_address[0]), self.server_address[1]
        names = {"127.0.0.1", "localhost", "[::1]", f"[{bound}]" if ":" in bound else bound}
        self.allowed_hosts = {f"{name}:{port}".lower() for name in names}
        self.allowed_origins = {f"http://{host}" for host in self.allowed_hosts}

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser closing a keep-alive or media connection is routine, not a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        log.exception("review server: error serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the audio element issues many range requests
    server_version = "dougchat-review"
    timeout = 60
    server: _Server

    # -- plumbing -------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s %s", self.address_string(), format % args)

    def _common_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")

    def _send_bytes(self, status: HTTPStatus, body: bytes, content_type: str, *, head: bool = False,
                    headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self._common_headers()
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_json(self, payload: Any, status: HTTPStatus = HTTPStatus.OK, *, head: bool = False,
                   headers: dict[str, str] | None = None) -> None:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        try:
            body = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from the warehouse: \u escapes are still valid JSON
            body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        self._send_bytes(status, body, "application/json; charset=utf-8", head=head, headers=headers)

    def _check_host(self) -> None:
        host = self.headers.get("Host")
        if host is not None and host.lower() not in self.server.allowed_hosts:
            allowed = ", ".join(sorted(self.server.allowed_hosts))
            raise _HttpError(HTTPStatus.MISDIRECTED_REQUEST, f"this server answers only to {allowed}")

    def _handle(self, method: str) -> None:
        head = method == "HEAD"
        # Until a POST's body is read, an error answer must close the connection: the unread
        # bytes would otherwise be parsed as the next request on this keep-alive connection.
        self._body_pending = method == "POST"
        try:
            self._check_host()
            url = urlsplit(self.path)
            # Split first, then decode each segment: an encoded "%2F" must not create a new one.
            parts = [unquote(part) for part in url.path.split("/")[1:]]
            query = parse_qs(url.query, keep_blank_values=True)
            if method == "POST":
                self._post(parts)
            else:
                self._get(parts, query, head=head)
        except _HttpError as error:
            self._send_json({"error": error.message}, error.status, head=head, headers=self._closing(error.headers))
        except InputError as error:
            self._send_json({"error": str(error)}, HTTPStatus.BAD_REQUEST, head=head, headers=self._closing())
        except WarehouseBusy as error:
            busy = HTTPStatus.SERVICE_UNAVAILABLE
            self._send_json({"error": str(error)}, busy, head=head, headers=self._closing({"Retry-After": "1"}))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the player dropped a range request mid-way: routine
        except Exception:  # one bad request must not kill the server; say so and log it
            log.exception("review server error on %s %s", method, self.path)
            message = {"error": "internal error (see the server log)"}
            self._send_json(message, HTTPStatus.INTERNAL_SERVER_ERROR, head=head)

    def _closing(self, headers: dict[str, str] | None = None) -> dict[str, str]:
        """Add ``Connection: close`` (which also ends the keep-alive loop) while a body is unread."""
        return (headers or {}) | ({"Connection": "close"} if self._body_pending else {})

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    # -- routes ---------------------------------------------------------------------------
    def _get(self, parts: list[str], query: dict[str, list[str]], *, head: bool) -> None:
        layout = self.server.layout
        if parts in ([""], ["index.html"]):
            return self._static("index.html", head=head)
        if len(parts) == 2 and parts[0] == "static":
            return self._static(parts[1], head=head)
        if len(parts) == 2 and parts[0] == "audio":
            name = parts[1]
            vod_id = validate_vod_id(name.removesuffix(".flac"), source=self.path)
            return self._audio(layout.audio_path(vod_id), head=head)
        if parts == ["api", "vods"]:
            vods = list_vods(layout)
            ids = [v.vod_id for v in vods]
            default = self.server.default_vod if self.server.default_vod in ids else (ids[0] if ids else None)
            return self._send_json(
                {"vods": [v.to_json() for v in vods], "default_vod": default, "reviewer": default_reviewer()}, head=head
            )
        if len(parts) >= 3 and parts[:2] == ["api", "vods"]:
            vod_id = validate_vod_id(parts[2], source=self.path)
            if len(parts) == 3:
                return self._send_json(self._vod_payload(vod_id), head=head)
            if parts[3:] == ["chat"]:
                return self._send_json(self._chat_payload(vod_id, query), head=head)
        raise _HttpError(HTTPStatus.NOT_FOUND, f"no such page: {self.path}")

    def _static(self, name: str, *, head: bool) -> None:
        if name not in STATIC_FILES:  # an allow-list, so no path of ours can be walked out of
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no such file: {name}")
        body = resources.files("dougchat_assets.review").joinpath("static", name).read_bytes()
        headers = {"Content-Security-Policy": _CSP} if name.endswith(".html") else {}
        self._send_bytes(HTTPStatus.OK, body, STATIC_FILES[name], head=head, headers=headers)

    def _vod_payload(self, vod_id: str) -> dict[str, Any]:
        detail = load_vod(self.server.layout, vod_id)
        if detail is None:
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no VOD {vod_id!r} in {self.server.layout.duckdb_path}")
        return {
            "vod": detail.summary.to_json(),
            "estimate": detail.estimate.to_json() if detail.estimate else None,
            "override": override_json(detail.override, detail.override_knots) if detail.override else None,
            "override_error": detail.override_error,
            "override_path": self._relative(override_path(self.server.layout.overrides_dir, vod_id)),
            "chat": {"first_ms": detail.chat_first_ms, "last_ms": detail.chat_last_ms, "count": detail.chat_count},
            "audio_url": f"/audio/{vod_id}.flac" if detail.summary.has_audio else None,
        }

    def _chat_payload(self, vod_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
        def integer(name: str, default: int | None) -> int:
            values = query.get(name)
            if not values:
                if default is None:
                    raise InputError(self.path, "missing query parameter", field=name)
                return default
            try:
                return int(values[0])
            except ValueError:
                raise InputError(self.path, f"expected an integer, got {values[0]!r}", field=name) from None

        around = integer("around_ms", None)
        before, after = integer("before", DEFAULT_WINDOW), integer("after", DEFAULT_WINDOW)
        detail = load_vod(self.server.layout, vod_id)
        if detail is None:
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no VOD {vod_id!r}")
        return chat_window(self.server.layout, vod_id, around, before, after, detail.active_curve)

    def _audio(self, path: Path, *, head: bool) -> None:
        try:
            handle: IO[bytes] = open(path, "rb")
        except FileNotFoundError:
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no audio file {path.name}") from None
        with handle:
            stat = os.fstat(handle.fileno())
            size = stat.st_size
            etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
            last_modified = formatdate(stat.st_mtime, usegmt=True)
            range_header = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if if_range is not None and if_range.strip() not in (etag, last_modified):
                range_header = None  # the file changed since the player's first request: send it whole
            try:
                byte_range = parse_range(range_header, size)
            except RangeNotSatisfiable:
                raise _HttpError(
                    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    f"range {range_header!r} not satisfiable for {size} bytes",
                    {"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
                ) from None
            start, end = byte_range if byte_range else (0, size - 1)
            length = end - start + 1 if size else 0
            self.send_response(HTTPStatus.PARTIAL_CONTENT if byte_range else HTTPStatus.OK)
            self._common_headers()
            self.send_header("Content-Type", "audio/flac")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            if byte_range:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if head:
                return
            handle.seek(start)
            remaining = length
            while remaining > 0:  # streamed: a 6-hour file never sits in memory
                chunk = handle.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.server.layout.root))

    def _read_json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or a 4xx; every non-JSON oddity is a 400, never a 500."""
        if self.headers.get("Transfer-Encoding"):
            raise _HttpError(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked")
        raw_length = self.headers.get("Content-Length", "")
        if not raw_length.strip().isdigit():
            if not raw_length:
                raise _HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length {raw_length[:40]!r} is not a byte count")
        length = int(raw_length) if len(raw_length.strip()) <= 15 else MAX_BODY_BYTES + 1
        if length > MAX_BODY_BYTES:
            raise _HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of {length} bytes is over {MAX_BODY_BYTES}")
        raw = self.rfile.read(length)
        self._body_pending = False
        try:
            # parse_constant: NaN/Infinity are not JSON; RecursionError: nesting past the parser's depth;
            # ValueError also covers bad UTF-8 and integers past Python's digit limit.
            payload = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except RecursionError:
            raise InputError(self.path, "body is not acceptable JSON: nested too deeply") from None
        except ValueError as error:
            raise InputError(self.path, f"body is not JSON: {str(error)[:200]}") from None
        if not isinstance(payload, dict):
            raise InputError(self.path, "body must be a JSON object")
        return payload

    def _post(self, parts: list[str]) -> None:
        if not (len(parts) == 4 and parts[:2] == ["api", "vods"] and parts[3] == "override"):
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {self.path}")
        vod_id = validate_vod_id(parts[2], source=self.path)
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in self.server.allowed_origins:
            raise _HttpError(HTTPStatus.FORBIDDEN, f"cross-origin save refused (Origin {origin[:100]})")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the override as application/json")
        payload = self._read_json_body()
        # The VOD's facts bound the override; a busy warehouse is a 503 the page retries, since an
        # override that cannot be range-checked is not saved.
        detail = load_vod(self.server.layout, vod_id)
        if detail is None:
            raise _HttpError(HTTPStatus.NOT_FOUND, f"no VOD {vod_id!r}")
        data = dict(payload) | {"saved_at": utc_now_iso()}
        data.setdefault("vod_id", vod_id)
        if data.get("reviewer") in (None, ""):
            data["reviewer"] = "local"
        source = f"POST {self.path}"
        override = override_from_dict(data, source, vod_id=vod_id, bounds=detail.bounds)
        knots = tuple(override.to_knots(detail.summary.started_at_utc_ms, detail.summary.audio_duration_s))
        path = write_override(override_path(self.server.layout.overrides_dir, vod_id), override, bounds=detail.bounds)
        log.info("saved override %s", path)
        self._send_json(
            {"path": self._relative(path), "saved_at": override.saved_at, "override": override_json(override, knots)}
        )


class ReviewServer:
    """A running (or ready) reviewer: ``url``, ``serve_forever()``, ``start()``, ``shutdown()``."""

    def __init__(self, layout: WarehouseLayout, vod_id: str | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        if not _is_loopback(host):
            raise _host_error(
                host, port,
                "the reviewer saves files and has no login, so it listens on loopback only (127.0.0.1, ::1, "
                f"localhost or another 127.x address); to review from another machine, forward the port: "
                f"ssh -L {port or 8765}:127.0.0.1:{port or 8765} <this machine>",
            )
        if vod_id is not None:
            validate_vod_id(vod_id)
        self.layout = layout
        self.vod_id = vod_id
        try:
            self._httpd = _Server((host.strip("[]"), port), layout, vod_id)
        except (OSError, OverflowError) as error:  # port taken, address not on this machine, port > 65535
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise _host_error(host, port, f"cannot listen on {host}:{port}: {reason}") from None
        self._started = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/" + (f"?vod={self.vod_id}" if self.vod_id else "")

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown` (blocking)."""
        self._started.set()
        self._httpd.serve_forever(poll_interval=0.2)

    def start(self) -> ReviewServer:
        """Serve from a daemon thread and return at once (tests, embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, name="dougchat-review", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving and release the port; safe to call twice or before serving."""
        if self._closed:
            return
        self._closed = True
        if self._started.is_set():
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReviewServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def serve(layout: WarehouseLayout, vod_id: str | None, host: str = "127.0.0.1", port: int = 0) -> ReviewServer:
    """Bind the reviewer (port 0: a free port) without serving yet; an unknown ``vod_id`` is an error.

    The check is skipped while a writer holds the warehouse: the page retries on its own.
    """
    if vod_id is not None:
        validate_vod_id(vod_id)
        try:
            known = {v.vod_id for v in list_vods(layout)}
        except WarehouseBusy:
            known = None
        if known is not None and vod_id not in known:
            raise InputError(layout.duckdb_path, f"no VOD {vod_id!r} in the warehouse", field="vod_id")
    return ReviewServer(layout, vod_id, host, port)


def run_review(layout: WarehouseLayout, vod_id: str | None = None, host: str = "127.0.0.1", port: int = 0, *,
               open_browser: bool = False, out: IO[str] | None = None) -> None:
    """The CLI's ``dougchat review``: serve until Ctrl-C, printing the URL to open."""
    server = serve(layout, vod_id, host, port)
    stream = out or sys.stdout
    print(f"dougchat review: {server.url}  (Ctrl-C to stop)", file=stream, flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
