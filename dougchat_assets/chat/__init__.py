"""Chat export parsers: TwitchDownloader JSON, chat-downloader JSON/JSONL, Chatterino and raw IRC logs.

Every parser streams ``RAW_CHAT_SCHEMA`` record batches with UTC epoch-ms times, stable ids
and the same message types and emote rules, so nothing downstream branches on the format.
"""

from dougchat_assets.chat.detect import detect_format
from dougchat_assets.chat.emotes import EmoteMatcher, default_emote_names, emote_spans, is_emote_only
from dougchat_assets.chat.formats import ChatContext, ChatFormat, ExportMetadata
from dougchat_assets.chat.limits import DEFAULT_LIMITS, ReaderLimits, ReadReport
from dougchat_assets.chat.reader import iter_chat_batches, parser_version, read_export_metadata
from dougchat_assets.chat.schema import EMOTE_SPAN_TYPE, RAW_CHAT_SCHEMA, MsgType, stable_msg_id
from dougchat_assets.chat.twitchdownloader import clock_correction_ms

__all__ = [
    "ChatContext",
    "ChatFormat",
    "DEFAULT_LIMITS",
    "EMOTE_SPAN_TYPE",
    "EmoteMatcher",
    "ExportMetadata",
    "MsgType",
    "RAW_CHAT_SCHEMA",
    "ReadReport",
    "ReaderLimits",
    "clock_correction_ms",
    "default_emote_names",
    "detect_format",
    "emote_spans",
    "is_emote_only",
    "iter_chat_batches",
    "parser_version",
    "read_export_metadata",
    "stable_msg_id",
]
