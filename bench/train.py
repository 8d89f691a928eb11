"""Model-stage benchmark: LoRA training throughput and memory; candidate ranking with a shared context.

Run:  .venv/bin/python bench/train.py [--steps 8] [--batch 8] [--contexts 3] [--candidates 100] [--threads 0]

1. Training: pairs rendered with the frozen prompt from a generated stream (dougchat_sim, the
   default window of 30 s + 8 chat lines) train the default base model (SmolLM2-135M-Instruct,
   LoRA r=8 on q/v) for ``--steps`` optimizer steps in a fresh child process; reported:
   tokens/s (all tokens of the batch, context included), seconds per step, the child's peak
   RSS.  The physical limit printed beside it is the bare model's forward+backward speed on
   the same batches without LoRA bookkeeping, data loading or optimizer (full fine-tuning
   of nothing: gradients only reach the inputs), measured in the same child.
2. Ranking (LiveBot): for ``--contexts`` contexts of ~190 tokens, ``--candidates`` replies of
   ~10 tokens are scored by the model's log-likelihood, once with the context encoded once
   and its key/value cache repeated for each batch of candidates (what eval_report does),
   once with every candidate as a full sequence from scratch (the baseline a competent user
   writes first), same child, same model; reported contexts/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def peak_rss_mib() -> float:
    """This process's own peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _examples(n: int, seed: int):
    """``n`` training examples rendered with the frozen prompt from a simulated stream."""
    import numpy as np
    import pyarrow as pa

    from dougchat_assets.dataset.config import DatasetConfig
    from dougchat_assets.dataset.pairs import CurveKnot, VodDataset, build_pairs
    from dougchat_sim import simulate_stream

    s = simulate_stream(seed, vod_id="bench", duration_s=1800, chat_rate_msgs_per_s=3.0)
    segment, knots = 0, []
    for i, (ms, audio) in enumerate(s.knots):
        if i and audio == s.knots[i - 1][1]:
            segment += 1
        knots.append(CurveKnot(int(ms), float(audio), segment, 1.0))
    ok = s.segments.filter(pa.compute.equal(s.segments.column("quality"), "ok"))
    words = s.words.join(ok.select(["segment_id", "speaker"]), "segment_id", join_type="inner")
    vod = VodDataset("bench", float(max(a for _, a in s.knots)), knots, [], words.select(
        ["start_s", "end_s", "word", "segment_id", "speaker"]).sort_by([("start_s", "ascending")]))
    chat = s.chat.filter(pa.compute.equal(s.chat.column("msg_type"), "chat"))
    kept = pa.table({
        "msg_id": chat.column("msg_id"), "sent_at_utc_ms": chat.column("sent_at_utc_ms"),
        "user_key": chat.column("user_login"), "reply": chat.column("body"),
        "weight": pa.array(np.ones(chat.num_rows)), "is_emote_only": chat.column("is_emote_only"),
    })
    pairs = build_pairs(vod, kept, DatasetConfig(), b"bench-key-0123456789").pairs.to_pylist()
    rng = np.random.default_rng(seed)
    return [pairs[i] for i in rng.choice(len(pairs), size=min(n, len(pairs)), replace=False)]


def _load(threads: int):
    import torch

    from dougchat_assets.model.base import cached_base, choose_precision, load_base_model, load_tokenizer, resolve_base_model

    if threads:
        torch.set_num_threads(threads)
    ref = cached_base(resolve_base_model(), Path(os.environ.get("DOUGCHAT_BENCH_CACHE", "/tmp/dougchat-bench-base")))
    return load_tokenizer(ref), load_base_model(ref, choose_precision())


def train_child(steps: int, batch: int, threads: int, out: dict) -> None:
    import tempfile

    import torch

    from dougchat_assets.model.data import encode
    from dougchat_assets.model.train import TrainConfig, train_lora

    tokenizer, model = _load(threads)
    pairs = _examples(steps * batch + 16, seed=11)
    examples = [encode(tokenizer, p) for p in pairs]
    tokens = sum(len(e.input_ids) for e in examples[: steps * batch])
    config = TrainConfig(max_steps=steps, batch_size=batch, eval_every=10_000, checkpoint_every=10_000, warmup_steps=1)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train_lora(model, pad_id=int(tokenizer.pad_token_id), train_source=lambda epoch: iter(examples[: steps * batch]),
                   val_examples=examples[-8:], config=config, out_dir=Path(tmp))
        lora_s = time.perf_counter() - started
    # the limit: forward + backward of the bare model on the same batches (no LoRA, no optimizer)
    model.train()
    embed = model.get_input_embeddings()
    started = time.perf_counter()
    for i in range(steps):
        chunk = examples[i * batch : (i + 1) * batch]
        width = max(len(e.input_ids) for e in chunk)
        ids = torch.tensor([e.input_ids + [tokenizer.pad_token_id] * (width - len(e.input_ids)) for e in chunk])
        inputs = embed(ids).detach().requires_grad_(True)
        model(inputs_embeds=inputs).logits[:, -8:].float().logsumexp(-1).sum().backward()
    bare_s = time.perf_counter() - started
    out.update(tokens=tokens, lora_s=lora_s, bare_s=bare_s, rss=peak_rss_mib(),
               mean_tokens=tokens / (steps * batch))


def rank_child(contexts: int, candidates: int, threads: int, out: dict) -> None:
    from dougchat_assets.model.ranking import score_candidates, score_candidates_full
    from dougchat_assets.prompt import encode_prompt, encode_reply

    tokenizer, model = _load(threads)
    pairs = _examples(contexts + candidates, seed=12)
    prompts = [encode_prompt(tokenizer, p["context"]) for p in pairs[:contexts]]
    replies = [encode_reply(tokenizer, p["reply"]) for p in pairs[contexts:]]
    pad = int(tokenizer.pad_token_id)
    score_candidates(model, prompts[0], replies[:4], pad_id=pad)  # warm-up
    started = time.perf_counter()
    shared = [score_candidates(model, p, replies, pad_id=pad) for p in prompts]
    shared_s = time.perf_counter() - started
    started = time.perf_counter()
    full = [score_candidates_full(model, p, replies, pad_id=pad) for p in prompts]
    full_s = time.perf_counter() - started
    worst = max(float(abs(a.mean_logprob - b.mean_logprob).max()) for a, b in zip(shared, full))
    out.update(shared_s=shared_s, full_s=full_s, prompt_tokens=sum(map(len, prompts)) / len(prompts),
               candidate_tokens=sum(map(len, replies)) / len(replies), max_diff=worst, rss=peak_rss_mib())


def _run(target, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        out = manager.dict()
        child = ctx.Process(target=target, args=(*args, out))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"{target.__name__} failed with exit code {child.exitcode}")
        return dict(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--contexts", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    train = _run(train_child, args.steps, args.batch, args.threads)
    rank = _run(rank_child, args.contexts, args.candidates, args.threads)
    lora_tps = train["tokens"] / train["lora_s"]
    bare_tps = train["tokens"] / train["bare_s"]
    shared_cps = args.contexts / rank["shared_s"]
    full_cps = args.contexts / rank["full_s"]
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"torch threads {args.threads or 'default'}")
    print(f"training: {args.steps} steps x batch {args.batch}, {train['mean_tokens']:.0f} tokens per sample")
    print(f"  LoRA training            {lora_tps:8.0f} tokens/s  {train['lora_s'] / args.steps:6.1f} s/step  "
          f"peak RSS {train['rss']:.0f} MiB")
    print(f"  bare forward+backward    {bare_tps:8.0f} tokens/s  (the limit; LoRA run at {lora_tps / bare_tps:.2f} of it)")
    print(f"ranking: {args.contexts} contexts of {rank['prompt_tokens']:.0f} tokens x {args.candidates} candidates "
          f"of {rank['candidate_tokens']:.1f} tokens (max |diff| {rank['max_diff']:.1e})")
    print(f"  shared context cache     {shared_cps:8.3f} contexts/s")
    print(f"  every candidate in full  {full_cps:8.3f} contexts/s")
    print(f"  ratio                    {shared_cps / full_cps:8.1f}x  (target >= 3x)  peak RSS {rank['rss']:.0f} MiB")


if __name__ == "__main__":
    main()
