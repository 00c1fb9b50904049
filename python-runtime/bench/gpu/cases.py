"""What one benchmark row measures (a `BenchCase`), the matrix of them, and where models come from.

A model is a folder holding a Hugging Face `config.json` (its architecture; the weights are made
at random), the built-in demo model `tiny-demo`, or `tiny-llama`, a 2-layer Llama config written
by the harness for the CPU smoke run.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from localtune_runtime.config import TINY_DEMO_MODEL_ID

BUNDLED_CONFIGS = Path(__file__).resolve().parent / "model_configs"
TINY_DEMO = "tiny-demo"
TINY_LLAMA = "tiny-llama"

DEFAULT_MODELS = ("meta-llama--Llama-3.2-1B", "Qwen--Qwen2.5-1.5B-Instruct", "meta-llama--Llama-3.2-3B",
                  "Qwen--Qwen2.5-7B", "meta-llama--Llama-3.1-8B")
DEFAULT_METHODS = ("lora", "full")
DEFAULT_MAX_LENGTHS = (512, 2048)
DEFAULT_MICRO_BATCHES = (1, 4)
DEFAULT_CHECKPOINTING = (False, True)

# The CPU smoke matrix: seconds, not minutes, on two shared cores.
TINY_MAX_LENGTHS = (64,)
TINY_MICRO_BATCHES = (2,)

# A Llama small enough to train on a laptop CPU in milliseconds per step; vocabulary and widths
# are arbitrary but real Llama shapes (grouped-query attention, gated MLP, RMSNorm).
TINY_LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 512, "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "hidden_act": "silu",
    "tie_word_embeddings": False, "bos_token_id": 0, "eos_token_id": 1, "initializer_range": 0.02,
    "attention_bias": False, "mlp_bias": False,
}


class ModelNotFound(ValueError):
    pass


@dataclass(frozen=True)
class BenchModel:
    name: str
    """How rows name it: the config folder's name, `tiny-demo` or `tiny-llama`."""
    folder: Optional[Path]
    """The folder with config.json; None for the tiny demo model."""

    @property
    def is_tiny_demo(self) -> bool:
        return self.folder is None

    @property
    def run_model_id(self) -> str:
        """model.id in the run.json the harness writes."""
        return TINY_DEMO_MODEL_ID if self.is_tiny_demo else f"bench/{self.name}"

    @property
    def estimator_ref(self) -> str:
        """What `localtune estimate --model` gets."""
        return TINY_DEMO_MODEL_ID if self.is_tiny_demo else str(self.folder)

    def config(self) -> dict:
        if self.folder is None:
            raise ValueError("the tiny demo model has no config.json")
        return json.loads((self.folder / "config.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class BenchCase:
    model: BenchModel
    method: str
    max_length: int
    micro_batch: int
    grad_accum: int
    checkpointing: bool
    lora_r: int
    attention: str = "sdpa"
    """The attention kernel as resolved for this torch: sdpa, eager or flash_attention_2."""

    @property
    def tokens_per_step(self) -> int:
        # Every synthetic row is exactly max_length tokens long, so there is no padding.
        return self.max_length * self.micro_batch * self.grad_accum

    @property
    def key(self) -> tuple:
        """Identifies the configuration in a CSV, to continue a run with --append."""
        return (self.model.name, self.method, self.max_length, self.micro_batch, self.grad_accum,
                self.checkpointing, self.lora_r if self.method == "lora" else 0, self.attention)

    def label(self) -> str:
        lora = f" r={self.lora_r}" if self.method == "lora" else ""
        return (f"{self.model.name} {self.method}{lora} len {self.max_length} mb {self.micro_batch}"
                f"x{self.grad_accum} ckpt {'on' if self.checkpointing else 'off'} {self.attention}")


def row_key(row: dict) -> tuple:
    """BenchCase.key for a row read back from a CSV."""
    method = row["method"]
    return (row["model"], method, int(row["max_length"]), int(row["micro_batch"]), int(row["grad_accum"]),
            str(row["checkpointing"]).lower() in ("on", "true", "1"), int(row["lora_r"]) if method == "lora" else 0,
            row["attention"])


def default_models_dirs(runtime_root: Path) -> List[Path]:
    """Where config folders are looked up after the bundled ones: the project's test data, whether
    the shared folder sits inside the checkout or next to it."""
    repo = runtime_root.parent
    return [repo / "shared" / "data" / "model-configs", repo.parent / "shared" / "data" / "model-configs"]


def resolve_model(name: str, models_dirs: Sequence[Path], scratch: Path) -> BenchModel:
    """A model by folder path, folder name (`meta-llama--Llama-3.2-1B`), the part after `--`
    (`Llama-3.2-1B`, any case), `tiny-demo` or `tiny-llama` (its config is written into scratch)."""
    if name == TINY_DEMO:
        return BenchModel(TINY_DEMO, None)
    if name == TINY_LLAMA:
        folder = scratch / TINY_LLAMA
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(TINY_LLAMA_CONFIG, indent=2) + "\n", encoding="utf-8")
        return BenchModel(TINY_LLAMA, folder)
    path = Path(name).expanduser()
    if (path / "config.json").is_file():
        return BenchModel(path.resolve().name, path.resolve())
    wanted = name.lower()
    searched = [BUNDLED_CONFIGS, *models_dirs]
    for directory in searched:
        if not directory.is_dir():
            continue
        for folder in sorted(directory.iterdir()):
            if not (folder / "config.json").is_file():
                continue
            short = folder.name.split("--", 1)[-1].lower()
            if folder.name.lower() == wanted or short == wanted:
                return BenchModel(folder.name, folder)
    raise ModelNotFound(f"model {name!r}: no folder with config.json of that name in "
                        + ", ".join(str(d) for d in searched if d.is_dir())
                        + " (give a folder path, or --models-dir)")


def build_matrix(models: Sequence[BenchModel], methods: Sequence[str], max_lengths: Sequence[int],
                 micro_batches: Sequence[int], checkpointing: Sequence[bool], grad_accum: int,
                 lora_r: int, attentions: Sequence[str] = ("sdpa",)) -> List[BenchCase]:
    """Every combination, in the order given (models outermost), so a time budget cuts the tail."""
    return [BenchCase(model, method, length, batch, grad_accum, ckpt, lora_r, attention)
            for model, method, length, batch, ckpt, attention
            in itertools.product(models, methods, max_lengths, micro_batches, checkpointing, attentions)]
