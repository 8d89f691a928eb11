"""The dataset benchmark's naive baseline does the same work as ``clean_vod`` (else its ratio means nothing).

Slow (about 25 s): run with ``-m slow``.  It fails when the filters change behaviour and the
baseline in ``bench/pairs.py`` was not updated to match.  Both sides must drop the same
messages *at the same step* (a rule missing on one side often shows only there: a later step
drops the same lines for another reason).  Four simulated streams between them exercise every
rule the baseline mirrors, which the test checks too: each bots rule, command responders by
timing and by naming the commander, the sparse-command condition (the two busy 20-minute
streams), copypasta clusters, spam bursts, the insult screen and its insulters.  Each was
checked to fail this test when left out of the baseline.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Reasons (their text before any ":") that the streams below must produce between them.
COVERED_REASONS = {
    "deleted by a moderator", "known bot account", "posts a few texts on a fixed timer",
    "repeats long texts, never within 60 s", "posts only announcements (links, codes, follow or schedule reminders)",
    "posts one long text 5 times or more", 'bot command ("!" and a word)', "account that answers commands",
    "copypasta", "spam burst", "insult pattern", "account posted a targeted insult in this VOD",
}


def _bench_module():
    spec = importlib.util.spec_from_file_location("dougchat_bench_pairs", REPO / "bench" / "pairs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_naive_baseline_keeps_the_same_messages_and_renders_the_same_contexts(tmp_path: Path) -> None:
    bench = _bench_module()
    reasons: set[str] = set()
    for seed, duration_s in ((3, bench.DURATION_S), (2, bench.DURATION_S), (1, 1200.0), (8, 1200.0)):
        work = tmp_path / f"seed{seed}"
        work.mkdir()
        bench.write_inputs(work, messages=30_000, seed=seed, duration_s=duration_s)
        chat, words, meta = bench.read_inputs(work)

        ours = bench.ours_clean_pairs(chat, words, meta)
        naive = bench.naive_clean_pairs(chat, words, meta)

        ours_funnel = [(row["step"], row["dropped"]) for row in ours.funnel.to_pylist()]
        assert [step for step, _ in naive.funnel] == [step for step, _ in ours_funnel]
        ours_drops = {(row["msg_id"], row["step"]) for row in ours.log.to_pylist() if row["action"] == "drop"}
        naive_drops = {(msg_id, step) for msg_id, step, _ in naive.drops}
        assert len(ours_drops & naive_drops) / len(ours_drops | naive_drops) >= 0.999, f"seed {seed}"
        ours_kept = set(ours.kept.column("msg_id").to_pylist())
        naive_kept = {m.msg_id for m in naive.kept}
        assert len(ours_kept & naive_kept) / len(ours_kept | naive_kept) >= 0.999, f"seed {seed}"
        ours_ctx = dict(zip(ours.pairs.column("msg_id").to_pylist(), ours.pairs.column("context").to_pylist()))
        naive_ctx = {pair["msg_id"]: pair["context"] for pair in naive.pairs}
        shared = ours_ctx.keys() & naive_ctx.keys()
        assert len(shared) / len(ours_ctx.keys() | naive_ctx.keys()) >= 0.999, f"seed {seed}"
        assert sum(ours_ctx[m] == naive_ctx[m] for m in shared) / len(shared) >= 0.99, f"seed {seed}"
        # (on these streams both are identical; the slack is for near-duplicate clusters linked differently)
        # every filter step did some work on this stream, so the comparison covers it
        dropped = dict(naive.funnel)
        assert all(dropped[step] > 0 for step in ("system", "moderation", "bots", "commands", "copypasta", "emotes", "toxicity"))
        reasons |= {row["reason"].split(":")[0] for row in ours.log.to_pylist()}
        # the phases clean_vod reports are the ones the benchmark prints
        assert {"filters.load", "filters.toxicity", "filters.output", "scrub_mentions", "pairs"} <= ours.seconds.keys()
    assert COVERED_REASONS <= reasons, f"no stream exercises {sorted(COVERED_REASONS - reasons)}"
