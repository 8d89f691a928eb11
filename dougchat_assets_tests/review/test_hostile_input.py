"""Hostile input to the reviewer: malformed JSON, huge bodies, out-of-range values, odd --host values.

Every refusal is a 4xx naming what is wrong (never a 500), nothing is written, and the server
keeps serving afterwards.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.review import ReviewServer, serve
from dougchat_assets_tests.review.conftest import START_MS, ReviewWarehouse
from dougchat_assets_tests.review.test_server import request

SAVE = "/api/vods/demo_01/override"
JSON_TYPE = {"Content-Type": "application/json"}
GOOD_KNOTS = [{"chat_utc_ms": START_MS, "audio_s": 1.0}, {"chat_utc_ms": START_MS + 10_000, "audio_s": 11.0}]


@pytest.fixture
def server(warehouse: ReviewWarehouse) -> Iterator[ReviewServer]:
    running = serve(warehouse.layout, None).start()
    yield running
    running.shutdown()


def _nothing_saved(warehouse: ReviewWarehouse) -> bool:
    folder = warehouse.layout.overrides_dir
    return not folder.exists() or not any(folder.iterdir())


def _still_serving(server: ReviewServer) -> bool:
    return request(server, "GET", "/api/vods")[0] == 200


# -- malformed JSON ---------------------------------------------------------------------------

MALFORMED = {
    "lone surrogate in a string": b'{"note": "\\ud800", "knots": ' + json.dumps(GOOD_KNOTS).encode() + b"}",
    "lone surrogate as a key": b'{"\\udfff": 1}',
    "100k nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "100k nested arrays inside a field": b'{"note": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "NaN constant": b'{"knots": [{"chat_utc_ms": ' + str(START_MS).encode() + b', "audio_s": NaN}]}',
    "Infinity constant": b'{"knots": [{"chat_utc_ms": ' + str(START_MS).encode() + b', "audio_s": -Infinity}]}',
    "a 5000-digit integer": b'{"knots": [{"chat_utc_ms": ' + b"9" * 5000 + b', "audio_s": 1}]}',
    "an integer too large for a float": (
        b'{"knots": [{"chat_utc_ms": ' + str(START_MS).encode() + b', "audio_s": 1' + b"0" * 400 + b"}]}"
    ),
    "invalid UTF-8": b'{"note": "\xff\xfe"}',
    "not an object": b"[1, 2, 3]",
    "truncated": b'{"knots": [',
    "empty body": b"",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_json_is_400_not_500(server: ReviewServer, warehouse: ReviewWarehouse, body: bytes) -> None:
    status, headers, answer = request(server, "POST", SAVE, body, JSON_TYPE)
    assert status == 400, answer[:300]
    assert headers["content-type"].startswith("application/json")
    assert "error" in json.loads(answer)
    assert _nothing_saved(warehouse)
    assert _still_serving(server)


def test_body_over_the_limit_is_413_and_the_connection_is_closed(server: ReviewServer,
                                                                 warehouse: ReviewWarehouse) -> None:
    """The unread rest of a refused body must never be parsed as the next request."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        head = (f"POST {SAVE} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {64 * 1024 * 1024}\r\n\r\n").encode()
        sock.sendall(head + b'{"knots": [' + b" " * 10_000)
        received = b""
        while chunk := sock.recv(65536):  # EOF: the server closed the connection
            received += chunk
    assert received.startswith(b"HTTP/1.1 413"), received[:200]
    assert received.count(b"HTTP/1.1") == 1  # no second answer to the body's bytes
    assert _nothing_saved(warehouse)
    assert _still_serving(server)


@pytest.mark.parametrize("length", ["-1", "abc", "1e3"])
def test_bad_content_length_is_refused(server: ReviewServer, length: str) -> None:
    status, _, _ = request(server, "POST", SAVE, b"{}", JSON_TYPE | {"Content-Length": length})
    assert status in (400, 411)


# -- out-of-range values ----------------------------------------------------------------------

OUT_OF_RANGE = {
    "audio_s 1e308": ({"knots": [{"chat_utc_ms": START_MS, "audio_s": 1e308}]}, "knots[0].audio_s"),
    "audio_s a day past a 20 s audio": (
        {"knots": [{"chat_utc_ms": START_MS, "audio_s": 1.0}, {"chat_utc_ms": START_MS + 10_000, "audio_s": 86_400.0}]},
        "knots[1].audio_s",
    ),
    "audio_s far before the audio": ({"knots": [{"chat_utc_ms": START_MS, "audio_s": -5_000.0}]}, "knots[0].audio_s"),
    "chat time in 2060": ({"knots": [{"chat_utc_ms": 2_840_000_000_000, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
    "chat time a day after the VOD": (
        {"knots": [{"chat_utc_ms": START_MS + 86_400_000, "audio_s": 1.0}]}, "knots[0].chat_utc_ms"),
    "knots out of order": (
        {"knots": [{"chat_utc_ms": START_MS + 5_000, "audio_s": 5.0}, {"chat_utc_ms": START_MS, "audio_s": 1.0}]},
        "knots[1].chat_utc_ms",
    ),
    "too many knots": (
        {"knots": [{"chat_utc_ms": START_MS + i, "audio_s": 1.0} for i in range(10_001)]}, "knots"),
    "flag that ends before it starts": (
        {"knots": GOOD_KNOTS, "flags": [{"chat_utc_ms_start": START_MS + 2_000, "chat_utc_ms_end": START_MS}]},
        "flags[0].chat_utc_ms_end",
    ),
    "empty flag": (
        {"knots": GOOD_KNOTS, "flags": [{"chat_utc_ms_start": START_MS, "chat_utc_ms_end": START_MS}]},
        "flags[0].chat_utc_ms_end",
    ),
    "flag a day after the VOD": (
        {"knots": GOOD_KNOTS,
         "flags": [{"chat_utc_ms_start": START_MS + 86_400_000, "chat_utc_ms_end": START_MS + 86_460_000}]},
        "flags[0].chat_utc_ms_start",
    ),
    "global offset beyond the audio": ({"global": {"offset_s": 1e300}}, "global.offset_s"),
    "unknown key": ({"knots": GOOD_KNOTS, "knot": []}, "knot"),
}


@pytest.mark.parametrize(("payload", "field"), OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_out_of_range_saves_are_400_naming_the_field(server: ReviewServer, warehouse: ReviewWarehouse,
                                                     payload: dict, field: str) -> None:
    status, _, answer = request(server, "POST", SAVE, json.dumps(payload).encode(), JSON_TYPE)
    assert status == 400, answer[:300]
    assert f"field '{field}'" in json.loads(answer)["error"]
    assert _nothing_saved(warehouse)


def test_values_inside_the_span_are_saved(server: ReviewServer, warehouse: ReviewWarehouse) -> None:
    """The boundaries are not so tight that a real nudge is refused: the test curve shifted by -1.5 s."""
    knots = [{"chat_utc_ms": k.chat_utc_ms, "audio_s": k.audio_s - 1.5} for k in warehouse.knots]
    flags = [{"chat_utc_ms_start": START_MS - 2_000, "chat_utc_ms_end": START_MS + 22_000, "note": "all of it"}]
    status, _, answer = request(server, "POST", SAVE, json.dumps({"knots": knots, "flags": flags}).encode(), JSON_TYPE)
    assert status == 200, answer


# -- --host -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])
def test_non_loopback_hosts_are_refused_as_input_errors(warehouse: ReviewWarehouse, host: str) -> None:
    with pytest.raises(InputError, match="loopback"):
        serve(warehouse.layout, None, host=host)


def test_a_loopback_alias_answers_on_its_own_address(warehouse: ReviewWarehouse) -> None:
    """Bound to 127.0.0.2, the server answers requests addressed to 127.0.0.2 (not 421 to everything)."""
    with serve(warehouse.layout, None, host="127.0.0.2").start() as running:
        assert running.host == "127.0.0.2" and running.url.startswith("http://127.0.0.2:")
        status, _, body = request(running, "GET", "/api/vods", headers={"Host": f"127.0.0.2:{running.port}"})
        assert status == 200, body
        origin = {"Origin": f"http://127.0.0.2:{running.port}"} | JSON_TYPE
        status, _, body = request(running, "POST", SAVE, json.dumps({"knots": GOOD_KNOTS}).encode(), origin)
        assert status == 200, body
        foreign = {"Host": f"attacker.example:{running.port}"}
        assert request(running, "GET", "/api/vods", headers=foreign)[0] == 421


def test_a_port_in_use_is_an_input_error(warehouse: ReviewWarehouse) -> None:
    with serve(warehouse.layout, None) as first:
        with pytest.raises(InputError, match=str(first.port)):
            serve(warehouse.layout, None, port=first.port)


def _cli(warehouse: ReviewWarehouse, *args: str) -> subprocess.Popen[str]:
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, DOUGCHAT_WAREHOUSE=str(warehouse.layout.root))
    return subprocess.Popen([sys.executable, "-m", "dougchat_assets.cli", "review", *args], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_refuses_a_public_host_in_one_line(warehouse: ReviewWarehouse) -> None:
    """`dougchat review --host 0.0.0.0` says why in one line, no traceback."""
    proc = _cli(warehouse, "--host", "0.0.0.0", "--port", "0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "loopback" in lines[0], err


def test_cli_serves_on_a_loopback_alias(warehouse: ReviewWarehouse) -> None:
    """`dougchat review --host 127.0.0.2` serves the page at the URL it prints."""
    proc = _cli(warehouse, "--host", "127.0.0.2", "--port", "0")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.2:\d+/)", line)
        assert match, line + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        with urllib.request.urlopen(match.group(1) + "api/vods", timeout=10) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
