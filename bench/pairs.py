"""Dataset-stage benchmark: chat filters + pair building (``clean_vod``) against a naive Python baseline.

Run:  .venv/bin/python bench/pairs.py [--messages 1000000] [--seed 1] [--baseline-prefix N]

A simulated 4-hour stream (``dougchat_sim``) with N chat rows (chat rate = N / duration) and
its transcript and true offset curve is written once to Parquet.  Two fresh child processes
('spawn') then read the same files and run, each timed from the Arrow tables in memory to
the finished pair rows:

* **ours**: exactly what the ``clean_pairs`` asset runs, ``clean_vod`` (DuckDB + numpy
  filters, numpy pair building, the frozen prompt template), with a fresh ``ToxicityScorer``;
  its own ``CleanResult.seconds`` time each phase;
* **naive**: what a competent Python user writes without DuckDB or vectorisation
  (:func:`naive_clean_pairs`): the same steps and the default ``FilterParams``, as loops
  over the messages in time order with dicts, deques, sets and ``bisect``; ``normalize_text``
  per distinct body, datasketch ``MinHash`` per distinct long text banded as
  ``MinHashLSH`` bands them, ``profanity_check.predict_prob`` once on the survivors' distinct
  texts, the insult screen once per distinct text, and contexts rendered with
  ``prompt.render_context``.

Each child reports its wall time, its CPU time (all threads) and its own peak RSS (VmHWM; see
``bench/ingest.py`` for why not ``ru_maxrss``).  The parent prints messages/s, the ratio
(target >= 10x; on a shared machine the CPU-time ratio is the steadier number), how far ours
is from a plain scan of the chat table (pyarrow read, one DuckDB pass), and how comparable
the two outputs are: pairs each produced, the Jaccard overlap of the kept ``msg_id`` sets
(filter survivors, and pairs), and the share of shared pairs whose rendered contexts are
byte-identical; then messages dropped and seconds per step on both sides.  With
``--baseline-prefix N`` the baseline runs on the first N messages (a contiguous time range)
and its time is extrapolated linearly to the whole stream; ours then also runs on that
prefix for the comparison.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import hmac
import json
import math
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dougchat_assets.dataset.config import DatasetConfig  # noqa: E402
from dougchat_assets.dataset.normalize import normalize_text  # noqa: E402
from dougchat_assets.prompt import WindowParams, render_context  # noqa: E402

VOD_ID = "bench"
DURATION_S = 4 * 3600.0
HASH_KEY = b"bench-hash-key-not-a-secret-0123456789"
CHAT_COLUMNS = (
    "msg_id", "sent_at_utc_ms", "native_id", "user_id", "user_login", "user_display_name", "body", "msg_type",
    "emote_spans", "is_emote_only", "target_user_login", "target_native_id", "source_line",
)


# ----------------------------------------------------------------------------- data


def write_inputs(work: Path, messages: int, seed: int, duration_s: float = DURATION_S) -> dict:
    """Simulate the stream once and write chat, gated words and curve to ``work``; returns metadata.

    The chat rate is ``messages / duration_s``: a shorter stream of as many messages is a
    busier chat (commands every few seconds, where the command-responder rules differ).
    """
    from dougchat_sim import simulate_stream

    stream = simulate_stream(seed, vod_id=VOD_ID, duration_s=duration_s, chat_rate_msgs_per_s=messages / duration_s)
    pq.write_table(stream.chat.select(list(CHAT_COLUMNS)), work / "chat.parquet")
    ok = stream.segments.filter(pc.equal(stream.segments.column("quality"), "ok")).select(["segment_id", "speaker"])
    words = (
        stream.words.join(ok, "segment_id", join_type="inner")
        .sort_by([("start_s", "ascending"), ("segment_id", "ascending"), ("word_index", "ascending")])
        .select(["start_s", "end_s", "word", "segment_id", "speaker"])
    )
    pq.write_table(words, work / "words.parquet")
    knots, segment = [], 0
    for i, (ms, audio_s) in enumerate(stream.knots):
        if i > 0 and stream.knots[i - 1][1] == audio_s:
            segment += 1  # a flat stretch (an ad cut) just ended: the curve's next segment
        knots.append([int(ms), float(audio_s), segment])
    meta = {"knots": knots, "audio_duration_s": float(stream.knots[-1][1]), "messages": stream.chat.num_rows,
            "words": words.num_rows}
    (work / "meta.json").write_text(json.dumps(meta))
    return meta


def read_inputs(work: Path, prefix: int | None = None) -> tuple[pa.Table, pa.Table, dict]:
    chat = pq.read_table(work / "chat.parquet")
    if prefix is not None and prefix < chat.num_rows:
        chat = chat.slice(0, prefix)  # rows are in send order: a contiguous time range
    return chat, pq.read_table(work / "words.parquet"), json.loads((work / "meta.json").read_text())


def peak_rss_mib() -> float:
    """This process's own high-water mark (VmHWM), not ``ru_maxrss`` (kept across fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ----------------------------------------------------------------------------- ours


def ours_clean_pairs(chat: pa.Table, words: pa.Table, meta: dict):
    """``clean_vod`` exactly as the ``clean_pairs`` asset calls it; its ``seconds`` time each phase."""
    from dougchat_assets.dataset.clean import clean_vod
    from dougchat_assets.dataset.pairs import CurveKnot, VodDataset
    from dougchat_assets.dataset.toxicity import ToxicityScorer
    from dougchat_assets.dataset.warehouse import CleanPairsInputs

    knots = [CurveKnot(ms, audio_s, segment, 1.0) for ms, audio_s, segment in meta["knots"]]
    vod = VodDataset(VOD_ID, meta["audio_duration_s"], knots, [], words)
    return clean_vod(VOD_ID, CleanPairsInputs(chat, vod, {}), DatasetConfig(), HASH_KEY, ToxicityScorer())


def _ours_child(work: str, prefix: int | None, queue) -> None:
    chat, words, meta = read_inputs(Path(work))
    started, cpu = time.perf_counter(), time.process_time()
    result = ours_clean_pairs(chat, words, meta)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = peak_rss_mib()
    phases = dict(result.seconds)
    if prefix is not None and prefix < chat.num_rows:  # the comparison needs ours on the baseline's rows
        del result
        result = ours_clean_pairs(read_inputs(Path(work), prefix)[0], words, meta)
    pq.write_table(result.pairs.select(["msg_id", "context"]), Path(work) / "ours_pairs.parquet")
    pq.write_table(result.kept.select(["msg_id"]), Path(work) / "ours_kept.parquet")
    funnel = [(r["step"], r["dropped"]) for r in result.funnel.to_pylist()]
    queue.put({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss, "funnel": funnel, "phases": phases})


# ----------------------------------------------------------------------------- naive baseline


USER_TYPES = ("chat", "command")
_UNBAN = re.compile(r"\bun-?ban|\bun-?timed?|\buntimeout|removed the timeout")
_COMMAND = re.compile(r"^\s*!\w", re.ASCII)
_MENTION = re.compile(r"@[A-Za-z0-9_]{2,}")
_TOKEN = re.compile(r"(?<![A-Za-z0-9_@])[A-Za-z0-9_]+(?![A-Za-z0-9_])")
_LOGIN_WORD = re.compile(r"[a-z0-9_]{3,}")


@dataclass(slots=True)
class Msg:
    ord: int
    msg_id: str
    t: int
    native_id: str | None
    user_key: str | None
    display_key: str | None
    body: str
    msg_type: str
    emote_names: list[str]
    is_emote_only: bool
    target_key: str | None
    target_native_id: str | None
    norm: str = ""
    n_tokens: int = 0
    reply: str = ""
    weight: float = 1.0


@dataclass
class NaiveResult:
    pairs: list[dict]
    kept: list[Msg]
    drops: list[tuple[str, str, str]]  # msg_id, step, reason
    funnel: list[tuple[str, int]] = field(default_factory=list)  # step, dropped
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase


class _Run:
    """The baseline's state: every message, the parameters, and the drop log."""

    def __init__(self, msgs: list[Msg], config: DatasetConfig) -> None:
        self.msgs = msgs
        self.p = config.filters
        self.drops: list[tuple[str, str, str]] = []
        self.funnel: list[tuple[str, int]] = []

    def keep(self, step: str, survivors: list[Msg], decide) -> list[Msg]:
        """Survivors of one step: ``decide(m)`` returns a drop reason or None."""
        out = []
        for m in survivors:
            reason = decide(m)
            if reason is None:
                out.append(m)
            else:
                self.drops.append((m.msg_id, step, reason))
        self.funnel.append((step, len(survivors) - len(out)))
        return out


def _load_messages(chat: pa.Table) -> tuple[list[Msg], set[str]]:
    """One object per row in (time, source line, id) order, normalised text per distinct body; handle-like logins."""
    cols = {name: chat.column(name).to_pylist() for name in CHAT_COLUMNS}
    rows = sorted(range(chat.num_rows), key=lambda i: (cols["sent_at_utc_ms"][i], cols["source_line"][i] or 2**62, cols["msg_id"][i]))
    msgs: list[Msg] = []
    norms: dict[str, str] = {}
    for order, i in enumerate(rows):
        login, display, target = cols["user_login"][i], cols["user_display_name"][i], cols["target_user_login"][i]
        m = Msg(order, cols["msg_id"][i], cols["sent_at_utc_ms"][i], cols["native_id"][i],
                login.lower() if login is not None else cols["user_id"][i], display.lower() if display is not None else None,
                cols["body"][i], cols["msg_type"][i], [s["name"] for s in cols["emote_spans"][i] or []],
                bool(cols["is_emote_only"][i]), target.lower() if target is not None else None, cols["target_native_id"][i])
        if m.msg_type in USER_TYPES:
            norm = norms.get(m.body)
            if norm is None:
                norm = norms[m.body] = normalize_text(m.body)
            m.norm, m.n_tokens = norm, (norm.count(" ") + 1 if norm else 0)
        m.reply = m.body
        msgs.append(m)
    handles = {x.lower() for x in set(cols["user_login"]) if x and any(c.isdigit() or c == "_" for c in x)}
    return msgs, handles


def _naive_moderation(run: _Run, src: list[Msg]) -> list[Msg]:
    """Deleted messages, and a user's messages in the look-back before a timeout or ban (bisect per message)."""
    p = run.p
    look = int(round(p.moderation_lookback_s * 1000))
    deleted_native: set[str] = set()
    deleted_ord: set[int] = set()
    bans: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    history: dict[str, list[Msg]] = defaultdict(list)  # user -> their viewer lines so far (id-less deletions)
    in_src = {m.ord for m in src}
    for m in run.msgs:
        if m.ord in in_src and m.user_key is not None:
            history[m.user_key].append(m)
        if m.msg_type == "deletion":
            if m.target_native_id is not None:
                deleted_native.add(m.target_native_id)
            elif m.target_key is not None:  # Chatterino: the user's latest line, the same text first
                recent = [s for s in history.get(m.target_key, []) if s.t >= m.t - look]
                same = [s for s in recent if m.body == s.body or m.body.endswith(": " + s.body)]
                if same or recent:
                    deleted_ord.add((same or recent)[-1].ord)
        elif m.target_key is not None and (
            m.msg_type == "timeout" or (m.msg_type == "mod_action" and not _UNBAN.search(m.body.lower()))
        ):
            bans[m.target_key].append((m.t, m.msg_type == "timeout"))
    del history
    times = {user: [t for t, _ in events] for user, events in bans.items()}

    def decide(m: Msg) -> str | None:
        if (m.native_id is not None and m.native_id in deleted_native) or m.ord in deleted_ord:
            return "deleted by a moderator"
        banned = times.get(m.user_key) if m.user_key is not None else None
        if banned:
            lo, hi = bisect.bisect_left(banned, m.t), bisect.bisect_right(banned, m.t + look)
            if hi > lo:
                kind = "timed out" if all(is_timeout for _, is_timeout in bans[m.user_key][lo:hi]) else "banned"
                return f"user {kind} within {p.moderation_lookback_s:g} s after this message"
        return None

    return run.keep("moderation", src, decide)


def _naive_bots(run: _Run, src: list[Msg]) -> list[Msg]:
    """Known bot names, then per-account statistics for the four timer rules."""
    p = run.p
    names = p.bot_names
    named = {m.ord for m in src if m.user_key in names or m.display_key in names}
    promo = re.compile("|".join(f"(?:{x})" for x in p.promo_patterns)) if p.promo_patterns else None
    per_user: dict[str, list[Msg]] = defaultdict(list)
    for m in src:
        if m.user_key is not None and m.ord not in named:
            per_user[m.user_key].append(m)
    rules: dict[str, str] = {}
    for user, lines in per_user.items():
        n = len(lines)
        gaps = [b.t - a.t for a, b in zip(lines, lines[1:])]
        texts: dict[str, int] = defaultdict(int)
        for m in lines:
            texts[m.norm] += 1
        if gaps and n >= p.timer_min_messages:
            mean = sum(gaps) / len(gaps)
            if (statistics.median(gaps) >= p.timer_min_gap_s * 1000 and mean > 0
                    and statistics.pstdev(gaps) / mean <= p.timer_max_gap_cv and len(texts) / n <= p.timer_max_distinct_share):
                rules[user] = "posts a few texts on a fixed timer"
                continue
        if (gaps and all(m.n_tokens >= p.timer_repeat_min_tokens for m in lines) and max(texts.values()) >= 2
                and min(gaps) >= p.timer_repeat_min_gap_s * 1000):
            rules[user] = f"repeats long texts, never within {p.timer_repeat_min_gap_s:g} s"
        elif promo is not None and all(m.n_tokens >= p.timer_promo_min_tokens and promo.search(m.body.lower()) for m in lines):
            rules[user] = "posts only announcements (links, codes, follow or schedule reminders)"
        else:  # rule 4: one long text posted often, and as a share of the account's lines
            long_counts = [k for text, k in texts.items() if text.count(" ") + 1 >= p.timer_repeat_min_tokens and text]
            if long_counts and max(long_counts) >= max(p.repeat_bot_min, p.repeat_bot_share * n):
                rules[user] = f"posts one long text {p.repeat_bot_min} times or more"

    def decide(m: Msg) -> str | None:
        if m.ord in named:
            return "known bot account"
        return rules.get(m.user_key) if m.user_key is not None else None

    return run.keep("bots", src, decide)


def _binomial_tail(n: int, k: int, q: float) -> float:
    """P(X >= k), X ~ Binomial(n, q), summed in log space."""
    if k <= 0 or q >= 1.0:
        return 1.0
    if q <= 0.0:
        return 0.0
    lq, l1q, ln = math.log(q), math.log1p(-q), math.lgamma(n + 1)
    return min(1.0, sum(math.exp(ln - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lq + (n - i) * l1q)
                        for i in range(k, n + 1)))


def _naive_commands(run: _Run, src: list[Msg]) -> list[Msg]:
    """"!commands", and accounts answering other users' commands (by timing, or naming the commander) far
    more often than chance; timing counts only where commands are sparse enough to mean something."""
    p = run.p
    window_ms = int(round(p.command_reply_window_s * 1000))
    is_cmd = {m.ord for m in src if _COMMAND.match(m.body)}
    last: tuple[int, str | None] | None = None  # (time, user) of the latest command
    recent: deque[tuple[int, str]] = deque()  # (time, user) of the commands of the window, users known
    n_user: dict[str, int] = defaultdict(int)
    k_user: dict[str, int] = defaultdict(int)
    m_user: dict[str, int] = defaultdict(int)
    for m in src:
        if m.ord in is_cmd:
            last = (m.t, m.user_key)
            if m.user_key is not None:
                recent.append((m.t, m.user_key))
        elif m.user_key is not None:
            n_user[m.user_key] += 1
            if last is not None and m.t - last[0] <= window_ms:
                if last[1] != m.user_key:
                    k_user[m.user_key] += 1
                while recent and recent[0][0] < m.t - window_ms:
                    recent.popleft()
                commanders = {user for _, user in recent if user != m.user_key}
                if commanders and any(word in commanders for word in _LOGIN_WORD.findall(m.body.lower())):
                    m_user[m.user_key] += 1
    total_n, total_k, total_m = sum(n_user.values()), sum(k_user.values()), sum(m_user.values())
    responders = set()
    for user in k_user.keys() | m_user.keys():
        n, others = n_user[user], total_n - n_user[user]
        for timing, hits, total, share in ((True, k_user[user], total_k, p.command_responder_share),
                                           (False, m_user[user], total_m, p.command_mention_share)):
            chance = (total - hits) / others if others else 1.0
            if timing and chance > p.command_timing_max_chance:
                continue
            if hits >= p.command_responder_min and hits / n >= share and _binomial_tail(n, hits, chance) < p.command_responder_max_p:
                responders.add(user)
                break

    def decide(m: Msg) -> str | None:
        if m.ord in is_cmd:
            return 'bot command ("!" and a word)'
        return "account that answers commands" if m.user_key in responders else None

    return run.keep("commands", src, decide)


def _near_duplicate_reps(texts: list[str], threshold: float) -> dict[str, str]:
    """Long text -> its cluster's alphabetically first text.

    datasketch ``MinHash`` per text and ``MinHashLSH``'s bands; in each band a text is linked
    to the first text of its bucket when their estimated Jaccard reaches the threshold
    (union-find; the root is the first text).
    """
    from datasketch import MinHash, MinHashLSH

    texts = sorted(texts)
    lsh = MinHashLSH(threshold=threshold, num_perm=64)
    signatures = []
    for text in texts:
        m = MinHash(num_perm=64, seed=1, scheme="legacy")
        m.update_batch([w.encode("utf-8") for w in set(text.split(" "))])
        signatures.append(m.hashvalues)
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for band in range(lsh.b):
        lo, hi = band * lsh.r, (band + 1) * lsh.r
        first: dict[bytes, int] = {}
        for i, sig in enumerate(signatures):
            j = first.setdefault(sig[lo:hi].tobytes(), i)
            if j != i and (sig == signatures[j]).mean() >= threshold:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)  # the root is the smallest index: the first text
    return {text: texts[find(i)] for i, text in enumerate(texts) if find(i) != i}


def _naive_copypasta(run: _Run, src: list[Msg]) -> list[Msg]:
    """Long texts by MinHash cluster, capped per window; short texts by their words, capped where they burst."""
    p = run.p
    min_chars = getattr(p, "copypasta_min_chars", 0)

    def is_pasta(m: Msg) -> bool:
        return m.n_tokens >= max(1, p.near_dup_min_tokens) and len(m.norm) >= min_chars

    pasta = [m for m in src if is_pasta(m)]
    reps = _near_duplicate_reps(list({m.norm for m in pasta}), p.near_dup_threshold) if pasta else {}
    key: dict[int, str] = {}
    for m in src:
        if is_pasta(m):
            key[m.ord] = reps.get(m.norm, m.norm)
        else:
            emotes = {e.lower() for e in m.emote_names}
            toks = m.norm.split(" ")
            skeleton = " ".join(dict.fromkeys(w for w in toks if w not in emotes))
            key[m.ord] = "\x00" + (skeleton or " ".join(sorted(set(toks))))  # its own key space
    long_ms, short_ms = int(round(p.copypasta_window_s * 1000)), int(round(p.spam_window_s * 1000))
    span = src[-1].t - src[0].t if src else 0
    rest = max(span - 2 * short_ms, short_ms)
    times: dict[str, list[int]] = defaultdict(list)  # short keys: every time, for the background rate
    for m in src:
        if not is_pasta(m):
            times[key[m.ord]].append(m.t)
    windows: dict[str, deque[int]] = defaultdict(deque)

    def decide(m: Msg) -> str | None:
        k = key[m.ord]
        pasta_line = is_pasta(m)
        window = long_ms if pasta_line else short_ms
        seen = windows[k]
        while seen and seen[0] < m.t - window:
            seen.popleft()
        earlier = len(seen)
        seen.append(m.t)
        if pasta_line:
            if earlier >= p.copypasta_max_per_window:
                return f"copypasta: {earlier} near-identical long messages in the previous {p.copypasta_window_s:g} s"
            return None
        if earlier < p.spam_max_per_window:
            return None
        all_t = times[k]
        around = bisect.bisect_right(all_t, m.t + short_ms) - bisect.bisect_left(all_t, m.t - short_ms)
        mu = (len(all_t) - around) * short_ms / rest
        if earlier >= max(p.spam_max_per_window, p.burst_excess * mu + p.burst_sigmas * math.sqrt(mu)):
            return f"spam burst: {earlier} messages with the same words in the previous {p.spam_window_s:g} s"
        return None

    return run.keep("copypasta", src, decide)


def _naive_rate_limit(run: _Run, src: list[Msg]) -> list[Msg]:
    p = run.p
    window_ms = int(round(p.user_window_s * 1000))
    recent: dict[str, deque[int]] = defaultdict(deque)

    def decide(m: Msg) -> str | None:
        if m.user_key is None:
            return None
        seen = recent[m.user_key]
        while seen and seen[0] < m.t - window_ms:
            seen.popleft()
        earlier = len(seen)
        seen.append(m.t)
        if earlier >= p.user_max_per_window:
            return f"rate limit: {earlier} messages from the same user in the previous {p.user_window_s:g} s"
        return None

    return run.keep("rate_limit", src, decide)


def _naive_emotes(run: _Run, src: list[Msg]) -> list[Msg]:
    """Emote-only lines sampled by an md5 of the id (down-weighted when kept); walls collapsed."""
    p = run.p

    def decide(m: Msg) -> str | None:
        if m.is_emote_only:
            u = int(hashlib.md5(m.msg_id.encode()).hexdigest()[:13], 16) / 2.0**52
            if u >= p.emote_only_keep_rate:
                return f"emote-only line not sampled (keep rate {p.emote_only_keep_rate:g})"
            m.weight = p.emote_only_weight
        if len(m.emote_names) >= p.emote_wall_min:
            tokens = m.reply.strip().split()
            emotes, count, kept = set(m.emote_names), defaultdict(int), []
            for token in tokens:
                if token not in emotes or count[token] < p.emote_wall_keep:
                    kept.append(token)
                count[token] += 1
            if len(kept) < len(tokens):
                m.reply = " ".join(kept)
        return None

    return run.keep("emotes", src, decide)


def _naive_length(run: _Run, src: list[Msg]) -> list[Msg]:
    limit = run.p.max_reply_chars

    def decide(m: Msg) -> str | None:
        if m.reply.strip(" ") == "":
            return "empty reply"
        return f"longer than {limit} characters" if len(m.reply) > limit else None

    return run.keep("length", src, decide)


def _naive_toxicity(run: _Run, src: list[Msg]) -> list[Msg]:
    """The model ONCE over the survivors' distinct texts; the insult screen; the insulters' other lines."""
    from profanity_check import predict_prob

    p = run.p
    scored = sorted({m.norm for m in src if not m.is_emote_only and m.norm})
    prob = dict(zip(scored, predict_prob(scored).tolist())) if scored else {}
    patterns = p.all_insult_patterns
    screen = re.compile("|".join(f"(?:{x})" for x in patterns)) if patterns else None
    scope = run.msgs if p.drop_insulters else src
    candidates = {m.norm for m in scope if m.msg_type in USER_TYPES and not m.is_emote_only and m.norm}
    insults = {text for text in candidates if screen is not None and screen.search(text)}
    insulters = ({m.user_key for m in run.msgs if m.user_key is not None and m.msg_type in USER_TYPES and m.norm in insults}
                 if p.drop_insulters else set())

    def decide(m: Msg) -> str | None:
        score = prob.get(m.norm)
        if score is not None and score >= p.toxicity_threshold:
            return f"toxicity p={score:.2f}"
        if m.norm in insults:
            return "insult pattern"
        return "account posted a targeted insult in this VOD" if m.user_key in insulters else None

    return run.keep("toxicity", src, decide)


def naive_clean_pairs(chat: pa.Table, words: pa.Table, meta: dict, config: DatasetConfig | None = None) -> NaiveResult:
    """The filters and pair building as plain Python loops (same steps, same default parameters)."""
    config = config or DatasetConfig()
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = now - clock
        clock = now

    msgs, handles = _load_messages(chat)
    lap("load")
    run = _Run(msgs, config)
    src = run.keep("system", msgs, lambda m: None if m.msg_type in USER_TYPES else f"system message ({m.msg_type})")
    lap("system")
    for name, step in (("moderation", _naive_moderation), ("bots", _naive_bots), ("commands", _naive_commands),
                       ("copypasta", _naive_copypasta), ("rate_limit", _naive_rate_limit), ("emotes", _naive_emotes),
                       ("length", _naive_length), ("toxicity", _naive_toxicity)):
        src = step(run, src)
        lap(name)
    for m in src:  # usernames out of replies: @mentions, and bare handle-like logins of this chat
        reply = _MENTION.sub("@user", m.reply)
        m.reply = _TOKEN.sub(lambda hit: "@user" if hit.group(0).lower() in handles else hit.group(0), reply)
    lap("output")
    pairs = _naive_pairs(src, words, meta, config, config.window, run.funnel, run.drops)
    lap("pairs")
    return NaiveResult(pairs, src, run.drops, run.funnel, seconds)


def _naive_pairs(kept: list[Msg], words: pa.Table, meta: dict, config: DatasetConfig, window: WindowParams,
                 funnel: list[tuple[str, int]], drops: list[tuple[str, str, str]]) -> list[dict]:
    """Alignment, balance and one rendered context per kept message (bisect per message)."""
    knots = meta["knots"]
    kx = [k[0] for k in knots]
    ky = [k[1] for k in knots]
    flat = [(kx[i], kx[i + 1]) for i in range(len(knots) - 1) if ky[i + 1] == ky[i] and kx[i + 1] - kx[i] >= 2]
    duration = meta["audio_duration_s"]

    def curve(t: int) -> float:
        i = bisect.bisect_right(kx, t) - 1
        i = min(max(i, 0), len(kx) - 2)  # outside the knots: extend the end segments
        return ky[i] + (ky[i + 1] - ky[i]) * (t - kx[i]) / (kx[i + 1] - kx[i])

    candidates: list[tuple[Msg, float]] = []
    bad = 0
    for m in kept:
        viewer = curve(m.t) - window.latency_s
        reason = None
        if any(start < m.t < end for start, end in flat):
            reason = "sent during an ad cut (no audio)"
        elif viewer < 0:
            reason = "before the audio starts"
        elif viewer > duration:
            reason = "after the audio ends"
        if reason is not None:
            drops.append((m.msg_id, "alignment", reason))
            bad += 1
        else:
            candidates.append((m, viewer))
    funnel.append(("alignment", bad))

    cap = max(1, math.ceil(config.balance.max_pairs_per_audio_hour * duration / 3600.0))
    chosen = candidates
    if len(candidates) > cap:
        def rank(item: tuple[Msg, float]) -> int:
            return int.from_bytes(hashlib.blake2b(f"balance:{VOD_ID}\0{item[0].msg_id}".encode(), digest_size=8).digest(), "big")

        keep_ids = {id(item[0]) for item in sorted(candidates, key=rank)[:cap]}
        chosen = [item for item in candidates if id(item[0]) in keep_ids]
        for m, _ in candidates:
            if id(m) not in keep_ids:
                drops.append((m.msg_id, "balance", f"over the VOD cap of {cap} pairs"))
    funnel.append(("balance", len(candidates) - len(chosen)))

    # transcript words by time, ends searched on their running maximum
    rows = sorted(zip(words.column("start_s").to_pylist(), words.column("end_s").to_pylist(), words.column("word").to_pylist(),
                      words.column("segment_id").to_pylist(), words.column("speaker").to_pylist()), key=lambda r: (r[0], r[1]))
    starts = [r[0] for r in rows]
    end_max, top = [], float("-inf")
    for r in rows:
        top = max(top, r[1])
        end_max.append(top)
    tokens = [str(r[2]).strip() for r in rows]
    segments = [str(r[3]) for r in rows]
    tags = [f"{r[4]}: " if r[4] else "" for r in rows]
    pieces = [(f"\n{tags[i]}" if i > 0 and segments[i] != segments[i - 1] else " ") + tokens[i] for i in range(len(rows))]

    # chat lines: every kept message, in send order
    sent = [m.t for m in kept]
    lines = ["- " + " ".join(m.reply.split()) + "\n" for m in kept]
    position = {m.msg_id: i for i, m in enumerate(kept)}
    budget = window.budget_chars
    fixed = len(render_context("", "", window))
    chat_room = int(budget * window.chat_token_share)
    history_ms = int(window.chat_history_s * 1000)
    user_hashes: dict[str | None, str] = {}
    filters = config.filters

    pairs = []
    for m, viewer in chosen:
        pos = position[m.msg_id]
        c_lo = min(max(pos - window.chat_lines, bisect.bisect_left(sent, m.t - history_ms)), pos)
        chat_chars = sum(len(line) for line in lines[c_lo:pos])
        while chat_chars > chat_room:
            chat_chars -= len(lines[c_lo])
            c_lo += 1
        w_lo = bisect.bisect_left(starts, viewer - window.transcript_s)
        w_hi = max(bisect.bisect_right(end_max, viewer), w_lo)
        room = max(budget - fixed - chat_chars, 0)
        words_chars = sum(len(piece) for piece in pieces[w_lo:w_hi])
        while words_chars > room:
            words_chars -= len(pieces[w_lo])
            w_lo += 1
        if w_hi > w_lo:
            lines_out, current, seg = [], [], None
            for i in range(w_lo, w_hi):
                if current and segments[i] != seg:
                    lines_out.append(" ".join(current))
                    current = [tags[i] + tokens[i]]
                else:
                    current.append((tags[i] if not current else "") + tokens[i])
                seg = segments[i]
            lines_out.append(" ".join(current))
            transcript = "\n".join(lines_out)
        else:
            transcript = "(no speech)"
        chat_text = "".join(lines[c_lo:pos]).rstrip("\n") if pos > c_lo else "(quiet)"
        context = render_context(transcript, chat_text, window)
        seg_ids: list[str] = []
        for s in segments[w_lo:w_hi]:
            if not seg_ids or seg_ids[-1] != s:
                seg_ids.append(s)
        if m.user_key not in user_hashes:
            user_hashes[m.user_key] = hmac.new(HASH_KEY, (m.user_key or "").encode(), hashlib.sha256).hexdigest()[:16] if m.user_key else ""
        k = max(0, min(bisect.bisect_right(kx, m.t) - 1, len(kx) - 1))
        pairs.append({
            "pair_id": hashlib.sha256(f"{VOD_ID}\0{m.msg_id}\0orig".encode()).hexdigest()[:20],
            "vod_id": VOD_ID, "msg_id": m.msg_id, "variant": "orig", "user_hash": user_hashes[m.user_key],
            "sent_at_utc_ms": m.t, "viewer_audio_s": viewer, "audio_start_s": viewer - window.transcript_s,
            "audio_end_s": viewer, "segment_ids": seg_ids, "chat_context_msg_ids": [x.msg_id for x in kept[c_lo:pos]],
            "context": context, "reply": m.reply, "weight": m.weight, "is_emote_only": m.is_emote_only,
            "approx_tokens": math.ceil(len(context) / 2.5), "curve_segment": knots[k][2], "curve_confidence": 1.0,
            "filter_preset": filters.preset,
        })
    return pairs


def _naive_child(work: str, prefix: int | None, queue) -> None:
    chat, words, meta = read_inputs(Path(work), prefix)
    started, cpu = time.perf_counter(), time.process_time()
    result = naive_clean_pairs(chat, words, meta)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = peak_rss_mib()
    pq.write_table(pa.table({"msg_id": [p["msg_id"] for p in result.pairs], "context": [p["context"] for p in result.pairs]}),
                   Path(work) / "naive_pairs.parquet")
    pq.write_table(pa.table({"msg_id": [m.msg_id for m in result.kept]}), Path(work) / "naive_kept.parquet")
    queue.put({"wall_s": wall, "cpu_s": cpu, "rss_mib": rss, "funnel": result.funnel, "phases": result.seconds,
               "messages": chat.num_rows})


# ----------------------------------------------------------------------------- driver


def _in_child(target, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=target, args=(*args, queue))
    child.start()
    try:
        out = queue.get()
    finally:
        child.join()
    if child.exitcode:
        raise RuntimeError(f"{target.__name__} exited with {child.exitcode}")
    return out


def scan_floor(work: Path) -> tuple[float, float]:
    """(pyarrow read of chat.parquet, one DuckDB pass over its main columns) in seconds: the physical floor."""
    import duckdb

    started = time.perf_counter()
    chat = pq.read_table(work / "chat.parquet")
    read_s = time.perf_counter() - started
    con = duckdb.connect()
    con.register("chat", chat)
    started = time.perf_counter()
    con.sql("SELECT count(*), sum(length(body)), count(DISTINCT user_login), max(sent_at_utc_ms) FROM chat").fetchall()
    scan_s = time.perf_counter() - started
    con.close()
    return read_s, scan_s


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def compare(work: Path) -> dict:
    ours = pq.read_table(work / "ours_pairs.parquet").to_pylist()
    naive = pq.read_table(work / "naive_pairs.parquet").to_pylist()
    o_ctx = {r["msg_id"]: r["context"] for r in ours}
    n_ctx = {r["msg_id"]: r["context"] for r in naive}
    common = o_ctx.keys() & n_ctx.keys()
    o_kept = set(pq.read_table(work / "ours_kept.parquet").column("msg_id").to_pylist())
    n_kept = set(pq.read_table(work / "naive_kept.parquet").column("msg_id").to_pylist())
    return {
        "ours_pairs": len(o_ctx), "naive_pairs": len(n_ctx),
        "pairs_jaccard": _jaccard(set(o_ctx), set(n_ctx)),
        "ours_kept": len(o_kept), "naive_kept": len(n_kept), "kept_jaccard": _jaccard(o_kept, n_kept),
        "same_context": sum(o_ctx[m] == n_ctx[m] for m in common) / len(common) if common else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help="chat rows (chat rate x 4 h)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-prefix", type=int, default=None,
                        help="run the baseline on the first N messages and extrapolate linearly (default: all)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dougchat-bench-pairs-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        meta = write_inputs(work, args.messages, args.seed)
        n = meta["messages"]
        print(f"simulated {n:,} messages, {meta['words']:,} gated transcript words, "
              f"{meta['audio_duration_s'] / 3600:.2f} h audio (seed {args.seed}) in {time.perf_counter() - started:.1f} s")
        read_s, scan_s = scan_floor(work)
        filters = DatasetConfig().filters
        print(f"filters: preset {filters.preset!r}, params hash {filters.params_hash()} (both sides read these FilterParams)")
        print(f"load average (1/5/15 min) at start: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
              f"on {os.cpu_count()} CPUs")

        prefix = args.baseline_prefix if args.baseline_prefix and args.baseline_prefix < n else None
        print("running ours (clean_vod) in a fresh process ...", flush=True)
        ours = _in_child(_ours_child, str(work), prefix)
        print(f"  {ours['wall_s']:.1f} s", flush=True)
        print("running the naive baseline in a fresh process ...", flush=True)
        naive = _in_child(_naive_child, str(work), prefix)
        print(f"  {naive['wall_s']:.1f} s on {naive['messages']:,} messages", flush=True)
        cmp = compare(work)
    load_after = os.getloadavg()

    scale = n / naive["messages"]
    naive_full_s = naive["wall_s"] * scale
    ours_rate, naive_rate = n / ours["wall_s"], n / naive_full_s
    scope = f"first {naive['messages']:,} messages" if prefix else "all messages"
    print()
    if prefix:
        print(f"(dropped: both on the first {naive['messages']:,} messages; seconds: ours on all {n:,}, naive on the prefix)")
    # ours: CleanResult.seconds ("filters.<phase>", "scrub_mentions", "pairs"); naive: NaiveResult.seconds
    o_s = {k.removeprefix("filters."): v for k, v in ours["phases"].items()}
    n_s = dict(naive["phases"])
    n_s["scrub_mentions"] = n_s.pop("output", 0.0)  # the baseline's "output" phase is its mention scrub
    naive_funnel = dict(naive["funnel"])
    print("per step                  dropped: ours     naive   seconds: ours  naive")
    print(f"  {'load + normalise':<24} {'':>15} {'':>9} {o_s.get('load', 0):>14.2f} {n_s.get('load', 0):>6.2f}")
    for step, dropped in ours["funnel"]:
        if step in ("alignment", "balance"):
            print(f"  {step:<24} {dropped:>15,} {naive_funnel.get(step, 0):>9,}")
        else:
            print(f"  {step:<24} {dropped:>15,} {naive_funnel.get(step, 0):>9,} {o_s.get(step, 0):>14.2f} {n_s.get(step, 0):>6.2f}")
    rows = (("filter output tables", "output"), ("scrub mentions", "scrub_mentions"), ("pairs (alignment..render)", "pairs"),
            ("privacy check", "checks"))
    for label, key in rows:
        print(f"  {label:<24} {'':>15} {'':>9} {o_s.get(key, 0):>14.2f} {n_s.get(key, 0):>6.2f}")
    rest_o = ours["wall_s"] - sum(o_s.values())
    rest_n = naive["wall_s"] - sum(n_s.values())
    print(f"  {'rest (glue, tables)':<24} {'':>15} {'':>9} {rest_o:>14.2f} {rest_n:>6.2f}")
    print()
    print(f"comparability ({scope}):")
    print(f"  filter survivors   ours {cmp['ours_kept']:,}  naive {cmp['naive_kept']:,}  Jaccard of msg_ids {cmp['kept_jaccard']:.4f}")
    print(f"  pairs              ours {cmp['ours_pairs']:,}  naive {cmp['naive_pairs']:,}  Jaccard of msg_ids {cmp['pairs_jaccard']:.4f}")
    print(f"  shared pairs with a byte-identical context: {cmp['same_context']:.1%}")
    print()
    print(f"clean_pairs: filters + pairs on {n:,} messages     messages/s    wall s    CPU s   peak RSS (child)")
    print(f"  dougchat clean_vod                      {ours_rate:>12,.0f} {ours['wall_s']:>9.1f} {ours['cpu_s']:>8.1f}   "
          f"{ours['rss_mib']:,.0f} MiB")
    note = f"  (timed on the {scope}, extrapolated linearly)" if prefix else ""
    print(f"  naive Python (loops, bisect, datasketch) {naive_rate:>11,.0f} {naive_full_s:>9.1f} {naive['cpu_s'] * scale:>8.1f}   "
          f"{naive['rss_mib']:,.0f} MiB{note}")
    print(f"  ratio                                   {ours_rate / naive_rate:>11.1f}x  (target >= 10x; CPU-time ratio "
          f"{naive['cpu_s'] * scale / ours['cpu_s']:.1f}x)")
    floor = read_s + scan_s
    print(f"  floor: pyarrow read of the chat Parquet {read_s:.2f} s + one DuckDB pass over it {scan_s:.2f} s = {floor:.2f} s: "
          f"ours is {ours['wall_s'] / floor:.0f}x that, {ours['wall_s'] - floor:.1f} s above it")
    print(f"  load average (1/5/15 min) at end: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
          f"on {os.cpu_count()} CPUs (shared machine)")


if __name__ == "__main__":
    main()
