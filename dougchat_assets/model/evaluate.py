"""eval_report's body: the adapter and its base on the held-out test VODs.

Metrics (long form, per test VOD and ``all``, for ``base`` and ``adapter``):

* ``perplexity`` of the gold replies given their contexts;
* LiveBot ranking (AAAI 2019): the gold reply among ``candidates - 1`` replies of the same
  VOD sent at least ``min_candidate_gap_s`` away, ranked by mean token log-likelihood
  (length-normalised: chat replies range from one emote to a sentence) ->
  ``recall_at_1/5/10``, ``mean_rank``, ``mrr`` (ties in expectation);
* ``mrr_shifted_60s``: the same ranking with the transcript window moved ``shift_s`` earlier
  and later (mean of both; chat lines stay as they were).  A model that uses what was said
  ranks worse when it hears the wrong minute: the point of the platform;
* on sampled generations: ``distinct_1``, ``distinct_2``, ``emote_only_rate``,
  ``toxicity_rate``, ``memorisation_rate`` (repeats a training reply of several words, or
  shares a long n-gram with one).

The base model is the same weights with the adapter disabled (peft), so nothing is loaded
twice and both are scored on identical candidates and contexts.  Each context's candidates
share one encoding of the context (:func:`dougchat_assets.model.ranking.score_candidates`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from dougchat_assets.dataset.pairs import ContextSource
from dougchat_assets.model.config import EvalConfig
from dougchat_assets.model.generate import generate_replies
from dougchat_assets.model.metrics import (
    MemorisationIndex,
    distinct_n,
    emote_only_rate,
    perplexity,
    ranking_metrics,
    toxicity_rate,
)
from dougchat_assets.model.ranking import reply_nll, score_candidates
from dougchat_assets.prompt import encode_prompt, encode_reply

MODELS = ("base", "adapter")


@dataclass
class RankingTask:
    """One gold pair and its candidates (gold first)."""

    pair: dict
    candidates: list[str]


@dataclass
class Generation:
    vod_id: str
    model: str
    audio_s: float
    reply: str
    pair_id: str


@dataclass
class EvalResult:
    metrics: list[dict]  # vod_id, model, metric, value
    generations: list[Generation] = field(default_factory=list)
    tasks: dict[str, list[RankingTask]] = field(default_factory=dict)


def ranking_tasks(pairs: Sequence[dict], config: EvalConfig, rng: random.Random) -> list[RankingTask]:
    """Golds with enough distractors sent far enough away (deterministic for a seed)."""
    ordered = sorted(pairs, key=lambda p: (p["sent_at_utc_ms"], p["pair_id"]))
    sent = np.array([p["sent_at_utc_ms"] for p in ordered], dtype=np.int64)
    gap_ms = int(config.min_candidate_gap_s * 1000)
    order = list(range(len(ordered)))
    rng.shuffle(order)
    tasks = []
    for i in order:
        if len(tasks) >= config.contexts_per_vod:
            break
        far = np.flatnonzero(np.abs(sent - sent[i]) >= gap_ms)
        if far.size < config.candidates - 1:
            continue
        picks = rng.sample(list(far), config.candidates - 1)
        tasks.append(RankingTask(ordered[i], [ordered[i]["reply"]] + [ordered[j]["reply"] for j in picks]))
    return tasks


def _rank_scores(model, tokenizer, contexts: Sequence[str], tasks: Sequence[RankingTask], batch_size: int) -> np.ndarray:
    rows = []
    for context, task in zip(contexts, tasks):
        prompt = encode_prompt(tokenizer, context)
        candidates = [encode_reply(tokenizer, c) for c in task.candidates]
        scores = score_candidates(model, prompt, candidates, batch_size=batch_size, pad_id=int(tokenizer.pad_token_id))
        rows.append(scores.mean_logprob)
    return np.vstack(rows) if rows else np.zeros((0, 0))


def evaluate_vod(
    peft_model,
    tokenizer,
    vod_id: str,
    source: ContextSource,
    pairs: Sequence[dict],
    config: EvalConfig,
    memorised: MemorisationIndex,
    toxicity: Callable[[list[str]], np.ndarray],
    log: Callable[[str], None] = print,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], list[Generation], list[RankingTask]]:
    """(metrics by model, pooled raw sums by model for the "all" rows, generations, tasks)."""
    rng = random.Random(f"{config.seed}:{vod_id}")
    tasks = ranking_tasks(pairs, config, rng)
    sent = np.array([t.pair["sent_at_utc_ms"] for t in tasks], dtype=np.int64)
    ids = [t.pair["msg_id"] for t in tasks]
    contexts = [t.pair["context"] for t in tasks]
    shifted = {
        sign: source.contexts(sent, ids, window_shift_s=sign * config.shift_s).texts if tasks else []
        for sign in (-1.0, 1.0)
    }
    ppl_pairs = rng.sample(list(pairs), min(config.perplexity_pairs, len(pairs)))
    gen_pairs = sorted(rng.sample(list(pairs), min(config.generation_contexts, len(pairs))),
                       key=lambda p: p["sent_at_utc_ms"])
    metrics: dict[str, dict[str, float]] = {}
    pooled: dict[str, dict[str, object]] = {}
    generations: list[Generation] = []
    for name in MODELS:
        switch = peft_model.disable_adapter() if name == "base" else nullcontext()
        with switch:
            scores = _rank_scores(peft_model, tokenizer, contexts, tasks, config.batch_size)
            minus = _rank_scores(peft_model, tokenizer, shifted[-1.0], tasks, config.batch_size)
            plus = _rank_scores(peft_model, tokenizer, shifted[1.0], tasks, config.batch_size)
            nll, n_tok = 0.0, 0
            for pair in ppl_pairs:
                s, n = reply_nll(peft_model, encode_prompt(tokenizer, pair["context"]), encode_reply(tokenizer, pair["reply"]))
                nll, n_tok = nll + s, n_tok + n
            texts: list[str] = []
            for k, pair in enumerate(gen_pairs):
                replies = generate_replies(
                    peft_model, tokenizer, pair["context"], config.generations_per_context,
                    temperature=config.temperature, top_p=config.top_p, max_new_tokens=config.max_new_tokens,
                    seed=config.seed + k,
                )
                texts += replies
                generations += [Generation(vod_id, name, float(pair["viewer_audio_s"]), r, pair["pair_id"]) for r in replies]
        values = _metric_values(scores, minus, plus, nll, n_tok, texts, memorised, toxicity, config)
        metrics[name] = values
        pooled[name] = {"scores": scores, "minus": minus, "plus": plus, "nll": nll, "n_tok": n_tok, "texts": texts}
        log(f"{vod_id} {name}: mrr {values.get('mrr', float('nan')):.3f}, shifted {values.get('mrr_shifted_60s', float('nan')):.3f}, "
            f"perplexity {values['perplexity']:.1f}")
    return metrics, pooled, generations, tasks


def _metric_values(scores, minus, plus, nll, n_tok, texts, memorised, toxicity, config) -> dict[str, float]:
    values: dict[str, float] = {"perplexity": perplexity(nll, n_tok)}
    if len(scores):
        values.update(ranking_metrics(scores))
        values["mrr_shifted_60s"] = 0.5 * (ranking_metrics(minus)["mrr"] + ranking_metrics(plus)["mrr"])
    values.update(
        distinct_1=distinct_n(texts, 1),
        distinct_2=distinct_n(texts, 2),
        emote_only_rate=emote_only_rate(texts),
        toxicity_rate=toxicity_rate(texts, toxicity, config.toxicity_threshold),
        memorisation_rate=(sum(memorised.is_memorised(t) for t in texts) / len(texts)) if texts else float("nan"),
        contexts=float(len(scores)),
        candidates=float(config.candidates),
        generations=float(len(texts)),
    )
    return values


def evaluate(
    peft_model,
    tokenizer,
    sources: dict[str, ContextSource],
    test_pairs: dict[str, list[dict]],
    train_replies: Sequence[str],
    config: EvalConfig,
    toxicity: Callable[[list[str]], np.ndarray],
    log: Callable[[str], None] = print,
) -> EvalResult:
    memorised = MemorisationIndex(train_replies, min_ngram=config.memorisation_ngram,
                                  min_exact_words=config.memorisation_exact_words)
    rows: list[dict] = []
    pooled: dict[str, dict[str, list]] = {m: {k: [] for k in ("scores", "minus", "plus", "nll", "n_tok", "texts")} for m in MODELS}
    result = EvalResult([])
    for vod_id in sorted(sources):
        metrics, raw, generations, tasks = evaluate_vod(
            peft_model, tokenizer, vod_id, sources[vod_id], test_pairs[vod_id], config, memorised, toxicity, log
        )
        result.generations += generations
        result.tasks[vod_id] = tasks
        for name in MODELS:
            rows += [{"vod_id": vod_id, "model": name, "metric": k, "value": float(v)} for k, v in metrics[name].items()]
            for key in pooled[name]:
                pooled[name][key].append(raw[name][key])
    for name in MODELS:
        p = pooled[name]
        stack = lambda parts: np.vstack([x for x in parts if len(x)]) if any(len(x) for x in parts) else np.zeros((0, 0))  # noqa: E731
        values = _metric_values(stack(p["scores"]), stack(p["minus"]), stack(p["plus"]), float(sum(p["nll"])),
                                int(sum(p["n_tok"])), [t for texts in p["texts"] for t in texts], memorised, toxicity, config)
        rows += [{"vod_id": "all", "model": name, "metric": k, "value": float(v)} for k, v in values.items()]
    result.metrics = rows
    return result


def _value(rows: Sequence[dict], model: str, metric: str, vod_id: str = "all") -> float:
    for row in rows:
        if row["vod_id"] == vod_id and row["model"] == model and row["metric"] == metric:
            return float(row["value"])
    return float("nan")


def eval_checks(rows: Sequence[dict], config: EvalConfig) -> list:
    """The eval_report's checks, on the ``all`` rows."""
    from dougchat_assets.store.checks import CheckRecord

    a_mrr, b_mrr = _value(rows, "adapter", "mrr"), _value(rows, "base", "mrr")
    shifted = _value(rows, "adapter", "mrr_shifted_60s")
    memo, emote = _value(rows, "adapter", "memorisation_rate"), _value(rows, "adapter", "emote_only_rate")
    n = int(_value(rows, "adapter", "contexts"))
    return [
        CheckRecord("adapter_beats_base", bool(a_mrr > b_mrr), {"adapter_mrr": a_mrr, "base_mrr": b_mrr}, "adapter > base",
                    f"MRR of the gold reply among {config.candidates} candidates on {n} held-out contexts: "
                    f"adapter {a_mrr:.3f} vs base {b_mrr:.3f}"),
        CheckRecord("adapter_uses_context", bool(a_mrr > shifted), {"mrr": a_mrr, "mrr_shifted_60s": shifted},
                    "mrr > mrr_shifted_60s",
                    f"with the transcript window moved {config.shift_s:.0f} s away the adapter's MRR is {shifted:.3f} "
                    f"against {a_mrr:.3f} at the right moment"),
        CheckRecord("memorisation_rate", bool(memo <= config.max_memorisation_rate), memo, config.max_memorisation_rate,
                    "share of the adapter's generations repeating a training reply or a long n-gram of one"),
        CheckRecord("emote_only_rate", bool(emote <= config.max_emote_only_rate), emote, config.max_emote_only_rate,
                    "share of the adapter's generations that are only emotes"),
    ]
