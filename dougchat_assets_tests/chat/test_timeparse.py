"""Time parsing and time zones."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dougchat_assets.chat.timeparse import IsoUtcParser, parse_iso_utc_ms, resolve_timezone
from dougchat_assets.chat.twitchdownloader import _CANONICAL_TIME, _UTC_MS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-02T19:00:05.123Z", 1709406005123),
        ("2024-03-02T19:00:05Z", 1709406005000),
        ("2024-03-02T19:00:05.1Z", 1709406005100),
        ("2024-03-02T19:00:05.1239999Z", 1709406005123),  # truncated, not rounded
        ("2024-03-02T20:00:05.123+01:00", 1709406005123),
        ("2024-03-02T19:00:05", 1709406005000),  # no zone: UTC for exporters
    ],
)
def test_iso_forms(text, expected):
    parser = IsoUtcParser()
    assert parser(text) == expected
    assert parser(text) == expected  # cached path gives the same


def test_naive_rejected_when_asked():
    with pytest.raises(ValueError):
        parse_iso_utc_ms("2024-03-02T19:00:05", naive_is_utc=False)


@pytest.mark.parametrize("text", ["2024-02-30T00:00:00Z", "2024-03-02T19:00:60Z", "nope", "2024-03-02T19:00:05.12aZ", ""])
def test_bad_times(text):
    with pytest.raises(ValueError):
        IsoUtcParser()(text)


def test_arrow_shortcut_agrees_with_the_python_parser():
    """The batch path casts canonical strings with Arrow; it must match IsoUtcParser exactly."""
    rng = random.Random(11)
    base = datetime(2001, 1, 1, tzinfo=timezone.utc)
    texts = []
    for _ in range(3000):
        moment = base + timedelta(milliseconds=rng.randrange(0, 40 * 365 * 86_400_000))
        digits = rng.choice([0, 1, 2, 3])
        frac = f".{moment.microsecond // 1000:03d}"[: digits + 1] if digits else ""
        texts.append(moment.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z")
    array = pa.array(texts)
    assert pc.all(pc.match_substring_regex(array, _CANONICAL_TIME)).as_py()
    arrow = array.cast(_UTC_MS).view(pa.int64()).to_pylist()
    parser = IsoUtcParser()
    assert arrow == [parser(t) for t in texts]
    for odd in ["2024-03-02T19:00:05.1234Z", "2024-03-02 19:00:05Z", "2024-03-02T19:00:05+00:00", "2024-03-02T24:00:00Z"]:
        assert not pc.any(pc.match_substring_regex(pa.array([odd]), _CANONICAL_TIME)).as_py()


@pytest.mark.parametrize(
    ("name", "offset_hours_in_january"),
    [("UTC", 0), ("Europe/Berlin", 1), ("+01:00", 1), ("+0100", 1), ("UTC-5", -5), ("GMT+05:30", 5.5),
     ("EST", -5), ("CEST", 2), ("Eastern Standard Time", -5), ("W. Europe Standard Time", 1), ("Coordinated Universal Time", 0)],
)
def test_resolve_timezone(name, offset_hours_in_january):
    zone = resolve_timezone(name)
    assert datetime(2024, 1, 15, 12, tzinfo=zone).utcoffset() == timedelta(hours=offset_hours_in_january)


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "Hora estándar romance", "IST", "+25:00"])
def test_resolve_timezone_rejects(name):
    with pytest.raises(ValueError):
        resolve_timezone(name)
