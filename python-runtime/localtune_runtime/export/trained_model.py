"""The trained model of a run, loaded for an export.

LoRA and QLoRA: the base model from model.path or the Hugging Face cache with the run's adapter
from final/. Full finetuning: the whole model in final/. The tokenizer always comes from final/
(training saved the one it used, pad token included); the end-of-answer ids are the tokenizer's
EOS plus the end-of-turn ids of the model's generation_config.json, as in generation.

QLoRA trained against a 4-bit base; an export merges its adapter into the base in 16 bits,
because a merge into 4-bit weights cannot be exact. The note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List

import torch

from ..config import FINAL_DIR, RunConfig
from ..failures import RunFailure, is_out_of_memory


@dataclass
class TrainedModel:
    model: Any
    """A transformers causal LM in eval mode: merged (merge=True) or a PeftModel with the adapter."""
    hf_tokenizer: Any
    tokenizer: Any
    """The runtime's HFTokenizer: how training encoded prompts, and the stop ids."""
    source: str
    """The base model: its folder, or its Hugging Face id."""
    final_dir: Path
    adapter: bool
    """Whether the run's weights are an adapter (LoRA/QLoRA) rather than a whole model."""
    dtype: torch.dtype
    device: torch.device
    notes: List[str] = field(default_factory=list)


def final_dir_of(run_dir: Path) -> Path:
    final_dir = Path(run_dir) / FINAL_DIR
    if not final_dir.is_dir():
        raise RunFailure("model_files", f"{final_dir} does not exist: this run has no finished model to export.",
                         ["Train the run first; a run that was stopped also writes final/.",
                          "If the run crashed before its first save, resume it and let it save."])
    return final_dir


def load_trained_model(config: RunConfig, run_dir: Path, merge: bool, say) -> TrainedModel:
    """The run's model in the dtype its weights were saved in, merged when `merge`."""
    from ..backends.hf import (_load_failure, check_model_folder, ensure_pad_token, generation_stop_ids,
                               require_packages, set_offline_mode)
    from ..backends.hf_tokenizer import HFTokenizer

    if config.model.is_tiny_demo:
        raise RunFailure("config", "localtune/tiny-demo is LocalTune's own byte-level demo model: transformers, "
                         "llama.cpp and Ollama cannot load it, so it has no adapter, merged or GGUF export.",
                         ["Try it in the playground or with `localtune generate`.",
                          "Train a real model (for example Qwen/Qwen2.5-0.5B) to export it."])
    final_dir = final_dir_of(run_dir)
    adapter = (final_dir / "adapter_config.json").is_file()
    if config.method in ("lora", "qlora") and not adapter:
        raise RunFailure("model_files", f"{final_dir} has no adapter_config.json although the run used {config.method}.",
                         ["The run's output is incomplete: resume the run so that it saves final/ again."])
    spec = config.model
    folder = check_model_folder(spec)
    require_packages("lora" if adapter else "full")
    set_offline_mode(spec.allow_downloads)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = str(folder) if folder else spec.id
    weights = source if adapter else str(final_dir)
    notes: List[str] = []
    try:
        # "auto" keeps the dtype the weights were saved in: the export writes what was trained.
        model = AutoModelForCausalLM.from_pretrained(weights, dtype="auto", trust_remote_code=spec.trust_remote_code)
        hf_tokenizer = AutoTokenizer.from_pretrained(str(final_dir), trust_remote_code=spec.trust_remote_code)
    except Exception as error:
        if is_out_of_memory(error):
            raise
        raise _load_failure(spec, error, "model") from None
    ensure_pad_token(hf_tokenizer, lambda kind, message: None)
    if adapter:
        from peft import PeftModel

        say(f"Applying the adapter from {final_dir}")
        model = PeftModel.from_pretrained(model, str(final_dir))
        if config.method == "qlora":
            notes.append("QLoRA trained against a 4-bit base; the export applies the adapter to the base in "
                         f"{str(model.dtype).replace('torch.', '')}, which answers almost, not exactly, like the 4-bit one.")
        if merge:
            model = model.merge_and_unload()
    model.eval()
    device = torch.device("cpu")
    if torch.cuda.is_available():
        try:
            model.to("cuda:0")
            device = torch.device("cuda:0")
        except RuntimeError as error:  # too big for the GPU: the CPU answers too, only slower
            if not is_out_of_memory(error):
                raise
            model.to("cpu")
            torch.cuda.empty_cache()
            notes.append("The model did not fit the GPU; the reference answers were computed on the CPU.")
    stop_ids = generation_stop_ids(source, spec.trust_remote_code) + generation_stop_ids(str(final_dir), spec.trust_remote_code)
    tokenizer = HFTokenizer(hf_tokenizer, stop_ids)
    dtype = next(model.parameters()).dtype
    return TrainedModel(model, hf_tokenizer, tokenizer, source, final_dir, adapter, dtype, device, notes)

