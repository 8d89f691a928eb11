"""Randomised, labelled synthetic Twitch streams (chat + transcript + true clock) for measurement.

Not shipped in the ``dougchat`` package: tests, benchmarks and the demo import it from the
repository root.  Every behaviour is a knob drawn per seed from wide ranges
(:func:`draw_params`); :func:`simulate_stream` turns the knobs into

* ``chat``: a ``raw_chat`` table exactly as a parser writes it (``RAW_CHAT_SCHEMA``);
* ``labels``: one truth row per chat row (``msg_id``, ``label`` from :data:`LABELS`, the text's
  origin, burst, the segment reacted to, the sender's latency, the audio second their stream
  showed and their reaction time);
* ``segments`` / ``words``: a transcript on the audio clock;
* ``knots``: the true chat-time -> audio-time curve (late start, drift, ad cuts).

Text pools, names and emote mixes are this package's own (independent of ``demo/``), so
filters tuned on the demo VODs meet unseen text here.

:mod:`dougchat_sim.alignment` builds on the same streams to simulate whole VODs for the
alignment estimator (its inputs plus the true curve, lag and read-alouds); import it from
there, so that chat-only users do not load the estimator's modules.
"""

from dougchat_sim.chat import SimulatedStream, simulate_stream
from dougchat_sim.messages import LABELS, TEXT_KINDS
from dougchat_sim.params import REACTION_SHAPES, StreamParams, draw_params

__all__ = ["LABELS", "REACTION_SHAPES", "TEXT_KINDS", "SimulatedStream", "StreamParams", "draw_params", "simulate_stream"]
