"""Shadow inference parity: the generation code path rebuilds a training pair's prompt exactly.

Training tokenises the ``context`` stored with each pair; generation rebuilds a context
from the VOD's transcript, curve and kept chat (``ContextSource``), then tokenises it with
:func:`~dougchat_assets.prompt.encode_prompt`.  Any drift between the two — a changed window
parameter, a re-materialized transcript, a different tokenizer, a template edit — shows up
here as a byte or token difference, before anyone trusts the model's replies.
"""

from __future__ import annotations

from collections.abc import Sequence

from dougchat_assets.dataset.pairs import ContextSource
from dougchat_assets.model.generate import generate_replies
from dougchat_assets.prompt import encode_example, encode_prompt
from dougchat_assets.store.checks import CheckRecord


def prompt_parity(pairs: Sequence[dict], sources: dict[str, ContextSource], tokenizer, model=None) -> CheckRecord:
    """Compare each pair's training prompt with the one the generation path builds; optionally
    generate one reply through that path to show it runs end to end."""
    import numpy as np

    text_mismatch, token_mismatch, missing = [], [], []
    for pair in pairs:
        source = sources.get(pair["vod_id"])
        if source is None:
            missing.append(pair["pair_id"])
            continue
        rebuilt = source.contexts(np.array([pair["sent_at_utc_ms"]]), [pair["msg_id"]]).texts[0]
        if rebuilt != pair["context"]:
            text_mismatch.append(pair["pair_id"])
        train_ids, _ = encode_example(tokenizer, pair["context"], pair["reply"])
        generation_ids = encode_prompt(tokenizer, rebuilt)
        if train_ids[: len(generation_ids)] != generation_ids:
            token_mismatch.append(pair["pair_id"])
    sample = None
    if model is not None and pairs and not text_mismatch and not missing:
        first = pairs[0]
        context = sources[first["vod_id"]].contexts(np.array([first["sent_at_utc_ms"]]), [first["msg_id"]]).texts[0]
        sample = generate_replies(model, tokenizer, context, 1, max_new_tokens=16)[0]
    passed = bool(pairs) and not (text_mismatch or token_mismatch or missing)
    return CheckRecord(
        "prompt_parity",
        passed,
        {"pairs": len(pairs), "text_mismatch": text_mismatch[:5], "token_mismatch": token_mismatch[:5],
         "no_source": missing[:5], "generated": sample},
        "identical text and token ids",
        f"{len(pairs)} validation pairs rebuilt through the generation path: {len(text_mismatch)} differ in text, "
        f"{len(token_mismatch)} in tokens" + (f"; sample reply {sample!r}" if sample is not None else ""),
    )
