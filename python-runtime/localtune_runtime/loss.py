"""The training loss: summed next-token cross-entropy, without the whole batch's fp32 logits.

Labels are shifted left by one (the label of position t is the token at t + 1; the last
position gets IGNORE) instead of slicing `logits[:, :-1]`, which copies the whole logits tensor.
Cross-entropy then runs over chunks of at most LOSS_CHUNK_TOKENS tokens, each upcast to fp32 on
its own, so at most one chunk's logits (compute dtype and fp32) exist at any moment.

Two inputs are possible:
- hidden states and the model's output layer (`head`): the output layer runs per chunk and only
  on tokens that carry a label, so neither the logits of the batch nor those of padding and
  prompt tokens are ever computed (the Hugging Face backend, for architectures whose output is
  exactly `lm_head(hidden)`). For a plain Linear head the chunk's gradients (to the hidden rows
  and to the weight) are made in the same pass (_LinearCrossEntropy), so backward does not run
  the output layer again; any other head is recomputed per chunk under activation checkpointing;
- logits the model already produced (`head` None): only the fp32 copy and the log-softmax are
  chunked, each chunk recomputed in backward (the tiny demo model, and architectures that
  post-process their logits).
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from .data import IGNORE

LOSS_CHUNK_TOKENS = 1024
"""Tokens per cross-entropy chunk. 1024 × Qwen2.5's 151,936-row vocabulary is 0.6 GB of fp32
logits per chunk, against 2.5 GB per 1024 tokens of the whole batch before; the estimator's
logits term uses the same figure (src/shared/estimator/vram.ts, LOSS_CHUNK_TOKENS)."""


def next_token_labels(labels: torch.Tensor) -> torch.Tensor:
    """labels shifted left by one along the sequence, IGNORE in the last column."""
    shifted = torch.full_like(labels, IGNORE)
    shifted[:, :-1] = labels[:, 1:]
    return shifted


def _chunk_loss(inputs: torch.Tensor, targets: torch.Tensor, head: Optional[Callable]) -> torch.Tensor:
    logits = head(inputs) if head is not None else inputs
    return F.cross_entropy(logits.float(), targets, ignore_index=IGNORE, reduction="sum")


def _linear_cross_entropy(hidden, weight, targets, chunk_tokens):
    return _LinearCrossEntropy.apply(hidden, weight, targets, chunk_tokens)


class _LinearCrossEntropy(torch.autograd.Function):
    """Summed cross-entropy of `linear(hidden, weight)` whose gradients are made chunk by chunk in
    the forward pass (softmax minus one-hot, times the weight and the hidden rows), so backward
    only scales them: one chunk's logits at a time and no second pass over the output layer."""

    @staticmethod
    def forward(ctx, hidden, weight, targets, chunk_tokens):
        needs_hidden, needs_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        grad_hidden = torch.empty_like(hidden) if needs_hidden else None
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if needs_weight else None
        rows = torch.arange(min(chunk_tokens, hidden.size(0)), device=hidden.device)
        for start in range(0, hidden.size(0), chunk_tokens):
            h, t = hidden[start:start + chunk_tokens], targets[start:start + chunk_tokens]
            logits = F.linear(h, weight)
            scores = logits.float()
            total += F.cross_entropy(scores, t, reduction="sum")
            if not (needs_hidden or needs_weight):
                continue
            grad = torch.softmax(scores, dim=-1)
            grad[rows[:t.size(0)], t] -= 1
            grad = grad.to(logits.dtype)
            if needs_hidden:
                grad_hidden[start:start + chunk_tokens] = (grad @ weight.to(grad.dtype)).to(hidden.dtype)
            if needs_weight:
                grad_weight += (grad.t() @ h.to(grad.dtype)).float()
        ctx.save_for_backward(*(g for g in (grad_hidden, grad_weight) if g is not None))
        ctx.has, ctx.weight_dtype = (needs_hidden, needs_weight), weight.dtype
        return total

    @staticmethod
    def backward(ctx, grad_output):
        saved = list(ctx.saved_tensors)
        needs_hidden, needs_weight = ctx.has
        grad_hidden = saved.pop(0) * grad_output if needs_hidden else None
        grad_weight = (saved.pop(0) * grad_output).to(ctx.weight_dtype) if needs_weight else None
        return grad_hidden, grad_weight, None, None


def _plain_linear(head) -> bool:
    return type(head) is torch.nn.Linear and head.bias is None


def token_loss_sum(outputs: torch.Tensor, labels: torch.Tensor, head: Optional[Callable] = None,
                   chunk_tokens: int = LOSS_CHUNK_TOKENS) -> torch.Tensor:
    """Sum of next-token cross-entropy (fp32) over the tokens whose label is not IGNORE.

    `outputs` is (batch, seq, vocab) logits when `head` is None, else (batch, seq, hidden) hidden
    states that `head` maps to logits.
    """
    targets = next_token_labels(labels).reshape(-1)
    flat = outputs.reshape(-1, outputs.size(-1))
    if head is not None:
        # Only the rows that carry a label go through the output layer (a copy of hidden-size
        # rows, small beside the logits they spare).
        keep = targets != IGNORE
        flat, targets = flat[keep], targets[keep]
        if _plain_linear(head):
            return _linear_cross_entropy(flat, head.weight, targets, chunk_tokens)
    total = flat.new_zeros((), dtype=torch.float32)
    recompute = torch.is_grad_enabled() and flat.requires_grad
    for start in range(0, flat.size(0), chunk_tokens):
        rows, wanted = flat[start:start + chunk_tokens], targets[start:start + chunk_tokens]
        if recompute:
            total = total + checkpoint(_chunk_loss, rows, wanted, head, use_reentrant=False)
        else:
            total = total + _chunk_loss(rows, wanted, head)
    return total
