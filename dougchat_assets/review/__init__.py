"""The alignment QA reviewer: a small local web app to check and correct a VOD's offset curve.

``dougchat review`` calls :func:`run_review`; tests and embedders use :func:`serve`.  The page
(``static/``) plays the audio, scrolls the aligned chat with it, plots the curve, and saves the
reviewer's nudges and flags to ``warehouse/overrides/<vod_id>.toml``.  That file's format is
owned by :mod:`dougchat_assets.align.override`, the one module the reviewer and the
``offset_curve`` asset both read and write it with; its names are re-exported here.
"""

from dougchat_assets.align.override import (
    Flag,
    Override,
    OverrideBounds,
    load_override,
    override_from_dict,
    override_path,
    write_override,
)
from dougchat_assets.review.curve import Knot, map_audio_to_chat, map_chat_to_audio
from dougchat_assets.review.server import ReviewServer, run_review, serve

__all__ = [
    "Flag",
    "Knot",
    "Override",
    "OverrideBounds",
    "ReviewServer",
    "load_override",
    "map_audio_to_chat",
    "map_chat_to_audio",
    "override_from_dict",
    "override_path",
    "run_review",
    "serve",
    "write_override",
]
