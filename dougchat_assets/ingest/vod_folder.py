"""What a VOD folder holds, checked before anything is written.

A VOD arrives as a folder: exactly one audio/video file, exactly one chat export and an
optional ``vod.json``.  Files are classified by content (a chat export named ``.txt`` or a
video named ``.bin`` still works), and everything wrong with the folder is reported with
the file it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dougchat_assets.audio.decode import probe_has_audio
from dougchat_assets.chat import ChatFormat, ExportMetadata, detect_format
from dougchat_assets.errors import InputError
from dougchat_assets.ingest.vod_json import VOD_JSON, parse_utc_ms, read_vod_json

# vod.json's parsing and range checks live in ingest.vod_json; re-exported for existing callers.
__all__ = ["VOD_JSON", "VodFolder", "VodMetadata", "inspect_vod_folder", "parse_utc_ms", "read_vod_json", "resolve_metadata"]

_CHAT_FIRST_SUFFIXES = {".json", ".jsonl", ".gz", ".log", ".txt", ".irc"}
# Media by name: such a file is the VOD's audio even if it turns out corrupt, so the error
# comes from the decoder (naming the file) instead of "no audio found".
_MEDIA_SUFFIXES = {
    ".aac", ".flac", ".m4a", ".mka", ".mkv", ".mov", ".mp3", ".mp4", ".ogg", ".opus", ".ts", ".wav", ".webm", ".flv",
}


@dataclass(frozen=True)
class VodFolder:
    """The classified contents of one VOD folder."""

    folder: Path
    audio_path: Path
    chat_path: Path
    chat_format: ChatFormat
    vod_json: dict = field(default_factory=dict)

    @property
    def vod_json_path(self) -> Path | None:
        path = self.folder / VOD_JSON
        return path if path.exists() else None

    @property
    def input_files(self) -> list[Path]:
        files = [self.audio_path, self.chat_path]
        if self.vod_json_path is not None:
            files.append(self.vod_json_path)
        return files


@dataclass(frozen=True)
class VodMetadata:
    """Resolved VOD metadata: ``vod.json`` wins, the chat export fills what it lacks."""

    vod_id: str
    title: str | None
    channel: str | None
    started_at_utc_ms: int | None
    duration_s: float | None
    licence: str | None
    chat_timezone: str | None
    sources: dict[str, str]


def inspect_vod_folder(folder: Path) -> VodFolder:
    """Classify the folder's files; raise :class:`InputError` unless it holds one audio + one chat."""
    if not folder.is_dir():
        raise InputError(folder, "not a folder")
    vod_json = read_vod_json(folder / VOD_JSON) if (folder / VOD_JSON).exists() else {}
    audio: list[Path] = []
    chats: list[tuple[Path, ChatFormat]] = []
    rejected: list[str] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name == VOD_JSON:
            continue
        kind = _classify(path, rejected)
        if isinstance(kind, ChatFormat):
            chats.append((path, kind))
        elif kind == "audio":
            audio.append(path)
    why = f" ({'; '.join(rejected)})" if rejected else ""
    if not chats:
        raise InputError(folder, f"no chat export found{why}")
    if len(chats) > 1:
        raise InputError(folder, f"more than one chat export: {', '.join(p.name for p, _ in chats)}")
    if not audio:
        raise InputError(folder, f"no audio or video file with an audio stream found{why}")
    if len(audio) > 1:
        raise InputError(folder, f"more than one audio/video file: {', '.join(p.name for p in audio)}")
    return VodFolder(folder=folder, audio_path=audio[0], chat_path=chats[0][0], chat_format=chats[0][1], vod_json=vod_json)


def _classify(path: Path, rejected: list[str]) -> ChatFormat | str | None:
    """Chat format, "audio", or None (with the reason appended to ``rejected``)."""
    suffixes = {s.lower() for s in path.suffixes}
    if path.suffix.lower() in _MEDIA_SUFFIXES:
        return "audio"
    chat_first = bool(suffixes & _CHAT_FIRST_SUFFIXES)
    chat_error: InputError | None = None
    if chat_first:
        try:
            return detect_format(path)
        except InputError as error:
            chat_error = error
    if probe_has_audio(path):
        return "audio"
    if not chat_first:
        try:
            return detect_format(path)
        except InputError as error:
            chat_error = error
    rejected.append(f"{path.name}: neither audio nor a known chat format ({chat_error.reason if chat_error else 'unreadable'})")
    return None


def resolve_metadata(vod_id: str, vod: VodFolder, export: ExportMetadata) -> VodMetadata:
    """Merge ``vod.json`` with what the export says, recording where each field came from."""
    sources: dict[str, str] = {}

    def pick(name: str, from_json, from_export):
        if from_json is not None:
            sources[name] = VOD_JSON
            return from_json
        if from_export is not None:
            sources[name] = f"chat export ({export.parser_name})"
            return from_export
        return None

    json_path = vod.vod_json_path or vod.folder / VOD_JSON
    started_json = vod.vod_json.get("started_at")
    return VodMetadata(
        vod_id=vod_id,
        title=pick("title", vod.vod_json.get("title"), export.title),
        channel=pick("channel", vod.vod_json.get("channel"), None),
        started_at_utc_ms=pick(
            "started_at",
            parse_utc_ms(started_json, json_path, "started_at") if started_json else None,
            export.started_at_utc_ms,
        ),
        duration_s=pick(
            "duration_s",
            float(vod.vod_json["duration_s"]) if vod.vod_json.get("duration_s") is not None else None,
            export.duration_s,
        ),
        licence=pick("licence", vod.vod_json.get("licence") or vod.vod_json.get("license") or vod.vod_json.get("usage"), None),
        chat_timezone=pick("chat_timezone", vod.vod_json.get("chat_timezone"), None),
        sources=sources,
    )
