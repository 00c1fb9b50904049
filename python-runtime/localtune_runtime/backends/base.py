"""What the training loop needs from a model family, and nothing more.

Two backends implement it: `tiny_demo` (plain PyTorch, byte tokenizer) and `hf` (transformers +
peft). The loop, checkpoints, events and the terminal are shared; only loading, the forward pass
and the file formats differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple

import torch

from ..data import Batch

Warn = Callable[[str, str], None]  # (kind, message) -> None; writes a warning event and a line


class TrainingTokenizer(Protocol):
    eos_id: int
    pad_id: int

    def encode_prompt(self, text: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]:
        """Ids of the start of an example (with BOS when the model uses one). Generation feeds the
        model exactly these ids, so training and inference agree by construction."""

    def encode_continuation(self, text: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]:
        """Ids of text that follows the prompt (the response), as it tokenizes mid-text."""

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

    def save_final(self, folder, run_dir, merge: bool, warn: Warn,
                   full_weights: Optional[Dict[str, torch.Tensor]] = None) -> FinalOutputs:
        """The final model into `folder`; `full_weights`: a sharded run's weights, gathered on
        rank 0 (the model's own parameters are then only this rank's shards)."""

    def library_versions(self) -> Dict[str, Optional[str]]: ...


def parameter_counts(model: torch.nn.Module) -> Tuple[int, int]:
    total = trainable = 0
    for p in model.parameters():
        # bitsandbytes 4-bit weights pack two values per byte-sized element
        n = p.numel() * (2 if getattr(p, "quant_state", None) is not None else 1)
        total += n
        if p.requires_grad:
            trainable += n
    return total, trainable
