"""The run configuration: `run.json`, written by the app, read here.

Every field is a dataclass field with a docstring (the docstring is the documentation of the
setting). The rules (types, ranges, choices, unknown keys) are not here: they are defined once, in
the app's zod schema `src/shared/run-config/run-config-schema.ts`, generated into
`run.schema.json` (`npm run protocol:generate`) and checked with the jsonschema library, both on
the raw run.json and in each dataclass's `__post_init__`, so a config object that exists is a
valid one. Errors name the field the way the app shows it, e.g.
`params.learning_rate must be > 0, got -1`. The one rule across fields (QLoRA needs a real model)
is code, here and in the zod file's `runConfigProblems`.

Both sides are tested against `tests/fixtures/run-v1.json`, `run-v1-invalid.json` and
`training-params-defaults-v1.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

from .protocol_schema import dotted, first_problem, schema_validator, show

SCHEMA_VERSION = 1
SCHEMA_FILE = "run.schema.json"
TINY_DEMO_MODEL_ID = "localtune/tiny-demo"
RUN_CONFIG_FILE = "run.json"
FINAL_DIR = "final"  # the run folder's finished model, written by train, read by generate


class ConfigError(ValueError):
    """A setting in run.json is missing, unknown or out of range. `field` is its dotted path."""

    def __init__(self, field_path: str, problem: str):
        self.field = field_path
        self.problem = problem
        super().__init__(f"{field_path} {problem}")

    def under(self, prefix: str) -> "ConfigError":
        return ConfigError(f"{prefix}.{self.field}", self.problem)


def _check(data: Any, definition: Optional[str] = None, root: str = RUN_CONFIG_FILE) -> None:
    """Raise ConfigError for the first problem of `data` against run.schema.json (the whole file,
    or one of its `$defs`)."""
    problem = first_problem(schema_validator(SCHEMA_FILE, definition), data, "is not a known setting")
    if problem:
        raise ConfigError(dotted(problem.path, root), problem.text)


def _validate_fields(instance: Any, definition: Optional[str]) -> None:
    """Check a dataclass's fields against its schema, then store integral floats (4.0, valid
    JSON Schema integers, as in JavaScript) as ints."""
    data = {f.name: asdict(v) if is_dataclass(v) else v for f in fields(instance) for v in [getattr(instance, f.name)]}
    _check(data, definition, type(instance).__name__)
    for f in fields(instance):
        value = getattr(instance, f.name)
        if f.type in ("int", "Optional[int]") and isinstance(value, float):
            setattr(instance, f.name, int(value))


def _build(cls, data: Any, prefix: str):
    """Build dataclass `cls` from a JSON object, naming unknown or missing keys by their path."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(prefix or RUN_CONFIG_FILE, f"must be an object, got {show(data)}")
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
        _validate_fields(self, "loraParams")


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
    full_weights: str = "fp32"
    """Full finetuning: "fp32" master weights under bf16/fp16 autocast, or pure "bf16" weights,
    gradients and AdamW state (half the memory; updates below bf16's precision round away)."""
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
        # A partial dict of LoRA settings takes the defaults for the rest, as in run.json.
        self.lora = _build(LoraParams, self.lora, "lora")
        _validate_fields(self, "trainingParams")

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
        _validate_fields(self, "modelSpec")

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
        _validate_fields(self, "dataSpec")


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
        self.model = _build(ModelSpec, self.model, "model")
        self.data = _build(DataSpec, self.data, "data")
        self.params = _build(TrainingParams, self.params, "params")
        _validate_fields(self, None)
        # The one rule across fields; JSON Schema could say it only as an unreadable if/then, so
        # it is code here and in runConfigProblems (run-config-schema.ts).
        if self.method == "qlora" and self.model.is_tiny_demo:
            raise ConfigError("method", "'qlora' needs a real Hugging Face model quantized to 4 bits "
                              "with bitsandbytes; the tiny demo model is plain PyTorch and cannot be "
                              "quantized. Use 'lora' or 'full' with localtune/tiny-demo")

    @classmethod
    def from_dict(cls, data: Any) -> "RunConfig":
        _check(data)  # the raw file first: every rule, with the file's own paths
        return _build(cls, data, "")

    def to_dict(self) -> dict:
        return asdict(self)


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
