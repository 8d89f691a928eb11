"""The model stage's configuration: ``[model]`` (base model, precision, training) and ``[eval]``
of ``<warehouse>/dougchat.toml``.  Defaults are the full settings; the demo's file caps steps."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.dataset.params import stable_hash
from dougchat_assets.model.train import TrainConfig


class ModelConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_model_path: str | None = Field(None, description="local Hugging Face folder or .gguf; None = bundled SmolLM2-135M-Instruct")
    base_model_gguf: str | None = Field(None, description="GGUF file inside base_model_path, if it is one")
    quantization: str = Field("auto", pattern="^(auto|none|4bit)$", description="auto = QLoRA 4-bit on CUDA, fp32 on CPU")
    device: str = Field("auto", pattern="^(auto|cpu|cuda)$")
    train: TrainConfig = TrainConfig()
    max_train_pairs: int | None = Field(None, ge=1, description="cap on training pairs per epoch (demo budget)")
    shuffle_buffer: int = Field(4096, ge=1, description="streamed shuffle: pairs held in memory at once")
    torch_threads: int = Field(0, ge=0, description="0 = torch's default")

    def run_key(self, split_version: str, base_sha256: str) -> str:
        """Folder and MLflow run name: the split version plus a hash of what training depends on."""
        return f"{split_version}-" + stable_hash(
            {"base": base_sha256, "train": self.train.params_hash(), "max_train_pairs": self.max_train_pairs,
             "shuffle_buffer": self.shuffle_buffer, "quantization": self.quantization},
            length=8,
        )


class EvalConfig(BaseModel):
    """LiveBot-style ranking, perplexity and sampled generations on the test VODs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contexts_per_vod: int = Field(50, ge=1)
    candidates: int = Field(100, ge=2, description="gold + (candidates - 1) replies from the same VOD at other times")
    min_candidate_gap_s: float = Field(60.0, ge=0, description="distractors were sent at least this far from the gold")
    shift_s: float = Field(60.0, gt=0, description="mrr_shifted: the transcript window moved this far earlier / later")
    perplexity_pairs: int = Field(200, ge=1, description="gold replies per test VOD scored for perplexity")
    generation_contexts: int = Field(10, ge=1, description="contexts per test VOD sampled for generation metrics")
    generations_per_context: int = Field(3, ge=1)
    temperature: float = Field(0.9, gt=0)
    top_p: float = Field(0.95, gt=0, le=1)
    max_new_tokens: int = Field(24, ge=1)
    batch_size: int = Field(32, ge=1)
    memorisation_ngram: int = Field(8, ge=2, description="a shared word n-gram this long is a copy")
    memorisation_exact_words: int = Field(4, ge=1, description="an exact repeat counts from this many words")
    max_memorisation_rate: float = Field(0.2, ge=0, le=1)
    max_emote_only_rate: float = Field(0.5, ge=0, le=1)
    toxicity_threshold: float = Field(0.8, ge=0, le=1)
    report_clips_per_vod: int = Field(3, ge=0)
    report_clip_s: float = Field(40.0, gt=0)
    seed: int = 0
