"""Candidate scoring on the real SmolLM2 model: the shared-cache path equals the full baseline."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.model.ranking import CandidateScores, reply_nll, score_candidates, score_candidates_full

LENGTHS = [1, 15, 3, 8, 2, 12, 5, 1, 9, 14, 4, 7, 11, 6, 10, 13, 2, 5, 15, 3]  # 20 candidates, 1..15 tokens

CHAT = (
    "streamer: okay chat we are finally at the last boss, I have three potions left and no idea what the "
    "second phase does. viewer_a: use the fire sword KEKW. viewer_b: he is going to die again LUL. streamer: "
    "no no no I'm not dying this time, watch the dodge, watch it, right, left, jump and there we go. "
    "viewer_c: that dodge was clean Pog. viewer_d: how many attempts is this now? streamer: honestly it is "
    "attempt forty seven and I stopped counting after the thirty mark. viewer_e: copium."
)
REPLIES = [
    "Pog", "no way he actually did it", "KEKW", "clip it clip it", "gg", "the fire sword was the play all along",
    "attempt 48 incoming", "LUL", "chat he is cracked", "monkaS that hitbox", "W", "copium levels rising",
    "what a dodge", "first try KEKW", "rip potions", "he is going to choke", "EZ", "nice", "that boss is unfair",
    "lets goooo",
]


@pytest.fixture(scope="module")
def model_and_tokens():
    import torch

    from dougchat_assets.model.base import choose_precision, load_base_model, load_tokenizer, resolve_base_model

    # One thread: on a small shared machine two OpenMP threads fighting other work run slower
    # and far less predictably (measured); restored when the module is done.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    ref = resolve_base_model()
    tokenizer = load_tokenizer(ref)
    model = load_base_model(ref, choose_precision("none", "cpu"))
    prompt = tokenizer(CHAT, add_special_tokens=False)["input_ids"]
    while len(prompt) < 150:
        prompt = prompt + prompt
    prompt = prompt[:150]
    candidates = []
    for text, length in zip(REPLIES, LENGTHS):
        ids = tokenizer(text + " " + CHAT, add_special_tokens=False)["input_ids"]
        candidates.append(ids[:length])
    assert sorted(len(c) for c in candidates) == sorted(LENGTHS)
    yield model, tokenizer, prompt, candidates
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def baseline(model_and_tokens) -> CandidateScores:
    model, _, prompt, candidates = model_and_tokens
    return score_candidates_full(model, prompt, candidates, batch_size=32)


@pytest.mark.parametrize("batch_size", [32, 7])  # 7: batches of 7, 7 and 6
def test_shared_cache_equals_full_sequences(model_and_tokens, baseline, batch_size):
    model, tokenizer, prompt, candidates = model_and_tokens
    fast = score_candidates(model, prompt, candidates, batch_size=batch_size, pad_id=tokenizer.pad_token_id)
    assert fast.n_tokens.tolist() == LENGTHS
    assert np.all(fast.sum_logprob < 0)
    np.testing.assert_allclose(fast.sum_logprob, baseline.sum_logprob, rtol=0, atol=1e-4)
    np.testing.assert_allclose(fast.mean_logprob, baseline.mean_logprob, rtol=0, atol=1e-4)


def test_full_baseline_does_not_depend_on_batching(model_and_tokens, baseline):
    model, _, prompt, candidates = model_and_tokens
    subset = [0, 1, 5, 9, 18]  # lengths 1, 15, 12, 14, 15: padding inside uneven batches of 2
    again = score_candidates_full(model, prompt, [candidates[i] for i in subset], batch_size=2, pad_id=7)
    np.testing.assert_allclose(again.sum_logprob, baseline.sum_logprob[subset], rtol=0, atol=1e-4)


def test_reply_nll_matches_the_models_own_loss(model_and_tokens, baseline):
    import torch

    model, _, prompt, candidates = model_and_tokens
    reply = candidates[5]
    nll, count = reply_nll(model, prompt, reply)
    assert count == len(reply)
    ids = torch.tensor([prompt + reply])
    labels = ids.clone()
    labels[0, : len(prompt)] = -100
    with torch.inference_mode():
        loss = model(input_ids=ids, labels=labels).loss  # mean over the reply tokens
    assert nll == pytest.approx(float(loss) * count, abs=1e-3)
    assert nll == pytest.approx(-baseline.sum_logprob[5], abs=1e-4)


def test_context_matters(model_and_tokens, baseline):
    """Different prompts give different scores: the cache really carries the prompt."""
    model, _, prompt, candidates = model_and_tokens
    other = score_candidates(model, prompt[75:], candidates[:4])
    assert np.abs(other.sum_logprob - baseline.sum_logprob[:4]).max() > 1e-2


def test_peft_wrapped_model(model_and_tokens):
    """A LoRA-wrapped model (non-zero adapter) scores the same by both paths, and differently from the base."""
    import torch
    from peft import LoraConfig, get_peft_model

    model, _, prompt, candidates = model_and_tokens
    prompt, candidates = prompt[:40], candidates[:6]
    base = score_candidates(model, prompt, candidates)
    torch.manual_seed(0)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    wrapped = get_peft_model(model, config)
    try:
        fast = score_candidates(wrapped, prompt, candidates, batch_size=4)
        full = score_candidates_full(wrapped, prompt, candidates, batch_size=4)
        np.testing.assert_allclose(fast.sum_logprob, full.sum_logprob, rtol=0, atol=1e-4)
        assert np.abs(fast.sum_logprob - base.sum_logprob).max() > 1e-3
    finally:
        wrapped.unload()  # restore the shared module-scoped model


def test_bad_input_is_rejected_before_touching_the_model():
    with pytest.raises(InputError, match="at least one token"):
        score_candidates(None, [], [[1]])
    with pytest.raises(InputError, match="candidate 1 has no tokens"):
        score_candidates_full(None, [1, 2], [[3], []])
    with pytest.raises(InputError, match="batch_size"):
        score_candidates(None, [1], [[1]], batch_size=0)
    empty = score_candidates(None, [1, 2], [])
    assert empty.sum_logprob.shape == (0,) and empty.n_tokens.shape == (0,)
