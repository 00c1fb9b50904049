"""Failures a person can act on: a kind (from the event schema), a message, concrete advice.

Code anywhere in the runtime raises `RunFailure`; the command turns it into an `error` event, a
readable terminal line and a non-zero exit code. Anything else that escapes is `internal`, except
CUDA out-of-memory, which `describe_out_of_memory` turns into advice with the memory figures.
"""

from __future__ import annotations

from typing import Iterable, Optional

ERROR_KINDS = (
    "config", "data", "model_files", "tokenizer", "out_of_memory",
    "unsupported_precision", "missing_package", "interrupted", "internal",
)


class RunFailure(Exception):
    def __init__(self, kind: str, message: str, advice: Iterable[str] = (),
                 step: Optional[int] = None, memory: Optional[dict] = None):
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.advice = list(advice)
        self.step = step
        self.memory = memory


def config_failure(error: Exception) -> RunFailure:
    return RunFailure("config", f"run.json: {error}", [
        "Fix the setting named above in the run's settings and start the run again.",
    ])


def data_failure(message: str, *advice: str) -> RunFailure:
    return RunFailure("data", message, advice)


def missing_package_failure(packages: list, purpose: str) -> RunFailure:
    names = ", ".join(packages)
    advice = [f"Install it into the runtime's Python: python -m pip install {' '.join(packages)}",
              "Or run the app's runtime setup again, which installs requirements-cuda.txt."]
    if "bitsandbytes" in packages:
        advice.append("bitsandbytes needs an NVIDIA GPU with CUDA; without it, use method 'lora' "
                      "(16-bit base model) instead of 'qlora'.")
    return RunFailure("missing_package", f"{purpose} needs the Python package(s) {names}, "
                      "which are not installed.", advice)


def is_out_of_memory(error: BaseException) -> bool:
    try:
        import torch
        oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
        if oom_type is not None and isinstance(error, oom_type):
            return True
    except ImportError:
        pass
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def describe_out_of_memory(error: BaseException, step: Optional[int], method: str,
                           micro_batch_size: int, max_length: int,
                           gradient_checkpointing: bool) -> RunFailure:
    memory = gpu_memory_figures()
    advice = []
    if micro_batch_size > 1:
        advice.append(f"Lower micro_batch_size from {micro_batch_size} to {max(1, micro_batch_size // 2)} "
                      "and raise gradient_accumulation_steps to keep the same effective batch.")
    advice.append(f"Lower max_length from {max_length} (long examples dominate memory).")
    if not gradient_checkpointing:
        advice.append("Turn on gradient_checkpointing (much less activation memory, ~30% slower).")
    if method == "full":
        advice.append("Use method 'lora' instead of 'full': it does not keep optimizer state for every weight.")
    if method in ("full", "lora"):
        advice.append("Use method 'qlora' to load the base model in 4 bits (needs bitsandbytes).")
    advice.append("Close other programs that use the GPU, or pick a smaller model.")
    where = f" at step {step}" if step is not None else " while loading the model"
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return RunFailure("out_of_memory", f"The GPU ran out of memory{where}: {detail}", advice,
                      step=step, memory=memory)


def gpu_memory_figures() -> Optional[dict]:
    try:
        import torch
        if not torch.cuda.is_available():
            return None
        free, total = torch.cuda.mem_get_info()
        return {
            "allocated_bytes": int(torch.cuda.memory_allocated()),
            "reserved_bytes": int(torch.cuda.memory_reserved()),
            "peak_bytes": int(torch.cuda.max_memory_allocated()),
            "total_bytes": int(total),
            "free_bytes": int(free),
        }
    except Exception:  # figures are a courtesy; never let them hide the real error
        return None
