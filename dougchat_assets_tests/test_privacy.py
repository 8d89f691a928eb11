"""Usernames outside raw_chat: a keyed hash for users, @user for mentions, a clear error without a key."""

from __future__ import annotations

import pyarrow as pa
import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.privacy import (
    HASH_KEY_ENV, count_handle_mentions, hash_key_from_env, hash_user_column, scrub_mentions, user_hash,
)


def test_missing_or_short_key_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.delenv(HASH_KEY_ENV, raising=False)
    with pytest.raises(InputError, match=f"{HASH_KEY_ENV}.*not set"):
        hash_key_from_env()
    monkeypatch.setenv(HASH_KEY_ENV, "short")
    with pytest.raises(InputError, match="too short"):
        hash_key_from_env()
    monkeypatch.setenv(HASH_KEY_ENV, "a-long-enough-secret-key")
    assert hash_key_from_env() == b"a-long-enough-secret-key"


def test_hash_is_keyed_stable_and_not_the_name() -> None:
    a, b = b"key-one-0123456789", b"key-two-0123456789"
    assert user_hash(a, "lucas_pickle") == user_hash(a, "lucas_pickle") != user_hash(b, "lucas_pickle")
    assert "lucas" not in user_hash(a, "lucas_pickle") and len(user_hash(a, "x")) == 16
    column = hash_user_column(a, pa.chunked_array([["bob", "amy", "bob", None]]))
    assert column.to_pylist() == [user_hash(a, "bob"), user_hash(a, "amy"), user_hash(a, "bob"), ""]


def test_mentions_and_handle_like_logins_are_scrubbed_but_words_survive() -> None:
    logins = {"lucas_pickle", "first", "zoe3", "a_1"}
    texts = pa.array(["@Bob_42 lol", "LUCAS_PICKLE is right", "first", "hi zoe3!", "zoe33 x", "a_1 zoe3 b", "mail a@b.c"])
    out = scrub_mentions(texts, logins).to_pylist()
    assert out == ["@user lol", "@user is right", "first", "hi @user!", "zoe33 x", "@user @user b", "mail a@b.c"]
    assert count_handle_mentions(texts, logins) == 3
    assert count_handle_mentions(pa.array(out), logins) == 0
