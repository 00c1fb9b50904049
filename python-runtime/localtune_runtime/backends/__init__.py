"""Model backends: the tiny demo model (plain PyTorch) and Hugging Face models (transformers + peft)."""

from __future__ import annotations


def create_backend(config, compute, warn):
    """The backend for `config.model`; nothing heavy is loaded until load_tokenizer/load_model."""
    if config.model.is_tiny_demo:
        from .tiny_demo import TinyDemoBackend
        return TinyDemoBackend(config, compute, warn)
    from .hf import HFBackend
    return HFBackend(config, compute, warn)
