"""Does the VOD's media file hold the VOD's audio?  One check for ``dougchat add`` and ``vod_audio``.

A video without sound, or a 0.5 s audio file beside the chat of a 338 s VOD, used to pass
ingest and fail only at alignment with nothing pointing at the audio.  The audio may well
be *shorter* than the VOD -- a download that started late, ads trimmed out -- but not by
most of it, and not meaningfully *longer*.  The same function runs at ``add`` (on header
durations, before copying) and in ``vod_audio`` (a folder may be dropped into incoming/
by hand; there the exact decoded length is checked as well).

The tolerances are read from ``[ingest]`` of ``<warehouse>/dougchat.toml``::

    [ingest]
    min_audio_share = 0.2      # the audio covers at least 20 % of the VOD ...
    min_audio_cap_s = 60.0     # ... but is never required to be longer than 60 s
    max_excess_share = 0.05    # and is at most 5 % ...
    max_excess_s = 30.0        # ... + 30 s longer than the VOD
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.audio.probe import MediaProbe, probe_media
from dougchat_assets.chat import ExportMetadata
from dougchat_assets.errors import InputError
from dougchat_assets.ingest.vod_folder import VodFolder
from dougchat_assets.ingest.vod_json import MAX_DURATION_S, VOD_JSON
from dougchat_assets.settings import WarehouseLayout, load_settings_section

SETTINGS_SECTION = "ingest"


class AudioLengthTolerance(BaseModel):
    """How far the audio's length may stray from the VOD's duration.

    Required minimum: ``min(min_audio_share * vod, min_audio_cap_s)``.  The cap keeps a
    partial download of a long VOD (the first hour of six) acceptable while a file of a few
    seconds is still refused; the share keeps short VODs from needing a full minute.
    Allowed maximum: ``vod * (1 + max_excess_share) + max_excess_s`` (rounding, a few
    seconds of post-roll, container padding).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_audio_share: float = Field(0.2, ge=0.0, le=1.0, allow_inf_nan=False)
    min_audio_cap_s: float = Field(60.0, ge=0.0, allow_inf_nan=False)
    max_excess_share: float = Field(0.05, ge=0.0, allow_inf_nan=False)
    max_excess_s: float = Field(30.0, ge=0.0, allow_inf_nan=False)

    def shortest_s(self, vod_s: float) -> float:
        return min(self.min_audio_share * vod_s, self.min_audio_cap_s)

    def longest_s(self, vod_s: float) -> float:
        return vod_s * (1.0 + self.max_excess_share) + self.max_excess_s


def load_tolerance(layout: WarehouseLayout) -> AudioLengthTolerance:
    """``[ingest]`` of the warehouse's ``dougchat.toml`` (defaults without one); a bad value names the file and key."""
    return load_settings_section(layout, SETTINGS_SECTION, AudioLengthTolerance)  # type: ignore[return-value]


def vod_duration(vod: VodFolder, export: ExportMetadata | None) -> tuple[float | None, str]:
    """The VOD's duration (``vod.json`` wins over the export, as in ``resolve_metadata``) and where it came from.

    ``vod.json`` is range-checked when read; the export's value is checked here, since a
    chat file claiming an infinite or negative length is as wrong as a ``vod.json`` doing so.
    ``export`` is None when the caller could not read it (``vod_audio`` leaves chat errors
    to ``raw_chat``): then only ``vod.json`` counts.
    """
    if vod.vod_json.get("duration_s") is not None:
        return float(vod.vod_json["duration_s"]), f"{VOD_JSON} field 'duration_s'"
    if export is None or export.duration_s is None:
        return None, ""
    if not (math.isfinite(export.duration_s) and 0 < export.duration_s <= MAX_DURATION_S):
        raise InputError(
            vod.chat_path,
            f"the export claims a VOD duration of {export.duration_s} s (expected more than 0 s and at most "
            f"{MAX_DURATION_S / 3600:.0f} h); set duration_s in {VOD_JSON} to override it",
            field="duration",
        )
    return float(export.duration_s), f"the chat export {vod.chat_path.name}"


def check_audio_length(
    audio_path: Path,
    audio_s: float | None,
    vod_s: float | None,
    vod_source: str,
    tolerance: AudioLengthTolerance,
    *,
    measured: str = "header",
) -> None:
    """Raise :class:`InputError` naming ``audio_path`` when ``audio_s`` does not fit a VOD of ``vod_s``.

    Nothing is compared when either length is unknown (IRC logs carry no duration; some
    containers none in their headers).
    """
    if audio_s is None or vod_s is None:
        return
    how = "decoded length" if measured == "decoded" else "length in its header"
    shortest, longest = tolerance.shortest_s(vod_s), tolerance.longest_s(vod_s)
    if audio_s < shortest:
        raise InputError(
            audio_path,
            f"audio lasts {audio_s:.1f} s ({how}) but the VOD lasts {vod_s:.1f} s (from {vod_source}): "
            f"{audio_s / vod_s:.1%} of it.  A download that started late or trimmed ads explains a shorter "
            f"file, not one this short (at least {shortest:.1f} s expected: [{SETTINGS_SECTION}] min_audio_share "
            f"= {tolerance.min_audio_share:g}, min_audio_cap_s = {tolerance.min_audio_cap_s:g}).  Is this a "
            f"truncated download or another VOD's audio?",
        )
    if audio_s > longest:
        raise InputError(
            audio_path,
            f"audio lasts {audio_s:.1f} s ({how}) but the VOD lasts only {vod_s:.1f} s (from {vod_source}): "
            f"{audio_s - vod_s:.1f} s longer, more than the {longest - vod_s:.1f} s allowed ([{SETTINGS_SECTION}] "
            f"max_excess_share = {tolerance.max_excess_share:g}, max_excess_s = {tolerance.max_excess_s:g}).  "
            f"Is the VOD's duration wrong, or is this another VOD's audio?",
        )


def check_vod_media(vod: VodFolder, export: ExportMetadata | None, tolerance: AudioLengthTolerance) -> MediaProbe:
    """Probe ``vod.audio_path``: refuse a file without an audio stream or with the wrong length.

    Returns the probe; the caller that decodes checks the exact length again with
    :func:`check_audio_length` (``measured="decoded"``).
    """
    probe = probe_media(vod.audio_path)
    if not probe.has_audio:
        raise InputError(
            vod.audio_path,
            f"no audio stream in this file (streams: {probe.describe_streams()}): the VOD's sound is needed "
            f"to align its chat; download the VOD with its audio track",
        )
    vod_s, source = vod_duration(vod, export)
    check_audio_length(vod.audio_path, probe.audio_duration_s, vod_s, source, tolerance)
    return probe
