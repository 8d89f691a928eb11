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

Everything set-based runs column-wise over the whole VOD, never as a Python loop over the
messages: SQL on a private in-memory DuckDB connection (joins, aggregates, text functions), and
numpy where a question is "how many of this key's messages lie in that time window" or "which
command came last" (integer sorts and binary searches, several times cheaper than DuckDB's
window operator on a million rows).  Text functions run once per *distinct* text: bodies are
normalised, MinHashed, screened and scored once each, and grouped by integer codes
(``body_code``, ``norm_code``, ``uid``) rather than by the strings.  Python touches only
distinct long texts (MinHash) and distinct texts (toxicity model).

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
    con = ctx.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE named AS
            SELECT ord FROM msgs
            WHERE (list_contains({names}, user_key) OR list_contains({names}, display_key)) AND ord IN (SELECT ord FROM {src})"""
    )
    _account_stats(con, f"SELECT ord, t, uid, norm_code, n_tokens FROM {src} WHERE uid IS NOT NULL AND ord NOT IN (SELECT ord FROM named)", p)
    return f"""
        WITH promoters AS (  -- the patterns run only on accounts whose every line is long enough
            SELECT uid FROM {src}
            WHERE uid IN (SELECT uid FROM accounts WHERE promo_long) AND ord NOT IN (SELECT ord FROM named)
            GROUP BY uid HAVING bool_and({promo})
        ),
        timers AS (
            SELECT uid, CASE
                WHEN n >= {p.timer_min_messages} AND med >= {_ms(p.timer_min_gap_s)} AND mean > 0
                     AND sd / mean <= {p.timer_max_gap_cv} AND texts / n <= {p.timer_max_distinct_share} THEN 1
                WHEN all_long AND most_same >= 2 AND min_gap >= {_ms(p.timer_repeat_min_gap_s)} THEN 2
                WHEN uid IN (SELECT uid FROM promoters) THEN 3
                WHEN most_same_long >= greatest({p.repeat_bot_min}, {p.repeat_bot_share} * n) THEN 4 END AS rule
            FROM accounts
        )
        {named} FROM named
        UNION ALL
        {timer} FROM {src} s JOIN timers USING (uid) WHERE rule IS NOT NULL
    """


def _account_stats(con: duckdb.DuckDBPyConnection, lines: str, p: FilterParams) -> None:
    """Temp table ``accounts``: per account (``uid``) of ``lines`` (ord, t, uid, norm_code, n_tokens),
    what the timer rules read.

    ``n`` lines, ``texts`` distinct texts, ``most_same`` copies of its most repeated text
    (``most_same_long``: of a text of ``timer_repeat_min_tokens`` words or more, NULL if
    none), ``all_long`` / ``promo_long`` whether every line has ``timer_repeat_min_tokens`` /
    ``timer_promo_min_tokens`` words, and the statistics of the gaps between its consecutive
    lines (``med``, ``sd``, ``mean``, ``min_gap``; NULL for a single line).  The counts and
    gaps are numpy over two integer sorts (a window and a GROUP BY (user, text) over a million
    rows cost about 3x more in DuckDB); the gap statistics stay DuckDB's own aggregates (the
    same floating-point arithmetic as SQL's).  ``ord`` order is time order.
    """
    rows = con.sql(lines).fetchnumpy()
    ords, times = np.asarray(rows["ord"], np.int64), np.asarray(rows["t"], np.int64)
    uid, norm, tokens = np.asarray(rows["uid"], np.int64), np.asarray(rows["norm_code"], np.int64), np.asarray(rows["n_tokens"], np.int64)
    if ords.size:
        by_time = np.lexsort((ords, uid))
        u, t = uid[by_time], times[by_time]
        same_user = np.r_[False, u[1:] == u[:-1]]
        gaps = pa.table({"uid": u[same_user], "gap": (t[1:] - t[:-1])[same_user[1:]]})
        width = int(norm.max()) + 1
        # (user, text) as one integer where it fits: an argsort of it is twice as fast as lexsort
        by_text = np.argsort(uid * width + norm) if (int(uid.max()) + 1) * width < 2**62 else np.lexsort((norm, uid))
        u, x, k_tokens = uid[by_text], norm[by_text], tokens[by_text]
        run_start = np.flatnonzero(np.r_[True, (u[1:] != u[:-1]) | (x[1:] != x[:-1])])  # one run per (user, text)
        run_size = np.diff(np.r_[run_start, u.size])
        run_user, run_tokens = u[run_start], k_tokens[run_start]
        user_start = np.flatnonzero(np.r_[True, run_user[1:] != run_user[:-1]])
        long_run = run_tokens >= p.timer_repeat_min_tokens
        most_long = np.maximum.reduceat(np.where(long_run, run_size, 0), user_start)
        accounts = pa.table({
            "uid": run_user[user_start],
            "n": np.add.reduceat(run_size, user_start),
            "texts": np.diff(np.r_[user_start, run_user.size]),
            "most_same": np.maximum.reduceat(run_size, user_start),
            "most_same_long": pa.array(most_long, mask=most_long == 0),
            "all_long": np.minimum.reduceat(long_run, user_start).astype(bool),
            "promo_long": np.minimum.reduceat(run_tokens >= p.timer_promo_min_tokens, user_start).astype(bool),
        })
    else:
        empty = np.zeros(0, np.int64)
        gaps = pa.table({"uid": empty, "gap": empty})
        accounts = pa.table({"uid": empty, "n": empty, "texts": empty, "most_same": empty, "most_same_long": empty,
                             "all_long": empty.astype(bool), "promo_long": empty.astype(bool)})
    con.register("_gaps", gaps)
    con.register("_accounts", accounts)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE accounts AS
           SELECT a.*, g.med, g.sd, g.mean, g.min_gap FROM _accounts a LEFT JOIN (
               SELECT uid, median(gap) AS med, stddev_pop(gap) AS sd, avg(gap) AS mean, min(gap) AS min_gap
               FROM _gaps GROUP BY uid
           ) g USING (uid)"""
    )
    con.unregister("_gaps")
    con.unregister("_accounts")


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


def _flag_commands(con: duckdb.DuckDBPyConnection, src: str, window_ms: int) -> None:
    """Temp table ``flagged(ord, t, user_key, is_cmd, near_cmd, is_reply)`` over ``src``.

    ``near_cmd``: not a command, and the latest command before it is at most ``window_ms``
    older; ``is_reply``: near_cmd, and that command came from another account (NULL users
    count as one account, as a SQL window partition would).  The latest command before each
    message is a binary search over the commands' positions in ``ord`` order (one pass of
    numpy), where SQL needed three window functions over the whole VOD.
    """
    table = con.sql(f"SELECT ord, t, user_key, regexp_matches(body, '^\\s*!\\w') AS is_cmd FROM {src}").to_arrow_table()
    ords = table.column("ord").to_numpy()
    if ords.size and not np.all(ords[1:] > ords[:-1]):  # rows usually come in table order, which is ord order
        table = table.take(np.argsort(ords, kind="stable"))
    times = table.column("t").to_numpy().astype(np.int64)
    is_cmd = table.column("is_cmd").to_numpy(zero_copy_only=False).astype(bool)
    users = pc.dictionary_encode(table.column("user_key").combine_chunks())
    user = pc.fill_null(users.indices, -1).to_numpy().astype(np.int64)
    commands = np.flatnonzero(is_cmd)
    latest = commands[np.maximum(np.searchsorted(commands, np.arange(len(times)), side="left") - 1, 0)] if commands.size else None
    if latest is None:
        near = reply = np.zeros(len(times), dtype=bool)
    else:
        has = np.searchsorted(commands, np.arange(len(times)), side="left") > 0  # a command before this row
        near = ~is_cmd & has & (times - times[latest] <= window_ms)
        reply = near & (user[latest] != user)
    con.register(
        "_flagged",
        table.select(["ord", "t", "user_key", "is_cmd"]).append_column("near_cmd", pa.array(near)).append_column(
            "is_reply", pa.array(reply)
        ),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE flagged AS SELECT * FROM _flagged")
    con.unregister("_flagged")


def step_commands(ctx: _Context, src: str) -> str:
    """Drop "!commands", and every message of an account that answers other users' commands.

    A command is "!" and a word character ("!uptime"); "!!!" and "!?" are excitement.  A
    message answers a command when the latest command before it came from another user less
    than ``command_reply_window_s`` earlier (see :func:`_flag_commands`), or when
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
    _flag_commands(con, src, window)
    # Messages naming (login as a word, "@" or not) another user who sent a command in the
    # window.  A body's words are extracted once per distinct body (chat repeats itself).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE mentions AS
            WITH cmds AS (SELECT ord, t, user_key FROM flagged WHERE is_cmd AND user_key IS NOT NULL),
            near AS (
                SELECT s.ord, s.t, s.user_key, s.body_code FROM {src} s JOIN flagged f USING (ord)
                WHERE f.near_cmd AND s.user_key IS NOT NULL
            ),
            body_words AS (
                SELECT * FROM (
                    SELECT code AS body_code, unnest(regexp_extract_all(lower(body), '[a-z0-9_]{{3,}}')) AS word
                    FROM bodies WHERE code IN (SELECT body_code FROM near)
                ) WHERE word IN (SELECT user_key FROM cmds)
            ),
            words AS (SELECT n.ord, n.t, n.user_key, b.word FROM near n JOIN body_words b USING (body_code))
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


def _window_counts(con: duckdb.DuckDBPyConnection, keyed: str, window_ms: int, name: str) -> None:
    """Temp table ``name(ord, earlier, tot, around)``: per row of ``keyed`` (ord, t, k), counts over its key.

    * ``earlier``: the key's rows before this one in the total order whose time is at most
      ``window_ms`` earlier;
    * ``tot``: the key's rows;
    * ``around``: the key's rows within ``window_ms`` either side (this one included).

    What SQL would ask of four window functions partitioned by the key: numpy does it with one
    sort by (key, ord) and two binary searches, exactly (integer counts), in 0.15 s on the
    benchmark's million messages where DuckDB's window operator took 0.5-1.9 s.  It relies on
    ``ord`` being the rank in time order, so that within a key, ``ord`` order is time order.
    """
    table = con.sql(f"SELECT ord, t, k FROM {keyed}").to_arrow_table()
    ords = table.column("ord").to_numpy().astype(np.int64)
    times = table.column("t").to_numpy().astype(np.int64)
    keys = pc.dictionary_encode(table.column("k").combine_chunks())
    k = pc.fill_null(keys.indices, len(keys.dictionary)).to_numpy().astype(np.int64)  # NULL: a key of its own
    n = len(ords)
    earlier = tot = around = np.zeros(0, np.int64)
    if n:
        order = np.lexsort((ords, k))
        ords, times, k = ords[order], times[order], k[order]
        first = np.r_[True, k[1:] != k[:-1]]
        group = np.cumsum(first) - 1
        starts = np.flatnonzero(first)
        # One sorted search key: key in the high bits, time (from the earliest) in the low bits;
        # times are ranks of the distinct times where the two would not fit in 62 bits.
        rel, lo_t, hi_t = times - times.min(), np.maximum(times - times.min() - window_ms, 0), times - times.min() + window_ms
        if int(hi_t.max()).bit_length() + int(k.max()).bit_length() > 62:
            distinct = np.unique(rel)
            rel = np.searchsorted(distinct, rel)
            lo_t = np.searchsorted(distinct, lo_t, side="left")
            hi_t = np.searchsorted(distinct, hi_t, side="right") - 1
        shift = np.int64(int(max(int(hi_t.max()), int(rel.max()), 1)).bit_length())
        packed = (k << shift) + rel
        lo = np.searchsorted(packed, (k << shift) + lo_t, side="left")  # first row of the key within the window
        hi = np.searchsorted(packed, (k << shift) + hi_t, side="right")
        earlier = np.arange(n) - lo
        tot = np.diff(np.r_[starts, n])[group]
        around = hi - lo
    con.register("_window_counts", pa.table({"ord": ords, "earlier": earlier, "tot": tot, "around": around}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _window_counts")
    con.unregister("_window_counts")


def _cap_per_window(con: duckdb.DuckDBPyConnection, keyed: str, window_ms: int, cap: int, name: str) -> str:
    """Query of (ord, earlier): rows of ``keyed`` (ord, t, k) with at least ``cap`` earlier rows of the same key within the window.

    ``earlier`` counts rows before this one in the total order whose time is at most
    ``window_ms`` earlier (see :func:`_window_counts`).  Every message that reached the step
    counts, kept or not, so a burst keeps exactly its first ``cap``.
    """
    _window_counts(con, keyed, window_ms, name)
    return f"SELECT ord, earlier FROM {name} WHERE earlier >= {cap}"


def _burst_query(
    con: duckdb.DuckDBPyConnection, keyed: str, window_ms: int, cap: int, p: FilterParams, span_ms: int, name: str,
    background: bool = True,
) -> str:
    """Query of (ord, earlier): rows of ``keyed`` (ord, t, k) in a burst of their key beyond its cap.

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
        return _cap_per_window(con, keyed, window_ms, cap, name)
    rest = max(span_ms - 2 * window_ms, window_ms)
    _window_counts(con, keyed, window_ms, name)
    return f"""
        SELECT ord, earlier FROM (
            SELECT ord, earlier, (tot - around) * {window_ms}.0 / {rest} AS mu FROM {name} WHERE earlier >= {cap}
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
    long_keyed = f"""(SELECT s.ord, s.t, coalesce(c.cluster, s.norm) AS k
                      FROM {src} s LEFT JOIN clusters c USING (norm) WHERE {is_pasta})"""
    # The key of a short text: its words without emotes, each once in order of first use
    # (list_position finds a word's first index: no slices); all emotes: its distinct words,
    # sorted.  What depends on the text only is computed once per distinct body (the whole key
    # of a line without emotes, the sorted words); the emote filter once per message (emote
    # names lower-cased once, not once per word).
    first_use = "array_to_string(list_filter(words, lambda w, i: list_position(words, w) = i), ' ')"
    sorted_words = "array_to_string(list_sort(list_distinct(string_split(norm, ' '))), ' ')"
    short_keyed = f"""(
        WITH short AS (SELECT s.ord, s.t, s.body_code, s.n_emotes, s.norm FROM {src} s WHERE NOT ({is_pasta})),
        plain AS (
            SELECT body_code, CASE WHEN skeleton = '' THEN {sorted_words} ELSE skeleton END AS k
            FROM (SELECT body_code, norm, {first_use} AS skeleton
                  FROM (SELECT code AS body_code, norm, string_split(norm, ' ') AS words FROM bodies
                        WHERE code IN (SELECT body_code FROM short WHERE n_emotes = 0)))
        ),
        emoted AS (
            SELECT ord, t, body_code, {first_use} AS skeleton
            FROM (SELECT ord, t, body_code, list_filter(string_split(norm, ' '), lambda w: NOT list_contains(emotes, w)) AS words
                  FROM (SELECT s.ord, s.t, s.body_code, s.norm, list_transform(m.emote_names, lambda e: lower(e)) AS emotes
                        FROM short s JOIN msgs m USING (ord) WHERE s.n_emotes > 0))
        ),
        emote_sorted AS (
            SELECT code AS body_code, {sorted_words} AS sorted_words FROM bodies
            WHERE code IN (SELECT body_code FROM emoted WHERE skeleton = '')
        )
        SELECT s.ord, s.t, p.k FROM short s JOIN plain p USING (body_code) WHERE s.n_emotes = 0
        UNION ALL
        SELECT e.ord, e.t, CASE WHEN e.skeleton = '' THEN x.sorted_words ELSE e.skeleton END AS k
        FROM emoted e LEFT JOIN emote_sorted x USING (body_code)
    )"""
    long_w, short_w = _ms(p.copypasta_window_s), _ms(p.spam_window_s)
    pasta = _decision(
        "ord", "drop",
        f"'copypasta: ' || earlier || ' near-identical long messages in the previous {_num(p.copypasta_window_s)} s'",
    )
    spam = _decision(
        "ord", "drop", f"'spam burst: ' || earlier || ' messages with the same words in the previous {_num(p.spam_window_s)} s'"
    )
    return f"""
        {pasta} FROM ({_burst_query(con, long_keyed, long_w, p.copypasta_max_per_window, p, span, "pasta_windows", background=False)})
        UNION ALL
        {spam} FROM ({_burst_query(con, short_keyed, short_w, p.spam_max_per_window, p, span, "spam_windows")})
    """


def step_rate_limit(ctx: _Context, src: str) -> str:
    """Drop a user's message once they already sent ``user_max_per_window`` in the window."""
    p = ctx.params
    users = f"(SELECT ord, t, uid AS k FROM {src} WHERE uid IS NOT NULL)"
    capped = _cap_per_window(ctx.con, users, _ms(p.user_window_s), p.user_max_per_window, "user_windows")
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
    types = ", ".join(sql_literal(t) for t in USER_MESSAGE_TYPES)
    scope = "msgs" if p.drop_insulters else src
    # The distinct texts are materialised first, so the model and the screen's regexes run
    # once per distinct text: written as one query, DuckDB may push the regexes below the
    # DISTINCT onto every message (45 s measured for the ~22k-character screen on a million
    # messages, on a loaded machine).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE screen_texts AS
            SELECT norm_code, norm FROM norm_texts
            WHERE norm_code IN (SELECT norm_code FROM {scope} WHERE msg_type IN ({types}) AND NOT is_emote_only AND norm <> '')"""
    )
    # One regexp_matches per pattern: RE2 runs each as a small DFA in linear time, while their
    # alternation outgrows the DFA memory and falls back to a slow NFA (150x slower measured).
    insult = " OR ".join(f"regexp_matches(norm, {sql_literal(pattern)})" for pattern in p.all_insult_patterns) or "false"
    con.execute(f"CREATE OR REPLACE TEMP TABLE insults AS SELECT norm_code FROM screen_texts WHERE {insult}")
    scores = scorer.score_query(
        con, f"SELECT norm FROM norm_texts WHERE norm_code IN (SELECT norm_code FROM {src} WHERE NOT is_emote_only AND norm <> '')"
    )
    con.register("_tox", scores)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE tox AS
            SELECT s.ord, s.user_key, x.p, s.norm_code IN (SELECT norm_code FROM insults) AS insult
            FROM {src} s LEFT JOIN (SELECT n.norm_code, t.p FROM _tox t JOIN norm_texts n ON n.norm = t.text) x USING (norm_code)"""
    )
    con.unregister("_tox")
    if p.drop_insulters:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE insulters AS
                SELECT DISTINCT user_key FROM msgs
                WHERE user_key IS NOT NULL AND msg_type IN ({types}) AND norm_code IN (SELECT norm_code FROM insults)"""
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
SURVIVOR_COLUMNS = (
    "s.ord, s.t, s.user_key, s.msg_type, s.is_emote_only, s.n_emotes, s.n_tokens, s.norm, s.body, s.body_code, s.norm_code, s.uid"
)


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


def _lower(con: duckdb.DuckDBPyConnection, values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """DuckDB's ``lower()`` of each value, computed once per distinct value (logins repeat)."""
    encoded = pc.dictionary_encode(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
    con.register("_distinct", pa.table({"i": pa.array(np.arange(len(encoded.dictionary), dtype=np.int64)),
                                        "v": encoded.dictionary.cast(pa.string())}))
    lowered = con.sql("SELECT lower(v) AS v FROM _distinct ORDER BY i").to_arrow_table().column("v").combine_chunks()
    con.unregister("_distinct")
    return lowered.take(encoded.indices)


def _load(con: duckdb.DuckDBPyConnection, chat: pa.Table) -> pa.Table:
    """Relation ``msgs`` (returned too): one row per input row with a total order ``ord`` and normalised text.

    Arrow does the row-wise plumbing and DuckDB the text functions, each text function once
    per *distinct* value, and ``msgs`` is an Arrow table DuckDB scans in place.  Nothing sorts,
    joins or copies the wide rows (a window ``row_number()`` over them, a join of a million
    bodies to their normal forms and the copy into a DuckDB table were most of the load):

    * ``ord`` is the rank in (time, export position, id) order, from Arrow's sort of those
      three columns, and ``msgs`` is in that order (an export usually is already), so ``ord``
      order is time order;
    * each distinct body is normalised once (chat repeats itself) and its normal form and
      word count are put back on the rows by the body's dictionary index (``body_code``);
      table ``bodies(code, body, norm)`` keeps the distinct bodies for later steps;
    * ``norm_code`` and ``uid`` number the distinct normal forms and users, so that grouping
      by them is grouping by integers; logins and display names are lower-cased once each;
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
    con.execute("ALTER TABLE norms RENAME TO bodies")
    codes = bodies.indices
    body_codes = codes.to_numpy(zero_copy_only=False).astype(np.int64)
    is_user = pc.is_in(prepared.column("msg_type"), pa.array(USER_MESSAGE_TYPES))  # others: norm '' (no viewer text)
    norm_of_body = norms.column("norm").combine_chunks()
    encoded_norms = pc.dictionary_encode(pa.concat_arrays([norm_of_body, pa.array([""])]))
    norm_codes = encoded_norms.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    con.register("norm_texts", pa.table({  # each distinct normal form once, by its code
        "norm_code": pa.array(np.arange(len(encoded_norms.dictionary), dtype=np.int64)), "norm": encoded_norms.dictionary,
    }))
    spans = prepared.column("emote_spans").combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(spans), 0)
    names = pa.ListArray.from_arrays(  # a NULL span list has length 0: an empty name list
        pa.array(np.r_[0, np.cumsum(lengths.to_numpy())].astype(np.int32)), pc.struct_field(pc.list_flatten(spans), "name")
    )
    user_key = pc.coalesce(_lower(con, prepared.column("user_login")), prepared.column("user_id").combine_chunks().cast(pa.string()))
    msgs = pa.table({
        "ord": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "msg_id": prepared.column("msg_id"),
        "t": prepared.column("sent_at_utc_ms"),
        "user_key": user_key,  # lower(login), else the user id
        "display_key": _lower(con, prepared.column("user_display_name")),
        "body": prepared.column("body"),
        "reply": pa.nulls(n, pa.string()),
        "weight": pa.nulls(n, pa.float64()),
        "msg_type": prepared.column("msg_type"),
        "is_emote_only": pc.fill_null(prepared.column("is_emote_only"), False),
        "native_id": prepared.column("native_id"),
        "target_key": _lower(con, prepared.column("target_user_login")),
        "target_native_id": prepared.column("target_native_id"),
        "n_emotes": lengths.cast(pa.int64()),
        "emote_names": names,
        "norm": pc.if_else(is_user, norm_of_body.take(codes), ""),
        "n_tokens": pc.if_else(is_user, norms.column("n_tokens").combine_chunks().take(codes), 0).cast(pa.int64()),
        "body_code": pa.array(body_codes),
        "norm_code": pa.array(np.where(is_user.to_numpy(zero_copy_only=False), norm_codes[:-1][body_codes], norm_codes[-1])),
        "uid": pc.dictionary_encode(user_key).indices.cast(pa.int64()),  # NULL where the user is unknown
    })
    con.register("msgs", msgs)
    return msgs


def run_filters(chat: pa.Table, params: FilterParams, scorer: ToxicityScorer | None = None) -> FilterOutcome:
    """Run the nine filter steps over one VOD's ``raw_chat`` rows.

    ``scorer`` defaults to a fresh :class:`ToxicityScorer`; pass one to reuse its loaded model.
    The result depends only on the rows (not their order in ``chat``) and ``params``.
    """
    # A private in-memory database that never checkpoints: an automatic checkpoint (every
    # 16 MiB written) compresses every temp table again, 0.4-0.8 s each on a million rows.
    con = duckdb.connect(config={"checkpoint_threshold": "1TB"})
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        msgs = _load(con, chat)
        seconds["load"] = time.perf_counter() - clock
        ctx = _Context(con, params, scorer)
        funnel: list[FunnelStep] = []
        # The survivors are one table, changed in place: a step's drops are DELETEd, and the rows
        # whose reply or weight it changed (emotes) are deleted and inserted again with the new
        # values.  Copying the survivors' text columns into a new table after every step cost
        # more than most steps; an UPDATE of ~100k cells cost more than the copy.  Rows are
        # then no longer stored in ``ord`` order: nothing depends on the storage order.
        src = "survivors"
        con.execute(f"CREATE TEMP TABLE {src} AS SELECT {SURVIVOR_COLUMNS}, s.reply, s.weight FROM msgs s")
        for index, (name, step) in enumerate(STEPS):
            clock = time.perf_counter()
            decisions = f"d_{index}"
            n_in = con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
            con.execute(f"CREATE TEMP TABLE {decisions} AS SELECT * FROM ({step(ctx, src)})")
            counts = dict(con.execute(f"SELECT action, count(DISTINCT ord) FROM {decisions} GROUP BY action").fetchall())
            changes = any(counts.get(action, 0) for action in ACTIONS if action != "drop")
            if changes:
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE _changed AS
                        SELECT s.* REPLACE (coalesce(c.reply, s.reply) AS reply, coalesce(c.weight, s.weight) AS weight)
                        FROM {src} s
                        JOIN (SELECT ord, max(reply) AS reply, max(weight) AS weight FROM {decisions}
                              WHERE action <> 'drop' GROUP BY ord) c USING (ord)
                        WHERE s.ord NOT IN (SELECT ord FROM {decisions} WHERE action = 'drop')"""
                )
            if counts.get("drop", 0) or changes:
                con.execute(f"DELETE FROM {src} WHERE ord IN (SELECT ord FROM {decisions})")
            if changes:
                con.execute(f"INSERT INTO {src} SELECT * FROM _changed; DROP TABLE _changed")
            n_out = con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0]
            funnel.append(
                FunnelStep(name, n_in, n_out, counts.get("drop", 0), counts.get("downweight", 0), counts.get("collapse", 0))
            )
            seconds[name] = time.perf_counter() - clock
        clock = time.perf_counter()
        # Row ``ord`` of ``msgs`` is at index ord - 1: message ids are taken by position, not joined.
        kept = con.sql(
            f"""SELECT ord, t AS sent_at_utc_ms, user_key, coalesce(reply, body) AS reply,
                       coalesce(weight, 1.0) AS weight, is_emote_only
                FROM {src} ORDER BY ord"""
        ).to_arrow_table()
        kept = _with_msg_ids(kept, msgs)
        parts = " UNION ALL ".join(
            f"SELECT {i} AS step_index, {sql_literal(name)} AS step, ord, action, reason FROM d_{i}"
            for i, (name, _) in enumerate(STEPS)
        )
        log = con.sql(f"SELECT step, ord, action, reason FROM ({parts}) ORDER BY step_index, ord, action").to_arrow_table()
        log = _with_msg_ids(log, msgs)
        outcome = FilterOutcome(_conform(kept, KEPT_SCHEMA), _conform(log, LOG_SCHEMA), funnel, seconds)
        seconds["output"] = time.perf_counter() - clock
    finally:
        con.close()
    return outcome


def _with_msg_ids(table: pa.Table, msgs: pa.Table) -> pa.Table:
    """``table`` with column ``msg_id`` from ``msgs`` (row ``ord`` is at index ``ord - 1``) in place of ``ord``."""
    ids = msgs.column("msg_id").take(pc.subtract(table.column("ord"), 1))
    return table.drop_columns(["ord"]).append_column("msg_id", ids)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` cast to ``schema`` in one chunk (stable bytes whatever DuckDB's threading)."""
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema).combine_chunks()
