"""`python -m localtune_runtime probe`: what this Python can do, as one JSON object on stdout.

It must work in a Python without torch (the app runs it to decide whether to set the runtime up),
so torch is imported inside a try, and package versions are read from metadata without importing.
"""

from __future__ import annotations

import json
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
    sys.stdout.write(json.dumps(probe()) + "\n")
    sys.stdout.flush()
    return 0
