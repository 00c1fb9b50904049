"""Files of named tensors: safetensors when the package is installed, else torch.save (.pt)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import torch

from .failures import RunFailure


def safetensors_available() -> bool:
    try:
        import safetensors.torch  # noqa: F401
        return True
    except ImportError:
        return False


def read_torch_tensors(path: Path):
    """torch.load restricted to tensors and plain containers (no code runs while loading)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def save_tensors(tensors: Dict[str, torch.Tensor], folder: Path, stem: str) -> str:
    """Write `stem.safetensors` (or `stem.pt`) into folder; returns the file name written."""
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    if safetensors_available():
        from safetensors.torch import save_file
        name = f"{stem}.safetensors"
        save_file(tensors, str(Path(folder) / name))
    else:
        name = f"{stem}.pt"
        torch.save(tensors, Path(folder) / name)
    return name


def load_tensors(folder: Path, stem: str) -> Dict[str, torch.Tensor]:
    folder = Path(folder)
    if (folder / f"{stem}.safetensors").exists():
        if not safetensors_available():
            raise RunFailure("missing_package", f"{folder / (stem + '.safetensors')} is in safetensors "
                             "format but the safetensors package is not installed.",
                             ["python -m pip install safetensors"])
        from safetensors.torch import load_file
        return load_file(str(folder / f"{stem}.safetensors"))
    if (folder / f"{stem}.pt").exists():
        return read_torch_tensors(folder / f"{stem}.pt")
    raise RunFailure("model_files", f"No {stem}.safetensors or {stem}.pt in {folder}.",
                     ["Train the run again, or resume it, to write its weights."])
