"""LoRA fine-tuning of the base LLM on (context -> chat reply) examples.

A hand-written loop rather than ``transformers.Trainer``, because the things that matter here
are exactly what Trainer makes hard to guarantee:

* **Resume is bit-identical.**  A checkpoint holds the LoRA weights, optimizer, scheduler, the
  torch / numpy / Python RNG states (dropout masks), how many examples of the current epoch
  were consumed, and the early-stopping state.  A run interrupted after step k and resumed
  ends with the same adapter bytes as one that never stopped (on the CPU; CUDA kernels are not
  promised to be deterministic).
* **The data is a stream** (``train_source(epoch)``), shuffled by the caller; nothing
  materialises an epoch, and resume skips the consumed prefix.
* **Weighted loss**: each example's mean reply-token loss times its weight, divided by the
  weight sum of the whole optimizer step, so ``batch 4 x grad_accum 2`` equals ``batch 8``.
* **Samples are never truncated**: cutting a context would train on a prompt that generation
  never builds.  Samples over ``max_tokens_per_sample`` are skipped and counted.
* **Logits only where there are labels**: the vocabulary projection (49k for SmolLM2) runs on
  the reply positions only (``logits_to_keep`` with a boolean mask), not on the long context.

The learning rate warms up linearly and then stays constant: the stream's length is unknown
up front and early stopping decides the end, so there is no horizon for a decay.  A constant
schedule also means a run's first k steps do not depend on ``max_steps``.

torch and peft are imported inside functions (peft alone takes ~3 s to import).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.errors import InputError
from dougchat_assets.model.adapter import (
    ADAPTER_DIRNAME,
    copy_dir_atomic,
    read_training_state,
    replace_dir,
    save_adapter_atomic,
    staging_dir,
    write_training_state,
)

IGNORE_INDEX = -100
CHECKPOINTS_DIRNAME = "checkpoints"
_CHECKPOINT_RE = re.compile(r"^step-(\d{6,})$")
_STATE_VERSION = 1


@dataclass(frozen=True)
class EncodedExample:
    """One training example, already tokenised with the frozen prompt template.

    ``labels`` is ``-100`` on prompt tokens and the token id on reply tokens, so only the
    reply is learned.  ``weight`` scales the example's mean token loss (e.g. down-weighting
    near-duplicates).
    """

    input_ids: list[int]
    labels: list[int]
    weight: float = 1.0


class TrainConfig(BaseModel):
    """Every knob of LoRA training; defaults sized for a ~135M model on a CPU."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    learning_rate: float = Field(2e-4, gt=0.0)
    weight_decay: float = Field(0.01, ge=0.0)
    warmup_steps: int = Field(10, ge=0)
    max_grad_norm: float = Field(1.0, ge=0.0, description="clip the global gradient norm; 0 = no clipping")
    epochs: int = Field(1, ge=1)
    max_steps: int | None = Field(None, ge=1, description="optimizer steps, across epochs")
    batch_size: int = Field(8, ge=1, description="examples per forward pass (micro-batch)")
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimizer step")
    max_tokens_per_sample: int = Field(512, ge=2, description="longer samples are skipped, never truncated")
    eval_every: int = Field(25, ge=1, description="optimizer steps between validations")
    patience: int = Field(3, ge=1, description="validations without improvement before stopping")
    min_delta: float = Field(0.0, ge=0.0)
    max_val_examples: int = Field(256, ge=0)
    checkpoint_every: int = Field(25, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(2, ge=1)
    seed: int = 0

    def params_hash(self) -> str:
        """Short sha256 of every knob: names checkpoints' and adapters' provenance."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class TrainEvent:
    """Progress, for MLflow and the Dagster log.

    ``kind``: "step" (one per optimizer step), "eval", "checkpoint", "resumed", "early_stop", "done".
    """

    kind: str
    step: int
    train_loss: float | None = None
    val_loss: float | None = None
    tokens_per_s: float | None = None
    learning_rate: float | None = None
    message: str = ""


@dataclass(frozen=True)
class TrainOutcome:
    """What a training call produced.  ``history`` is the whole run's record, across resumes."""

    adapter_dir: Path
    best_step: int
    best_val_loss: float | None
    steps: int
    stopped_early: bool
    resumed_from: int | None
    train_tokens: int
    skipped_too_long: int
    history: list[TrainEvent]


@dataclass
class _Progress:
    """The mutable training state that a checkpoint must capture (besides tensors and RNG)."""

    step: int = 0
    epoch: int = 0
    consumed: int = 0  # examples pulled from train_source(epoch), skipped ones included
    train_tokens: int = 0
    skipped_too_long: int = 0
    best_val_loss: float | None = None
    best_step: int = 0
    bad_evals: int = 0
    last_eval_step: int = -1
    stopped_early: bool = False
    history: list[TrainEvent] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["history"] = [asdict(event) for event in self.history]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Progress:
        values = dict(data)
        values["history"] = [TrainEvent(**event) for event in data.get("history", [])]
        return cls(**values)


def train_lora(
    model: Any,
    *,
    pad_id: int,
    train_source: Callable[[int], Iterable[EncodedExample]],
    val_examples: Sequence[EncodedExample],
    config: TrainConfig,
    out_dir: Path,
    on_event: Callable[[TrainEvent], None] | None = None,
) -> TrainOutcome:
    """Train a LoRA adapter on ``model`` and keep the best one (by validation loss) in ``out_dir/adapter``.

    ``model`` is the plain base model (see :mod:`dougchat_assets.model.base`); LoRA layers are
    injected for the call and removed again before returning, so the caller's model comes back
    as it went in (except that a 4-bit model is prepared for k-bit training: fp32 norms and
    gradient checkpointing).  Load the result with :func:`dougchat_assets.model.adapter.load_adapter`.

    If ``out_dir`` holds checkpoints of the same config, training resumes from the newest valid
    one; if ``out_dir/adapter`` is marked done, nothing is trained and its record is returned.
    Exceptions raised by ``on_event`` propagate (that is how a caller interrupts a run).
    The global torch / numpy / random generators are seeded from ``config.seed``.
    """
    out_dir = Path(out_dir)
    finished = _finished_outcome(out_dir, config)
    if finished is not None:
        if on_event is not None:
            on_event(TrainEvent("done", finished.steps, message="already trained: returning the stored adapter"))
        return finished

    import torch

    _seed_everything(config.seed)
    base = model
    was_training = bool(base.training)
    had_peft_config = hasattr(base, "peft_config")
    peft_model = _attach_lora(base, config)
    try:
        run = _Run(peft_model, pad_id, train_source, val_examples, config, out_dir, on_event)
        return run.execute()
    finally:
        with torch.no_grad():
            peft_model.unload()
        if not had_peft_config and hasattr(base, "peft_config"):
            del base.peft_config
        base.train(was_training)


# --------------------------------------------------------------------------------------------
# set-up


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _is_quantized(model: Any) -> bool:
    return bool(getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False))


def _attach_lora(model: Any, config: TrainConfig) -> Any:
    """Wrap the base model with fresh LoRA layers (initialised from the seeded torch RNG)."""
    from peft import LoraConfig, PeftModel, get_peft_model
    from peft.tuners.tuners_utils import BaseTunerLayer

    if isinstance(model, PeftModel) or any(isinstance(m, BaseTunerLayer) for m in model.modules()):
        raise InputError("model", "already carries LoRA layers: pass the plain base model")
    if _is_quantized(model):
        # QLoRA path (CUDA + bitsandbytes).  Untested on the CPU-only development machines.
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        with warnings.catch_warnings():  # peft calls a transformers property deprecated in v5
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            return get_peft_model(model, lora)
    except ValueError as error:
        raise InputError("TrainConfig", str(error), field="target_modules") from error


# --------------------------------------------------------------------------------------------
# batches and losses


def _check_example(example: EncodedExample, where: str, index: int) -> None:
    """Reject malformed examples loudly: they are a bug in the caller's encoding."""
    if len(example.input_ids) != len(example.labels):
        raise InputError(where, f"input_ids has {len(example.input_ids)} tokens but labels has "
                                f"{len(example.labels)}", line=index, field="labels")
    if not any(label != IGNORE_INDEX for label in example.labels[1:]):
        raise InputError(where, "no reply tokens to learn (every label after the first is -100)",
                         line=index, field="labels")
    if not (math.isfinite(example.weight) and example.weight > 0):
        raise InputError(where, f"weight must be a positive finite number, got {example.weight}",
                         line=index, field="weight")


def _model_device(model: Any) -> Any:
    return next(model.parameters()).device


def _supports_logits_to_keep(model: Any) -> bool:
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def _collate(examples: Sequence[EncodedExample], pad_id: int, device: Any) -> dict[str, Any]:
    """Right-padded tensors (right padding keeps positions and causal masks of real tokens unchanged)."""
    import torch

    length = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), length), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), length), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), length), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example.input_ids)
        ids[row, :n] = torch.tensor(example.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(example.labels, dtype=torch.long)
        mask[row, :n] = 1
    weights = torch.tensor([float(e.weight) for e in examples], dtype=torch.float32)
    return {"input_ids": ids.to(device), "labels": labels.to(device), "attention_mask": mask.to(device),
            "weights": weights.to(device)}


def _example_losses(model: Any, batch: dict[str, Any], use_keep: bool) -> Any:
    """Per-example mean token loss over the reply tokens, shape ``(batch,)``."""
    import torch
    import torch.nn.functional as F

    targets = batch["labels"][:, 1:]
    target_mask = targets != IGNORE_INDEX
    kwargs: dict[str, Any] = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"],
                              "use_cache": False}
    if use_keep:
        keep = torch.zeros_like(batch["labels"], dtype=torch.bool)
        keep[:, :-1] = target_mask  # the logit at position t predicts token t + 1
        logits = model(**kwargs, logits_to_keep=keep).logits
    else:
        logits = model(**kwargs).logits[:, :-1][target_mask]
    token_loss = F.cross_entropy(logits.float(), targets[target_mask], reduction="none")
    dense = torch.zeros(target_mask.shape, dtype=token_loss.dtype, device=token_loss.device)
    dense[target_mask] = token_loss  # index_put with unique indices: deterministic, unlike index_add
    return dense.sum(dim=1) / target_mask.sum(dim=1).to(dense.dtype)


# --------------------------------------------------------------------------------------------
# the run


class _Run:
    """One call of :func:`train_lora`: the model, optimizer, progress and the files in out_dir."""

    def __init__(
        self,
        model: Any,
        pad_id: int,
        train_source: Callable[[int], Iterable[EncodedExample]],
        val_examples: Sequence[EncodedExample],
        config: TrainConfig,
        out_dir: Path,
        on_event: Callable[[TrainEvent], None] | None,
    ) -> None:
        import torch

        self.model = model
        self.pad_id = pad_id
        self.train_source = train_source
        self.config = config
        self.out_dir = out_dir
        self.adapter_dir = out_dir / ADAPTER_DIRNAME
        self.checkpoint_root = out_dir / CHECKPOINTS_DIRNAME
        self.on_event = on_event
        self.device = _model_device(model)
        self.use_keep = _supports_logits_to_keep(model)
        self.val = self._prepare_val(val_examples)
        self.params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            [p for _, p in self.params], lr=config.learning_rate, weight_decay=config.weight_decay
        )
        warmup = config.warmup_steps
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: min(1.0, (s + 1) / warmup) if warmup > 0 else 1.0
        )
        self.progress = _Progress()
        self.resumed_from: int | None = None

    # ---- events -------------------------------------------------------------------------

    def _emit(self, event: TrainEvent) -> None:
        self.progress.history.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # ---- validation ---------------------------------------------------------------------

    def _prepare_val(self, val_examples: Sequence[EncodedExample]) -> list[EncodedExample]:
        """The first ``max_val_examples`` usable validation examples, sorted by length (less padding)."""
        chosen: list[EncodedExample] = []
        for index, example in enumerate(val_examples, start=1):
            if len(chosen) >= self.config.max_val_examples:
                break
            _check_example(example, "val_examples", index)
            if len(example.input_ids) <= self.config.max_tokens_per_sample:
                chosen.append(example)
        return sorted(chosen, key=lambda e: len(e.input_ids))

    def _evaluate(self) -> float:
        import torch

        self.model.eval()
        total = 0.0
        weight_sum = 0.0
        with torch.no_grad():
            for start in range(0, len(self.val), self.config.batch_size):
                batch = _collate(self.val[start : start + self.config.batch_size], self.pad_id, self.device)
                losses = _example_losses(self.model, batch, self.use_keep)
                total += float((losses.double() * batch["weights"].double()).sum())
                weight_sum += float(batch["weights"].double().sum())
        self.model.train()
        return total / weight_sum

    def _validate_and_track(self) -> None:
        """Evaluate, keep the adapter if it is the best so far, count evaluations without improvement."""
        p = self.progress
        val_loss = self._evaluate()
        p.last_eval_step = p.step
        improved = p.best_val_loss is None or val_loss < p.best_val_loss - self.config.min_delta
        if improved:
            p.best_val_loss, p.best_step, p.bad_evals = val_loss, p.step, 0
            self._save_best()
        else:
            p.bad_evals += 1
        message = "improved: adapter saved" if improved else f"no improvement ({p.bad_evals}/{self.config.patience})"
        self._emit(TrainEvent("eval", p.step, val_loss=val_loss, message=message))
        if p.bad_evals >= self.config.patience:
            p.stopped_early = True

    # ---- the adapter folder ----------------------------------------------------------------

    def _record(self, done: bool) -> dict[str, Any]:
        p = self.progress
        return {
            "version": _STATE_VERSION, "done": done, "params_hash": self.config.params_hash(),
            "config": self.config.model_dump(mode="json"), "best_step": p.best_step,
            "best_val_loss": p.best_val_loss, "steps": p.step, "stopped_early": p.stopped_early,
            "train_tokens": p.train_tokens, "skipped_too_long": p.skipped_too_long,
            "history": [asdict(event) for event in p.history],
        }

    def _save_best(self) -> None:
        save_adapter_atomic(self.model, self.adapter_dir, self._record(done=False))

    # ---- checkpoints ------------------------------------------------------------------------

    def _rng_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(tensors for torch.save, JSON-able numpy/python states) - weights_only loading stays possible."""
        import numpy as np
        import torch

        tensors: dict[str, Any] = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            tensors["cuda"] = torch.cuda.get_rng_state_all()
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        version, internal, gauss_next = random.getstate()
        plain = {
            "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
            "python": [version, list(internal), gauss_next],
        }
        return tensors, plain

    def _restore_rng(self, tensors: dict[str, Any], plain: dict[str, Any]) -> None:
        import numpy as np
        import torch

        torch.set_rng_state(tensors["torch"])
        if "cuda" in tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(tensors["cuda"])
        kind, keys, pos, has_gauss, cached = plain["numpy"]
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
        version, internal, gauss_next = plain["python"]
        random.setstate((version, tuple(internal), gauss_next))

    def _save_checkpoint(self) -> None:
        import torch
        from safetensors.torch import save_file

        final = self.checkpoint_root / f"step-{self.progress.step:06d}"
        event = TrainEvent("checkpoint", self.progress.step, message=str(final))
        self.progress.history.append(event)
        staged = staging_dir(final)
        try:
            save_file({name: p.detach().cpu().contiguous() for name, p in self.params}, str(staged / "trainable.safetensors"))
            rng_tensors, rng_plain = self._rng_state()
            torch.save({"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                        "rng": rng_tensors}, staged / "state.pt")
            if self.adapter_dir.is_dir():
                shutil.copytree(self.adapter_dir, staged / "best")
            state = {"version": _STATE_VERSION, "params_hash": self.config.params_hash(),
                     "progress": self.progress.to_json(), "rng": rng_plain, "complete": True}
            (staged / "state.json").write_text(json.dumps(state), encoding="utf-8")
            replace_dir(staged, final)
        finally:
            if staged.exists():
                shutil.rmtree(staged)
        self._prune_checkpoints()
        if self.on_event is not None:  # already in the saved history, so a resumed run's record is whole
            self.on_event(event)

    def _checkpoints(self) -> list[tuple[int, Path]]:
        """Finished checkpoint folders, newest first (hidden staging folders are not listed)."""
        if not self.checkpoint_root.is_dir():
            return []
        found = []
        for path in self.checkpoint_root.iterdir():
            match = _CHECKPOINT_RE.match(path.name)
            if match and path.is_dir():
                found.append((int(match.group(1)), path))
        return sorted(found, reverse=True)

    def _prune_checkpoints(self) -> None:
        for _, path in self._checkpoints()[self.config.keep_checkpoints :]:
            shutil.rmtree(path, ignore_errors=True)
        for path in self.checkpoint_root.glob(".step-*"):  # staging left by a crash
            shutil.rmtree(path, ignore_errors=True)

    def _try_resume(self) -> None:
        """Restore the newest checkpoint that loads; a checkpoint of another config is an error."""
        import torch
        from safetensors.torch import load_file

        damaged: list[str] = []
        for step, path in self._checkpoints():
            try:
                state = json.loads((path / "state.json").read_text(encoding="utf-8"))
                if not state.get("complete"):
                    continue
                if state.get("params_hash") != self.config.params_hash():
                    raise InputError(path, f"checkpoint of another training config (hash {state.get('params_hash')}, "
                                           f"now {self.config.params_hash()}): use a fresh out_dir or delete it")
                weights = load_file(str(path / "trainable.safetensors"))
                tensors = torch.load(path / "state.pt", map_location="cpu", weights_only=True)
                progress = _Progress.from_json(state["progress"])
            except InputError:
                raise
            except Exception:  # a damaged checkpoint: fall back to the previous one
                damaged.append(path.name)
                continue
            names = [name for name, _ in self.params]
            if sorted(weights) != sorted(names):
                raise InputError(path, "checkpoint weights do not match this model's LoRA parameters")
            with torch.no_grad():
                for name, parameter in self.params:
                    parameter.copy_(weights[name].to(parameter.device, parameter.dtype))
            self.optimizer.load_state_dict(tensors["optimizer"])
            self.scheduler.load_state_dict(tensors["scheduler"])
            # The best adapter must be the one this checkpoint knew: one saved later is redone.
            if (path / "best").is_dir():
                copy_dir_atomic(path / "best", self.adapter_dir)
            elif self.adapter_dir.exists():
                shutil.rmtree(self.adapter_dir)
            self.progress = progress
            self.resumed_from = step
            note = f" (skipped damaged {', '.join(damaged)})" if damaged else ""
            self._emit(TrainEvent("resumed", step, message=f"resumed from {path}{note}"))
            self._restore_rng(tensors["rng"], state["rng"])  # last: nothing may draw after this
            return
        if self.adapter_dir.exists():  # left by a run that crashed before its first checkpoint
            shutil.rmtree(self.adapter_dir)

    # ---- data -------------------------------------------------------------------------------

    def _groups(self) -> Iterator[list[EncodedExample]]:
        """Optimizer-step groups of ``batch_size * grad_accum`` examples, epoch by epoch.

        Progress (epoch, consumed, skipped) is updated as examples are pulled, so at every step
        boundary it describes exactly the prefix of the stream that has been used.
        """
        p = self.progress
        size = self.config.batch_size * self.config.grad_accum
        while p.epoch < self.config.epochs:
            stream = iter(self.train_source(p.epoch))
            if p.consumed:
                skipped = sum(1 for _ in itertools.islice(stream, p.consumed))
                if skipped < p.consumed:
                    raise InputError("train_source", f"epoch {p.epoch} has {skipped} examples but the checkpoint "
                                                     f"had consumed {p.consumed}: the training data changed")
            group: list[EncodedExample] = []
            for example in stream:
                p.consumed += 1
                _check_example(example, f"train_source(epoch={p.epoch})", p.consumed)
                if len(example.input_ids) > self.config.max_tokens_per_sample:
                    p.skipped_too_long += 1
                    continue
                group.append(example)
                if len(group) == size:
                    yield group
                    group = []
            if group:
                yield group
            p.epoch += 1
            p.consumed = 0

    # ---- one optimizer step -----------------------------------------------------------------

    def _step(self, group: list[EncodedExample]) -> TrainEvent:
        import torch

        started = time.perf_counter()
        weight_sum = sum(float(e.weight) for e in group)
        tokens = sum(len(e.input_ids) for e in group)
        lr = float(self.scheduler.get_last_lr()[0])
        total = 0.0
        for start in range(0, len(group), self.config.batch_size):
            batch = _collate(group[start : start + self.config.batch_size], self.pad_id, self.device)
            losses = _example_losses(self.model, batch, self.use_keep)
            loss = (losses * batch["weights"]).sum() / weight_sum
            loss.backward()
            total += float(loss.detach())
        if self.config.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_([p for _, p in self.params], self.config.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.progress.step += 1
        self.progress.train_tokens += tokens
        elapsed = max(time.perf_counter() - started, 1e-9)
        return TrainEvent("step", self.progress.step, train_loss=total, tokens_per_s=tokens / elapsed,
                          learning_rate=lr)

    # ---- the loop ---------------------------------------------------------------------------

    def execute(self) -> TrainOutcome:
        cfg = self.config
        self._try_resume()
        p = self.progress
        self.model.train()
        if not (cfg.max_steps is not None and p.step >= cfg.max_steps) and not p.stopped_early:
            for group in self._groups():
                self._emit(self._step(group))
                if self.val and p.step % cfg.eval_every == 0:
                    self._validate_and_track()
                if p.stopped_early:
                    self._emit(TrainEvent("early_stop", p.step, message=f"no improvement in {cfg.patience} "
                                          f"evaluations; best step {p.best_step}"))
                    break
                if p.step % cfg.checkpoint_every == 0:
                    self._save_checkpoint()
                if cfg.max_steps is not None and p.step >= cfg.max_steps:
                    break
        if p.step == 0:
            raise InputError("train_source", f"no trainable examples ({p.skipped_too_long} skipped as longer "
                                             f"than {cfg.max_tokens_per_sample} tokens)")
        if self.val and p.last_eval_step != p.step:
            self._validate_and_track()
        if not self.val:  # nothing to choose by: the final adapter is the result
            p.best_step = p.step
            self._save_best()
        self.model.eval()
        # No val_loss on "done": only "eval" events carry one, so a metrics log gets each value once.
        best = "none" if p.best_val_loss is None else f"{p.best_val_loss:.4f}"
        self._emit(TrainEvent("done", p.step, message=f"best step {p.best_step}, val loss {best}"
                              + (" (stopped early)" if p.stopped_early else "")))
        write_training_state(self.adapter_dir, self._record(done=True))
        shutil.rmtree(self.checkpoint_root, ignore_errors=True)  # the run is final: resume state is moot
        return TrainOutcome(
            adapter_dir=self.adapter_dir, best_step=p.best_step, best_val_loss=p.best_val_loss, steps=p.step,
            stopped_early=p.stopped_early, resumed_from=self.resumed_from, train_tokens=p.train_tokens,
            skipped_too_long=p.skipped_too_long, history=list(p.history),
        )


def _finished_outcome(out_dir: Path, config: TrainConfig) -> TrainOutcome | None:
    """The stored outcome when ``out_dir/adapter`` is a finished run of this config, else None."""
    adapter_dir = out_dir / ADAPTER_DIRNAME
    state = read_training_state(adapter_dir)
    if state is None or not state.get("done"):
        return None
    if state.get("params_hash") != config.params_hash():
        raise InputError(adapter_dir, f"holds a finished run of another training config (hash "
                                      f"{state.get('params_hash')}, now {config.params_hash()}): use a fresh out_dir")
    return TrainOutcome(
        adapter_dir=adapter_dir, best_step=int(state["best_step"]), best_val_loss=state["best_val_loss"],
        steps=int(state["steps"]), stopped_early=bool(state["stopped_early"]), resumed_from=int(state["steps"]),
        train_tokens=int(state["train_tokens"]), skipped_too_long=int(state["skipped_too_long"]),
        history=[TrainEvent(**event) for event in state.get("history", [])],
    )
