"""Timestamps and time zones, parsed fast and strictly.

A 1M-message export has 1M ``created_at`` strings; ``datetime.fromisoformat`` per row would
dominate the parse.  Nearly all of them share the shape ``YYYY-MM-DDTHH:MM:SS.fffZ`` and
consecutive messages share the same second, so :class:`IsoUtcParser` caches the epoch of each
``YYYY-MM-DDTHH:MM:SS`` prefix and only adds the milliseconds.  Anything else falls back to
``datetime.fromisoformat``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_CACHE_LIMIT = 200_000


class IsoUtcParser:
    """ISO-8601 text -> epoch milliseconds (UTC), with a per-second cache.

    Fractions beyond milliseconds are truncated (floor), never rounded, so the result does
    not depend on how many digits the exporter wrote.  ``naive_is_utc`` decides what a time
    without a zone means: UTC (TwitchDownloader writes DateTime values without a zone when
    their kind is unspecified) or an error.
    """

    def __init__(self, naive_is_utc: bool = True) -> None:
        self.naive_is_utc = naive_is_utc
        self.seconds_cache: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM:SS" -> epoch ms; hot loops read it directly

    def __call__(self, text: str) -> int:
        """Parse ``text``; raise ValueError (with the text) when it is not an ISO-8601 time."""
        # fast path: "2024-03-02T19:00:05.123Z" / "...05Z" / "...05.1234567Z"
        if len(text) >= 20 and text[-1] == "Z" and text[10] == "T" and text[19] in ".Z":
            base = self.seconds_cache.get(text[:19])
            if base is None:
                base = self._second_ms(text[:19])
            if text[19] == "Z":
                return base
            frac = text[20:-1]
            if frac.isdigit() and frac.isascii():
                return base + int((frac + "00")[:3])
        return self._slow(text)

    def _second_ms(self, prefix: str) -> int:
        if len(self.seconds_cache) >= _CACHE_LIMIT:
            self.seconds_cache.clear()
        moment = datetime.fromisoformat(prefix)  # ValueError for anything malformed
        if len(prefix) != 19 or moment.tzinfo is not None:
            raise ValueError(f"not an ISO-8601 time: {prefix!r}")
        ms = int((moment.replace(tzinfo=_UTC) - _EPOCH) / timedelta(milliseconds=1))
        self.seconds_cache[prefix] = ms
        return ms

    def _slow(self, text: str) -> int:
        if not isinstance(text, str):
            raise ValueError(f"not an ISO-8601 time: {text!r}")
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 time: {text!r}") from None
        if moment.tzinfo is None:
            if not self.naive_is_utc:
                raise ValueError(f"time {text!r} has no time zone")
            moment = moment.replace(tzinfo=_UTC)
        return (moment - _EPOCH) // timedelta(milliseconds=1)


def parse_iso_utc_ms(text: str, naive_is_utc: bool = False) -> int:
    """One-off ISO-8601 -> epoch ms (see :class:`IsoUtcParser`)."""
    return IsoUtcParser(naive_is_utc)(text)


# Windows time zone names (what Qt writes on Windows) and common abbreviations.  Windows
# names map to IANA zones, so daylight saving is applied per message; an abbreviation already
# says whether daylight saving was on, so it maps to a fixed offset.  "CST" means US Central
# (Twitch logs), "IST" is left out: India, Ireland and Israel all use it.
WINDOWS_ZONES: dict[str, str] = {
    "Coordinated Universal Time": "UTC",
    "UTC": "UTC",
    "Eastern Standard Time": "America/New_York",
    "Eastern Daylight Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Central Daylight Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Mountain Daylight Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Pacific Daylight Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Alaskan Daylight Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Atlantic Standard Time": "America/Halifax",
    "Atlantic Daylight Time": "America/Halifax",
    "E. South America Standard Time": "America/Sao_Paulo",
    "GMT Standard Time": "Europe/London",
    "GMT Daylight Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "W. Europe Daylight Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Romance Daylight Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central Europe Daylight Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "Central European Daylight Time": "Europe/Warsaw",
    "Mitteleuropäische Zeit": "Europe/Berlin",
    "Mitteleuropäische Sommerzeit": "Europe/Berlin",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Helsinki",
    "FLE Daylight Time": "Europe/Helsinki",
    "GTB Standard Time": "Europe/Bucharest",
    "GTB Daylight Time": "Europe/Bucharest",
    "Russian Standard Time": "Europe/Moscow",
    "India Standard Time": "Asia/Kolkata",
    "China Standard Time": "Asia/Shanghai",
    "Singapore Standard Time": "Asia/Singapore",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "AUS Eastern Daylight Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
    "New Zealand Daylight Time": "Pacific/Auckland",
}

ABBREVIATIONS: dict[str, float] = {  # hours east of UTC
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "JST": 9, "KST": 9,
    "AEST": 10, "AEDT": 11, "ACST": 9.5, "ACDT": 10.5, "AWST": 8, "NZST": 12, "NZDT": 13,
}

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


def resolve_timezone(name: str) -> tzinfo:
    """A zone from an IANA name, an offset (``+01:00``, ``+0100``, ``UTC-5``), a Windows name or an abbreviation.

    Raises ValueError with a hint when ``name`` is none of these.
    """
    text = name.strip()
    if not text:
        raise ValueError("empty time zone")
    if text in ABBREVIATIONS:
        return timezone(timedelta(hours=ABBREVIATIONS[text]))
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            raise ValueError(f"time zone offset out of range: {name!r}")
        return timezone(-delta if sign == "-" else delta)
    iana = WINDOWS_ZONES.get(text, text)
    if "/" in iana or iana == "UTC":
        try:
            return ZoneInfo(iana)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(
        f"unknown time zone {name!r}: use an IANA name such as 'America/New_York' or an offset such as '-05:00'"
    )
