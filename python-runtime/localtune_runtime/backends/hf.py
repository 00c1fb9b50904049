"""Hugging Face models: transformers for the model and tokenizer, peft for LoRA and QLoRA.

This is the only module that imports transformers, peft or bitsandbytes, and it imports them
inside functions, after the offline switch is set: the module itself (and its pure rules:
package checks, model folder checks, pad token, attention choice) works without them.

Written against transformers 5.x (`dtype=`, `attn_implementation=`) and peft 0.20.
Precision: LoRA keeps the frozen base in the compute dtype (bf16/fp16) with fp32 adapters; full
finetuning keeps fp32 master weights and computes under autocast (fp16 needs fp32 weights for
GradScaler), or with params.full_weights "bf16" keeps bf16 weights and AdamW state; QLoRA loads the base in NF4 with double quantization and bf16 (or fp16) compute.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

from ..config import ModelSpec, RunConfig
from ..data import Batch
from ..failures import RunFailure, is_out_of_memory, missing_package_failure
from .base import FinalOutputs, Warn
from .hf_tokenizer import HFTokenizer

# Architectures whose causal-LM forward is `logits = lm_head(decoder(...).last_hidden_state)`
# with nothing after it (no logit scaling or soft-capping), checked in their transformers 5
# modeling files; the loss may then apply lm_head itself.
PLAIN_OUTPUT_LAYER = frozenset({"llama", "mistral", "qwen2", "qwen3", "phi3"})

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
    sdpa = "sdpa"
    if requested == "auto":
        return sdpa
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


def generation_stop_ids(source: str, trust_remote_code: bool) -> List[int]:
    """The eos_token_id list of the model's generation_config.json (end-of-turn ids); [] without one."""
    from transformers import GenerationConfig

    try:
        config = GenerationConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError):
        return []
    eos = config.eos_token_id
    if eos is None:
        return []
    return [int(i) for i in (eos if isinstance(eos, (list, tuple)) else [eos])]


def package_version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


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
        # A sharded run (sharding.py) loads the whole model on the CPU; each rank then moves only
        # its shards to its GPU.
        self.loads_on_cpu = False

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
        self.tokenizer = HFTokenizer(tokenizer, generation_stop_ids(self.source, self.spec.trust_remote_code))
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
            kwargs["device_map"] = {"": self.device}
        else:
            # fp32 master weights (autocast computes in bf16/fp16), or pure bf16 weights whose
            # AdamW state is then bf16 too (torch makes the state in the parameter's dtype).
            kwargs["dtype"] = torch.bfloat16 if self.params.full_weights == "bf16" else torch.float32
            kwargs["device_map"] = {"": torch.device("cpu") if self.loads_on_cpu else self.device}
        # device_map: transformers reads each tensor from the checkpoint, converts it to the training
        # dtype and puts it on the training device one at a time, so the host never holds a whole
        # converted copy (a 7B full finetune used to build its 28 GB of fp32 weights in RAM first).
        return kwargs

    def _load_base_model(self):
        """The base model with its weights, before LoRA and checkpointing are set up. Its own method
        so that the GPU benchmark (python-runtime/bench/gpu) can build the same architecture with
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

    def loss_inputs(self, batch: Batch):
        """(hidden states, output layer) for architectures whose logits are exactly
        `lm_head(hidden)`, so the loss projects only the tokens that carry a label, a chunk at a
        time (localtune_runtime.loss); (logits, None) for any other architecture."""
        causal = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        if getattr(causal.config, "model_type", None) not in PLAIN_OUTPUT_LAYER:
            return self.logits(batch), None
        decoder = causal.get_decoder()
        if batch.packed:
            output = decoder(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False)
        else:
            output = decoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask, use_cache=False)
        return output.last_hidden_state, causal.get_output_embeddings()

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

    def save_final(self, folder: Path, run_dir: Path, merge: bool, warn: Warn,
                   full_weights: Optional[Dict[str, torch.Tensor]] = None) -> FinalOutputs:
        folder = Path(folder)
        relative = folder.relative_to(run_dir).as_posix()
        if full_weights is not None:
            self._save_gathered(folder, full_weights)
        else:
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

    def _save_gathered(self, folder: Path, weights: Dict[str, torch.Tensor]) -> None:
        """A sharded run's final model, in the layout save_pretrained writes (config.json,
        generation_config.json, model.safetensors or shards of at most 5 GB with their index):
        save_pretrained itself reads the model's parameters, which here are only this rank's
        shards, so the gathered weights are written by huggingface_hub's own writer."""
        from huggingface_hub import save_torch_state_dict

        self.model.config.save_pretrained(str(folder))
        if getattr(self.model, "generation_config", None) is not None:
            self.model.generation_config.save_pretrained(str(folder))
        save_torch_state_dict(weights, str(folder), max_shard_size="5GB")

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
