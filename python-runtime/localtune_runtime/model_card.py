"""final/README.md: what was trained, on what, how well, and how to load it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .backends.base import FinalOutputs
from .config import RunConfig
from .data import DataSummary


@dataclass
class TrainingOutcome:
    status: str
    step: int
    total_steps: int
    final_train_loss: Optional[float]
    final_eval_loss: Optional[float]
    total_parameters: int
    trainable_parameters: int
    precision: str
    device: str
    demo: bool


def _parameters_line(method: str, outcome: TrainingOutcome) -> str:
    """The base model's own count, as LocalTune's model list shows it, and what was trained. For
    LoRA the adapter's parameters are added to the model, so the total the training loop sees is
    base + adapter; the card names the two apart instead of printing that sum as "total"."""
    if method == "full":
        return f"- Parameters: {outcome.total_parameters:,} (all trained)"
    base = outcome.total_parameters - outcome.trainable_parameters
    return (f"- Parameters: {base:,} in the base model (frozen); {outcome.trainable_parameters:,} trained in the "
            f"{'QLoRA' if method == 'qlora' else 'LoRA'} adapter, added on top")


def _loss(value: Optional[float]) -> str:
    return f"{value:.4f}" if value is not None else "n/a"


def write_model_card(folder: Path, config: RunConfig, train: DataSummary, valid: Optional[DataSummary],
                     outputs: FinalOutputs, outcome: TrainingOutcome) -> Path:
    p = config.params
    lines = []
    title = f"{config.model.id} finetuned with LocalTune ({config.method})"
    lines += [f"# {title}", ""]
    if outcome.demo:
        lines += ["> **DEMO MODEL.** `localtune/tiny-demo` is a ~1M-parameter byte-level transformer "
                  "started from random weights. It shows that training works and learns the *format* "
                  "of the data, not knowledge. Do not use it for anything real.", ""]
    if outcome.status != "completed":
        lines += [f"> Training was **{outcome.status}** at step {outcome.step} of {outcome.total_steps}.", ""]
    lines += [
        "## Base model", "",
        f"- Model: `{config.model.id}`" + (f" (from `{config.model.path}`)" if config.model.path else ""),
        f"- Method: {config.method}" + (f" (LoRA r={p.lora.r}, alpha={p.lora.alpha:g}, dropout={p.lora.dropout:g}, "
                                         f"targets: {p.lora.target_modules if isinstance(p.lora.target_modules, str) else ', '.join(p.lora.target_modules)})"
                                         if config.method != "full" else ""),
        _parameters_line(config.method, outcome),
        "",
        "## Data", "",
        f"- Mode: {config.mode}" + (" (loss on responses only)" if config.mode == "chat" and p.train_on_response_only else ""),
        f"- Training examples: {train.examples:,} (of {train.records:,} lines; {train.truncated:,} cut to "
        f"max_length, {train.skipped:,} skipped with no trainable token)",
        f"- Training tokens: {train.tokens:,} ({train.target_tokens:,} carrying loss)",
        f"- Validation examples: {valid.examples:,}" if valid else "- Validation examples: none",
        "",
        "## Training", "",
        f"- Steps: {outcome.step} of {outcome.total_steps} ({outcome.status})",
        f"- Precision: {outcome.precision} on {outcome.device}",
        f"- max_length {p.max_length}, micro_batch_size {p.micro_batch_size}, gradient_accumulation_steps "
        f"{p.gradient_accumulation_steps}, epochs {p.epochs}, max_steps {p.max_steps}",
        f"- learning_rate {p.learning_rate:g} ({p.scheduler}, warmup {p.warmup_steps}), weight_decay "
        f"{p.weight_decay:g}, max_grad_norm {p.max_grad_norm:g}, seed {p.seed}",
        f"- packing {str(p.packing).lower()}, gradient_checkpointing {str(p.gradient_checkpointing).lower()}",
        "",
        "## Results", "",
        f"- Final training loss (mean of the last 10 steps): {_loss(outcome.final_train_loss)}",
        f"- Final validation loss: {_loss(outcome.final_eval_loss)}",
        "",
        "## Files", "",
    ]
    if outputs.adapter_path:
        lines.append(f"- LoRA adapter: `{Path(outputs.adapter_path).name}` ({outputs.weights_format})")
    if outputs.weights_path:
        lines.append(f"- Weights: `{Path(outputs.weights_path).name}` ({outputs.weights_format})")
    if outputs.merged_path:
        lines.append("- Merged model (base + adapter): `merged/`")
    lines += ["", "## How to load it", "", outputs.load_instructions, ""]
    path = Path(folder) / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
