"""Generation with a Hugging Face model: the base model, the finetuned one, or both in turn.

The prompt's ids come from the same HFTokenizer.encode_prompt that made the training examples,
so the model reads exactly the prompt tokens it was trained on. Generation stops at EOS and at
every end-of-turn id the model's generation_config.json lists.
"""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import torch

from ..config import RunConfig
from .base import Warn
from .hf import (_load_failure, check_model_folder, ensure_pad_token, generation_stop_ids, nf4_config,
                 require_packages, set_offline_mode)
from .hf_tokenizer import HFTokenizer


class HFGenerator:
    def __init__(self, model, tokenizer: HFTokenizer, device: torch.device, adapter_switch=None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = device
        self._adapter_switch = adapter_switch

    def prompt_ids(self, prompt: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]:
        return self.tokenizer.encode_prompt(prompt, markup)

    def next_token_logits(self, ids: List[int], state):
        new_ids = ids if state is None else ids[-1:]
        input_ids = torch.tensor([new_ids], dtype=torch.long, device=self.device)
        output = self.model(input_ids=input_ids, past_key_values=state, use_cache=True)
        return output.logits[0, -1], output.past_key_values

    def base_model(self):
        """A context in which this generator answers as the base model: the adapter switched off.
        None when the finetuned weights are not an adapter (full finetuning)."""
        return self._adapter_switch() if self._adapter_switch is not None else None


def _device_and_dtype() -> Tuple[torch.device, torch.dtype]:
    if torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.get_device_capability(0)[0] >= 8 else torch.float16
        return torch.device("cuda:0"), dtype
    return torch.device("cpu"), torch.float32


def load_generator(config: RunConfig, final_dir: Optional[Path], warn: Warn) -> HFGenerator:
    """The base model (final_dir None) or the finetuned one in final_dir (adapter or full weights).
    With an adapter, the generator can also answer as the base model (base_model())."""
    spec = config.model
    folder = check_model_folder(spec)
    adapter = final_dir is not None and (Path(final_dir) / "adapter_config.json").exists()
    quantized = config.method == "qlora" and torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes") is not None
    require_packages("lora" if adapter else "full")
    set_offline_mode(spec.allow_downloads)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device, dtype = _device_and_dtype()
    source = str(folder) if folder else spec.id
    weights = str(final_dir) if final_dir is not None and not adapter else source
    # The finetuned folder holds the tokenizer the run saved (with its pad token); the base
    # model's generation_config names its end-of-turn ids.
    tokenizer_source = str(final_dir) if final_dir is not None else source
    kwargs = {"dtype": dtype, "trust_remote_code": spec.trust_remote_code}
    if quantized:
        kwargs["quantization_config"] = nf4_config(dtype)
        kwargs["device_map"] = {"": 0}
    try:
        model = AutoModelForCausalLM.from_pretrained(weights, **kwargs)
        hf_tokenizer = AutoTokenizer.from_pretrained(tokenizer_source, trust_remote_code=spec.trust_remote_code)
    except Exception as error:
        raise _load_failure(spec, error, "model") from None
    switch = None
    if adapter:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, str(final_dir))
        switch = model.disable_adapter
    if not quantized:
        model.to(device)
    ensure_pad_token(hf_tokenizer, warn)
    stop_ids = generation_stop_ids(source, spec.trust_remote_code) + generation_stop_ids(weights, spec.trust_remote_code)
    return HFGenerator(model, HFTokenizer(hf_tokenizer, stop_ids), device, switch)


@contextlib.contextmanager
def answering_as_base(generator) -> Iterator[bool]:
    """Switches an adapter generator to its base model for the block; yields False when it can't."""
    switch = generator.base_model() if hasattr(generator, "base_model") else None
    if switch is None:
        yield False
        return
    with switch:
        yield True
