"""The default filters on simulated streams nobody tuned them on: the dataset targets hold.

The filters were tuned on simulator seeds 1000-1049 (plus the demo VODs and the crafted unit
chat); seeds 0-999 are kept for the project's own report.  These three streams come from
seeds 2000-2009, the first three of that range, with lengths between 20 and 30 minutes and
the chat rate, bots, pastas, trolls and everything else as drawn.

Targets (the dataset issue): no bot, timer-bot, command or command-answer line survives;
toxic lines survive at most ``TOXIC_TOLERANCE`` (the insult screen is a word list, and a
troll's line made of words no list foresaw gets through: about 1 % on the tuning seeds); at
most 30 % of copypasta lines; at least 60 % of ordinary chat (labels ordinary and reaction,
emote-only lines excluded).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from dougchat_assets.dataset.filters import run_filters
from dougchat_assets.dataset.params import filter_preset
from dougchat_assets.dataset.toxicity import ToxicityScorer

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dougchat_sim import simulate_stream  # noqa: E402
from dougchat_sim.scoring import keep_counts  # noqa: E402

STREAMS = ((2000, 1800.0), (2001, 1500.0), (2002, 1200.0))  # (seed, duration_s)
MUST_GO = ("bot", "timer_bot", "command", "command_reply")
TOXIC_TOLERANCE = 0.03
MAX_COPYPASTA = 0.30
MIN_ORDINARY = 0.60


def _keep_counts(seed: int, duration_s: float, scorer: ToxicityScorer) -> tuple[Counter, Counter]:
    """(kept, total) per label for one stream; "ordinary chat" as the issue defines it."""
    stream = simulate_stream(seed, vod_id=f"sim_{seed}", duration_s=duration_s)
    outcome = run_filters(stream.chat, filter_preset("default"), scorer)
    return keep_counts(stream, outcome.kept.column("msg_id"))


@pytest.fixture(scope="module")
def counts() -> dict[int, tuple[Counter, Counter]]:
    scorer = ToxicityScorer()
    return {seed: _keep_counts(seed, duration, scorer) for seed, duration in STREAMS}


def _summed(counts: dict[int, tuple[Counter, Counter]]) -> tuple[Counter, Counter]:
    kept, total = Counter(), Counter()
    for k, t in counts.values():
        kept.update(k)
        total.update(t)
    return kept, total


def test_streams_exercise_every_target(counts):
    _, total = _summed(counts)
    for label in (*MUST_GO, "toxic", "copypasta", "ordinary_chat"):
        assert total[label] > 0, f"the chosen streams have no {label} line: pick streams that test it"


def test_no_bot_timer_or_command_line_survives(counts):
    for seed, (kept, total) in counts.items():
        survivors = {label: f"{kept[label]}/{total[label]}" for label in MUST_GO if kept[label]}
        assert not survivors, f"seed {seed}: {survivors}"


def test_toxic_lines_are_gone(counts):
    kept, total = _summed(counts)
    assert kept["toxic"] / total["toxic"] <= TOXIC_TOLERANCE, f"{kept['toxic']}/{total['toxic']} toxic lines kept"


def test_copypasta_is_capped(counts):
    kept, total = _summed(counts)
    assert kept["copypasta"] / total["copypasta"] <= MAX_COPYPASTA, f"{kept['copypasta']}/{total['copypasta']}"


def test_ordinary_chat_is_kept(counts):
    for seed, (kept, total) in counts.items():
        share = kept["ordinary_chat"] / total["ordinary_chat"]
        assert share >= MIN_ORDINARY, f"seed {seed}: {kept['ordinary_chat']}/{total['ordinary_chat']} ordinary lines kept"

