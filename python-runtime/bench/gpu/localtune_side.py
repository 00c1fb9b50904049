"""LocalTune's side of a benchmark row: the real recipe (`train.train`), top to bottom.

The harness writes a run folder (run.json + train.jsonl of synthetic rows) and calls `train()`
in this process, exactly as `python -m localtune_runtime train` does, with two swaps the harness
makes for one run (`_recipe_on`; the installed runtime has no parameters for them): Hugging Face architectures come from `RandomWeightsBackend`
(`HFBackend` with the base model built from config.json with random weights instead of loaded
from disk, and a tokenizer that reads the synthetic ids), and `--device cpu` keeps the run on
the CPU. The tiny demo model needs neither: it is built from a seed anyway.

Throughput comes from the run's own progress events (one per step): `elapsed_seconds` is taken
after each step returns, and the loop synchronises with the device in every step (`loss.item()`,
the gradient norm), so the time between step W (the end of the warm-up) and the last step is
wall time of finished GPU work.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from localtune_runtime.backends.base import FinalOutputs
from localtune_runtime.backends.hf import HFBackend, require_packages, set_offline_mode
from localtune_runtime.events import EVENTS_FILE, read_events
from localtune_runtime.stop import StopRequest
from localtune_runtime.terminal import Terminal
from localtune_runtime.precision import choose_compute
import localtune_runtime.train as training_loop
from . import environment
from .cases import BenchCase
from .synthetic import TokenIdTokenizer, rows_as_text, vocabulary, write_train_jsonl

LEARNING_RATE = {"tiny-demo": 3e-3, "tiny-llama": 1e-3}  # real architectures: 2e-4 (the app's default)


def learning_rate(case: BenchCase) -> float:
    return LEARNING_RATE.get(case.model.name, 2e-4)


def build_random_model(folder: Path, dtype: torch.dtype, attn_implementation: str, device: torch.device):
    """The architecture of folder/config.json with random weights, made on `device` directly (a
    default-device context), so an 8B model is not initialised on the CPU."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(str(folder))
    on_device = device.type == "cuda"
    if on_device:
        with torch.device(device):
            model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn_implementation)
    else:
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn_implementation)
    return model.to(device)


class RandomWeightsBackend(HFBackend):
    """LocalTune's Hugging Face backend, unchanged but for where the base model and the tokenizer
    come from. LoRA, gradient checkpointing, attention choice, dtypes and the forward pass are
    HFBackend's own."""

    def __init__(self, config, compute, warn, folder: Path, eos_id: int):
        super().__init__(config, compute, warn)
        self.folder = folder
        self.eos_id = eos_id

    def load_tokenizer(self):
        require_packages(self.method)
        set_offline_mode(allow_downloads=False)
        self.tokenizer = TokenIdTokenizer(self.eos_id)
        return self.tokenizer

    def _load_base_model(self):
        kwargs = self._model_kwargs()
        return build_random_model(self.folder, kwargs["dtype"], kwargs["attn_implementation"], self.device)

    def save_final(self, folder, run_dir, merge, warn) -> FinalOutputs:
        # Random weights are not worth gigabytes of disk; the run's timing ended at the last step.
        return FinalOutputs(load_instructions="Benchmark run with random weights: nothing was saved.")



@contextlib.contextmanager
def _recipe_on(device: str, factory):
    """Trains through the app's own recipe with two swaps, for one run: the backend factory (random
    weights from a config, no files) and the device the harness measures. The installed runtime
    has no parameters for either; the harness replaces the recipe's two module-level names."""
    saved_backend, saved_compute = training_loop.create_backend, training_loop.choose_compute
    if factory is not None:
        training_loop.create_backend = factory
    training_loop.choose_compute = lambda requested, prefer_cuda=True, full_weights="fp32", cuda_index=0: choose_compute(
        requested, device == "cuda", full_weights, cuda_index)
    try:
        yield
    finally:
        training_loop.create_backend, training_loop.choose_compute = saved_backend, saved_compute

@dataclass
class LocalTuneResult:
    status: str
    """"ok", or why there is no throughput (e.g. "out of memory at step 1")."""
    tokens_per_s: Optional[float] = None
    s_per_step: Optional[float] = None
    peak_allocated: Optional[int] = None
    peak_reserved: Optional[int] = None
    outside_allocator: Optional[int] = None
    out_of_memory: bool = False
    note: str = ""


def write_run_folder(run_dir: Path, case: BenchCase, texts, steps: int, warmup: int, seed: int) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_train_jsonl(run_dir / "train.jsonl", texts)
    total = warmup + steps
    config = {
        "schema_version": 1, "run_id": f"bench-{run_dir.name}",
        "model": {"id": case.model.run_model_id, "path": None},
        "method": case.method, "mode": "generic", "data": {"train": "train.jsonl", "valid": None},
        "params": {
            "max_length": case.max_length, "micro_batch_size": case.micro_batch,
            "gradient_accumulation_steps": case.grad_accum, "max_steps": total,
            "learning_rate": learning_rate(case), "scheduler": "linear", "warmup_steps": 0,
            "weight_decay": 0.0, "max_grad_norm": 1.0,
            "lora": {"r": case.lora_r, "alpha": 2 * case.lora_r, "dropout": 0.05, "target_modules": "all-linear"},
            "gradient_checkpointing": case.checkpointing, "packing": False, "precision": "auto",
            "attention": case.attention, "save_every_steps": total, "keep_checkpoints": 1, "seed": seed,
            "log_every_steps": 1,
        },
        "merge": False,
    }
    (run_dir / "run.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


def run(case: BenchCase, rows, run_dir: Path, env: environment.Environment, steps: int, warmup: int,
        seed: int) -> LocalTuneResult:
    write_run_folder(run_dir, case, rows_as_text(case.model, rows), steps, warmup, seed)
    factory = None
    if not case.model.is_tiny_demo:
        _, eos = vocabulary(case.model)
        folder = case.model.folder

        def factory(config, compute, warn):
            return RandomWeightsBackend(config, compute, warn, folder, eos)

    log = io.StringIO()
    stop = StopRequest()
    stop.stop_after_step = None  # LOCALTUNE_STOP_AFTER_STEP in the environment must not cut the run short
    environment.reset_peaks(env.device)
    with _recipe_on(env.device, factory):
        code = training_loop.train(run_dir, False, stop, Terminal(log))
    memory = environment.peaks(env.device)
    outside = environment.outside_allocator_bytes(env)
    (run_dir / "output.log").write_text(log.getvalue(), encoding="utf-8")
    if code == 130:
        raise KeyboardInterrupt("the benchmark was interrupted")
    events = read_events(run_dir)
    result = LocalTuneResult(status="ok", peak_allocated=memory["allocated"], peak_reserved=memory["reserved"],
                             outside_allocator=outside)
    errors = [e for e in events if e["type"] == "error"]
    if code != 0 or errors:
        error = errors[-1] if errors else {"kind": "internal", "message": f"exit code {code}", "step": None}
        result.out_of_memory = error["kind"] == "out_of_memory"
        where = f" at step {error['step']}" if error.get("step") else ""
        result.status = ("out of memory" + where) if result.out_of_memory else \
            f"failed ({error['kind']}){where}: {error['message'].splitlines()[0][:200]}"
        return result
    progress = {e["step"]: e for e in events if e["type"] == "progress"}
    last = warmup + steps
    if any(step not in progress for step in range(warmup, last + 1)):
        result.status = f"failed: progress events for steps {warmup} to {last} are missing from {EVENTS_FILE}"
        return result
    seconds = progress[last]["elapsed_seconds"] - progress[warmup]["elapsed_seconds"]
    # The loop's own count of the tokens it trained on (tokens/s × its window) must be the rows'
    # length: otherwise the data was cut or padded and the figures would describe another workload.
    counted = sum(progress[step]["tokens_per_second"]
                  * (progress[step]["elapsed_seconds"] - progress[step - 1]["elapsed_seconds"])
                  for step in range(warmup + 1, last + 1))
    expected = case.tokens_per_step * steps
    if abs(counted - expected) > 0.01 * expected:
        result.status = (f"failed: the loop trained on {counted:.0f} tokens in the timed steps, "
                         f"not the {expected} the rows hold")
        return result
    result.s_per_step = seconds / steps
    result.tokens_per_s = case.tokens_per_step * steps / seconds if seconds > 0 else None
    return result
