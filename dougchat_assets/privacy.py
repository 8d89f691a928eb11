"""Keyed hashing of chat users: the only form a username takes outside ``raw_chat``.

A plain sha256 of a Twitch login is reversible by anyone with a list of logins; a keyed
HMAC is not, without the key.  The key comes from the environment (never the repo), so a
dataset can be shared without the key and users stay linkable within it (rate limits,
per-user analyses) but not identifiable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import numpy as np
import pyarrow as pa

from dougchat_assets.errors import InputError

HASH_KEY_ENV = "DOUGCHAT_HASH_KEY"
MIN_KEY_CHARS = 16
HASH_CHARS = 16


def hash_key_from_env() -> bytes:
    """The HMAC key, or a clear error saying how to set it."""
    key = os.environ.get(HASH_KEY_ENV, "")
    if not key:
        raise InputError(
            HASH_KEY_ENV,
            "environment variable is not set: usernames are hashed with a keyed HMAC outside raw_chat; "
            f"set it to a long random secret (e.g. `export {HASH_KEY_ENV}=$(python -c 'import secrets; print(secrets.token_hex(32))')`) "
            "and keep it out of the repository",
        )
    if len(key) < MIN_KEY_CHARS:
        raise InputError(HASH_KEY_ENV, f"the key is too short ({len(key)} characters; use at least {MIN_KEY_CHARS})")
    return key.encode("utf-8")


def user_hash(key: bytes, user_key: str) -> str:
    """Stable keyed hash of one user key (lower-cased login, else the platform user id)."""
    return hmac.new(key, user_key.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]


def hash_user_column(key: bytes, users: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Hash a column of user keys, computing each distinct user once (chat has few users, many lines)."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(users.combine_chunks() if isinstance(users, pa.ChunkedArray) else users)
    hashed = pa.array([user_hash(key, u) for u in encoded.dictionary.to_pylist()], pa.string())
    return pc.fill_null(pc.take(hashed, encoded.indices), "")  # no user known: empty, never a name



_TOKEN = re.compile(r"(?<![A-Za-z0-9_@])[A-Za-z0-9_]+(?![A-Za-z0-9_])")
# The _TOKEN tokens that can equal a handle (they have a digit or "_"), as an RE2 pattern for
# DuckDB: RE2 has no look-behind, so the character before a token is matched (and skipped)
# instead; group 1 is the token.  A handle is ASCII only if it can equal an ASCII token, so
# [0-9_] finds every token that could be one.
_SQL_HANDLE_TOKEN = r"(?:^|[^A-Za-z0-9_@])([A-Za-z0-9_]*[0-9_][A-Za-z0-9_]*)"
_ASCII_HANDLE_CHAR = re.compile(r"[0-9_]")


def _is_handle(login: str) -> bool:
    """A login with a digit or "_" (str.isdigit on non-ASCII logins, where it is wider than 0-9)."""
    if login.isascii():
        return _ASCII_HANDLE_CHAR.search(login) is not None
    return any(ch.isdigit() or ch == "_" for ch in login)


def _handles(logins: set[str]) -> frozenset[str]:
    """Logins that look like handles (have a digit or "_"), lower-cased."""
    return frozenset(login.lower() for login in logins if login and _is_handle(login))


def _rows_with_handles(texts: pa.Array, handles: frozenset[str]) -> np.ndarray:
    """Sorted indices of the rows where a handle appears as a whole token (a ``_TOKEN`` match).

    One vectorised pass (DuckDB, RE2) extracts the tokens that could be handles and joins
    them to the handle set: a Python regex callback on every token of every row cost
    seconds on a VOD's contexts (every context has digits, so no cheap row filter helps).
    """
    import duckdb

    con = duckdb.connect()
    try:
        con.register("_texts", pa.table({"i": pa.array(np.arange(len(texts), dtype=np.int64)), "text": texts}))
        con.register("_handles", pa.table({"handle": pa.array(sorted(handles), pa.string())}))
        rows = con.execute(
            f"""SELECT DISTINCT i FROM (
                    SELECT i, unnest(regexp_extract_all(text, {_sql_literal(_SQL_HANDLE_TOKEN)}, 1)) AS token
                    FROM _texts WHERE regexp_matches(text, '[0-9_]')
                ) WHERE lower(token) IN (SELECT handle FROM _handles) ORDER BY i"""
        ).fetchnumpy()["i"]
    finally:
        con.close()
    return np.asarray(rows, dtype=np.int64)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scrub_mentions(texts: pa.Array | pa.ChunkedArray, logins: set[str]) -> pa.Array:
    """Replace @mentions, and bare tokens equal to a chatter's handle-like login, with "@user".

    Chat text names other viewers ("@bob_42 lol"); those names are usernames too.  A bare
    token is replaced only when it is a login of this chat that looks like a handle (has a
    digit or an underscore), so ordinary words that happen to be logins ("first") survive.
    One regex pass finds @mentions; one DuckDB pass finds the rows holding a handle (chat has
    tens of thousands of logins: one alternation of them all is slow), and only those rows are
    rewritten in Python.
    """
    import pyarrow.compute as pc

    array = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    out = pc.replace_substring_regex(array, pattern=r"@[A-Za-z0-9_]{2,}", replacement="@user")
    handles = _handles(logins)
    if not handles or len(out) == 0:
        return out
    rows = _rows_with_handles(out, handles)
    if not len(rows):
        return out
    fixed = [
        _TOKEN.sub(lambda m: "@user" if m.group(0).lower() in handles else m.group(0), text)
        for text in out.take(pa.array(rows)).to_pylist()
    ]
    mask = np.zeros(len(out), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(out.cast(pa.string()), pa.array(mask), pa.array(fixed, pa.string()))


def count_handle_mentions(texts: pa.Array | pa.ChunkedArray, logins: set[str]) -> int:
    """How many texts still contain a handle-like login of this chat as a whole token (the privacy check)."""
    array = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    handles = _handles(logins)
    if not handles or len(array) == 0:
        return 0
    return len(_rows_with_handles(array, handles))
