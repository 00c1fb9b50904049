"""`localtune/tiny-demo`: a ~1M-parameter decoder-only transformer for trying LocalTune.

It is a demo, not a language model: it starts from random weights (made from a fixed seed, so
every run and every `generate --base` sees the same ones; nothing is downloaded or cached), reads
UTF-8 bytes, and in a minute or two on a laptop CPU learns the *shape* of the data (its format,
frequent words), not knowledge. It trains through the same loop as real models.

`lora` puts LoRA adapters (written here, no peft) on its linear layers; `full` trains every weight.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from ..config import ConfigError, RunConfig, TINY_DEMO_MODEL_ID
from ..data import Batch
from ..failures import RunFailure, config_failure
from ..tensor_files import load_tensors, save_tensors
from .base import FinalOutputs, Warn

ARCHITECTURE = {
    "vocab_size": 258,  # 256 byte values, then EOS, then PAD
    "context_length": 1024,
    "d_model": 128,
    "n_layers": 4,
    "n_heads": 4,
    "mlp_ratio": 4,
    "init_seed": 1729,
}
EOS_ID = 256
PAD_ID = 257
CONFIG_FILE = "localtune_tiny_demo.json"
TOKENIZER_FILE = "tokenizer.json"
LINEAR_NAMES = ("q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj")
DEMO_NOTICE = ("DEMO MODEL: localtune/tiny-demo is a tiny byte-level transformer made from random "
               "weights. It learns the format of your data, not knowledge; use a real model for real work.")


# ---- tokenizer --------------------------------------------------------------------------------


class ByteTokenizer:
    """UTF-8 bytes are the tokens 0-255; 256 is EOS and 257 is PAD. No BOS."""
    eos_id = EOS_ID
    pad_id = PAD_ID

    def encode(self, text: str) -> List[int]:
        return list(text.encode("utf-8"))

    def encode_prompt(self, text: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]:
        return self.encode(text)  # bytes have no special tokens: markup changes nothing

    def encode_continuation(self, text: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]:
        return self.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(i for i in ids if 0 <= i < 256).decode("utf-8", errors="replace")

    def save(self, folder: Path) -> None:
        (Path(folder) / TOKENIZER_FILE).write_text(json.dumps(
            {"type": "utf-8 bytes", "vocab_size": ARCHITECTURE["vocab_size"],
             "eos_id": EOS_ID, "pad_id": PAD_ID}, indent=2) + "\n", encoding="utf-8")


# ---- model ------------------------------------------------------------------------------------


class LoRALinear(nn.Module):
    """y = W x + (B A dropout(x)) * alpha / r, with W frozen and B starting at zero."""

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scaling

    def merged(self) -> nn.Linear:
        linear = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        with torch.no_grad():
            linear.weight.copy_(self.base.weight + (self.lora_B @ self.lora_A) * self.scaling)
            if self.base.bias is not None:
                linear.bias.copy_(self.base.bias)
        return linear.to(self.base.weight.device)


class Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int, use_sdpa: bool):
        super().__init__()
        self.n_heads = n_heads
        self.use_sdpa = use_sdpa
        self.attn_norm = nn.LayerNorm(d_model)
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.o_proj = nn.Linear(d_model, d_model)
        self.mlp_norm = nn.LayerNorm(d_model)
        self.up_proj = nn.Linear(d_model, mlp_ratio * d_model)
        self.down_proj = nn.Linear(mlp_ratio * d_model, d_model)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        h = self.attn_norm(x)

        def heads(t):
            return t.view(batch, length, self.n_heads, width // self.n_heads).transpose(1, 2)

        q, k, v = heads(self.q_proj(h)), heads(self.k_proj(h)), heads(self.v_proj(h))
        if self.use_sdpa:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        else:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
            y = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1) @ v
        x = x + self.o_proj(y.transpose(1, 2).reshape(batch, length, width))
        return x + self.down_proj(F.gelu(self.up_proj(self.mlp_norm(x))))


class TinyDemoLM(nn.Module):
    def __init__(self, arch: dict = ARCHITECTURE, use_sdpa: bool = False):
        super().__init__()
        self.arch = dict(arch)
        d = arch["d_model"]
        self.tok_emb = nn.Embedding(arch["vocab_size"], d)
        self.pos_emb = nn.Embedding(arch["context_length"], d)
        self.blocks = nn.ModuleList(
            Block(d, arch["n_heads"], arch["mlp_ratio"], use_sdpa) for _ in range(arch["n_layers"]))
        self.final_norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, arch["vocab_size"], bias=False)
        self.gradient_checkpointing = False

    def reset_parameters(self) -> None:
        """GPT-2 style init, residual output projections scaled down by depth; the output layer at
        unit scale because forward divides its logits by sqrt(d_model)."""
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "norm" in name:
                nn.init.ones_(p)
            elif name == "lm_head.weight":
                nn.init.normal_(p, mean=0.0, std=1.0)
            else:
                std = 0.02 / math.sqrt(2 * self.arch["n_layers"]) if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.size(1)
        # A token may attend to earlier tokens of its own example. Examples (packed or not) start
        # where the position id is 0, so the segment id is the running count of zeros.
        segment = (position_ids == 0).cumsum(dim=-1)
        causal = torch.ones(length, length, dtype=torch.bool, device=input_ids.device).tril()
        allowed = (causal & (segment[:, :, None] == segment[:, None, :])).unsqueeze(1)
        x = self.tok_emb(input_ids) + self.pos_emb(position_ids)
        for block in self.blocks:
            if self.gradient_checkpointing and self.training:
                x = checkpoint(block, x, allowed, use_reentrant=False)
            else:
                x = block(x, allowed)
        # A unit-scale output layer divided by sqrt(d): logits start near N(0, 1) and can still
        # reach about sqrt(d) when the layer is frozen (LoRA). A GPT-2 style 0.02 layer, frozen,
        # caps them near 2.6, and LoRA on the random demo base then stalls at a loss of about 4.8.
        return self.lm_head(self.final_norm(x)) / math.sqrt(self.arch["d_model"])


def build_base_model(use_sdpa: bool) -> TinyDemoLM:
    """The same random weights every time, without touching the caller's RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ARCHITECTURE["init_seed"])
        model = TinyDemoLM(ARCHITECTURE, use_sdpa)
        model.reset_parameters()
    return model


def add_lora(model: TinyDemoLM, r: int, alpha: float, dropout: float, target_modules) -> List[str]:
    """Wrap the chosen linear layers in LoRALinear; returns the names that were wrapped."""
    wanted = set(LINEAR_NAMES) if target_modules == "all-linear" else set(target_modules)
    unknown = sorted(wanted - set(LINEAR_NAMES))
    if unknown == sorted(wanted):
        raise ConfigError("params.lora.target_modules",
                          f"{sorted(wanted)} match no layer of the tiny demo model; its linear layers "
                          f"are {', '.join(LINEAR_NAMES)} (or use \"all-linear\")")
    for p in model.parameters():
        p.requires_grad_(False)
    for block in model.blocks:
        for name in LINEAR_NAMES:
            if name in wanted:
                setattr(block, name, LoRALinear(getattr(block, name), r, alpha, dropout))
    return [n for n in LINEAR_NAMES if n in wanted]


def merge_lora(model: TinyDemoLM) -> TinyDemoLM:
    for block in model.blocks:
        for name in LINEAR_NAMES:
            layer = getattr(block, name)
            if isinstance(layer, LoRALinear):
                setattr(block, name, layer.merged())
    for p in model.parameters():
        p.requires_grad_(True)
    return model


# ---- weight files -----------------------------------------------------------------------------


def trainable_state(model: nn.Module) -> Dict[str, torch.Tensor]:
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v for k, v in model.state_dict().items() if k in names}


# ---- the backend ------------------------------------------------------------------------------


class TinyDemoBackend:
    demo = True
    model_id = TINY_DEMO_MODEL_ID

    def __init__(self, config: RunConfig, compute, warn: Warn):
        self.config = config
        self.params = config.params
        self.compute = compute
        self.device = compute.device
        self.warn = warn
        self.tokenizer: Optional[ByteTokenizer] = None
        self.model: Optional[TinyDemoLM] = None
        self.lora_targets: List[str] = []

    def load_tokenizer(self) -> ByteTokenizer:
        if self.params.max_length > ARCHITECTURE["context_length"]:
            raise config_failure(ConfigError(
                "params.max_length", f"must be <= {ARCHITECTURE['context_length']} for the tiny demo "
                f"model (its context length), got {self.params.max_length}"))
        self.tokenizer = ByteTokenizer()
        return self.tokenizer

    def _use_sdpa(self) -> bool:
        choice = self.params.attention
        if choice == "eager":
            return False
        if choice == "flash_attention_2":
            self.warn("attention", "The tiny demo model has no flash-attention path; it uses PyTorch SDPA.")
        return True

    def load_model(self) -> TinyDemoLM:
        if self.params.learning_rate < 1e-3:
            self.warn("model", f"learning_rate {self.params.learning_rate:g} suits real models; the tiny demo "
                      "model learns visibly in a few hundred steps with about 3e-3 (full) or 5e-3 (lora).")
        model = build_base_model(self._use_sdpa())
        if self.config.method == "lora":
            lora = self.params.lora
            try:
                self.lora_targets = add_lora(model, lora.r, lora.alpha, lora.dropout, lora.target_modules)
            except ConfigError as error:
                raise config_failure(error) from None
        model.gradient_checkpointing = self.params.gradient_checkpointing
        self.model = model.to(self.device)
        return self.model

    def logits(self, batch: Batch) -> torch.Tensor:
        return self.model(batch.input_ids, batch.position_ids)

    def named_trainable_parameters(self):
        return [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]

    def save_weights(self, folder: Path) -> None:
        save_tensors(trainable_state(self.model), folder, "adapter" if self.config.method == "lora" else "model")

    def load_weights(self, folder: Path) -> None:
        stem = "adapter" if self.config.method == "lora" else "model"
        tensors = load_tensors(folder, stem)
        missing = set(trainable_state(self.model)) - set(tensors)
        if missing:
            raise RunFailure("model_files", f"The checkpoint in {folder} lacks {len(missing)} weights "
                             f"(e.g. {sorted(missing)[0]}); it was written by a different setup.",
                             ["Start the run again without --resume."])
        self.model.load_state_dict(tensors, strict=False)

    def save_final(self, folder: Path, run_dir: Path, merge: bool, warn: Warn) -> FinalOutputs:
        folder = Path(folder)
        relative = folder.relative_to(run_dir).as_posix()
        stem = "adapter" if self.config.method == "lora" else "model"
        written = save_tensors(trainable_state(self.model), folder, stem)
        if not written.endswith(".safetensors"):
            warn("save_format", f"safetensors is not installed, so the tiny demo weights were saved "
                 f"with torch.save as {relative}/{written}.")
        description = {
            "format": "localtune-tiny-demo", "format_version": 1, "model_id": TINY_DEMO_MODEL_ID,
            "demo": True, "note": DEMO_NOTICE, "architecture": ARCHITECTURE,
            "tokenizer": TOKENIZER_FILE, "method": self.config.method,
            "weights_file": written if stem == "model" else None,
            "adapter_file": written if stem == "adapter" else None,
            "lora": ({"r": self.params.lora.r, "alpha": self.params.lora.alpha,
                      "dropout": self.params.lora.dropout, "target_modules": self.lora_targets}
                     if stem == "adapter" else None),
        }
        (folder / CONFIG_FILE).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
        self.tokenizer.save(folder)
        outputs = FinalOutputs(weights_format="safetensors" if written.endswith(".safetensors") else "torch.save (.pt)")
        if stem == "adapter":
            outputs.adapter_path = f"{relative}/{written}"
        else:
            outputs.weights_path = f"{relative}/{written}"
        if merge and stem == "adapter":
            merged_dir = folder / "merged"
            merged_dir.mkdir(exist_ok=True)
            merged = build_base_model(False)  # a copy on the CPU: the trained model stays as it is
            add_lora(merged, self.params.lora.r, self.params.lora.alpha, 0.0, self.lora_targets)
            merged.load_state_dict({k: v.cpu() for k, v in self.model.state_dict().items()})
            merge_lora(merged)
            merged_file = save_tensors(merged.state_dict(), merged_dir, "model")
            merged_description = dict(description, method="full", weights_file=merged_file,
                                      adapter_file=None, lora=None)
            (merged_dir / CONFIG_FILE).write_text(json.dumps(merged_description, indent=2) + "\n", encoding="utf-8")
            self.tokenizer.save(merged_dir)
            outputs.merged_path = f"{relative}/merged"
        outputs.load_instructions = (
            "This is the tiny demo model, not a Hugging Face model: transformers cannot load it. "
            f"Try it with:\n\n    python -m localtune_runtime generate --run-dir <run folder> --prompt \"...\"")
        return outputs

    def library_versions(self) -> Dict[str, Optional[str]]:
        return {"python": sys.version.split()[0], "torch": str(torch.__version__),
                "transformers": None, "peft": None}


# ---- generation -------------------------------------------------------------------------------


class TinyDemoGenerator:
    # Never sample PAD or control bytes other than tab and newline: an untrained byte model
    # would otherwise print terminal escape sequences.
    banned_ids = [b for b in range(32) if b not in (9, 10)] + [127, PAD_ID]

    def __init__(self, model: TinyDemoLM, device: torch.device):
        self.model = model.to(device).eval()
        self.device = device
        self.tokenizer = ByteTokenizer()

    def prompt_ids(self, prompt: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]:
        return self.tokenizer.encode_prompt(prompt, markup)

    def next_token_logits(self, ids: List[int], state):
        window = ids[-ARCHITECTURE["context_length"]:]  # no KV cache: the model is tiny
        input_ids = torch.tensor([window], dtype=torch.long, device=self.device)
        positions = torch.arange(len(window), device=self.device).unsqueeze(0)
        return self.model(input_ids, positions)[0, -1], None


def load_generator(final_dir: Optional[Path], device: torch.device) -> TinyDemoGenerator:
    """The base model (final_dir None) or the trained one described by final/localtune_tiny_demo.json."""
    model = build_base_model(True)
    if final_dir is not None:
        description_path = Path(final_dir) / CONFIG_FILE
        try:
            description = json.loads(description_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunFailure("model_files", f"{description_path} is missing, so there is no finished "
                             "tiny demo model in this run.",
                             ["Train the run first (or use --base to try the untrained model)."]) from None
        if description.get("architecture") != ARCHITECTURE:
            raise RunFailure("model_files", f"{description_path} describes a different tiny demo "
                             "architecture than this runtime builds.", ["Train the run again."])
        if description.get("method") == "lora":
            lora = description["lora"]
            add_lora(model, lora["r"], lora["alpha"], 0.0, lora["target_modules"])
            model.load_state_dict(load_tensors(final_dir, "adapter"), strict=False)
        else:
            model.load_state_dict(load_tensors(final_dir, "model"))
    return TinyDemoGenerator(model, device)
