"""The frozen prompt: where the window ends, what it shows, and train/generation parity."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.prompt import (
    NO_CHAT,
    NO_SPEECH,
    ChatLines,
    TranscriptText,
    WindowParams,
    build_context,
    build_contexts,
    chat_messages,
    encode_example,
    encode_prompt,
    estimate_tokens,
)


def transcript(words: list[tuple[float, float, str, str]], speakers: dict[str, str] | None = None) -> TranscriptText:
    return TranscriptText(
        np.array([w[0] for w in words]), np.array([w[1] for w in words]), [w[2] for w in words], [w[3] for w in words],
        [(speakers or {}).get(w[3]) for w in words],
    )


WORDS = [
    (0.0, 0.4, "hello", "s1"), (0.5, 0.9, "chat", "s1"),
    (10.0, 10.5, "we", "s2"), (10.6, 11.0, "found", "s2"), (11.1, 11.6, "the", "s2"), (11.7, 12.4, "treasure", "s2"),
    (20.0, 20.5, "later", "s3"), (20.6, 21.0, "words", "s3"),
]
NO_LINES = ChatLines(np.zeros(0, dtype=np.int64), [], [])


def test_window_ends_at_the_viewer_position_and_keeps_the_reacted_words() -> None:
    p = WindowParams(transcript_s=30.0)
    # a viewer at audio 14.0 s typed 1.6 s after "treasure" ended: it must be in the context
    text = build_context(transcript(WORDS), NO_LINES, 14.0, 0, p)
    assert "treasure" in text and "later" not in text
    # a word ending exactly at the viewer position is shown; one ending after it is not
    assert "treasure" in build_context(transcript(WORDS), NO_LINES, 12.4, 0, p)
    assert "treasure" not in build_context(transcript(WORDS), NO_LINES, 12.39, 0, p)


def test_window_start_drops_words_older_than_the_window() -> None:
    text = build_context(transcript(WORDS), NO_LINES, 14.0, 0, WindowParams(transcript_s=5.0))
    assert "hello" not in text and "we found the treasure" in text


def test_segments_become_lines_with_speaker_tags_when_known() -> None:
    text = build_context(transcript(WORDS, {"s2": "S1", "s1": "S0"}), NO_LINES, 14.0, 0, WindowParams())
    assert "S0: hello chat\nS1: we found the treasure" in text
    # starting mid-segment still tags the line
    text = build_context(transcript(WORDS, {"s2": "S1"}), NO_LINES, 14.0, 0, WindowParams(transcript_s=3.5))
    assert "S1: found the treasure" in text


def test_empty_windows_render_placeholders() -> None:
    text = build_context(transcript(WORDS), NO_LINES, 5.0, 0, WindowParams(transcript_s=3.0))
    assert NO_SPEECH in text and NO_CHAT in text


def test_chat_history_is_the_last_k_lines_before_the_reply_never_itself_or_later() -> None:
    sent = np.array([1000, 2000, 3000, 4000, 4000, 90_000])
    chat = ChatLines(sent, ["one", "two", "three", "mine", "same ms after", "much later"], ["a", "b", "c", "d", "e", "f"])
    p = WindowParams(chat_lines=2, chat_history_s=60.0)
    text = build_context(transcript(WORDS), chat, 14.0, 4000, p, msg_id="d")
    assert "- two\n- three" in text and "one" not in text
    assert "mine" not in text and "same ms after" not in text and "much later" not in text
    # history older than chat_history_s is not quoted
    text = build_context(transcript(WORDS), chat, 14.0, 90_000, p, msg_id="f")
    assert NO_CHAT in text


def test_budget_cuts_chat_to_its_share_then_the_oldest_words() -> None:
    words = [(i * 0.5, i * 0.5 + 0.4, f"word{i:03d}", f"s{i // 10}") for i in range(60)]
    chat = ChatLines(np.arange(20) * 100, [f"chat line number {i}" for i in range(20)], [str(i) for i in range(20)])
    p = WindowParams(transcript_s=60.0, chat_lines=20, max_context_tokens=64, chat_token_share=0.3)
    text = build_context(transcript(words), chat, 40.0, 5000, p)
    assert estimate_tokens(text) <= p.max_context_tokens + 2  # the line separators are estimated, not exact
    assert "word059" in text and "word000" not in text  # newest words kept, oldest dropped
    assert "chat line number 19" in text and "chat line number 0\n" not in text


def test_one_context_is_the_batch_code_on_one_row() -> None:
    t = transcript(WORDS, {"s2": "S1"})
    chat = ChatLines(np.array([1000, 5000, 9000]), ["x", "y", "z"], ["a", "b", "c"])
    p = WindowParams(chat_lines=2)
    ends = np.array([3.0, 12.5, 14.0, 22.0])
    sent = np.array([2000, 6000, 9000, 20000])
    batch = build_contexts(t, chat, ends, sent, p)
    assert batch.texts == [build_context(t, chat, e, s, p) for e, s in zip(ends, sent)]


@pytest.fixture(scope="module")
def tokenizer():
    from dougchat_assets.model.base import load_tokenizer, resolve_base_model

    return load_tokenizer(resolve_base_model())


def test_training_example_starts_with_exactly_the_generation_prompt(tokenizer) -> None:
    context = build_context(transcript(WORDS), NO_LINES, 14.0, 0, WindowParams())
    ids, labels = encode_example(tokenizer, context, "TREASURE LETS GO PogChamp")
    prompt = encode_prompt(tokenizer, context)
    assert ids[: len(prompt)] == prompt
    assert labels[: len(prompt)] == [-100] * len(prompt)
    assert labels[len(prompt):] == ids[len(prompt):]
    # and the whole example is what the model's own chat template renders for the conversation
    full = tokenizer.apply_chat_template(chat_messages(context, "TREASURE LETS GO PogChamp"), tokenize=True)
    full = list(full["input_ids"] if hasattr(full, "keys") else full)
    assert ids == full[: len(ids)]
    assert tokenizer.decode(ids[len(prompt):]) == "TREASURE LETS GO PogChamp<|im_end|>"


def test_token_estimate_overestimates_real_tokens_on_chat_like_text(tokenizer) -> None:
    context = build_context(transcript(WORDS), ChatLines(np.array([1]), ["KEKW no way he found it LUL"], ["a"]),
                            14.0, 5000, WindowParams())
    assert estimate_tokens(context) >= len(tokenizer.encode(context, add_special_tokens=False))
