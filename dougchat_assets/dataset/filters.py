"""The chat filters of the dataset stage: which messages may become training replies, and with what weight.

Nine steps run in a fixed order, each a named function of :class:`FilterParams` that sees only
the messages the previous steps kept, so the funnel reads "in -> out" per step, and every
drop, down-weight or collapse is logged with its step and a reason (one row per action: a
kept emote-only wall has two, collapse and down-weight):

1. ``system``      subs, raids, notices, mod actions, timeouts, deletions (not viewer text)
2. ``moderation``  messages a moderator deleted; a user's messages shortly before a timeout/ban
3. ``bots``        known bot accounts, and accounts that behave like timers (regular, repeated, announcements)
4. ``commands``    "!commands", and the accounts that answer them
5. ``copypasta``   bursts of one text: long texts by MinHash cluster (copypasta), short ones by
                   their words (spam), capped where denser than the text's own background rate
6. ``rate_limit``  one user's flood, capped per (short) time window
7. ``emotes``      emote walls collapsed; emote-only lines sampled and down-weighted
8. ``length``      empty and overlong replies
9. ``toxicity``    profanity-model probability over a threshold, or the targeted-insult screen (and
                   the other messages of an account that insulted)

Everything set-based runs as SQL on a private in-memory DuckDB connection (window functions
and joins over the whole VOD): a Python loop over a million messages, each looking back over
its window, is what this replaces.  Python touches only distinct long texts (MinHash) and
distinct texts (toxicity model).

Order of messages is total: time, then the position in the export, then the id.  Several
messages often share a millisecond (and Chatterino logs have whole seconds), so "earlier"
always means earlier in that order, and reruns give identical tables.

Reasons never name a user: the log is shared with people who review the dataset.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dougchat_assets.chat.schema import EMOTE_SPAN_TYPE
from dougchat_assets.dataset import neardup
from dougchat_assets.dataset.normalize import create_normalized_table, sql_literal
from dougchat_assets.dataset.params import FilterParams
from dougchat_assets.dataset.toxicity import ToxicityScorer
from dougchat_assets.errors import InputError

REQUIRED_COLUMNS = ("msg_id", "sent_at_utc_ms", "body", "msg_type")
# Optional raw_chat columns and the type used when a table lacks them (crafted test tables).
OPTIONAL_COLUMNS: dict[str, pa.DataType] = {
    "source_line": pa.int64(),
    "native_id": pa.string(),
    "user_id": pa.string(),
    "user_login": pa.string(),
    "user_display_name": pa.string(),
    "is_emote_only": pa.bool_(),
    "emote_spans": pa.list_(EMOTE_SPAN_TYPE),
    "target_user_login": pa.string(),
    "target_native_id": pa.string(),
}

KEPT_SCHEMA = pa.schema(
    [
        pa.field("msg_id", pa.string(), nullable=False),
        pa.field("sent_at_utc_ms", pa.int64(), nullable=False),
        pa.field("user_key", pa.string()),  # lower(login), else user id: never shown in reasons
        pa.field("reply", pa.string(), nullable=False),  # the body, emote walls collapsed
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("is_emote_only", pa.bool_(), nullable=False),
    ]
)
LOG_SCHEMA = pa.schema(
    [
        pa.field("msg_id", pa.string(), nullable=False),
        pa.field("step", pa.string(), nullable=False),
        pa.field("action", pa.string(), nullable=False),  # drop | downweight | collapse
        pa.field("reason", pa.string(), nullable=False),
    ]
)
ACTIONS = ("drop", "downweight", "collapse")
USER_MESSAGE_TYPES = ("chat", "command")
# Moderator actions that *lift* a ban or timeout (Chatterino writes them as mod_action with a target).
_UNBAN = r"\bun-?ban|\bun-?timed?|\buntimeout|removed the timeout"


@dataclass(frozen=True)
class FunnelStep:
    """How one step changed the stream: messages in, out, and what it did to them."""

    step: str
    messages_in: int
    messages_out: int
    dropped: int
    downweighted: int
    collapsed: int


@dataclass
class FilterOutcome:
    """Survivors (training replies with weights), the per-message log, and the funnel."""

    kept: pa.Table
    log: pa.Table
    funnel: list[FunnelStep]
    seconds: dict[str, float] = field(default_factory=dict, compare=False)  # wall time per phase (load, steps, output)

    def funnel_table(self) -> pa.Table:
        return pa.Table.from_pylist([vars(step) for step in self.funnel]) if self.funnel else pa.table({})


@dataclass
class _Context:
    """What a step may use: the connection, the full message table ``msgs``, and the scorer."""

    con: duckdb.DuckDBPyConnection
    params: FilterParams
    scorer: ToxicityScorer | None


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _num(value: float) -> str:
    """A float for a reason text: 60.0 -> '60', 0.25 -> '0.25'."""
    return f"{value:g}"


def _decision(ord_expr: str, action: str, reason_sql: str, reply: str = "NULL::VARCHAR", weight: str = "NULL::DOUBLE") -> str:
    return f"SELECT {ord_expr} AS ord, '{action}' AS action, {reason_sql} AS reason, {reply} AS reply, {weight} AS weight"


# --- the steps: each returns a query of decisions (ord, action, reason, reply, weight) over ``src`` ---


def step_system(ctx: _Context, src: str) -> str:
    """Drop every row that is not a viewer message (the reason names the row's type)."""
    types = ", ".join(sql_literal(t) for t in USER_MESSAGE_TYPES)
    drop = _decision("ord", "drop", "'system message (' || msg_type || ')'")
    return f"{drop} FROM {src} WHERE msg_type NOT IN ({types})"


def step_moderation(ctx: _Context, src: str) -> str:
    """Drop what moderators removed: deleted messages, and a user's messages before a timeout or ban.

    A deletion names the message's native id (TwitchDownloader, chat-downloader, IRC); a
    Chatterino log names only the user and the text, so there the user's latest message with
    that text (else their latest message) within the look-back is the one deleted.
    """
    look = _ms(ctx.params.moderation_lookback_s)
    secs = _num(ctx.params.moderation_lookback_s)
    deleted = _decision("ord", "drop", "'deleted by a moderator'")
    punished = _decision(
        "p.ord", "drop", f"'user ' || CASE WHEN only_timeouts THEN 'timed out' ELSE 'banned' END || ' within {secs} s after this message'"
    )
    return f"""
        WITH del AS (SELECT ord, t, body, target_key, target_native_id FROM msgs WHERE msg_type = 'deletion'),
        by_id AS (
            SELECT m.ord FROM msgs m JOIN del d ON m.native_id = d.target_native_id
            WHERE m.ord IN (SELECT ord FROM {src})
        ),
        by_user AS (
            SELECT d.ord AS dord,
                   arg_max(s.ord, (d.body = s.body OR ends_with(d.body, ': ' || s.body))::INT * 1e15 + s.ord) AS ord
            FROM {src} s JOIN del d
              ON d.target_native_id IS NULL AND s.user_key = d.target_key AND s.ord < d.ord AND s.t >= d.t - {look}
            GROUP BY d.ord
        ),
        deleted AS (SELECT ord FROM by_id UNION SELECT ord FROM by_user),
        bans AS (
            SELECT t, target_key, msg_type = 'timeout' AS is_timeout FROM msgs
            WHERE target_key IS NOT NULL
              AND (msg_type = 'timeout' OR (msg_type = 'mod_action' AND NOT regexp_matches(lower(body), {sql_literal(_UNBAN)})))
        ),
        punished AS (
            SELECT s.ord, bool_and(b.is_timeout) AS only_timeouts
            FROM {src} s JOIN bans b ON s.user_key = b.target_key AND s.t <= b.t AND s.t >= b.t - {look}
            GROUP BY s.ord
        )
        {deleted} FROM deleted
        UNION ALL
        {punished} FROM punished p WHERE p.ord NOT IN (SELECT ord FROM deleted)
    """


def step_bots(ctx: _Context, src: str) -> str:
    """Drop known bot accounts, and accounts that behave like a channel's own timer bot.

    An unlisted account is a timer bot when it (1) posts a few texts on a regular timer, or
    (2) posts only long lines and repeats one of them, never twice within
    ``timer_repeat_min_gap_s`` (a viewer who repeats a long line does it in a burst, or
    among other lines), or (3) posts only long announcements (``promo_patterns``: links,
    codes, follow / discord / schedule reminders), or (4) posts one long text at least
    ``repeat_bot_min`` times and as ``repeat_bot_share`` of its lines, whatever else it posts
    (a channel's helper bot answering commands between its schedule reminders; a chatty
    viewer who says the same sentence five times over hundreds of lines is not one).  Rule 3 exists because a stream shows a timer with a period near
    its length once or twice: no gap statistics can find that.
    """
    p = ctx.params
    names = "[" + ", ".join(sql_literal(n) for n in sorted(p.bot_names)) + "]::VARCHAR[]"
    promo = " OR ".join(f"regexp_matches(lower(body), {sql_literal(pattern)})" for pattern in p.promo_patterns) or "false"
    named = _decision("ord", "drop", "'known bot account'")
    timer = _decision(
        "s.ord", "drop",
        "CASE rule WHEN 1 THEN 'posts a few texts on a fixed timer' "
        f"WHEN 2 THEN 'repeats long texts, never within {_num(p.timer_repeat_min_gap_s)} s' "
        "WHEN 3 THEN 'posts only announcements (links, codes, follow or schedule reminders)' "
        f"ELSE 'posts one long text {p.repeat_bot_min} times or more' END",
    )
    return f"""
        WITH named AS (
            SELECT ord FROM msgs
            WHERE (list_contains({names}, user_key) OR list_contains({names}, display_key)) AND ord IN (SELECT ord FROM {src})
        ),
        gaps AS (
            SELECT user_key, norm, n_tokens, body, t - lag(t) OVER (PARTITION BY user_key ORDER BY t, ord) AS gap
            FROM {src} WHERE user_key IS NOT NULL AND ord NOT IN (SELECT ord FROM named)
        ),
        repeats AS (
            SELECT user_key, max(k) AS most_same, max(k) FILTER (WHERE long_text) AS most_same_long
            FROM (SELECT user_key, count(*) AS k, any_value(n_tokens) >= {p.timer_repeat_min_tokens} AS long_text
                  FROM gaps GROUP BY user_key, norm)
            GROUP BY user_key
        ),
        users AS (
            SELECT user_key, count(*) AS n, median(gap) AS med, stddev_pop(gap) AS sd, avg(gap) AS mean,
                   count(DISTINCT norm) AS texts, min(gap) AS min_gap,
                   bool_and(n_tokens >= {p.timer_repeat_min_tokens}) AS all_long,
                   bool_and(n_tokens >= {p.timer_promo_min_tokens}) AS promo_long
            FROM gaps GROUP BY user_key
        ),
        promoters AS (  -- the patterns run only on accounts whose every line is long enough
            SELECT user_key FROM gaps WHERE user_key IN (SELECT user_key FROM users WHERE promo_long)
            GROUP BY user_key HAVING bool_and({promo})
        ),
        timers AS (
            SELECT user_key, CASE
                WHEN n >= {p.timer_min_messages} AND med >= {_ms(p.timer_min_gap_s)} AND mean > 0
                     AND sd / mean <= {p.timer_max_gap_cv} AND texts / n <= {p.timer_max_distinct_share} THEN 1
                WHEN all_long AND most_same >= 2 AND min_gap >= {_ms(p.timer_repeat_min_gap_s)} THEN 2
                WHEN user_key IN (SELECT user_key FROM promoters) THEN 3
                WHEN most_same_long >= greatest({p.repeat_bot_min}, {p.repeat_bot_share} * n) THEN 4 END AS rule
            FROM users JOIN repeats USING (user_key)
        )
        {named} FROM named
        UNION ALL
        {timer} FROM {src} s JOIN timers USING (user_key) WHERE rule IS NOT NULL
    """


def _binomial_tail(n: int, k: int, q: float) -> float:
    """P(X >= k) for X ~ Binomial(n, q)."""
    if k <= 0:
        return 1.0
    if q <= 0.0:
        return 0.0
    if q >= 1.0:
        return 1.0
    # In log space: comb(n, i) overflows a float for the n of a chatty account.
    log_q, log_1q, log_n = math.log(q), math.log1p(-q), math.lgamma(n + 1)
    terms = (log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_q + (n - i) * log_1q for i in range(k, n + 1))
    return min(1.0, sum(math.exp(term) for term in terms))


def step_commands(ctx: _Context, src: str) -> str:
    """Drop "!commands", and every message of an account that answers other users' commands.

    A command is "!" and a word character ("!uptime"); "!!!" and "!?" are excitement.  A
    message answers a command when the latest command before it came from another user less
    than ``command_reply_window_s`` earlier (window functions over the time order), or when
    it names the author of a command of that window ("@someone clip created").  In a busy
    chat anyone's message may land a few seconds after someone's command, so an account is a
    responder only when its share of such messages is high *and* unlikely by chance: the
    chance is the share of all *other* accounts' messages that do the same, and the binomial
    tail of the account's count must be below ``command_responder_max_p``.  Timing counts only
    where that chance is at most ``command_timing_max_chance``: where commands come every few
    seconds a chatty viewer's messages follow one most of the time too (chat and commands
    swell together, which no binomial allows for), while naming the commander still proves
    something.  Known bots are gone already (step ``bots``); this finds the channel's own.
    """
    con, p = ctx.con, ctx.params
    window = _ms(p.command_reply_window_s)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE flagged AS
            SELECT ord, t, user_key, is_cmd, NOT is_cmd AND t - t_any <= {window} AS near_cmd,
                   NOT is_cmd AND o_any IS NOT NULL AND t - t_any <= {window} AND o_any > coalesce(o_self, -1) AS is_reply
            FROM (
                SELECT *,
                       max(CASE WHEN is_cmd THEN ord END) OVER (ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS o_any,
                       max(CASE WHEN is_cmd THEN t END) OVER (ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS t_any,
                       max(CASE WHEN is_cmd THEN ord END) OVER (PARTITION BY user_key ORDER BY ord
                                                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS o_self
                FROM (SELECT ord, t, user_key, regexp_matches(body, '^\\s*!\\w') AS is_cmd FROM {src})
            )"""
    )
    # Messages naming (login as a word, "@" or not) another user who sent a command in the window.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE mentions AS
            WITH cmds AS (SELECT ord, t, user_key FROM flagged WHERE is_cmd AND user_key IS NOT NULL),
            words AS (
                SELECT * FROM (
                    SELECT s.ord, s.t, s.user_key, unnest(regexp_extract_all(lower(s.body), '[a-z0-9_]{{3,}}')) AS word
                    FROM {src} s JOIN flagged f USING (ord) WHERE f.near_cmd AND s.user_key IS NOT NULL
                ) WHERE word IN (SELECT user_key FROM cmds)
            )
            SELECT DISTINCT w.ord FROM words w JOIN cmds c ON c.user_key = w.word
            WHERE c.user_key <> w.user_key AND c.ord < w.ord AND c.t >= w.t - {window}"""
    )
    rows = con.execute(
        """SELECT user_key, count(*) AS n, count(*) FILTER (WHERE is_reply) AS k,
                  count(*) FILTER (WHERE ord IN (SELECT ord FROM mentions)) AS m
           FROM flagged WHERE NOT is_cmd AND user_key IS NOT NULL GROUP BY user_key
           HAVING k > 0 OR m > 0 ORDER BY user_key"""
    ).fetchall()
    responders: list[str] = []
    total_n = con.execute("SELECT count(*) FROM flagged WHERE NOT is_cmd AND user_key IS NOT NULL").fetchall()[0][0]
    total_k, total_m = sum(row[2] for row in rows), sum(row[3] for row in rows)
    for user, n, k, m in rows:
        others = total_n - n
        for timing, hits, total, share in ((True, k, total_k, p.command_responder_share),
                                           (False, m, total_m, p.command_mention_share)):
            chance = (total - hits) / others if others else 1.0
            if timing and chance > p.command_timing_max_chance:
                continue  # commands too dense: following one says nothing (chatty viewers would pass)
            if hits >= p.command_responder_min and hits / n >= share and _binomial_tail(n, hits, chance) < p.command_responder_max_p:
                responders.append(user)
                break
    con.register("_responders", pa.table({"user_key": pa.array(responders, pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE responders AS SELECT * FROM _responders")
    con.unregister("_responders")
    command = _decision("ord", "drop", "'bot command (\"!\" and a word)'")
    responder = _decision("f.ord", "drop", "'account that answers commands'")
    return f"""
        {command} FROM flagged WHERE is_cmd
        UNION ALL
        {responder} FROM flagged f JOIN responders USING (user_key) WHERE NOT f.is_cmd
    """


def _clusters(ctx: _Context, src: str) -> None:
    """Table ``clusters(norm, cluster)``: long texts mapped to their MinHash cluster's representative.

    The representative is the cluster's alphabetically first text; only the other members are
    listed (a text not listed is its own cluster).
    """
    con, p = ctx.con, ctx.params
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE long_texts AS
            SELECT norm, (row_number() OVER (ORDER BY norm) - 1)::BIGINT AS tid
            FROM (SELECT DISTINCT norm FROM {src} WHERE n_tokens >= {max(1, p.near_dup_min_tokens)})"""
    )
    n = con.execute("SELECT count(*) FROM long_texts").fetchall()[0][0]
    if n < 2:
        con.execute("CREATE OR REPLACE TEMP TABLE clusters AS SELECT norm, norm AS cluster FROM long_texts WHERE false")
        return
    # Repeated words need no DISTINCT: a minimum does not change when a value comes twice.
    con.execute("CREATE OR REPLACE TEMP TABLE text_words AS SELECT tid, unnest(string_split(norm, ' ')) AS word FROM long_texts")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE words AS
           SELECT word, (row_number() OVER (ORDER BY word) - 1)::BIGINT AS wid FROM (SELECT DISTINCT word FROM text_words)"""
    )
    words = con.sql("SELECT word FROM words ORDER BY wid").to_arrow_table().column(0).to_pylist()
    pairs = con.sql("SELECT tw.tid, w.wid FROM text_words tw JOIN words w USING (word)").fetchnumpy()
    text_index = np.asarray(pairs["tid"], dtype=np.int64)
    order = np.argsort(text_index, kind="stable")
    sig = neardup.signatures(
        text_index[order], np.asarray(pairs["wid"], dtype=np.int64)[order], n, neardup.word_hashes(words)
    )
    labels = neardup.cluster_signatures(sig, p.near_dup_threshold)
    con.register("_labels", pa.table({"tid": pa.array(np.arange(n, dtype=np.int64)), "rep": pa.array(labels)}))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE clusters AS
           SELECT l.norm, r.norm AS cluster FROM (SELECT * FROM _labels WHERE tid <> rep) x
           JOIN long_texts l ON l.tid = x.tid JOIN long_texts r ON r.tid = x.rep"""
    )
    con.unregister("_labels")
    con.execute("DROP TABLE text_words; DROP TABLE words")


def _cap_per_window(src: str, key: str, window_ms: int, cap: int) -> str:
    """Query of (ord, earlier): messages with at least ``cap`` earlier messages of the same ``key`` within the window.

    ``earlier`` counts messages before this one in the total order whose time is at most
    ``window_ms`` earlier: its rank in the key minus those older than the window.  Every
    message that reached the step counts, kept or not, so a burst keeps exactly its first ``cap``.
    """
    return f"""
        SELECT ord, earlier FROM (
            SELECT ord,
                   row_number() OVER (PARTITION BY {key} ORDER BY t, ord) - 1
                   - count(*) OVER (PARTITION BY {key} ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND {window_ms + 1} PRECEDING)
                   AS earlier
            FROM {src}
        ) WHERE earlier >= {cap}
    """


def _burst_query(keyed: str, window_ms: int, cap: int, p: FilterParams, span_ms: int, background: bool = True) -> str:
    """Query of (ord, earlier): messages of a burst of their key beyond its cap.

    ``earlier`` counts the key's messages in the previous ``window_ms`` (as
    :func:`_cap_per_window`).  The cap grows with the key's *background*: ``mu``, its
    messages outside this moment (the window either side) spread over the rest of the VOD and
    scaled to one window.  A message is dropped once ``earlier`` reaches ``max(cap,
    burst_excess * mu + burst_sigmas * sqrt(mu))``: a pasta or "+1" spam has no background and
    keeps ``cap`` copies; "LUL" in a 25-messages-a-second chat has a large one and is left alone.
    Without ``background`` the cap is ``cap`` everywhere (a pasta that recurs all stream long
    is still a pasta).
    """
    if not background:
        return f"SELECT ord, earlier FROM ({_cap_per_window(keyed, 'ck', window_ms, cap)})"
    rest = max(span_ms - 2 * window_ms, window_ms)
    return f"""
        SELECT ord, earlier FROM (
            SELECT ord, earlier, (tot - around) * {window_ms}.0 / {rest} AS mu FROM (
                SELECT ord,
                       row_number() OVER (PARTITION BY ck ORDER BY t, ord) - 1
                       - count(*) OVER (PARTITION BY ck ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND {window_ms + 1} PRECEDING)
                       AS earlier,
                       count(*) OVER (PARTITION BY ck) AS tot,
                       count(*) OVER (PARTITION BY ck ORDER BY t RANGE BETWEEN {window_ms} PRECEDING AND {window_ms} FOLLOWING)
                       AS around
                FROM {keyed}
            )
        ) WHERE earlier >= greatest({cap}, {float(p.burst_excess)} * mu + {float(p.burst_sigmas)} * sqrt(mu))
    """


def step_copypasta(ctx: _Context, src: str) -> str:
    """Drop copies of a text beyond its cap where they come in a burst: copypasta and spam.

    Copypasta is long: texts of ``near_dup_min_tokens`` words and ``copypasta_min_chars``
    characters or more are keyed by their MinHash cluster (an edited pasta is the same pasta)
    and capped at ``copypasta_max_per_window`` per ``copypasta_window_s``, wherever they come.
    Other texts are keyed by their words without emotes and repeats ("+1 +1 LUL" is "+1") and
    capped at ``spam_max_per_window`` per ``spam_window_s`` only where they are dense *for
    that text* (see :func:`_burst_query`): common phrases repeat all the time in a fast chat,
    and a template line ("that was actually insane") recurs all stream long.
    """
    con, p = ctx.con, ctx.params
    is_pasta = f"s.n_tokens >= {max(1, p.near_dup_min_tokens)} AND length(s.norm) >= {p.copypasta_min_chars}"
    _clusters(ctx, f"(SELECT * FROM {src} s WHERE {is_pasta})")
    span = con.execute(f"SELECT coalesce(max(t) - min(t), 0) FROM {src}").fetchall()[0][0]
    long_keyed = f"""(SELECT s.ord, s.t, coalesce(c.cluster, s.norm) AS ck
                      FROM {src} s LEFT JOIN clusters c USING (norm) WHERE {is_pasta})"""
    words = "list_filter(string_split(s.norm, ' '), lambda w: NOT list_contains(list_transform(m.emote_names, lambda e: lower(e)), w))"
    short_keyed = f"""(SELECT ord, t, CASE WHEN skeleton = '' THEN array_to_string(list_sort(list_distinct(toks)), ' ')
                                           ELSE skeleton END AS ck
                       FROM (SELECT ord, t, toks, array_to_string(list_filter(words, lambda w, i: NOT list_contains(words[1:i - 1], w)), ' ')
                                    AS skeleton
                             FROM (SELECT s.ord, s.t, string_split(s.norm, ' ') AS toks, {words} AS words
                                   FROM {src} s JOIN msgs m USING (ord) WHERE NOT ({is_pasta}))))"""
    long_w, short_w = _ms(p.copypasta_window_s), _ms(p.spam_window_s)
    pasta = _decision(
        "ord", "drop",
        f"'copypasta: ' || earlier || ' near-identical long messages in the previous {_num(p.copypasta_window_s)} s'",
    )
    spam = _decision(
        "ord", "drop", f"'spam burst: ' || earlier || ' messages with the same words in the previous {_num(p.spam_window_s)} s'"
    )
    return f"""
        {pasta} FROM ({_burst_query(long_keyed, long_w, p.copypasta_max_per_window, p, span, background=False)})
        UNION ALL
        {spam} FROM ({_burst_query(short_keyed, short_w, p.spam_max_per_window, p, span)})
    """


def step_rate_limit(ctx: _Context, src: str) -> str:
    """Drop a user's message once they already sent ``user_max_per_window`` in the window."""
    p = ctx.params
    users = f"(SELECT ord, t, user_key FROM {src} WHERE user_key IS NOT NULL)"
    capped = _cap_per_window(users, "user_key", _ms(p.user_window_s), p.user_max_per_window)
    reason = f"'rate limit: ' || earlier || ' messages from the same user in the previous {_num(p.user_window_s)} s'"
    return f"{_decision('ord', 'drop', reason)} FROM ({capped})"


def step_emotes(ctx: _Context, src: str) -> str:
    """Collapse emote walls; keep a deterministic share of emote-only lines, down-weighted.

    A line is sampled by a hash of its message id (the first 52 bits of md5 as a fraction),
    not by a random draw, so a rerun keeps the same lines.
    """
    p = ctx.params
    keep_rate, weight = p.emote_only_keep_rate, p.emote_only_weight
    sampled_out = _decision("ord", "drop", f"'emote-only line not sampled (keep rate {_num(keep_rate)})'")
    wall = _decision("ord", "collapse", f"'emote wall: each emote kept at most {p.emote_wall_keep} times'", reply="collapsed")
    downweight = _decision("ord", "downweight", f"'emote-only line (weight {_num(weight)})'", weight=f"{float(weight)}::DOUBLE")
    # Keep token i unless it is an emote already seen ``emote_wall_keep`` times before it.
    kept_tokens = (
        "list_filter(toks, lambda w, i: NOT list_contains(emote_names, w)"
        f" OR len(list_filter(toks[1:i - 1], lambda v: v = w)) < {p.emote_wall_keep})"
    )
    return f"""
        WITH walls AS (
            SELECT ord, array_to_string(kept, ' ') AS collapsed FROM (
                SELECT s.ord, len(s.toks) AS n_before, {kept_tokens} AS kept
                FROM (SELECT ord, regexp_split_to_array(trim(coalesce(reply, body)), '\\s+') AS toks
                      FROM {src} WHERE n_emotes >= {p.emote_wall_min}) s
                JOIN msgs m USING (ord)
            ) WHERE len(kept) < n_before
        ),
        draws AS (
            SELECT m.ord, ('0x' || md5(m.msg_id)[1:13])::BIGINT / 4503599627370496.0 AS u
            FROM msgs m WHERE m.is_emote_only AND m.ord IN (SELECT ord FROM {src})
        ),
        e AS (
            SELECT s.ord, coalesce(s.reply, s.body) AS reply, s.is_emote_only, w.collapsed, d.u
            FROM {src} s LEFT JOIN walls w USING (ord) LEFT JOIN draws d USING (ord)
            WHERE s.n_emotes >= {p.emote_wall_min} OR s.is_emote_only
        ),
        d AS (
            SELECT *, collapsed IS NOT NULL AS is_wall,
                   is_emote_only AND u >= {keep_rate} AS sampled_out FROM e
        )
        {sampled_out} FROM d WHERE sampled_out
        UNION ALL
        {wall} FROM d WHERE is_wall AND NOT sampled_out
        UNION ALL
        {downweight} FROM d WHERE is_emote_only AND NOT sampled_out
    """


def step_length(ctx: _Context, src: str) -> str:
    """Drop empty replies and replies longer than ``max_reply_chars`` characters."""
    limit = ctx.params.max_reply_chars
    empty = _decision("ord", "drop", "'empty reply'")
    long = _decision("ord", "drop", f"'longer than {limit} characters'")
    return f"""
        {empty} FROM {src} WHERE trim(coalesce(reply, body)) = ''
        UNION ALL
        {long} FROM {src} WHERE trim(coalesce(reply, body)) <> '' AND length(coalesce(reply, body)) > {limit}
    """


def step_toxicity(ctx: _Context, src: str) -> str:
    """Drop toxic lines: the profanity model's probability reaches the threshold, OR the insult screen matches.

    The model scores swear words (it also flags harmless swearing, which goes too: see the
    threshold); the screen (``FilterParams.all_insult_patterns``: the bundled
    ``insult_lexicon.txt``, a community lexicon, extra patterns) catches targeted insults made
    of clean words.  With ``drop_insulters``, an account that posted a
    screened insult anywhere in the VOD (even in a message an earlier step dropped) loses its
    other messages as well: a troll's next insult is often one no list foresaw.
    """
    con, p = ctx.con, ctx.params
    scorer = ctx.scorer if ctx.scorer is not None else ToxicityScorer()
    con.register("_tox", scorer.score_query(con, f"SELECT norm FROM {src} WHERE NOT is_emote_only AND norm <> ''"))
    types = ", ".join(sql_literal(t) for t in USER_MESSAGE_TYPES)
    scope = "msgs" if p.drop_insulters else src
    # One regexp_matches per pattern: RE2 runs each as a small DFA in linear time, while their
    # alternation outgrows the DFA memory and falls back to a slow NFA (150x slower measured).
    insult = " OR ".join(f"regexp_matches(norm, {sql_literal(pattern)})" for pattern in p.all_insult_patterns) or "false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE insults AS
            SELECT norm FROM (SELECT DISTINCT norm FROM {scope} WHERE msg_type IN ({types}) AND NOT is_emote_only AND norm <> '')
            WHERE {insult}"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE tox AS
            SELECT s.ord, s.user_key, x.p, s.norm IN (SELECT norm FROM insults) AS insult
            FROM {src} s LEFT JOIN _tox x ON x.text = s.norm"""
    )
    con.unregister("_tox")
    if p.drop_insulters:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE insulters AS
                SELECT DISTINCT user_key FROM msgs
                WHERE user_key IS NOT NULL AND msg_type IN ({types}) AND norm IN (SELECT norm FROM insults)"""
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE insulters AS SELECT NULL::VARCHAR AS user_key WHERE false")
    flagged = f"coalesce(p >= {p.toxicity_threshold}, false)"
    model = _decision("ord", "drop", "printf('toxicity p=%.2f', p)")
    pattern = _decision("ord", "drop", "'insult pattern'")
    troll = _decision("ord", "drop", "'account posted a targeted insult in this VOD'")
    return f"""
        {model} FROM tox WHERE {flagged}
        UNION ALL
        {pattern} FROM tox WHERE insult AND NOT {flagged}
        UNION ALL
        {troll} FROM tox WHERE NOT insult AND NOT {flagged} AND user_key IN (SELECT user_key FROM insulters)
    """


STEPS: tuple[tuple[str, Callable[[_Context, str], str]], ...] = (
    ("system", step_system),
    ("moderation", step_moderation),
    ("bots", step_bots),
    ("commands", step_commands),
    ("copypasta", step_copypasta),
    ("rate_limit", step_rate_limit),
    ("emotes", step_emotes),
    ("length", step_length),
    ("toxicity", step_toxicity),
)
STEP_NAMES = tuple(name for name, _ in STEPS)
# What survivor tables carry from step to step (the rest stays in ``msgs``, joined by ``ord``);
# ``reply``/``weight`` are NULL until a step changes them (then: collapsed text, sample weight).
SURVIVOR_COLUMNS = "s.ord, s.t, s.user_key, s.msg_type, s.is_emote_only, s.n_emotes, s.n_tokens, s.norm, s.body"


def _prepare(chat: pa.Table) -> pa.Table:
    """``chat`` with every column the filters read (missing optional ones as nulls)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in chat.column_names]
    if missing:
        raise InputError("raw_chat", f"chat table lacks column(s) {', '.join(missing)}", field=missing[0])
    columns = {name: chat.column(name) for name in REQUIRED_COLUMNS}
    for name, dtype in OPTIONAL_COLUMNS.items():
        if name in chat.column_names:
            columns[name] = chat.column(name)
        elif name == "is_emote_only":
            columns[name] = pa.array([False] * chat.num_rows, pa.bool_())
        else:
            columns[name] = pa.nulls(chat.num_rows, dtype)
    return pa.table(columns)


def _load(con: duckdb.DuckDBPyConnection, chat: pa.Table) -> None:
    """Table ``msgs``: one row per input row with a total order ``ord`` and normalised text.

    Arrow does the row-wise plumbing, DuckDB the text functions, and nothing sorts or joins
    the wide rows (a window ``row_number()`` over them, and a join of a million bodies to
    their normal forms, were most of the load):

    * ``ord`` is the rank in (time, export position, id) order, from Arrow's sort of those
      three columns; ``msgs`` is stored in that order (an export usually is in it already);
    * each distinct body is normalised once (chat repeats itself) and its normal form and
      word count are put back on the rows by the body's dictionary index;
    * emote names are the ``name`` field of the emote spans, read without a per-row lambda.
    """
    prepared = _prepare(chat)
    order = pc.sort_indices(
        prepared.select(["sent_at_utc_ms", "source_line", "msg_id"]),
        sort_keys=[("sent_at_utc_ms", "ascending", "at_end"), ("source_line", "ascending", "at_end"),
                   ("msg_id", "ascending", "at_end")],
    )
    n = prepared.num_rows
    if not np.array_equal(order.to_numpy(), np.arange(n)):
        prepared = prepared.take(order)
    bodies = pc.dictionary_encode(prepared.column("body").combine_chunks())
    con.register("_bodies", pa.table({"code": pa.array(np.arange(len(bodies.dictionary), dtype=np.int64)),
                                      "body": bodies.dictionary}))
    create_normalized_table(con, "_bodies", "norms", keys=("code",))
    con.unregister("_bodies")
    norms = con.sql(
        """SELECT norm, CASE WHEN norm = '' THEN 0 ELSE length(norm) - length(replace(norm, ' ', '')) + 1 END AS n_tokens
           FROM norms ORDER BY code"""
    ).to_arrow_table()
    con.execute("DROP TABLE norms")
    codes = bodies.indices
    spans = prepared.column("emote_spans").combine_chunks()
    names = pa.ListArray.from_arrays(
        pa.array(np.r_[0, np.cumsum(pc.fill_null(pc.list_value_length(spans), 0).to_numpy())].astype(np.int32)),
        pc.struct_field(pc.list_flatten(spans), "name"), mask=spans.is_null(),
    )
    columns = {
        "ord": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "body_norm": norms.column("norm").combine_chunks().take(codes),
        "body_tokens": norms.column("n_tokens").combine_chunks().take(codes),
        "emote_names": names,
    }
    for name, values in columns.items():
        prepared = prepared.append_column(name, values)
    con.register("chat_in", prepared)
    user = "c.msg_type IN (" + ", ".join(sql_literal(t) for t in USER_MESSAGE_TYPES) + ")"
    con.execute(
        f"""CREATE TEMP TABLE msgs AS
            SELECT c.ord, c.msg_id, c.sent_at_utc_ms AS t,
                   coalesce(lower(c.user_login), c.user_id) AS user_key, lower(c.user_display_name) AS display_key,
                   c.body, NULL::VARCHAR AS reply, NULL::DOUBLE AS weight, c.msg_type,
                   coalesce(c.is_emote_only, false) AS is_emote_only,
                   c.native_id, lower(c.target_user_login) AS target_key, c.target_native_id,
                   coalesce(len(c.emote_spans), 0) AS n_emotes,
                   coalesce(c.emote_names, []::VARCHAR[]) AS emote_names,
                   CASE WHEN {user} THEN c.body_norm ELSE '' END AS norm,
                   CASE WHEN {user} THEN c.body_tokens ELSE 0 END AS n_tokens
            FROM chat_in c"""
    )
    con.unregister("chat_in")


def run_filters(chat: pa.Table, params: FilterParams, scorer: ToxicityScorer | None = None) -> FilterOutcome:
    """Run the nine filter steps over one VOD's ``raw_chat`` rows.

    ``scorer`` defaults to a fresh :class:`ToxicityScorer`; pass one to reuse its loaded model.
    The result depends only on the rows (not their order in ``chat``) and ``params``.
    """
    con = duckdb.connect()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        _load(con, chat)
        seconds["load"] = time.perf_counter() - clock
        ctx = _Context(con, params, scorer)
        funnel: list[FunnelStep] = []
        src = "msgs"
        for index, (name, step) in enumerate(STEPS):
            clock = time.perf_counter()
            decisions = f"d_{index}"
            con.execute(f"CREATE TEMP TABLE {decisions} AS SELECT * FROM ({step(ctx, src)})")
            counts = dict(con.execute(f"SELECT action, count(DISTINCT ord) FROM {decisions} GROUP BY action").fetchall())
            n_in = con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
            out = f"s_{index}"
            con.execute(
                f"""CREATE TEMP TABLE {out} AS
                    SELECT {SURVIVOR_COLUMNS}, coalesce(c.reply, s.reply) AS reply, coalesce(c.weight, s.weight) AS weight
                    FROM {src} s
                    LEFT JOIN (SELECT ord, max(reply) AS reply, max(weight) AS weight FROM {decisions}
                               WHERE action <> 'drop' GROUP BY ord) c USING (ord)
                    WHERE s.ord NOT IN (SELECT ord FROM {decisions} WHERE action = 'drop')"""
            )
            n_out = con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0]
            funnel.append(
                FunnelStep(name, n_in, n_out, counts.get("drop", 0), counts.get("downweight", 0), counts.get("collapse", 0))
            )
            if src != "msgs":
                con.execute(f"DROP TABLE {src}")
            src = out
            seconds[name] = time.perf_counter() - clock
        clock = time.perf_counter()
        kept = con.sql(
            f"""SELECT m.msg_id, s.t AS sent_at_utc_ms, s.user_key, coalesce(s.reply, s.body) AS reply,
                       coalesce(s.weight, 1.0) AS weight, s.is_emote_only
                FROM {src} s JOIN msgs m USING (ord) ORDER BY ord"""
        ).to_arrow_table()
        parts = " UNION ALL ".join(
            f"SELECT {i} AS step_index, {sql_literal(name)} AS step, ord, action, reason FROM d_{i}"
            for i, (name, _) in enumerate(STEPS)
        )
        log = con.sql(
            f"""SELECT m.msg_id, x.step, x.action, x.reason FROM ({parts}) x JOIN msgs m USING (ord)
                ORDER BY x.step_index, x.ord, x.action"""
        ).to_arrow_table()
        outcome = FilterOutcome(_conform(kept, KEPT_SCHEMA), _conform(log, LOG_SCHEMA), funnel, seconds)
        seconds["output"] = time.perf_counter() - clock
    finally:
        con.close()
    return outcome


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` cast to ``schema`` in one chunk (stable bytes whatever DuckDB's threading)."""
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema).combine_chunks()
