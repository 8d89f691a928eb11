"""Score candidate replies by model likelihood given one context (LiveBot-style ranking).

Evaluation ranks the gold chat reply among ~99 others per held-out context.  Scoring each
candidate as a full prompt+reply sequence re-encodes the same ~200-token prompt 100 times;
the candidates are ~10 tokens.  ``score_candidates`` encodes the prompt once, keeps its
key/value cache, and runs only the short candidates against copies of that cache, batched.
``score_candidates_full`` is the plain baseline, kept as the reference the fast path is
tested against (they agree to ~1e-5 in fp32) and benchmarked against.

Works with any Hugging Face causal LM and with a peft-wrapped one (plain forward calls,
transformers 5.x ``cache=`` keyword).  torch is imported inside the functions.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dougchat_assets.errors import InputError


@dataclass(frozen=True)
class CandidateScores:
    """Per candidate: summed log-probability of its tokens given the prompt, and its token count."""

    sum_logprob: np.ndarray
    n_tokens: np.ndarray

    @property
    def mean_logprob(self) -> np.ndarray:
        """Length-normalised score: the sum favours short replies, the mean does not."""
        return self.sum_logprob / self.n_tokens


def _check(prompt_ids: Sequence[int], candidates: Sequence[Sequence[int]], batch_size: int) -> None:
    if len(prompt_ids) == 0:
        raise InputError("prompt_ids", "the prompt needs at least one token (it predicts the first reply token)")
    if batch_size < 1:
        raise InputError("batch_size", "batch_size must be at least 1", field="batch_size")
    for index, candidate in enumerate(candidates):
        if len(candidate) == 0:
            raise InputError("candidates", f"candidate {index} has no tokens", field=str(index))


def _start(
    prompt_ids: Sequence[int], candidates: Sequence[Sequence[int]], batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Checked inputs; zeroed log-prob sums and the token count of each candidate."""
    _check(prompt_ids, candidates, batch_size)
    return np.zeros(len(candidates), dtype=np.float64), np.array([len(c) for c in candidates], dtype=np.int64)


def _device(model: Any):
    return next(model.parameters()).device


def _token_logprobs(logits, targets):
    """log p(target) at every position, in float32 whatever the model's dtype.

    gather minus logsumexp avoids materialising a full log-softmax over the vocabulary.
    """
    import torch

    logits = logits.float()
    picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return picked - torch.logsumexp(logits, dim=-1)


def _batches(candidates: Sequence[Sequence[int]], batch_size: int) -> list[list[int]]:
    """Candidate indices, longest first, cut into batches: similar lengths share a batch, less padding."""
    order = sorted(range(len(candidates)), key=lambda i: -len(candidates[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _padded(rows: list[Sequence[int]], width: int, pad_id: int, device):
    """(ids [B, width] right-padded with pad_id, valid mask [B, width] as long)."""
    import torch

    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    valid = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        if len(row):
            ids[r, : len(row)] = torch.as_tensor(list(row), dtype=torch.long)
            valid[r, : len(row)] = 1
    return ids.to(device), valid.to(device)


def score_candidates(
    model: Any,
    prompt_ids: Sequence[int],
    candidates: Sequence[Sequence[int]],
    *,
    batch_size: int = 32,
    pad_id: int = 0,
) -> CandidateScores:
    """Score every candidate as a continuation of the prompt, encoding the prompt once.

    The prompt pass yields its key/value cache and the distribution of the first reply token.
    Each batch then feeds candidate tokens ``c[:-1]`` (right-padded; ``c[-1]`` needs no output)
    at positions ``P, P+1, ...`` against a fresh copy of the prompt cache repeated B times,
    with an attention mask covering prompt + real candidate tokens.  The cache is deep-copied
    per batch because ``DynamicCache`` grows in place on every forward call.
    """
    import torch

    sums, counts = _start(prompt_ids, candidates, batch_size)
    if len(candidates) == 0:
        return CandidateScores(sums, counts)
    device = _device(model)
    n_prompt = len(prompt_ids)
    with torch.inference_mode():
        prompt = torch.as_tensor([list(prompt_ids)], dtype=torch.long, device=device)
        out = model(input_ids=prompt, use_cache=True, logits_to_keep=1)
        prompt_cache = out.cache
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        del out
        for batch in _batches(candidates, batch_size):
            rows = [candidates[i] for i in batch]
            first_ids = torch.as_tensor([row[0] for row in rows], dtype=torch.long, device=device)
            total = first[first_ids]
            width = max(len(row) for row in rows) - 1
            if width > 0:
                ids, valid = _padded([row[:-1] for row in rows], width, pad_id, device)
                targets, _ = _padded([row[1:] for row in rows], width, pad_id, device)
                size = len(rows)
                mask = torch.cat([torch.ones((size, n_prompt), dtype=torch.long, device=device), valid], dim=1)
                positions = torch.arange(n_prompt, n_prompt + width, device=device).unsqueeze(0).expand(size, -1)
                cache = copy.deepcopy(prompt_cache)
                cache.batch_repeat_interleave(size)
                logits = model(
                    input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True
                ).logits
                total = total + (_token_logprobs(logits, targets) * valid).sum(dim=1)
                del cache, logits
            sums[batch] = total.double().cpu().numpy()
    return CandidateScores(sums, counts)


def score_candidates_full(
    model: Any,
    prompt_ids: Sequence[int],
    candidates: Sequence[Sequence[int]],
    *,
    batch_size: int = 32,
    pad_id: int = 0,
) -> CandidateScores:
    """Baseline: each candidate scored as a whole prompt+candidate sequence, batched and right-padded.

    Right padding keeps every real token at its natural position.  Only the logits that
    predict candidate tokens are computed (``logits_to_keep``): all sequences share the prompt
    length, so those are the last ``max_len + 1`` positions.
    """
    import torch

    sums, counts = _start(prompt_ids, candidates, batch_size)
    if len(candidates) == 0:
        return CandidateScores(sums, counts)
    device = _device(model)
    prompt = list(prompt_ids)
    with torch.inference_mode():
        for batch in _batches(candidates, batch_size):
            rows = [candidates[i] for i in batch]
            width = max(len(row) for row in rows)
            ids, valid = _padded([prompt + list(row) for row in rows], len(prompt) + width, pad_id, device)
            targets, target_valid = _padded(rows, width, pad_id, device)
            logits = model(input_ids=ids, attention_mask=valid, use_cache=False, logits_to_keep=width + 1).logits
            scores = _token_logprobs(logits[:, :width], targets) * target_valid
            sums[batch] = scores.sum(dim=1).double().cpu().numpy()
    return CandidateScores(sums, counts)


def reply_nll(model: Any, prompt_ids: Sequence[int], reply_ids: Sequence[int]) -> tuple[float, int]:
    """Summed negative log-likelihood of the reply's tokens given the prompt, and their count.

    Sum and count (not a mean) so a caller can pool many replies into one perplexity.
    """
    scores = score_candidates_full(model, prompt_ids, [reply_ids], batch_size=1)
    return float(-scores.sum_logprob[0]), int(scores.n_tokens[0])
