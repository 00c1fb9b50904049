"""Failures a person can act on: a kind (from the event schema), a message, concrete advice.

Code anywhere in the runtime raises `RunFailure`; the command turns it into an `error` event, a
readable terminal line and a non-zero exit code. Anything else that escapes is `internal`, except
CUDA out-of-memory, which `describe_out_of_memory` turns into advice with the memory figures.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Iterable, Optional

ERROR_KINDS = (
    "config", "data", "model_files", "tokenizer", "out_of_memory",
    "unsupported_precision", "missing_package", "interrupted", "disk", "internal",
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
        if isinstance(error, torch.cuda.OutOfMemoryError):
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


# What each errno means for a person whose run could not write its files. A full or read-only
# disk is not a bug in LocalTune, and the message must say which path and what to do.
_DISK_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    getattr(errno, "EDQUOT", -1): "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission is denied",
    errno.EPERM: "the operation is not permitted",
    errno.EIO: "the disk reported an input/output error",
}


def _format_bytes(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def free_bytes(path: Path) -> Optional[int]:
    """Free space for this user on the disk that holds `path` (or its nearest existing parent)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def _os_error_in(error: BaseException) -> Optional[OSError]:
    """The OSError behind `error`: itself, or what it was raised from (torch wraps failed writes)."""
    seen = 0
    current: Optional[BaseException] = error
    while current is not None and seen < 8:
        if isinstance(current, OSError) and current.errno in _DISK_ERRNOS:
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def is_disk_error(error: BaseException) -> bool:
    """A failed write to a full, read-only or unwritable disk (also as torch reports it)."""
    if _os_error_in(error) is not None:
        return True
    # torch.save reports a full disk as RuntimeError("... file write failed"), without the errno.
    return isinstance(error, RuntimeError) and "file write failed" in str(error)


def _disk_advice(code: Optional[int], folder: Path) -> list:
    free = free_bytes(folder)
    free_text = f" ({_format_bytes(free)} free now)" if free is not None else ""
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or code is None:
        return [f"Free space on the disk that holds {folder}{free_text}: delete runs you no longer need "
                "in History (checkpoints take the most), then resume; the run continues from its last checkpoint.",
                "Or set LOCALTUNE_HOME to a folder on a disk with more space for new runs."]
    if code == errno.EROFS:
        return [f"{folder} is on a read-only file system: remount it read-write, or set LOCALTUNE_HOME "
                "to a writable folder, then resume."]
    if code in (errno.EACCES, errno.EPERM):
        return [f"Make {folder} writable for this user (check its owner and permissions), then resume."]
    return [f"Check the disk that holds {folder} (system log, SMART status) or the network drive it is on, then resume."]


def describe_disk_error(error: BaseException, step: Optional[int], fallback_path: Optional[Path] = None) -> RunFailure:
    """The failure of a write to the disk, naming the path, the errno and what to do."""
    os_error = _os_error_in(error)
    code = os_error.errno if os_error is not None else None
    path = Path(os_error.filename) if os_error is not None and os_error.filename else fallback_path
    reason = _DISK_ERRNOS.get(code, "the disk is probably full") if code is not None else "the disk is probably full"
    where = f" {path}" if path is not None else ""
    name = f" ({errno.errorcode.get(code, code)}, errno {code})" if code is not None else ""
    when = f" at step {step}" if step is not None else ""
    message = f"Writing{where} failed{when}: {reason}{name}."
    folder = path.parent if path is not None and not path.is_dir() else (path or Path(os.getcwd()))
    return RunFailure("disk", message, _disk_advice(code, folder), step=step)


def ensure_free_space(folder: Path, needed_bytes: int, what: str, step: Optional[int] = None) -> None:
    """Fails with a clear `disk` failure before writing `what` when the disk has less than it needs.

    Better to stop before a checkpoint than to leave half of one and a full disk."""
    free = free_bytes(folder)
    if free is None or free >= needed_bytes:
        return
    raise RunFailure(
        "disk",
        f"Not enough free space in {folder} for {what}: it needs about {_format_bytes(needed_bytes)} "
        f"and the disk has {_format_bytes(free)} free.",
        _disk_advice(errno.ENOSPC, Path(folder)), step=step)
