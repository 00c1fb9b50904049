"""Hugging Face models: transformers for the model and tokenizer, peft for LoRA and QLoRA.

This is the only module that imports transformers, peft or bitsandbytes, and it imports them
inside functions, after the offline switch is set: the module itself (and its pure rules:
package checks, model folder checks, pad token, attention choice) works without them.

Written against transformers 5.x (`dtype=`, `attn_implementation=`) and peft 0.20.
Precision: LoRA keeps the frozen base in the compute dtype (bf16/fp16) with fp32 adapters; full
finetuning keeps fp32 master weights and computes under autocast (fp16 needs fp32 weights for
GradScaler); QLoRA loads the base in NF4 with double quantization and bf16 (or fp16) compute.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from ..config import ModelSpec, RunConfig
from ..data import Batch
from ..failures import RunFailure, is_out_of_memory, missing_package_failure
from .base import FinalOutputs, Warn

WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json", "*.pt", "*.pth")


# ---- rules that need no transformers ----------------------------------------------------------


def required_packages(method: str) -> List[str]:
    packages = ["transformers"]
    if method in ("lora", "qlora"):
        packages.append("peft")
    if method == "qlora":
        packages.append("bitsandbytes")
    return packages


def require_packages(method: str) -> None:
    missing = [p for p in required_packages(method) if importlib.util.find_spec(p) is None]
    if missing:
        purpose = {"full": "Full finetuning of a Hugging Face model", "lora": "LoRA on a Hugging Face model",
                   "qlora": "QLoRA (4-bit base model + LoRA)"}[method]
        raise missing_package_failure(missing, purpose)


def check_model_folder(spec: ModelSpec) -> Optional[Path]:
    """When model.path is set: the folder must exist and hold config.json and weights."""
    if spec.path is None:
        return None
    folder = Path(spec.path)
    advice = ["Check model.path: it must be the folder that holds config.json, the weights "
              "(*.safetensors) and the tokenizer files.",
              f"Or set model.path to null to use {spec.id} from the Hugging Face cache."]
    if not folder.is_dir():
        raise RunFailure("model_files", f"The model folder {folder} does not exist.", advice)
    if not (folder / "config.json").is_file():
        raise RunFailure("model_files", f"The model folder {folder} has no config.json.", advice)
    if not any(any(folder.glob(pattern)) for pattern in WEIGHT_PATTERNS):
        raise RunFailure("model_files", f"The model folder {folder} has no weight files "
                         "(*.safetensors or *.bin); the download may be incomplete.", advice)
    return folder


def set_offline_mode(allow_downloads: bool) -> None:
    """huggingface_hub reads these when it is first imported, so call this before any import."""
    if not allow_downloads:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"


def choose_attention(requested: str, is_cuda: bool, precision: str, warn: Warn) -> str:
    sdpa = "sdpa" if hasattr(F, "scaled_dot_product_attention") else "eager"
    if requested == "auto":
        return sdpa
    if requested == "sdpa" and sdpa == "eager":
        warn("attention", f"SDPA needs PyTorch 2.0 or newer (this is {torch.__version__}); using eager attention.")
        return "eager"
    if requested == "flash_attention_2":
        if not is_cuda or importlib.util.find_spec("flash_attn") is None:
            warn("attention", "flash_attention_2 needs an NVIDIA GPU and the flash-attn package; "
                 f"using {sdpa} attention instead.")
            return sdpa
        if precision == "fp32":
            warn("attention", f"flash_attention_2 works only in bf16/fp16; using {sdpa} attention for fp32.")
            return sdpa
    return requested


def ensure_pad_token(tokenizer, warn: Warn) -> None:
    """Padding never carries loss, so EOS can double as PAD; without EOS there is no end marker."""
    if tokenizer.pad_token_id is not None:
        if tokenizer.eos_token_id is None:
            raise _no_eos_failure()
        return
    if tokenizer.eos_token_id is None:
        raise _no_eos_failure()
    tokenizer.pad_token = tokenizer.eos_token
    warn("tokenizer", f"The tokenizer has no padding token; using its EOS token {tokenizer.eos_token!r} "
         "for padding (padding carries no loss, so training is unaffected).")


def _no_eos_failure() -> RunFailure:
    return RunFailure("tokenizer", "The tokenizer has no EOS (end of sequence) token, so examples "
                      "cannot be ended and the model would never learn to stop.",
                      ["Pick a model whose tokenizer defines eos_token (check tokenizer_config.json).",
                       "Or add \"eos_token\" to the model folder's tokenizer_config.json."])


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def model_files_failure(spec: ModelSpec, error: BaseException) -> RunFailure:
    if spec.path:
        return RunFailure("model_files", f"Could not load the model from {spec.path}: {_first_line(error)}",
                          ["Check that the folder holds config.json, the weights and the tokenizer files.",
                           "If it was copied from elsewhere, copy the whole folder again."])
    offline = "" if spec.allow_downloads else " (downloads are off for this run)"
    return RunFailure("model_files", f"Could not load {spec.id} from the Hugging Face cache{offline}: "
                      f"{_first_line(error)}",
                      [f"Download it once with: hf download {spec.id}",
                       "Or allow downloads for this run (model.allow_downloads).",
                       "Or set model.path to a folder that holds the model files."])


def _load_failure(spec: ModelSpec, error: BaseException, what: str) -> RunFailure:
    text = str(error)
    if "trust_remote_code" in text:
        return RunFailure("config", f"{spec.id} ships its own Python code, which runs only with "
                          "model.trust_remote_code set to true.",
                          ["Turn on trust_remote_code only if you trust the model's authors.",
                           "Or pick a model that transformers supports natively."])
    if isinstance(error, ImportError):
        return RunFailure("missing_package", f"Loading the {what} needs a package that is not installed: "
                          f"{_first_line(error)}", ["Install the package named above into the runtime's Python."])
    if isinstance(error, (OSError, FileNotFoundError)):
        return model_files_failure(spec, error)
    kind = "tokenizer" if what == "tokenizer" else "model_files"
    return RunFailure(kind, f"Could not load the {what} of {spec.id}: {_first_line(error)}",
                      ["Check that the model files are complete and match a supported architecture.",
                       "Updating transformers may add support for newer architectures."])


def nf4_config(compute_dtype: torch.dtype):
    """QLoRA's 4-bit base: NF4 weights, double quantization, 16-bit compute."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=compute_dtype)


def package_version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


# ---- tokenizer --------------------------------------------------------------------------------


class HFTokenizer:
    def __init__(self, tokenizer):
        self.hf = tokenizer
        self.eos_id = int(tokenizer.eos_token_id)
        self.pad_id = int(tokenizer.pad_token_id)

    def encode_with_boundary(self, text: str, boundary: int) -> Tuple[List[int], int]:
        if boundary <= 0:
            return list(self.hf(text, add_special_tokens=True)["input_ids"]), 0
        if getattr(self.hf, "is_fast", False):
            encoded = self.hf(text, add_special_tokens=True, return_offsets_mapping=True)
            ids = list(encoded["input_ids"])
            # A token carries loss when it produces any text at or after the boundary; a token
            # straddling it (e.g. " Sure" after "Response: ") belongs to the response.
            first = next((i for i, (start, end) in enumerate(encoded["offset_mapping"])
                          if end > boundary), len(ids))
            return ids, first
        # Slow tokenizers have no offsets: the prompt's own token count is the boundary.
        ids = list(self.hf(text, add_special_tokens=True)["input_ids"])
        prompt_ids = self.hf(text[:boundary], add_special_tokens=True)["input_ids"]
        return ids, min(len(prompt_ids), len(ids))

    def decode(self, ids) -> str:
        return self.hf.decode(list(ids), skip_special_tokens=True)


# ---- the backend ------------------------------------------------------------------------------


class HFBackend:
    demo = False

    def __init__(self, config: RunConfig, compute, warn: Warn):
        self.config = config
        self.spec = config.model
        self.params = config.params
        self.method = config.method
        self.compute = compute
        self.device = compute.device
        self.warn = warn
        self.model_id = config.model.id
        self.source: Optional[str] = None
        self.hf_tokenizer = None
        self.tokenizer: Optional[HFTokenizer] = None
        self.model = None

    def load_tokenizer(self) -> HFTokenizer:
        folder = check_model_folder(self.spec)
        require_packages(self.method)
        if self.method == "qlora" and not self.compute.is_cuda:
            raise RunFailure("config", "QLoRA needs an NVIDIA GPU with CUDA: bitsandbytes 4-bit "
                             "layers do not train on this device.",
                             ["Use method 'lora' (or 'full' for small models) on this computer.",
                              "Or install a CUDA build of PyTorch if there is an NVIDIA GPU."])
        set_offline_mode(self.spec.allow_downloads)
        self.source = str(folder) if folder else self.spec.id
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self.source, trust_remote_code=self.spec.trust_remote_code)
        except Exception as error:
            raise _load_failure(self.spec, error, "tokenizer") from None
        ensure_pad_token(tokenizer, self.warn)
        tokenizer.padding_side = "right"
        self.hf_tokenizer = tokenizer
        self.tokenizer = HFTokenizer(tokenizer)
        return self.tokenizer

    def _model_kwargs(self) -> dict:
        kwargs = {
            "trust_remote_code": self.spec.trust_remote_code,
            "attn_implementation": choose_attention(self.params.attention, self.compute.is_cuda,
                                                    self.compute.precision, self.warn),
        }
        if self.method == "qlora":
            compute_dtype = self.compute.dtype if self.compute.precision != "fp32" else torch.float32
            kwargs["quantization_config"] = nf4_config(compute_dtype)
            kwargs["dtype"] = compute_dtype
            kwargs["device_map"] = {"": self.device.index or 0}
        elif self.method == "lora":
            kwargs["dtype"] = self.compute.dtype
        else:
            kwargs["dtype"] = torch.float32
        return kwargs

    def _load_base_model(self):
        """The base model with its weights, before LoRA and checkpointing are set up. Its own method
        so that the GPU benchmark (localtune_runtime.bench) can build the same architecture with
        random weights and train it through the rest of this backend unchanged."""
        from transformers import AutoModelForCausalLM

        try:
            return AutoModelForCausalLM.from_pretrained(self.source, **self._model_kwargs())
        except Exception as error:
            if is_out_of_memory(error):
                raise
            raise _load_failure(self.spec, error, "model") from None

    def load_model(self):
        model = self._load_base_model()
        if self.method != "qlora":
            model.to(self.device)
        model.config.use_cache = False  # the cache is for generation; training would only waste memory
        checkpointing_kwargs = {"use_reentrant": False}
        if self.method == "qlora":
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=self.params.gradient_checkpointing,
                gradient_checkpointing_kwargs=checkpointing_kwargs)
        elif self.params.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpointing_kwargs)
            if self.method == "lora":
                model.enable_input_require_grads()
        if self.method in ("lora", "qlora"):
            from peft import LoraConfig, get_peft_model

            lora = self.params.lora
            lora_config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                     target_modules=lora.target_modules, bias="none", task_type="CAUSAL_LM")
            try:
                model = get_peft_model(model, lora_config)
            except ValueError as error:
                raise RunFailure("config", f"params.lora.target_modules: {_first_line(error)}",
                                 ["Use \"all-linear\", or module names of this architecture "
                                  "(for Llama-style models: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)."]) from None
        self.model = model
        return model

    def logits(self, batch: Batch) -> torch.Tensor:
        if batch.packed:
            # No attention mask: transformers then reads sequence boundaries from the restarting
            # position ids and builds a block-diagonal causal mask (or varlen flash attention).
            output = self.model(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False)
        else:
            output = self.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False)
        return output.logits

    def named_trainable_parameters(self):
        return [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]

    def save_weights(self, folder: Path) -> None:
        if self.method == "full":
            from safetensors.torch import save_model
            save_model(self.model, str(Path(folder) / "model.safetensors"))
        else:
            self.model.save_pretrained(str(folder))

    def load_weights(self, folder: Path) -> None:
        from safetensors.torch import load_file, load_model

        if self.method == "full":
            load_model(self.model, str(Path(folder) / "model.safetensors"), strict=True)
            return
        from peft import set_peft_model_state_dict

        result = set_peft_model_state_dict(self.model, load_file(str(Path(folder) / "adapter_model.safetensors")))
        unexpected = getattr(result, "unexpected_keys", None)
        if unexpected:
            raise RunFailure("model_files", f"The checkpoint adapter in {folder} does not fit this model "
                             f"(unexpected weights such as {unexpected[0]}).", ["Start the run again without --resume."])

    def save_final(self, folder: Path, run_dir: Path, merge: bool, warn: Warn) -> FinalOutputs:
        folder = Path(folder)
        relative = folder.relative_to(run_dir).as_posix()
        self.model.save_pretrained(str(folder))
        self.hf_tokenizer.save_pretrained(str(folder))
        outputs = FinalOutputs()
        base = self.spec.path or self.spec.id
        if self.method == "full":
            weights = next((name for name in ("model.safetensors", "model.safetensors.index.json",
                                              "pytorch_model.bin", "pytorch_model.bin.index.json")
                            if (folder / name).exists()), None)
            outputs.weights_path = f"{relative}/{weights}" if weights else relative
            outputs.weights_format = "safetensors" if weights and "safetensors" in weights else "pytorch .bin"
            outputs.load_instructions = (
                "```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n\n"
                f"model = AutoModelForCausalLM.from_pretrained(\"{folder.as_posix()}\", dtype=\"auto\")\n"
                f"tokenizer = AutoTokenizer.from_pretrained(\"{folder.as_posix()}\")\n```")
            if merge:
                warn("merge", "merge applies to LoRA adapters; full finetuning already saved the whole model.")
            return outputs
        outputs.adapter_path = f"{relative}/adapter_model.safetensors"
        outputs.load_instructions = (
            "```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\nfrom peft import PeftModel\n\n"
            f"base = AutoModelForCausalLM.from_pretrained(\"{base}\", dtype=\"auto\")\n"
            f"model = PeftModel.from_pretrained(base, \"{folder.as_posix()}\")\n"
            f"tokenizer = AutoTokenizer.from_pretrained(\"{folder.as_posix()}\")\n```")
        if merge:
            try:
                self._save_merged(folder)
                outputs.merged_path = f"{relative}/merged"
            except Exception as error:  # the adapter is saved and usable; merging is a bonus
                warn("merge", f"Merging the adapter into the base model failed ({_first_line(error)}); "
                     f"the adapter in {relative}/ is complete and loads on its own.")
        return outputs

    def _save_merged(self, folder: Path) -> None:
        """Reload the base unquantized on the CPU (a 4-bit base cannot take a merge exactly) and
        merge the saved adapter into it."""
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        dtype = self.compute.dtype if self.compute.precision != "fp32" else torch.float32
        base = AutoModelForCausalLM.from_pretrained(self.source, dtype=dtype,
                                                    trust_remote_code=self.spec.trust_remote_code)
        merged = PeftModel.from_pretrained(base, str(folder)).merge_and_unload()
        merged.save_pretrained(str(folder / "merged"))
        self.hf_tokenizer.save_pretrained(str(folder / "merged"))

    def library_versions(self) -> Dict[str, Optional[str]]:
        return {"python": sys.version.split()[0], "torch": str(torch.__version__),
                "transformers": package_version("transformers"), "peft": package_version("peft")}


# ---- generation -------------------------------------------------------------------------------


class HFGenerator:
    def __init__(self, model, tokenizer, device: torch.device):
        self.model = model.eval()
        self.hf_tokenizer = tokenizer
        self.tokenizer = HFTokenizer(tokenizer)
        self.device = device

    def prompt_ids(self, prompt: str) -> List[int]:
        return list(self.hf_tokenizer(prompt, add_special_tokens=True)["input_ids"])

    def next_token_logits(self, ids: List[int], state):
        new_ids = ids if state is None else ids[-1:]
        input_ids = torch.tensor([new_ids], dtype=torch.long, device=self.device)
        output = self.model(input_ids=input_ids, past_key_values=state, use_cache=True)
        return output.logits[0, -1], output.past_key_values


def load_generator(config: RunConfig, final_dir: Optional[Path], warn: Warn) -> HFGenerator:
    """The base model (final_dir None) or the finetuned one in final_dir (adapter or full weights)."""
    spec = config.model
    folder = check_model_folder(spec)
    adapter = final_dir is not None and (Path(final_dir) / "adapter_config.json").exists()
    quantized = config.method == "qlora" and torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes") is not None
    require_packages("lora" if adapter else "full")
    set_offline_mode(spec.allow_downloads)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if torch.cuda.is_available():
        device = torch.device("cuda:0")
        dtype = torch.bfloat16 if torch.cuda.get_device_capability(0)[0] >= 8 else torch.float16
    else:
        device, dtype = torch.device("cpu"), torch.float32
    source = str(folder) if folder else spec.id
    kwargs = {"dtype": dtype, "trust_remote_code": spec.trust_remote_code}
    if quantized:
        kwargs["quantization_config"] = nf4_config(dtype)
        kwargs["device_map"] = {"": 0}
    try:
        if final_dir is None or adapter:
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
            tokenizer = AutoTokenizer.from_pretrained(str(final_dir) if adapter else source,
                                                      trust_remote_code=spec.trust_remote_code)
        else:
            model = AutoModelForCausalLM.from_pretrained(str(final_dir), **kwargs)
            tokenizer = AutoTokenizer.from_pretrained(str(final_dir), trust_remote_code=spec.trust_remote_code)
    except Exception as error:
        raise _load_failure(spec, error, "model") from None
    if adapter:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, str(final_dir))
    if not quantized:
        model.to(device)
    ensure_pad_token(tokenizer, warn)
    return HFGenerator(model, tokenizer, device)
