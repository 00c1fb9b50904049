"""Full finetuning as N ranks with the model sharded over them: PyTorch's FSDP2 (`fully_shard`).

DDP (distributed.py) keeps the whole model, its gradients and AdamW's two moments on every rank,
which is right for LoRA (a few million trainable weights) but makes full finetuning need the same
memory per GPU as on one GPU. Here each rank keeps 1/N of every parameter, gradient and optimizer
state, so a model whose full finetune does not fit one GPU trains on several.

How, all with PyTorch's own machinery:
- each decoder block (the classes the model names in `_no_split_modules`) is its own FSDP unit: its
  weights are gathered from the ranks when it runs and freed after, in backward too; the rest
  (embeddings, final norm, output layer) belongs to the root unit, which wraps the loss, so the
  output layer the loss applies is gathered as well;
- gradients are reduce-scattered and averaged over the ranks, as DDP averages them, so the loop
  scales the loss the same way; between the micro batches of one step they stay on each rank
  (set_requires_gradient_sync(False), FSDP's no_sync);
- checkpoints and the final model hold the full weights: they are gathered onto rank 0's CPU
  (torch.distributed.checkpoint.state_dict, full_state_dict + cpu_offload), so the files are those
  of a single-process run and load anywhere; a resume hands them from rank 0 to every rank
  (broadcast_from_rank0), so only rank 0 reads them and only its host needs the CPU memory.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Dict, List

import torch

from .distributed import _LossOfBatch
from .tensor_files import read_torch_tensors

WEIGHTS_FILE = "model.safetensors"


def _state_options(**kwargs):
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, **kwargs)


def block_classes(model: torch.nn.Module) -> List[str]:
    """The class names of the model's repeated blocks, the units FSDP gathers one at a time."""
    names = getattr(model, "_no_split_modules", None) or []
    return sorted(names)


def tied_names(model: torch.nn.Module) -> Dict[str, str]:
    """{name: the first name of the same parameter} for every further name of a shared parameter."""
    first: Dict[int, str] = {}
    tied: Dict[str, str] = {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        if id(parameter) in first:
            tied[name] = first[id(parameter)]
        else:
            first[id(parameter)] = name
    return tied


class ShardedModel:
    """The model sharded over the ranks, called like DDP's wrapper: `sharded(batch)` is the batch's
    summed loss, `sharded.no_sync()` keeps a micro batch's gradients local."""

    def __init__(self, model: torch.nn.Module, loss_of_batch: Callable[[Any], torch.Tensor],
                 device: torch.device, rank: int, world_size: int, compute_dtype: torch.dtype):
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        self.model = model
        self.rank = rank
        # Tied weights (e.g. the output layer sharing the embedding's matrix) are gathered under
        # each name; the files keep them once, under the first name, as save_pretrained does.
        self.tied = tied_names(model)
        mesh = init_device_mesh(device.type, (world_size,))
        # fp32 master weights with bf16 compute: each unit is gathered in bf16 (half the memory
        # and traffic of fp32) and its gradients reduced in fp32, as the estimator counts them.
        # The batch (token ids and masks, no floats) goes in as it is: nothing in it to cast.
        policy = MixedPrecisionPolicy(param_dtype=compute_dtype, reduce_dtype=torch.float32,
                                      cast_forward_inputs=False)
        blocks = set(block_classes(model))
        self.units = 0
        for module in list(model.modules()):
            if type(module).__name__ in blocks:
                fully_shard(module, mesh=mesh, mp_policy=policy)
                self.units += 1
        self.root = _LossOfBatch(model, loss_of_batch)
        fully_shard(self.root, mesh=mesh, mp_policy=policy)

    def __call__(self, batch) -> torch.Tensor:
        return self.root(batch)

    @contextlib.contextmanager
    def no_sync(self):
        self.root.set_requires_gradient_sync(False)
        try:
            yield
        finally:
            self.root.set_requires_gradient_sync(True)

    # ---- the full state, for checkpoints and the final model ---------------------------------

    def full_weights(self) -> Dict[str, torch.Tensor]:
        """Every rank takes part; rank 0 gets the full weights on its CPU (tied weights once),
        the other ranks an empty dict."""
        from torch.distributed.checkpoint.state_dict import get_model_state_dict

        weights = get_model_state_dict(self.model, options=_state_options(cpu_offload=True))
        for name, tensor in weights.items():
            # A gathered tensor can be a view into a larger (padded) buffer; safetensors writes
            # only tensors that own their storage, and the rest of the buffer would be kept alive.
            if tensor.untyped_storage().nbytes() != tensor.nbytes or not tensor.is_contiguous():
                weights[name] = tensor.clone(memory_format=torch.contiguous_format)
        for copy in self.tied:
            weights.pop(copy, None)
        return weights

    def gather(self, optimizer: torch.optim.Optimizer) -> "GatheredState":
        """The full weights and optimizer state on rank 0, for a checkpoint (every rank takes part)."""
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict

        weights = self.full_weights()
        optimizer_state = get_optimizer_state_dict(self.model, optimizer, options=_state_options(cpu_offload=True))
        return GatheredState(weights, optimizer_state, optimizer.param_groups)

    def restorer(self, optimizer: torch.optim.Optimizer) -> "ShardedRestore":
        return ShardedRestore(self, optimizer)


class GatheredState:
    """What save_checkpoint needs from the backend (save_weights) and the optimizer (state_dict,
    param_groups), made of the gathered full state."""

    def __init__(self, weights: Dict[str, torch.Tensor], optimizer_state: dict, live_param_groups: list):
        self.weights = weights
        self.optimizer_state = optimizer_state
        # For the free-space check: a sharded parameter's numel() is that of the whole tensor.
        self.param_groups = live_param_groups

    def save_weights(self, folder: Path) -> None:
        from safetensors.torch import save_file

        save_file(self.weights, str(Path(folder) / WEIGHTS_FILE), metadata={"format": "pt"})

    def state_dict(self) -> dict:
        return self.optimizer_state


class ShardedRestore:
    """What load_checkpoint calls on the backend (load_weights) and the optimizer (load_state_dict
    through load_checkpoint_files): rank 0 reads the files, every rank gets its shard."""

    def __init__(self, sharded: ShardedModel, optimizer: torch.optim.Optimizer):
        self.sharded = sharded
        self.optimizer = optimizer

    def load_weights(self, folder: Path) -> None:
        from safetensors.torch import load_file
        from torch.distributed.checkpoint.state_dict import set_model_state_dict

        weights = load_file(str(Path(folder) / WEIGHTS_FILE)) if self.sharded.rank == 0 else {}
        for copy, source in self.sharded.tied.items():
            if source in weights:
                weights[copy] = weights[source]
        set_model_state_dict(self.sharded.model, weights, options=_state_options(broadcast_from_rank0=True))

    def load_checkpoint_files(self, optimizer_file: Path, param_groups: list) -> None:
        from torch.distributed.checkpoint.state_dict import set_optimizer_state_dict

        state = ({"state": read_torch_tensors(optimizer_file)["state"], "param_groups": param_groups}
                 if self.sharded.rank == 0 else {})
        set_optimizer_state_dict(self.sharded.model, self.optimizer, state,
                                 options=_state_options(broadcast_from_rank0=True))


def full_norm(norm: torch.Tensor) -> float:
    """clip_grad_norm_ over sharded gradients returns the norm as a DTensor; its full value."""
    if hasattr(norm, "full_tensor"):
        norm = norm.full_tensor()
    return float(norm)

