"""The learning-rate schedule: a pure function of the step, so resuming needs only the step."""

from __future__ import annotations

import math


def get_lr(step: int, *, learning_rate: float, scheduler: str, warmup_steps: int, total_steps: int) -> float:
    """Learning rate for the optimizer step with 0-based index `step`.

    Warmup rises linearly and reaches `learning_rate` on step `warmup_steps - 1`; then "linear"
    and "cosine" decay towards 0 (the last step still gets a small positive rate), "constant"
    stays flat.
    """
    if step < warmup_steps:
        return learning_rate * (step + 1) / warmup_steps
    if scheduler == "constant":
        return learning_rate
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    if scheduler == "linear":
        return learning_rate * (1.0 - progress)
    if scheduler == "cosine":
        return learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"unknown scheduler {scheduler!r}")
