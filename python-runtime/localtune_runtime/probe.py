"""`python -m localtune_runtime probe`: what this Python can do, as one JSON object on stdout.

stdout is a pipe for data (the app parses it whole): whatever torch or a CUDA library prints while
the probe runs goes to stderr instead.

It must work in a Python without torch (the app runs it to decide whether to set the runtime up),
so torch is imported inside a try, and package versions are read from metadata without importing.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
from importlib import metadata
from typing import Optional

PACKAGES = ("transformers", "peft", "bitsandbytes", "accelerate", "safetensors")


def _version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def probe() -> dict:
    report = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "torch": None,
        "cuda_available": False,
        "cuda_version": None,
        "gpus": [],
        "packages": {name: _version(name) for name in PACKAGES},
        "error": None,
    }
    try:
        import torch
    except ImportError:
        return report
    except Exception as error:  # a broken install (e.g. missing CUDA libraries) is worth reporting
        report["error"] = f"importing torch failed: {type(error).__name__}: {error}"
        return report
    report["torch"] = torch.__version__
    report["cuda_version"] = torch.version.cuda
    try:
        report["cuda_available"] = bool(torch.cuda.is_available())
        for index in range(torch.cuda.device_count() if report["cuda_available"] else 0):
            props = torch.cuda.get_device_properties(index)
            try:
                free, _ = torch.cuda.mem_get_info(index)
            except Exception:
                free = None
            report["gpus"].append({
                "index": index,
                "name": props.name,
                "total_memory_bytes": int(props.total_memory),
                "free_memory_bytes": int(free) if free is not None else None,
                "bf16_supported": props.major >= 8,
                "compute_capability": f"{props.major}.{props.minor}",
            })
    except Exception as error:
        report["error"] = f"querying CUDA failed: {type(error).__name__}: {error}"
    return report


def main() -> int:
    # Native libraries (CUDA, cuDNN) write to file descriptor 1 directly, past sys.stdout: point it
    # at stderr while probing and give the real stdout back for the answer.
    sys.stdout.flush()
    data = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            report = probe()
    finally:
        sys.stdout.flush()
        os.dup2(data, 1)
        os.close(data)
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0
