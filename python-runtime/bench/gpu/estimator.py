"""The estimator's prediction for a benchmark row, from the one estimator LocalTune has: the
TypeScript `localtune estimate` command (src/main/cli/commands/estimate.ts), called with --json.

The call describes the row exactly: model folder (or localtune/tiny-demo), method, precision and
attention as the run resolved them, max length, micro batch, accumulation, checkpointing, LoRA r
and alpha = 2r (targets all-linear, dropout 0.05: the CLI's fixed values and the harness's), the
GPU by name and memory, and --dataset pointing at rows longer than max_length, which the
estimator cuts to max_length like the measured rows (the dataset is also what gives it a time).
Without a GPU the CLI judges the machine it runs on.

Where the estimator cannot run, every estimate cell says why, in one line.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from .cases import BenchCase

TIMEOUT_S = 120


@dataclass
class Estimate:
    allocated: Optional[float] = None
    reserved: Optional[float] = None
    context: Optional[float] = None
    nvidia_smi: Optional[float] = None
    verdict: Optional[str] = None
    device_kind: Optional[str] = None
    s_per_step_low: Optional[float] = None
    s_per_step_high: Optional[float] = None
    time_note: str = ""
    problem: Optional[str] = None
    """Why there is no estimate; every estimate cell shows it."""


def default_command(repo: Path) -> Tuple[Optional[List[str]], Optional[str]]:
    """(argv prefix, None), or (None, why not)."""
    cli = repo / "bin" / "localtune.mjs"
    if shutil.which("node") is None:
        return None, "estimator unavailable: node is not installed (run --fill-estimates where it is)"
    if not cli.is_file():
        return None, f"estimator unavailable: {cli} not found (pass --estimate-cmd)"
    if not (repo / "out" / "main" / "cli.js").is_file():
        return None, f"estimator CLI not built: run `npx electron-vite build` in {repo}"
    return ["node", str(cli)], None


def parse_command(text: str) -> Tuple[Optional[List[str]], Optional[str]]:
    argv = shlex.split(text)
    if not argv:
        return None, "estimator unavailable: --estimate-cmd is empty"
    if shutil.which(argv[0]) is None and not Path(argv[0]).is_file():
        return None, f"estimator unavailable: {argv[0]} (from --estimate-cmd) not found"
    return argv, None


def arguments(case: BenchCase, precision: str, dataset: Path, gpu_name: Optional[str],
              gpu_gib: Optional[float]) -> List[str]:
    args = ["estimate", "--model", case.model.estimator_ref, "--method", case.method, "--precision", precision,
            "--attention", case.attention, "--max-length", str(case.max_length), "--micro-batch", str(case.micro_batch),
            "--grad-accum", str(case.grad_accum), "--lora-r", str(case.lora_r), "--lora-alpha", str(2 * case.lora_r),
            "--dataset", str(dataset), "--json"]
    if case.checkpointing:
        args.append("--checkpointing")
    if gpu_name:
        args += ["--gpu", gpu_name]
    if gpu_gib:
        args += ["--vram", f"{gpu_gib:.2f}"]
    return args


def read_estimate(report: dict) -> Estimate:
    """The fields the benchmark compares, from `localtune estimate --json`."""
    device = report["estimate"]["devices"][0]
    vram = device["vram"]
    context = next((term["bytes"] for term in vram["terms"] if term["key"] == "context"), None)
    estimate = Estimate(allocated=vram["allocatedBytes"], reserved=vram["reservedBytes"], context=context,
                        nvidia_smi=vram["nvidiaSmiBytes"], verdict=device["fit"]["verdict"],
                        device_kind=device["device"]["kind"])
    time = device.get("time")
    if time and time.get("optimizerSteps"):
        steps = time["optimizerSteps"]
        estimate.s_per_step_low = time["lowSeconds"] / steps
        estimate.s_per_step_high = time["highSeconds"] / steps
        estimate.time_note = time.get("basis", "")
    else:
        estimate.time_note = device.get("timeUnavailable") or "no time estimate"
    return estimate


def estimate(command: List[str], args: List[str], cwd: Path) -> Estimate:
    try:
        result = subprocess.run([*command, *args], cwd=str(cwd), capture_output=True, text=True,
                                timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Estimate(problem=f"estimator failed: no answer in {TIMEOUT_S} s")
    except OSError as error:
        return Estimate(problem=f"estimator unavailable: {error}")
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()] or ["(no message)"]
        message = lines[0]
        if "not built" in message:
            return Estimate(problem=f"estimator CLI not built: {message}")
        return Estimate(problem=f"estimator failed (exit {result.returncode}): {message[:200]}")
    try:
        return read_estimate(json.loads(result.stdout))
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return Estimate(problem=f"estimator failed: unexpected JSON ({type(error).__name__}: {error})")
