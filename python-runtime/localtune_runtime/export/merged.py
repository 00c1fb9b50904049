"""The `adapter` and `merged` exports, and their proof: loaded back from disk, they answer the
reference prompts with the same tokens as the model in memory.

The merged folder is what `AutoModelForCausalLM.from_pretrained` expects: safetensors shards
with their index, config.json, the tokenizer files and generation_config.json. The generation
config's eos_token_id lists the EOS the run appended to every example first, then the model's
end-of-turn ids, so `model.generate` stops where the finetuned model learned to stop.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, List, Sequence

import torch

from ..failures import RunFailure
from .reference import ReferencePrompt, answer_greedily, first_difference

# Shards of this size load on machines with little RAM and stay under common file-size limits.
MAX_SHARD_SIZE = "2GB"

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                   "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja", "chat_template.json")


def write_adapter(final_dir: Path, out_dir: Path) -> List[str]:
    """Copies the adapter, the tokenizer and the model card from final/ (they are already the
    PEFT format); returns the names copied."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in ADAPTER_FILES + TOKENIZER_FILES + ("README.md",):
        if (final_dir / name).is_file():
            shutil.copy2(final_dir / name, out_dir / name)
            copied.append(name)
    if "adapter_config.json" not in copied:
        raise RunFailure("model_files", f"{final_dir} holds no adapter (adapter_config.json); this run trained all "
                         "weights, so there is no adapter to export.", ["Export it as 'merged' or 'gguf' instead."])
    return copied


def write_merged(model, hf_tokenizer, stop_ids: Sequence[int], eos_id: int, out_dir: Path) -> None:
    """save_pretrained of the merged model, its tokenizer and a generation config that stops at EOS."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir), max_shard_size=MAX_SHARD_SIZE)
    hf_tokenizer.save_pretrained(str(out_dir))
    generation = model.generation_config
    ends = [eos_id] + [i for i in stop_ids if i != eos_id]
    generation.eos_token_id = ends if len(ends) > 1 else ends[0]
    if generation.pad_token_id is None and hf_tokenizer.pad_token_id is not None:
        generation.pad_token_id = int(hf_tokenizer.pad_token_id)
    generation.save_pretrained(str(out_dir))


def reload_and_compare(out_dir: Path, base_source: str, adapter: bool, trust_remote_code: bool,
                       references: Sequence[ReferencePrompt], stop_ids: Sequence[int], max_new_tokens: int,
                       device: torch.device, decode: Callable) -> dict:
    """Loads the export from disk the way a user would and answers the reference prompts again."""
    from transformers import AutoModelForCausalLM

    if adapter:
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(base_source, dtype="auto", trust_remote_code=trust_remote_code)
        model = PeftModel.from_pretrained(base, str(out_dir))
    else:
        model = AutoModelForCausalLM.from_pretrained(str(out_dir), dtype="auto", trust_remote_code=trust_remote_code)
    model.to(device).eval()
    answers = []
    for reference in references:
        again = ReferencePrompt(reference.prompt, reference.parse_special, list(reference.prompt_ids))
        answer_greedily(model, again, stop_ids, max_new_tokens, device, decode)
        difference = first_difference(reference, again)
        answers.append({"tokens": again.tokens, "stop_id": again.stop_id, "first_difference": difference,
                        "same": difference is None})
    del model
    return {"tool": "transformers + peft" if adapter else "transformers", "answers": answers,
            "same": all(answer["same"] for answer in answers)}
