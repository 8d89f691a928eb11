"""The reviewer's HTTP server: range requests, JSON API, saving, refusal of traversal and strangers."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.review import ReviewServer, serve
from dougchat_assets.review.curve import map_chat_to_audio
from dougchat_assets.review.data import WarehouseBusy, read_only
from dougchat_assets.align.override import override_path
from dougchat_assets.review.server import parse_range
from dougchat_assets_tests.review.conftest import START_MS, ReviewWarehouse


@pytest.fixture
def server(warehouse: ReviewWarehouse) -> Iterator[ReviewServer]:
    running = serve(warehouse.layout, None).start()
    yield running
    running.shutdown()


def request(server: ReviewServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    con = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        # skip_host lets a test send a foreign Host header; otherwise send the usual one
        con.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        all_headers = {"Host": f"127.0.0.1:{server.port}"} | (headers or {})
        if body is not None:
            all_headers.setdefault("Content-Length", str(len(body)))
        for name, value in all_headers.items():
            con.putheader(name, value)
        con.endheaders(body)
        response = con.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        con.close()


def get_json(server: ReviewServer, path: str) -> object:
    status, _, body = request(server, "GET", path)
    assert status == 200, body
    return json.loads(body)


# -- audio ranges -----------------------------------------------------------------------------

def test_range_request_returns_exact_bytes(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    audio = warehouse.layout.audio_path(warehouse.vod_id).read_bytes()
    status, headers, body = request(server, "GET", "/audio/demo_01.flac", headers={"Range": "bytes=100-199"})
    assert status == 206
    assert body == audio[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(audio)}"
    assert headers["content-length"] == "100" and headers["content-type"] == "audio/flac"
    assert headers["accept-ranges"] == "bytes"


def test_open_ended_suffix_and_whole_file(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    audio = warehouse.layout.audio_path(warehouse.vod_id).read_bytes()
    size = len(audio)
    status, headers, body = request(server, "GET", "/audio/demo_01.flac", headers={"Range": f"bytes={size - 1000}-"})
    assert (status, body, headers["content-range"]) == (206, audio[-1000:], f"bytes {size - 1000}-{size - 1}/{size}")
    status, headers, body = request(server, "GET", "/audio/demo_01.flac", headers={"Range": "bytes=-10"})
    assert (status, body) == (206, audio[-10:])
    status, headers, body = request(server, "GET", "/audio/demo_01.flac", headers={"Range": f"bytes=0-{size * 2}"})
    assert (status, body, headers["content-range"]) == (206, audio, f"bytes 0-{size - 1}/{size}")
    status, headers, body = request(server, "GET", "/audio/demo_01.flac")
    assert (status, body, headers["accept-ranges"]) == (200, audio, "bytes")
    status, headers, body = request(server, "HEAD", "/audio/demo_01.flac", headers={"Range": "bytes=0-9"})
    assert (status, body, headers["content-length"]) == (206, b"", "10")


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=200-100", "bytes=abc", "bytes=-0", "bytes=-"])
def test_unsatisfiable_or_malformed_range_is_416(server: ReviewServer, warehouse: ReviewWarehouse,
                                                 header: str) -> None:
    size = warehouse.layout.audio_path(warehouse.vod_id).stat().st_size
    status, headers, _ = request(server, "GET", "/audio/demo_01.flac", headers={"Range": header})
    assert status == 416
    assert headers["content-range"] == f"bytes */{size}"


def test_if_range_with_a_stale_validator_sends_the_whole_file(server: ReviewServer) -> None:
    _, headers, _ = request(server, "HEAD", "/audio/demo_01.flac")
    fresh = {"Range": "bytes=0-9", "If-Range": headers["etag"]}
    status, _, _ = request(server, "GET", "/audio/demo_01.flac", headers=fresh)
    assert status == 206
    status, _, _ = request(server, "GET", "/audio/demo_01.flac", headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert status == 200


def test_parse_range_ignores_other_units_and_multiple_ranges() -> None:
    assert parse_range("items=0-1", 100) is None
    assert parse_range("bytes=0-1, 5-6", 100) is None
    assert parse_range(" bytes = 5-", 100) == (5, 99)


# -- JSON API ---------------------------------------------------------------------------------

def test_vod_list_and_detail(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    listing = get_json(server, "/api/vods")
    assert [v["vod_id"] for v in listing["vods"]] == ["demo_01", "demo_02"]
    assert listing["default_vod"] == "demo_01"
    first = listing["vods"][0]
    assert (first["n_knots"], first["has_audio"], first["has_override"]) == (3, True, False)
    detail = get_json(server, "/api/vods/demo_01")
    assert detail["estimate"]["source"] == "estimate"
    assert detail["estimate"]["confidence"] == pytest.approx(0.8)
    assert [(k["chat_utc_ms"], k["audio_s"]) for k in detail["estimate"]["knots"]] == [
        (k.chat_utc_ms, k.audio_s) for k in warehouse.knots
    ]
    assert detail["override"] is None and detail["audio_url"] == "/audio/demo_01.flac"
    assert detail["chat"] == {"first_ms": warehouse.chat_ms[0], "last_ms": warehouse.chat_ms[-1], "count": 300}
    other = get_json(server, "/api/vods/demo_02")
    assert other["estimate"] == {"source": "default", "method": None, "confidence": None,
                                 "knots": [{"chat_utc_ms": START_MS + 3_600_000, "audio_s": 0.0}]}
    assert other["audio_url"] is None
    status, _, _ = request(server, "GET", "/api/vods/nope")
    assert status == 404


def test_chat_window_is_ordered_bounded_and_mapped(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    around = warehouse.chat_ms[100]
    data = get_json(server, f"/api/vods/demo_01/chat?around_ms={around}&before=5&after=7")
    times = [m["chat_utc_ms"] for m in data["messages"]]
    assert times == list(warehouse.chat_ms[95:107])
    assert data["has_more_before"] and data["has_more_after"]
    expected = map_chat_to_audio(warehouse.knots, times)
    assert [m["audio_s"] for m in data["messages"]] == pytest.approx(list(expected), abs=1e-6)
    assert {m["user"] for m in data["messages"]} <= {f"Viewer{i}" for i in range(17)}
    edge = get_json(server, f"/api/vods/demo_01/chat?around_ms={warehouse.chat_ms[2]}&before=50&after=1")
    assert len(edge["messages"]) == 3 and not edge["has_more_before"]
    status, _, body = request(server, "GET", "/api/vods/demo_01/chat?around_ms=soon")
    assert status == 400 and b"around_ms" in body


# -- saving -----------------------------------------------------------------------------------

def _post(server: ReviewServer, payload: object, headers: dict[str, str] | None = None,
          path: str = "/api/vods/demo_01/override") -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    return request(server, "POST", path, body, {"Content-Type": "application/json"} | (headers or {}))


def test_save_writes_the_override_and_the_page_then_starts_from_it(server: ReviewServer,
                                                                   warehouse: ReviewWarehouse) -> None:
    knots = [{"chat_utc_ms": k.chat_utc_ms, "audio_s": k.audio_s + 0.5} for k in warehouse.knots]
    flags = [{"chat_utc_ms_start": START_MS + 1_000, "chat_utc_ms_end": START_MS + 3_000, "note": "early?"}]
    status, _, body = _post(server, {"reviewer": "ann", "note": "shifted", "knots": knots, "flags": flags},
                            {"Origin": f"http://127.0.0.1:{server.port}"})
    assert status == 200, body
    saved = json.loads(body)
    assert saved["path"] == "overrides/demo_01.toml"
    on_disk = tomllib.loads(override_path(warehouse.layout.overrides_dir, "demo_01").read_text())
    assert on_disk["knots"] == knots and on_disk["flags"] == flags
    assert (on_disk["vod_id"], on_disk["reviewer"], on_disk["note"]) == ("demo_01", "ann", "shifted")
    assert on_disk["saved_at"] == saved["saved_at"] and on_disk["saved_at"].endswith("Z")

    detail = get_json(server, "/api/vods/demo_01")
    assert detail["override"]["knots"] == knots and detail["override"]["flags"] == flags
    # the chat API now maps with the override
    chat = get_json(server, f"/api/vods/demo_01/chat?around_ms={START_MS}&before=0&after=1")
    assert chat["messages"][0]["audio_s"] == pytest.approx(warehouse.knots[0].audio_s + 0.5)
    assert get_json(server, "/api/vods")["vods"][0]["has_override"] is True


def test_bad_saves_are_refused_and_write_nothing(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    good = {"knots": [{"chat_utc_ms": START_MS, "audio_s": 1.0}]}
    duplicate = {"knots": [{"chat_utc_ms": START_MS, "audio_s": 1.0}, {"chat_utc_ms": START_MS, "audio_s": 2.0}]}
    status, _, body = _post(server, duplicate)
    assert status == 400 and b"knots" in body
    status, _, _ = _post(server, good, {"Content-Type": "text/plain"})
    assert status == 415  # what a cross-site <form> could send
    status, _, _ = _post(server, good, {"Origin": "http://evil.example"})
    assert status == 403
    status, _, _ = _post(server, good, path="/api/vods/demo_99/override")
    assert status == 404
    json_type = {"Content-Type": "application/json"}
    status, _, _ = request(server, "POST", "/api/vods/demo_01/override", b"{not json", json_type)
    assert status == 400
    assert not warehouse.layout.overrides_dir.exists() or not any(warehouse.layout.overrides_dir.iterdir())


def test_invalid_override_file_is_reported_not_fatal(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    path = override_path(warehouse.layout.overrides_dir, "demo_01")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('vod_id = "demo_01"\nknots = []\n')
    detail = get_json(server, "/api/vods/demo_01")
    assert detail["override"] is None and "knots" in detail["override_error"]
    assert detail["estimate"]["source"] == "estimate"


# -- safety -----------------------------------------------------------------------------------

TRAVERSALS = [
    "/audio/..%2Fdougchat.duckdb",
    "/audio/../dougchat.duckdb",
    "/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/api/vods/..%2F..%2Fetc",
    "/api/vods/..%2Fdemo_01/chat?around_ms=0",
    "/api/vods/demo_01%2F..%2F..%2Fx/override",
    "/static/../server.py",
    "/static/..%2Fserver.py",
    "/static/%2e%2e%2fserver.py",
    "/static/__init__.py",
    "/static/",
]


def test_path_traversal_is_refused(server: ReviewServer) -> None:
    for path in TRAVERSALS:
        status, _, body = request(server, "GET", path)
        assert status in (400, 404), path
        assert b"import" not in body and b"DUCK" not in body and b"root:" not in body, path
    status, _, _ = _post(server, {"knots": [{"chat_utc_ms": START_MS, "audio_s": 1.0}]},
                         path="/api/vods/..%2F..%2Fescape/override")
    assert status == 400


def test_static_page_is_served_with_a_strict_policy(server: ReviewServer) -> None:
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and b'<script src="/static/app.js">' in body
    assert "script-src 'self'" in headers["content-security-policy"]
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, body = request(server, "GET", f"/static/{name}")
        assert status == 200 and headers["content-type"].startswith(kind) and body
    # offline: nothing on the page is fetched from elsewhere
    for name in ("/", "/static/app.js", "/static/style.css"):
        assert b"http://" not in request(server, "GET", name)[2].replace(b"http://www.w3.org/2000/svg", b"")
        assert b"https://" not in request(server, "GET", name)[2]


def test_binds_loopback_only_and_refuses_foreign_hosts(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    assert server.host == "127.0.0.1" and server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/"
    status, _, _ = request(server, "GET", "/api/vods", headers={"Host": f"attacker.example:{server.port}"})
    assert status == 421  # DNS rebinding: a foreign name resolving to 127.0.0.1 gets nothing
    assert request(server, "GET", "/api/vods", headers={"Host": f"localhost:{server.port}"})[0] == 200
    with pytest.raises(InputError, match="loopback"):
        serve(warehouse.layout, None, host="0.0.0.0")
    with pytest.raises(InputError):
        serve(warehouse.layout, "../etc")
    with pytest.raises(InputError, match="demo_99"):
        serve(warehouse.layout, "demo_99")
    preselected = serve(warehouse.layout, "demo_02")
    assert preselected.url.endswith("/?vod=demo_02")
    preselected.shutdown()  # never served: must not hang
    preselected.shutdown()


def test_read_waits_for_a_writer_to_release_the_warehouse(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    """Another process holding DuckDB's write lock delays a request; it is retried, not failed."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, time\n"
         f"con = duckdb.connect({str(warehouse.layout.duckdb_path)!r})\n"
         "print('locked', flush=True)\n"
         "time.sleep(0.8)\n"
         "con.close()\n"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(WarehouseBusy):  # a short retry budget runs out while the writer holds on
            with read_only(warehouse.layout.duckdb_path, retry_s=0.1):
                pass
        status, _, body = request(server, "GET", "/api/vods")
        assert status == 200, body
        assert time.monotonic() - started > 0.3, "the request should have waited for the lock"
        assert [v["vod_id"] for v in json.loads(body)["vods"]] == ["demo_01", "demo_02"]
    finally:
        holder.wait(timeout=10)


def test_served_package_files_exist() -> None:
    static = Path(__file__).resolve().parents[2] / "dougchat_assets" / "review" / "static"
    assert sorted(p.name for p in static.iterdir()) == ["app.js", "index.html", "style.css"]


def test_run_review_serves_until_interrupted(warehouse: ReviewWarehouse) -> None:
    """What `dougchat review --vod demo_01` runs: print the URL, serve, stop cleanly on Ctrl-C."""
    code = (
        "from pathlib import Path\n"
        "from dougchat_assets.review import run_review\n"
        "from dougchat_assets.settings import WarehouseLayout\n"
        f"run_review(WarehouseLayout(root=Path({str(warehouse.layout.root)!r})), 'demo_01')\n"
    )
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)\?vod=demo_01", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        with urllib.request.urlopen(match.group(1) + "api/vods", timeout=10) as response:
            assert json.load(response)["default_vod"] == "demo_01"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
