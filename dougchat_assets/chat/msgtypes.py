"""Twitch notice ids -> :class:`MsgType`, shared by the parsers that see Twitch ``msg-id`` values.

TwitchDownloader (``user_notice_params.msg-id``), raw IRC (``USERNOTICE``/``NOTICE`` tags) and
chat-downloader (its renamed ``message_type``) all describe the same Twitch events; one table
keeps their rows comparable.
"""

from __future__ import annotations

from dougchat_assets.chat.schema import MsgType

# USERNOTICE msg-id values (https://dev.twitch.tv/docs/irc/tags/#usernotice-tags)
SUB_NOTICE_IDS = frozenset(
    {
        "sub", "resub", "subgift", "submysterygift", "anonsubgift", "anonsubmysterygift",
        "giftpaidupgrade", "anongiftpaidupgrade", "primepaidupgrade", "extendsub",
        "standardpayforward", "communitypayforward", "primecommunitygiftreceived",
        "sharedchatnotice-sub",
    }
)
RAID_NOTICE_IDS = frozenset({"raid"})
# Notice ids that still mark an ordinary viewer message (highlighted, gigantified emote...).
USER_MESSAGE_NOTICE_IDS = frozenset(
    {"", "highlighted-message", "skip-subs-mode-message", "gigantified-emote-message", "animated-message", "user-intro"}
)
# NOTICE msg-id values for room mode changes and moderation results.
MOD_NOTICE_PREFIXES = ("slow_", "subs_", "emote_only_", "r9k_", "followers_", "ban_", "unban_", "timeout_", "untimeout_", "clear")


def user_message_type(body: str) -> str:
    """``command`` for a viewer message starting with "!", else ``chat``."""
    return MsgType.COMMAND if body.startswith("!") else MsgType.CHAT


def notice_type(notice_id: str | None, body: str) -> str:
    """Type of a message carrying a USERNOTICE-style ``msg-id`` (None/"" = plain message)."""
    if notice_id is None or notice_id in USER_MESSAGE_NOTICE_IDS:
        return user_message_type(body)
    if notice_id in SUB_NOTICE_IDS:
        return MsgType.SUB
    if notice_id in RAID_NOTICE_IDS:
        return MsgType.RAID
    return MsgType.NOTICE


def server_notice_type(notice_id: str | None) -> str:
    """Type of an IRC ``NOTICE`` (room modes and moderation results are mod actions)."""
    if notice_id and notice_id.startswith(MOD_NOTICE_PREFIXES):
        return MsgType.MOD_ACTION
    return MsgType.NOTICE
