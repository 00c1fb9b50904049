"""Device and numeric precision: where training runs and in which dtype it computes.

auto: bf16 on a CUDA GPU that supports it, else fp16 with dynamic loss scaling (GradScaler),
and fp32 on the CPU. Asking for bf16 or fp16 where it cannot work is an `unsupported_precision`
error, not a silent downgrade: the person chose it and should know.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Optional

import torch

from .failures import RunFailure

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


@dataclass
class Compute:
    device: torch.device
    precision: str  # bf16 | fp16 | fp32, never auto
    device_label: str

    @property
    def dtype(self) -> torch.dtype:
        return DTYPES[self.precision]

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self):
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def grad_scaler(self):
        """A GradScaler for fp16 (its narrow range needs loss scaling), else None."""
        if self.precision != "fp16":
            return None
        return torch.amp.GradScaler("cuda")


def cuda_bf16_supported(index: int = 0) -> bool:
    major, _ = torch.cuda.get_device_capability(index)
    return major >= 8


def choose_compute(requested: str, prefer_cuda: bool = True, full_weights: str = "fp32", cuda_index: int = 0) -> Compute:
    """`cuda_index`: the GPU this process trains on (a torchrun rank uses its LOCAL_RANK).

    `full_weights="bf16"` (pure bf16 full finetuning, see config.TrainingParams) computes in
    bf16 wherever it runs, the CPU included: its weights are bf16, so nothing else fits them."""
    if full_weights == "bf16":
        return _pure_bf16_compute(requested, prefer_cuda, cuda_index)
    if prefer_cuda and torch.cuda.is_available():
        index = cuda_index
        device = torch.device("cuda", index)
        label = f"cuda:{index} ({torch.cuda.get_device_name(index)})"
        bf16 = cuda_bf16_supported(index)
        if requested == "auto":
            return Compute(device, "bf16" if bf16 else "fp16", label)
        if requested == "bf16" and not bf16:
            major, minor = torch.cuda.get_device_capability(index)
            raise RunFailure("unsupported_precision",
                             f"precision bf16 was requested, but {torch.cuda.get_device_name(index)} "
                             f"(compute capability {major}.{minor}) does not support bfloat16; "
                             "it needs an Ampere (8.0) or newer GPU.",
                             ["Set precision to \"auto\" or \"fp16\" (fp16 with loss scaling works on this GPU).",
                              "Or set precision to \"fp32\" (about twice the memory, slower)."])
        return Compute(device, requested, label)
    if requested in ("bf16", "fp16"):
        raise RunFailure("unsupported_precision",
                         f"precision {requested} was requested, but no CUDA GPU is available, so "
                         "training runs on the CPU, which trains in fp32.",
                         ["Set precision to \"auto\" or \"fp32\" to train on the CPU.",
                          "If this computer has an NVIDIA GPU, install a CUDA build of PyTorch "
                          "(the app's runtime setup does this) and check the driver with nvidia-smi."])
    return Compute(torch.device("cpu"), "fp32", "cpu")


def _pure_bf16_compute(requested: str, prefer_cuda: bool, index: int) -> Compute:
    if requested in ("fp16", "fp32"):
        raise RunFailure("config", f"full_weights bf16 keeps the weights in bf16 and computes in bf16, but precision "
                         f"is {requested}.",
                         ["Set precision to \"auto\" or \"bf16\" to keep pure bf16 weights.",
                          f"Or set full_weights to \"fp32\" for fp32 master weights with {requested} compute."])
    if prefer_cuda and torch.cuda.is_available():
        if not cuda_bf16_supported(index):
            major, minor = torch.cuda.get_device_capability(index)
            raise RunFailure("unsupported_precision",
                             f"full_weights bf16 needs bfloat16, which {torch.cuda.get_device_name(index)} (compute "
                             f"capability {major}.{minor}) does not support; it needs an Ampere (8.0) or newer GPU.",
                             ["Set full_weights to \"fp32\" (fp32 master weights with fp16 compute work on this GPU)."])
        return Compute(torch.device("cuda", index), "bf16", f"cuda:{index} ({torch.cuda.get_device_name(index)})")
    return Compute(torch.device("cpu"), "bf16", "cpu")


def gpu_memory(compute: Compute) -> dict:
    if not compute.is_cuda:
        return {"allocated_bytes": None, "reserved_bytes": None, "peak_bytes": None}
    return {"allocated_bytes": int(torch.cuda.memory_allocated(compute.device)),
            "reserved_bytes": int(torch.cuda.memory_reserved(compute.device)),
            "peak_bytes": int(torch.cuda.max_memory_allocated(compute.device))}


def peak_memory(compute: Compute) -> Optional[int]:
    """The run's peak memory: on a GPU what PyTorch allocated there; on the CPU the process's
    peak resident memory (what the estimator's CPU figure counts: interpreter, libraries, weights
    and the step's memory together), so every run can teach the estimator its error."""
    return int(torch.cuda.max_memory_allocated(compute.device)) if compute.is_cuda else process_peak_resident_bytes()


def process_peak_resident_bytes() -> Optional[int]:
    """Peak resident memory of this process so far; None where the OS does not say (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024
