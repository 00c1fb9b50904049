"""What the training loop needs from a model family, and nothing more.

Two backends implement it: `tiny_demo` (plain PyTorch, byte tokenizer) and `hf` (transformers +
peft). The loop, checkpoints, events and the terminal are shared; only loading, the forward pass
and the file formats differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Protocol, Sequence, Tuple

import torch

from ..data import Batch

Warn = Callable[[str, str], None]  # (kind, message) -> None; writes a warning event and a line


class TrainingTokenizer(Protocol):
    eos_id: int
    pad_id: int

    def encode_with_boundary(self, text: str, boundary: int) -> Tuple[List[int], int]:
        """Token ids of `text` (with BOS when the model uses one) and the index of the first token
        that produces text at or after character `boundary` (0 means every token)."""

    def decode(self, ids: Sequence[int]) -> str:
        ...


@dataclass
class FinalOutputs:
    """Paths relative to the run folder, for the `finished` event and the model card."""
    adapter_path: Optional[str] = None
    weights_path: Optional[str] = None
    merged_path: Optional[str] = None
    weights_format: str = "safetensors"
    load_instructions: str = ""


class TrainingBackend(Protocol):
    model_id: str
    demo: bool
    device: torch.device
    tokenizer: TrainingTokenizer
    model: torch.nn.Module

    def load_tokenizer(self) -> TrainingTokenizer: ...

    def load_model(self) -> torch.nn.Module: ...

    def logits(self, batch: Batch) -> torch.Tensor: ...

    def named_trainable_parameters(self) -> List[Tuple[str, torch.nn.Parameter]]: ...

    def save_weights(self, folder) -> None:
        """Trainable weights into a checkpoint folder (adapter only for LoRA)."""

    def load_weights(self, folder) -> None: ...

    def save_final(self, folder, run_dir, merge: bool, warn: Warn) -> FinalOutputs: ...

    def library_versions(self) -> Dict[str, Optional[str]]: ...


class TextGenerator(Protocol):
    """A loaded model that yields next-token logits, for `generate`."""
    tokenizer: TrainingTokenizer

    def prompt_ids(self, prompt: str) -> List[int]: ...

    def next_token_logits(self, ids: List[int], state) -> Tuple[torch.Tensor, object]: ...


def parameter_counts(model: torch.nn.Module) -> Tuple[int, int]:
    total = trainable = 0
    for p in model.parameters():
        # bitsandbytes 4-bit weights pack two values per byte-sized element
        n = p.numel() * (2 if getattr(p, "quant_state", None) is not None else 1)
        total += n
        if p.requires_grad:
            trainable += n
    return total, trainable


def stream_text(generator: TextGenerator, prompt: str, max_new_tokens: int,
                temperature: float, rng: Optional[torch.Generator] = None) -> Iterator[str]:
    """Sample up to max_new_tokens after `prompt`, yielding text as soon as it is complete.

    Decoding all generated ids and yielding the new suffix keeps multi-token characters and
    tokenizer spacing right; a trailing U+FFFD means an incomplete UTF-8 sequence, held back
    until the next token completes it.
    """
    tokenizer = generator.tokenizer
    banned = getattr(generator, "banned_ids", None)
    ids = generator.prompt_ids(prompt)
    generated: List[int] = []
    shown = ""
    state = None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits, state = generator.next_token_logits(ids, state)
            logits = logits.float().view(-1)
            if banned:
                logits[banned] = float("-inf")
            if temperature <= 0:
                token = int(torch.argmax(logits))
            else:
                probs = torch.softmax(logits / temperature, dim=-1).cpu()
                token = int(torch.multinomial(probs, 1, generator=rng))
            if token == tokenizer.eos_id:
                break
            ids.append(token)
            generated.append(token)
            text = tokenizer.decode(generated)
            if text.endswith("\ufffd"):
                continue
            if text.startswith(shown) and len(text) > len(shown):
                yield text[len(shown):]
            shown = text
    final = tokenizer.decode(generated)
    if final.startswith(shown) and len(final) > len(shown):
        yield final[len(shown):]
