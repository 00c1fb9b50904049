"""The run configuration: `run.json`, written by the app, read here.

Every field is a dataclass field with a docstring (the docstring is the documentation of the
setting) and is checked in `__post_init__`, so a config object that exists is a valid one. Errors
name the field the way the app shows it, e.g. `params.learning_rate must be > 0, got -1`.

The TypeScript mirror is `src/shared/run-config/run-config-schema.ts`; both sides are tested
against `tests/fixtures/run-v1.json`, `run-v1-invalid.json` and `training-params-defaults-v1.json`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

SCHEMA_VERSION = 1
TINY_DEMO_MODEL_ID = "localtune/tiny-demo"
RUN_CONFIG_FILE = "run.json"
FINAL_DIR = "final"  # the run folder's finished model, written by train, read by generate

METHODS = ("full", "lora", "qlora")
MODES = ("chat", "generic")
SCHEDULERS = ("linear", "cosine", "constant")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
ATTENTIONS = ("auto", "sdpa", "eager", "flash_attention_2")

# POSIX "/x", Windows "C:\x" or "C:/x", UNC "\\server\share". The app may run on any of them and
# the runtime must give the same verdict as the TypeScript schema, so no os.path.isabs here.
_ABSOLUTE_PATH = re.compile(r"^(/|[A-Za-z]:[\\/]|\\\\)")


class ConfigError(ValueError):
    """A setting in run.json is missing, unknown or out of range. `field` is its dotted path."""

    def __init__(self, field_path: str, problem: str):
        self.field = field_path
        self.problem = problem
        super().__init__(f"{field_path} {problem}")

    def under(self, prefix: str) -> "ConfigError":
        return ConfigError(f"{prefix}.{self.field}", self.problem)


# ---- small checks, each raising ConfigError(name, ...) ----------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _int(name: str, value: Any, minimum: int) -> int:
    """The value as an int; 4.0 counts as 4, as it does in JSON Schema and in JavaScript."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not _is_int(value):
        raise ConfigError(name, f"must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(name, f"must be >= {minimum}, got {value}")
    return value


def _optional_int(name: str, value: Any, minimum: int) -> Optional[int]:
    return None if value is None else _int(name, value, minimum)


def _number(name: str, value: Any, *, above: Optional[float] = None,
            at_least: Optional[float] = None, below: Optional[float] = None) -> None:
    if not _is_number(value):
        raise ConfigError(name, f"must be a number, got {value!r}")
    if above is not None and not value > above:
        raise ConfigError(name, f"must be > {above:g}, got {value:g}")
    if at_least is not None and not value >= at_least:
        raise ConfigError(name, f"must be >= {at_least:g}, got {value:g}")
    if below is not None and not value < below:
        raise ConfigError(name, f"must be < {below:g}, got {value:g}")


def _bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(name, f"must be true or false, got {value!r}")


def _choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ConfigError(name, f"must be one of {allowed}, got {value!r}")


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(name, f"must be a non-empty string, got {value!r}")


def _build(cls, data: Any, prefix: str):
    """Build dataclass `cls` from a JSON object, naming unknown or mistyped keys by their path."""
    if not isinstance(data, dict):
        raise ConfigError(prefix, f"must be an object, got {data!r}")
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}.{key}" if prefix else key, "is not a known setting")
    try:
        return cls(**data)
    except ConfigError as error:
        raise error.under(prefix) if prefix else error
    except TypeError as error:  # a required key is missing
        missing = [f.name for f in fields(cls) if f.name not in data]
        name = missing[0] if missing else "?"
        raise ConfigError(f"{prefix}.{name}" if prefix else name, "is required") from error


# ---- the configuration ------------------------------------------------------------------------


@dataclass
class LoraParams:
    r: int = 16
    """Rank of the low-rank update matrices. Higher means more capacity and more memory."""
    alpha: float = 32
    """Scaling numerator: the LoRA update is multiplied by alpha / r."""
    dropout: float = 0.05
    """Dropout on the LoRA input during training; 0 disables it."""
    target_modules: Union[str, List[str]] = "all-linear"
    """Which linear layers get adapters: "all-linear", or module names such as ["q_proj", "v_proj"]."""

    def __post_init__(self):
        self.r = _int("r", self.r, 1)
        _number("alpha", self.alpha, above=0)
        _number("dropout", self.dropout, at_least=0, below=1)
        if self.target_modules != "all-linear":
            names = self.target_modules
            if (not isinstance(names, list) or not names
                    or not all(isinstance(n, str) and n.strip() for n in names)):
                raise ConfigError("target_modules",
                                  f'must be "all-linear" or a non-empty list of module names, got {names!r}')


@dataclass
class TrainingParams:
    max_length: int = 512
    """Longest training example in tokens; longer examples are cut at the end (a warning says how many)."""
    micro_batch_size: int = 4
    """Examples per forward/backward pass. Lower it first when the GPU runs out of memory."""
    gradient_accumulation_steps: int = 1
    """Micro batches per optimizer step; the effective batch is micro_batch_size times this."""
    epochs: int = 1
    """Passes over the training data. Ignored when max_steps is set."""
    max_steps: Optional[int] = None
    """Stop after this many optimizer steps (cycling epochs as needed); null trains for `epochs`."""
    learning_rate: float = 2e-4
    """Peak learning rate reached after warmup."""
    scheduler: str = "linear"
    """Learning-rate decay after warmup: "linear" to 0, "cosine" to 0, or "constant"."""
    warmup_steps: int = 0
    """Optimizer steps of linear warmup from near 0 to learning_rate."""
    weight_decay: float = 0.0
    """AdamW decoupled weight decay, applied to matrices only (not biases or norms)."""
    max_grad_norm: float = 1.0
    """Clip the global gradient norm to this value; 0 disables clipping (the norm is still logged)."""
    lora: LoraParams = field(default_factory=LoraParams)
    """LoRA settings, used by the "lora" and "qlora" methods."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: much less memory, about 30% slower."""
    packing: bool = False
    """Pack several short examples into one sequence of max_length (no attention across examples)."""
    precision: str = "auto"
    """"auto" picks bf16 on GPUs that support it, else fp16 with loss scaling, and fp32 on the CPU."""
    attention: str = "auto"
    """Attention kernel: "auto" (SDPA where available), "sdpa", "eager" or "flash_attention_2"."""
    eval_every_steps: int = 50
    """Compute the validation loss every this many steps (and at the end) when there is a valid set."""
    save_every_steps: int = 100
    """Write a resumable checkpoint every this many steps (and when stopped)."""
    keep_checkpoints: int = 2
    """How many of the newest checkpoints to keep on disk."""
    seed: int = 42
    """Seed for data order, dropout and adapter initialisation; same seed, same run."""
    train_on_response_only: bool = True
    """Chat mode: only response tokens carry loss (the prompt is context). Ignored in generic mode."""
    log_every_steps: int = 1
    """Write a progress event every this many steps."""

    def __post_init__(self):
        if isinstance(self.lora, dict):
            self.lora = _build(LoraParams, self.lora, "lora")
        elif not isinstance(self.lora, LoraParams):
            raise ConfigError("lora", f"must be an object, got {self.lora!r}")
        self.max_length = _int("max_length", self.max_length, 8)
        self.micro_batch_size = _int("micro_batch_size", self.micro_batch_size, 1)
        self.gradient_accumulation_steps = _int("gradient_accumulation_steps", self.gradient_accumulation_steps, 1)
        self.epochs = _int("epochs", self.epochs, 1)
        self.max_steps = _optional_int("max_steps", self.max_steps, 1)
        _number("learning_rate", self.learning_rate, above=0)
        _choice("scheduler", self.scheduler, SCHEDULERS)
        self.warmup_steps = _int("warmup_steps", self.warmup_steps, 0)
        _number("weight_decay", self.weight_decay, at_least=0)
        _number("max_grad_norm", self.max_grad_norm, at_least=0)
        _bool("gradient_checkpointing", self.gradient_checkpointing)
        _bool("packing", self.packing)
        _choice("precision", self.precision, PRECISIONS)
        _choice("attention", self.attention, ATTENTIONS)
        self.eval_every_steps = _int("eval_every_steps", self.eval_every_steps, 1)
        self.save_every_steps = _int("save_every_steps", self.save_every_steps, 1)
        self.keep_checkpoints = _int("keep_checkpoints", self.keep_checkpoints, 1)
        self.seed = _int("seed", self.seed, 0)
        _bool("train_on_response_only", self.train_on_response_only)
        self.log_every_steps = _int("log_every_steps", self.log_every_steps, 1)

    @property
    def effective_batch_size(self) -> int:
        return self.micro_batch_size * self.gradient_accumulation_steps


@dataclass
class ModelSpec:
    id: str
    """The Hugging Face model id (e.g. "Qwen/Qwen2.5-0.5B"), or "localtune/tiny-demo"."""
    path: Optional[str] = None
    """Absolute folder with config.json and weights; null looks the id up in the HF cache."""
    trust_remote_code: bool = False
    """Allow the model's own Python code to run. Only for models whose code you trust."""
    allow_downloads: bool = False
    """Let transformers download missing files; off means HF_HUB_OFFLINE=1."""

    def __post_init__(self):
        _text("id", self.id)
        if self.path is not None:
            _text("path", self.path)
            if not _ABSOLUTE_PATH.match(self.path):
                raise ConfigError("path", f"must be an absolute folder path or null, got {self.path!r}")
        _bool("trust_remote_code", self.trust_remote_code)
        _bool("allow_downloads", self.allow_downloads)

    @property
    def is_tiny_demo(self) -> bool:
        return self.id == TINY_DEMO_MODEL_ID


@dataclass
class DataSpec:
    train: str
    """Training examples, JSONL, relative to the run folder (or absolute)."""
    valid: Optional[str] = None
    """Validation examples, JSONL, or null for no evaluation."""

    def __post_init__(self):
        _text("train", self.train)
        if self.valid is not None:
            _text("valid", self.valid)


@dataclass
class RunConfig:
    schema_version: int
    """Version of this file's format; this runtime reads version 1."""
    run_id: str
    """The app's id for the run; copied into every event."""
    model: ModelSpec
    """Which base model to finetune."""
    method: str
    """"full" (all weights), "lora" (adapters) or "qlora" (adapters on a 4-bit base, needs bitsandbytes)."""
    mode: str
    """"chat" (prompt/response examples) or "generic" (plain text examples)."""
    data: DataSpec
    """The training and validation files."""
    params: TrainingParams = field(default_factory=TrainingParams)
    """Training hyper-parameters; missing ones take their defaults."""
    merge: bool = False
    """Also write the base model with the adapter merged in (final/merged)."""

    def __post_init__(self):
        if (isinstance(self.schema_version, bool) or not _is_number(self.schema_version)
                or self.schema_version != SCHEMA_VERSION):
            raise ConfigError("schema_version", f"must be {SCHEMA_VERSION} (the run.json version "
                              f"this runtime reads), got {self.schema_version!r}")
        self.schema_version = SCHEMA_VERSION
        _text("run_id", self.run_id)
        self.model = _nested(ModelSpec, self.model, "model")
        _choice("method", self.method, METHODS)
        _choice("mode", self.mode, MODES)
        self.data = _nested(DataSpec, self.data, "data")
        self.params = _nested(TrainingParams, self.params, "params")
        _bool("merge", self.merge)
        if self.method == "qlora" and self.model.is_tiny_demo:
            raise ConfigError("method", "'qlora' needs a real Hugging Face model quantized to 4 bits "
                              "with bitsandbytes; the tiny demo model is plain PyTorch and cannot be "
                              "quantized. Use 'lora' or 'full' with localtune/tiny-demo")

    @classmethod
    def from_dict(cls, data: Any) -> "RunConfig":
        return _build(cls, data, "")

    def to_dict(self) -> dict:
        return asdict(self)


def _nested(cls, value: Any, prefix: str):
    if isinstance(value, cls):
        return value
    return _build(cls, value, prefix)


def load_run_config(run_dir: Path) -> RunConfig:
    """Read and validate DIR/run.json. Raises ConfigError naming the offending field."""
    path = Path(run_dir) / RUN_CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(RUN_CONFIG_FILE, f"was not found in {run_dir}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(RUN_CONFIG_FILE, f"is not valid JSON: {error.msg} at line {error.lineno} "
                          f"column {error.colno}") from None
    return RunConfig.from_dict(data)


def peek_run_identity(run_dir: Path) -> Tuple[str, bool]:
    """(run_id, demo) for events, even when run.json is broken: then the folder name and the
    model id as far as it can be read."""
    run_id, demo = Path(run_dir).resolve().name or "unknown", False
    try:
        data = json.loads((Path(run_dir) / RUN_CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return run_id, demo
    if isinstance(data, dict):
        if isinstance(data.get("run_id"), str) and data["run_id"].strip():
            run_id = data["run_id"]
        model = data.get("model")
        demo = isinstance(model, dict) and model.get("id") == TINY_DEMO_MODEL_ID
    return run_id, demo
