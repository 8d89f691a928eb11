"""Chat replies from base + adapter, with the frozen prompt: `dougchat generate`, the parity
check and the evaluation's sampled generations all come through here.

The adapter folder's ``training.json`` says which base model (and checksum) and which
precision it was trained with; inference loads exactly that, so a QLoRA adapter runs on
the 4-bit base it learned on, and a different base file is refused rather than silently used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dougchat_assets.dataset.pairs import ContextSource
from dougchat_assets.errors import InputError
from dougchat_assets.model.base import (
    BASE_CACHE, BaseModelRef, Precision, cached_base, load_base_model, load_tokenizer, resolve_base_model,
)
from dougchat_assets.prompt import encode_prompt, end_of_turn_id

TRAINING_INFO = "training.json"


@dataclass
class LoadedModel:
    model: Any  # peft model: base + adapter (``with model.disable_adapter():`` gives the base)
    tokenizer: Any
    base: BaseModelRef
    precision: Precision
    info: dict


def training_info(run_dir: Path) -> dict:
    path = run_dir / TRAINING_INFO
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "no training record here: materialize lora_adapter first") from None


def load_for_inference(run_dir: Path, base_model_path: str | None = None) -> LoadedModel:
    """Base + adapter of a training run, at the precision it was trained with."""
    from dougchat_assets.model.adapter import load_adapter

    info = training_info(run_dir)
    recorded = info["base_model"]
    base = resolve_base_model(base_model_path or recorded.get("path_config"), recorded.get("gguf_file_config"))
    if base.sha256 != recorded["sha256"]:
        raise InputError(
            base.folder / (base.gguf_file or ""),
            f"base model checksum {base.sha256[:12]} differs from the one the adapter was trained on "
            f"({recorded['sha256'][:12]}): point base_model_path at the original weights",
        )
    precision = Precision(**info["precision"])
    loadable = cached_base(base, run_dir.parent / BASE_CACHE)
    tokenizer = load_tokenizer(loadable)
    model = load_adapter(load_base_model(loadable, precision), run_dir / "adapter")
    return LoadedModel(model, tokenizer, base, precision, info)


def clean_reply(text: str) -> str:
    """One chat line: the first line of the generated text, whitespace collapsed."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return " ".join(first.split())


def generate_replies(
    model: Any,
    tokenizer: Any,
    context: str,
    n: int,
    *,
    temperature: float = 0.9,
    top_p: float = 0.95,
    max_new_tokens: int = 24,
    seed: int = 0,
) -> list[str]:
    """``n`` sampled replies to one context (prompt built by :func:`dougchat_assets.prompt.encode_prompt`)."""
    import torch

    prompt = encode_prompt(tokenizer, context)
    device = next(model.parameters()).device
    input_ids = torch.tensor([prompt], dtype=torch.long, device=device)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            do_sample=True,
            temperature=temperature,
            top_p=top_p,
            max_new_tokens=max_new_tokens,
            num_return_sequences=n,
            eos_token_id=end_of_turn_id(tokenizer),
            pad_token_id=tokenizer.pad_token_id,
        )
    return [clean_reply(tokenizer.decode(row[len(prompt):], skip_special_tokens=True)) for row in out]


def moment(source: ContextSource, audio_s: float) -> tuple[str, int]:
    """The context of a viewer whose stream is at ``audio_s`` of the VOD, and when they would type.

    The send time is the chat time the curve maps to ``audio_s + latency`` (the streamer is
    ahead of the viewer by the latency); the context is then built exactly as a training
    pair sent at that time.
    """
    from dougchat_assets.review.curve import map_audio_to_chat

    sent = int(round(map_audio_to_chat(source.vod.knots, audio_s + source.window.latency_s)))
    return source.contexts(np.array([sent])).texts[0], sent


def snippet_context(snippet: str, window) -> str:
    """A context from a transcript snippet the user typed (no chat lines), same template."""
    from dougchat_assets.prompt import NO_CHAT, render_context

    return render_context(" ".join(snippet.split()), NO_CHAT, window)


def filter_generated(
    replies: Sequence[str], params: Any, *, toxicity: Any | None, emote_density: float, seed: int = 0
) -> list[str]:
    """What a filter preset (``FilterParams``) lets through of generated replies: no commands,
    no over-long, profane or insulting lines (the same model, threshold and insult patterns
    as for chat), and emote-only lines kept at ``emote_density`` (the training data's knob)."""
    from dougchat_assets.chat.emotes import EmoteMatcher
    from dougchat_assets.dataset.toxicity import InsultScreen

    rng = np.random.default_rng(seed)
    matcher = EmoteMatcher()
    insults = InsultScreen(params.all_insult_patterns)
    candidates = [r for r in replies if r and not r.startswith("!") and len(r) <= params.max_reply_chars
                  and not insults.matches(r)]
    if toxicity is not None and candidates:
        probs = toxicity(candidates)
        candidates = [r for r, p in zip(candidates, probs) if p < params.toxicity_threshold]
    kept = []
    for reply in candidates:
        _, emote_only = matcher.match(reply)
        if emote_only and rng.random() >= emote_density:
            continue
        kept.append(reply)
    return kept
