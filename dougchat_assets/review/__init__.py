"""The alignment QA reviewer: a small local web app to check and correct a VOD's offset curve.

``dougchat review`` calls :func:`run_review`; tests and embedders use :func:`serve`.  The page
(``static/``) plays the audio, scrolls the aligned chat with it, plots the curve, and saves the
reviewer's nudges and flags to ``warehouse/overrides/<vod_id>.toml``.
"""

from dougchat_assets.review.curve import Knot, map_audio_to_chat, map_chat_to_audio
from dougchat_assets.review.overrides import Flag, Override, override_path, read_override, write_override
from dougchat_assets.review.server import ReviewServer, run_review, serve

__all__ = [
    "Flag",
    "Knot",
    "Override",
    "ReviewServer",
    "map_audio_to_chat",
    "map_chat_to_audio",
    "override_path",
    "read_override",
    "run_review",
    "serve",
    "write_override",
]
