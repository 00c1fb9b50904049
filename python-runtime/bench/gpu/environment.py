"""The machine and software a benchmark ran on, and the GPU memory PyTorch's allocator does not see.

CUDA context: nvidia-smi's used memory for the GPU is read *before* this process touches CUDA
(`used_before`; 0 where nvidia-smi is missing, which the notes say), then CUDA is initialised and
`torch.cuda.mem_get_info()` gives the used memory again; the difference is this process's CUDA
context. After each LocalTune run the same reading, minus `torch.cuda.memory_reserved()` and
`used_before`, is everything the process holds outside PyTorch's caching allocator: the context
plus the kernels loaded lazily since, plus library workspaces. That is what the estimator's
"CUDA context and kernels" term stands for, and with the peak reserved memory it makes the
nvidia-smi view of the peak.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional

import torch


def package_version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _visible_gpu() -> str:
    """The nvidia-smi id of the GPU torch calls cuda:0."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
    return visible or "0"


def nvidia_smi_query(fields: str) -> Optional[List[str]]:
    """One row of `nvidia-smi --query-gpu=FIELDS` for cuda:0's GPU, or None."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        result = subprocess.run(["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader,nounits",
                                 "-i", _visible_gpu()], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return [part.strip() for part in result.stdout.strip().splitlines()[0].split(",")]


@dataclass
class Environment:
    date: str
    device: str
    """cuda or cpu."""
    gpu: str
    gpu_memory_bytes: Optional[int]
    driver: str
    torch: str
    cuda: str
    transformers: str
    peft: str
    accelerate: str
    python: str
    commit: str
    used_before_bytes: Optional[int] = None
    """nvidia-smi's used memory before this process initialised CUDA; None without nvidia-smi."""
    cuda_context_bytes: Optional[int] = None
    notes: List[str] = field(default_factory=list)

    def columns(self) -> Dict[str, object]:
        data = asdict(self)
        for private in ("used_before_bytes", "cuda_context_bytes", "notes"):
            data.pop(private)
        return data


def git_commit(repo: Path) -> str:
    if shutil.which("git") is None:
        return "unknown"
    try:
        result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if result.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10)
    return result.stdout.strip() + ("+changes" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def describe(device: str, repo: Path) -> Environment:
    """Facts about this run. On CUDA, call it before anything else touches the GPU: it measures the
    CUDA context from the used memory before and after initialisation."""
    env = Environment(date=_dt.date.today().isoformat(), device=device, gpu="", gpu_memory_bytes=None,
                      driver="n/a", torch=str(torch.__version__), cuda=str(torch.version.cuda or "n/a"),
                      transformers=package_version("transformers") or "not installed",
                      peft=package_version("peft") or "not installed",
                      accelerate=package_version("accelerate") or "not installed",
                      python=platform.python_version(), commit=git_commit(repo))
    if device != "cuda":
        env.gpu = f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores (no GPU)"
        return env
    before = nvidia_smi_query("memory.used,driver_version")
    if before is None:
        env.notes.append("nvidia-smi was not available: the GPU memory used before this process started is "
                         "taken as 0, so the CUDA context includes whatever else was on the GPU.")
    else:
        env.used_before_bytes = int(float(before[0])) * 1024 ** 2
        env.driver = before[1]
    torch.cuda.init()
    free, total = torch.cuda.mem_get_info(0)  # creates this process's primary context
    env.gpu = torch.cuda.get_device_name(0)
    env.gpu_memory_bytes = int(total)
    env.cuda_context_bytes = int(total - free) - (env.used_before_bytes or 0) - int(torch.cuda.memory_reserved(0))
    return env


def outside_allocator_bytes(env: Environment) -> Optional[int]:
    """GPU memory this process holds outside PyTorch's caching allocator, now."""
    if env.device != "cuda":
        return None
    free, total = torch.cuda.mem_get_info(0)
    return int(total - free) - (env.used_before_bytes or 0) - int(torch.cuda.memory_reserved(0))


def reset_peaks(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(0)


def peaks(device: str) -> Dict[str, Optional[int]]:
    if device != "cuda":
        return {"allocated": None, "reserved": None}
    torch.cuda.synchronize()
    return {"allocated": int(torch.cuda.max_memory_allocated(0)),
            "reserved": int(torch.cuda.max_memory_reserved(0))}


def release(device: str) -> int:
    """Frees what the last run left (its model, optimizer, caches); returns the bytes still
    allocated afterwards, which should be 0: anything else leaks into the next measurement."""
    import gc

    gc.collect()
    if device != "cuda":
        return 0
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    return int(torch.cuda.memory_allocated(0))
