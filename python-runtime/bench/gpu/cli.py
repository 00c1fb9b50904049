"""`python -m bench.gpu`: the GPU benchmark, one command.

For every configuration of the matrix (models × methods × max lengths × micro batches ×
checkpointing), in one process: LocalTune's training loop and a plain transformers.Trainer (+ peft)
on the same random-weight model and synthetic rows, tokens/s of each after warm-up; peak memory
(allocated, reserved, outside the allocator) against the estimator's prediction; time per step
against the estimator's range. Writes DIR/gpu-DATE.csv and the results section of DIR/gpu.md
(cpu-DATE.csv / cpu.md on the CPU). See docs/benchmarks/gpu.md for what each column means.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence

RUNTIME_ROOT = Path(__file__).resolve().parents[2]
REPO = RUNTIME_ROOT.parent
DEFAULT_OUT = REPO / "docs" / "benchmarks"
TITLES = {"gpu": "GPU benchmark: LocalTune's loop vs transformers.Trainer, and the estimator",
          "cpu": "CPU smoke run of the GPU benchmark harness"}


def _list(kind):
    def parse(text: str):
        try:
            values = [kind(part.strip()) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list") from None
        if not values:
            raise argparse.ArgumentTypeError("the list is empty")
        return values
    return parse


def _switches(text: str) -> List[bool]:
    values = []
    for part in _list(str)(text):
        if part.lower() not in ("on", "off"):
            raise argparse.ArgumentTypeError(f"--checkpointing takes on and/or off, got {part!r}")
        values.append(part.lower() == "on")
    return values


def _methods(text: str) -> List[str]:
    values = _list(str)(text)
    for value in values:
        if value not in ("lora", "full"):
            raise argparse.ArgumentTypeError(f"methods are lora and full, got {value!r} (qlora needs bitsandbytes, "
                                             "which the benchmark does not use)")
    return values


def _attentions(text: str) -> List[str]:
    values = _list(str)(text)
    for value in values:
        if value not in ("auto", "sdpa", "eager", "flash_attention_2"):
            raise argparse.ArgumentTypeError(f"attention is auto, sdpa, eager or flash_attention_2, got {value!r}")
    return values


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", type=_list(str), help="config folder names (meta-llama--Llama-3.2-1B or Llama-3.2-1B), "
                   "folder paths, tiny-demo, tiny-llama; default: the five bundled configs (--tiny: tiny-demo, "
                   "and tiny-llama where transformers, peft and accelerate are installed)")
    p.add_argument("--methods", type=_methods, help="lora,full (default both)")
    p.add_argument("--max-lengths", type=_list(int), help="default 512,2048 (--tiny: 64)")
    p.add_argument("--micro-batches", type=_list(int), help="default 1,4 (--tiny: 2)")
    p.add_argument("--checkpointing", type=_switches, help="off,on (default both)")
    p.add_argument("--attention", type=_attentions, help="auto,sdpa,eager,flash_attention_2: the kernel(s) both sides "
                   "use (default auto: sdpa)")
    p.add_argument("--grad-accum", type=int, default=1, help="micro batches per optimizer step (default 1)")
    p.add_argument("--lora-r", type=int, default=16, help="LoRA rank; alpha is 2r (default 16)")
    p.add_argument("--steps", type=int, help="timed optimizer steps per side (default 10; --tiny: 3)")
    p.add_argument("--warmup", type=int, help="untimed steps before them, at least 1 (default 3; --tiny: 1)")
    p.add_argument("--out", type=Path, help=f"folder for the CSV and the markdown (default {DEFAULT_OUT}; "
                   "--tiny: a new temporary folder)")
    p.add_argument("--device", choices=("cuda", "cpu"), help="default cuda (--tiny: cpu)")
    p.add_argument("--tiny", action="store_true", help="CPU smoke mode: tiny models, tiny shapes, seconds")
    p.add_argument("--models-dir", type=Path, action="append", default=[],
                   help="another folder of <name>/config.json to find models in; repeatable")
    p.add_argument("--estimate-cmd", help="the command that runs `localtune` (default: node <repo>/bin/localtune.mjs)")
    p.add_argument("--no-trainer", action="store_true", help="skip the transformers.Trainer baseline")
    p.add_argument("--budget-s", type=float, help="start no new configuration once this many seconds have passed "
                   "since the harness started; the CSV then says what is left and how to continue")
    p.add_argument("--append", type=Path, metavar="CSV",
                   help="continue this CSV: keep its rows, skip their configurations, write into it")
    p.add_argument("--fill-estimates", type=Path, metavar="CSV",
                   help="only (re)compute the estimator's cells of this CSV and its markdown (no training)")
    p.add_argument("--seed", type=int, default=42)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    started = time.monotonic()  # --budget-s counts from here: a caller's time limit covers the setup too
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    command = "python -m bench.gpu" + ("" if not argv else " " + " ".join(shlex.quote(a) for a in argv))
    if args.fill_estimates is not None:
        return fill_estimates(args)
    args.steps = args.steps if args.steps is not None else (3 if args.tiny else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.tiny else 3)
    problems = [text for bad, text in ((args.steps < 1, "--steps must be at least 1"),
                                       (args.warmup < 1, "--warmup must be at least 1 (timing starts after a warm-up step)"),
                                       (args.grad_accum < 1, "--grad-accum must be at least 1"),
                                       (args.lora_r < 1, "--lora-r must be at least 1")) if bad]
    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 2

    try:
        import torch
    except ImportError:
        print(f"error: the benchmark trains models and needs PyTorch, which this Python ({sys.executable}) "
              "does not have. (--fill-estimates works without it.)", file=sys.stderr)
        return 2

    device = args.device or ("cpu" if args.tiny else "cuda")
    if device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA GPU is available to this PyTorch. The benchmark measures GPUs; `--tiny` runs its "
              "CPU smoke test, `--device cpu` forces a CPU run.", file=sys.stderr)
        return 2
    hf_ready = all(importlib.util.find_spec(name) is not None for name in ("transformers", "peft", "accelerate"))
    from .cases import (DEFAULT_CHECKPOINTING, DEFAULT_MAX_LENGTHS, DEFAULT_METHODS, DEFAULT_MICRO_BATCHES,
                        DEFAULT_MODELS, TINY_DEMO, TINY_LLAMA, TINY_MAX_LENGTHS, TINY_MICRO_BATCHES,
                        ModelNotFound, build_matrix, default_models_dirs, resolve_model, row_key)

    if args.models:
        model_names = args.models
    elif args.tiny:
        model_names = [TINY_DEMO] + ([TINY_LLAMA] if hf_ready else [])
    else:
        model_names = list(DEFAULT_MODELS)
    if not hf_ready and any(name != TINY_DEMO for name in model_names):
        missing = [n for n in ("transformers", "peft", "accelerate") if importlib.util.find_spec(n) is None]
        print(f"error: real architectures need {', '.join(missing)}, not installed in this Python "
              f"({sys.executable}). `--tiny` runs the harness with the built-in demo model alone.", file=sys.stderr)
        return 2

    from . import environment, estimator, report
    from localtune_runtime.precision import choose_compute

    env = environment.describe(device, REPO)  # first CUDA use: it measures the context
    scratch = Path(tempfile.mkdtemp(prefix="localtune-bench-"))
    try:
        try:
            models = [resolve_model(name, [*args.models_dir, *default_models_dirs(RUNTIME_ROOT)], scratch)
                      for name in model_names]
        except ModelNotFound as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        sdpa = "sdpa"
        attentions = list(dict.fromkeys(sdpa if a == "auto" else a for a in (args.attention or ["auto"])))
        if "flash_attention_2" in attentions and (device != "cuda" or importlib.util.find_spec("flash_attn") is None
                                                  or any(m.is_tiny_demo for m in models)):
            print("error: flash_attention_2 needs CUDA, the flash-attn package and a transformers model "
                  "(not the tiny demo); without them both sides would silently use another kernel.", file=sys.stderr)
            return 2
        cases = build_matrix(models, args.methods or list(DEFAULT_METHODS),
                             args.max_lengths or list(TINY_MAX_LENGTHS if args.tiny else DEFAULT_MAX_LENGTHS),
                             args.micro_batches or list(TINY_MICRO_BATCHES if args.tiny else DEFAULT_MICRO_BATCHES),
                             args.checkpointing or list(DEFAULT_CHECKPOINTING), args.grad_accum, args.lora_r,
                             attentions)
        too_long = [c.label() for c in cases if c.model.is_tiny_demo and c.max_length > 1024]
        if too_long:
            print(f"error: the tiny demo model's context is 1024 tokens: {too_long[0]}", file=sys.stderr)
            return 2

        prefix = "gpu" if device == "cuda" else "cpu"
        out = args.out or (Path(tempfile.mkdtemp(prefix="localtune-bench-tiny-")) if args.tiny else DEFAULT_OUT)
        csv_path = args.append or (out / f"{prefix}-{env.date}.csv")
        md_path = csv_path.parent / f"{prefix}.md"
        rows: List[Dict[str, object]] = []
        if args.append is not None:
            if not args.append.is_file():
                print(f"error: --append {args.append}: no such file", file=sys.stderr)
                return 2
            rows = report.read_csv(args.append)
            mismatch = [f"{column} {rows[0].get(column)!r} there, {value!r} here"
                        for column, value in env.columns().items()
                        if column in ("device", "gpu", "torch", "transformers", "peft") and rows
                        and str(rows[0].get(column)) != str(value)]
            if mismatch:
                print(f"error: --append {args.append} was measured elsewhere ({'; '.join(mismatch)}); "
                      "start a new CSV instead.", file=sys.stderr)
                return 2
            done = {row_key(row) for row in rows}
            cases = [case for case in cases if case.key not in done]
        requested = len(rows) + len(cases)

        compute = choose_compute("auto", prefer_cuda=device == "cuda")
        precision = compute.precision

        # Estimates first, all at once: node uses the CPU, and the GPU timings should not share it.
        estimate_command, estimate_problem = (estimator.parse_command(args.estimate_cmd) if args.estimate_cmd
                                              else estimator.default_command(REPO))
        gpu_name = env.gpu if device == "cuda" else None
        gpu_gib = env.gpu_memory_bytes / 1024 ** 3 if device == "cuda" and env.gpu_memory_bytes else None

        datasets = {}
        if estimate_command is not None:  # written before the threads start: cases share them
            for case in cases:
                datasets.setdefault(case.key[2:5], _estimator_dataset(scratch, case))

        def estimate_for(case):
            if estimate_command is None:
                return estimator.Estimate(problem=estimate_problem)
            arguments = estimator.arguments(case, precision, datasets[case.key[2:5]], gpu_name, gpu_gib)
            return estimator.estimate(estimate_command, arguments, REPO)

        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            estimates = list(pool.map(estimate_for, cases))

        print(f"benchmark: {len(cases)} configurations on {env.gpu} ({precision}); output {csv_path}", file=sys.stderr)
        not_run: List[str] = []
        failures = 0
        for index, (case, estimate) in enumerate(zip(cases, estimates)):
            if args.budget_s is not None and time.monotonic() - started > args.budget_s:
                not_run = [c.label() for c in cases[index:]]
                print(f"time budget of {args.budget_s:g} s reached: {len(not_run)} configurations not run", file=sys.stderr)
                break
            print(f"[{index + 1}/{len(cases)}] {case.label()}", file=sys.stderr)
            row = _measure(case, estimate, scratch / f"case-{index:03d}", env, precision, args, command)
            if str(row.get("measured_fit")) == "failed":
                failures += 1
            rows.append(row)
            print("    " + _summary(row), file=sys.stderr)
            _write(rows, csv_path, md_path, prefix, requested, not_run, command, env, report)
        continue_with = None
        if not_run:
            continue_with = command if "--append" in argv else f"{command} --append {shlex.quote(str(csv_path))}"
        _write(rows, csv_path, md_path, prefix, requested, not_run, command, env, report, continue_with)
        print(f"wrote {csv_path} ({len(rows)} rows) and {md_path}")
        if continue_with:
            print(f"to measure the rest: {continue_with}")
        return 1 if failures else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _estimator_dataset(folder: Path, case) -> Path:
    """Rows for `localtune estimate --dataset`, as many as the measured runs have (see synthetic)."""
    from .synthetic import ROWS_PER_STEP_MULTIPLE, write_estimator_dataset

    return write_estimator_dataset(folder / "estimator-data" / f"{case.max_length}-{case.micro_batch}x{case.grad_accum}",
                                   case.micro_batch * case.grad_accum * ROWS_PER_STEP_MULTIPLE, case.max_length)


def _measure(case, estimate, work: Path, env, precision: str, args, command: str) -> Dict[str, object]:
    """Both sides of one configuration, one after the other, and the row that compares them."""
    from . import environment, localtune_side, trainer_side
    from .report import CPU_ROW, complete
    from .synthetic import ROWS_PER_STEP_MULTIPLE, make_rows

    rows = make_rows(case.model, case.micro_batch * case.grad_accum * ROWS_PER_STEP_MULTIPLE, case.max_length, args.seed)
    notes: List[str] = []
    row: Dict[str, object] = dict(env.columns())
    row.update(model=case.model.name, method=case.method, precision=precision, attention=case.attention,
               max_length=case.max_length, micro_batch=case.micro_batch, grad_accum=case.grad_accum,
               checkpointing="on" if case.checkpointing else "off", lora_r=case.lora_r if case.method == "lora" else "",
               steps=args.steps, warmup=args.warmup, tokens_per_step=case.tokens_per_step, command=command)
    cuda = env.device == "cuda"

    ours = localtune_side.run(case, rows, work / "localtune", env, args.steps, args.warmup, args.seed)
    if ours.status == "ok":
        row.update(localtune_tokens_per_s=round(ours.tokens_per_s, 1), localtune_s_per_step=round(ours.s_per_step, 6),
                   measured_fit="fits" if cuda else CPU_ROW)
    else:
        row.update(localtune_tokens_per_s=ours.status, localtune_s_per_step="",
                   measured_fit="out of memory" if ours.out_of_memory else "failed")
        if not ours.out_of_memory:
            log = (work / "localtune" / "output.log")
            tail = log.read_text(encoding="utf-8")[-3000:] if log.exists() else ""
            print(f"    LocalTune side: {ours.status}\n{tail}", file=sys.stderr)
    if cuda:
        if ours.status == "ok":
            row.update(peak_allocated_bytes=ours.peak_allocated, peak_reserved_bytes=ours.peak_reserved,
                       outside_allocator_bytes=ours.outside_allocator)
        else:
            row.update(peak_allocated_bytes=ours.status, peak_reserved_bytes=ours.status)
            if ours.peak_allocated is not None:
                notes.append(f"LocalTune before the failure: {ours.peak_allocated / 1024 ** 3:.2f} GiB allocated, "
                             f"{ours.peak_reserved / 1024 ** 3:.2f} GiB reserved at most")
        row["cuda_context_bytes"] = env.cuda_context_bytes
    else:
        for column in ("peak_allocated_bytes", "peak_reserved_bytes", "cuda_context_bytes", "outside_allocator_bytes"):
            row[column] = CPU_ROW
    left = environment.release(env.device)
    if left:
        notes.append(f"{left / 1024 ** 2:.0f} MiB still allocated after LocalTune's run")

    if args.no_trainer:
        theirs = trainer_side.TrainerResult(status="not run (--no-trainer)")
    else:
        theirs = trainer_side.run(case, rows, work, env, precision, args.steps, args.warmup, args.seed)
    if theirs.status == "ok":
        row.update(trainer_tokens_per_s=round(theirs.tokens_per_s, 1), trainer_s_per_step=round(theirs.s_per_step, 6))
    else:
        row.update(trainer_tokens_per_s=theirs.status, trainer_s_per_step="")
    if theirs.status == "ok":
        if cuda:
            row.update(trainer_peak_allocated_bytes=theirs.peak_allocated, trainer_peak_reserved_bytes=theirs.peak_reserved)
        else:
            row.update(trainer_peak_allocated_bytes=CPU_ROW, trainer_peak_reserved_bytes=CPU_ROW)
    elif theirs.status == "out of memory":
        row.update(trainer_peak_allocated_bytes=theirs.status, trainer_peak_reserved_bytes=theirs.status)
    left = environment.release(env.device)
    if left:
        notes.append(f"{left / 1024 ** 2:.0f} MiB still allocated after the Trainer's run")

    apply_estimate(row, estimate)
    if estimate.device_kind and estimate.device_kind != ("gpu" if cuda else "cpu"):
        notes.append(f"the estimator judged a {estimate.device_kind.upper()} (what its hardware detection found); "
                     f"this run was on the {'GPU' if cuda else 'CPU'}, so they are not compared")
    row["notes"] = "; ".join(notes)
    shutil.rmtree(work, ignore_errors=True)
    return complete(row)


def apply_estimate(row: Dict[str, object], estimate) -> None:
    cells = ("est_allocated_bytes", "est_reserved_bytes", "est_context_bytes", "est_nvidia_smi_bytes", "est_verdict",
             "est_device_kind", "est_s_per_step_low", "est_s_per_step_high", "est_time_basis")
    for cell in cells:
        row[cell] = ""
    if estimate.problem:
        for cell in ("est_allocated_bytes", "est_verdict", "est_s_per_step_low"):
            row[cell] = estimate.problem
        return
    row.update(est_allocated_bytes=int(estimate.allocated), est_reserved_bytes=int(estimate.reserved),
               est_context_bytes=int(estimate.context) if estimate.context is not None else "",
               est_nvidia_smi_bytes=int(estimate.nvidia_smi), est_verdict=estimate.verdict,
               est_device_kind=estimate.device_kind, est_time_basis=estimate.time_note)
    if estimate.s_per_step_low is not None:
        row.update(est_s_per_step_low=round(estimate.s_per_step_low, 6), est_s_per_step_high=round(estimate.s_per_step_high, 6))
    else:
        row["est_s_per_step_low"] = f"time not estimated: {estimate.time_note}"


def _summary(row: Dict[str, object]) -> str:
    from .report import number

    def show(value):
        n = number(value)
        return f"{n:,.0f} tokens/s" if n is not None else str(value)

    parts = [f"LocalTune {show(row.get('localtune_tokens_per_s'))}", f"Trainer {show(row.get('trainer_tokens_per_s'))}"]
    if row.get("ratio") not in ("", None):
        parts.append(f"ratio {row['ratio']}")
    for label, column in (("allocated", "allocated_error_pct"), ("reserved", "reserved_error_pct")):
        if row.get(column) not in ("", None):
            parts.append(f"{label} estimate {float(row[column]):+.1f} %")
    if row.get("time_vs_estimate"):
        parts.append(f"time {row['time_vs_estimate']}")
    return "; ".join(parts)


def _write(rows, csv_path, md_path, prefix, requested, not_run, command, env, report, continue_with=None) -> None:
    report.write_csv(csv_path, rows)
    section = report.results_section(rows, csv_path.name, requested=requested, not_run=not_run,
                                     continue_with=continue_with, notes=env.notes)
    report.update_markdown(md_path, section, TITLES[prefix])


def fill_estimates(args) -> int:
    """Recompute the estimator's cells of a CSV (e.g. measured on a GPU machine without node)."""
    from . import estimator, report
    from .cases import BenchCase, ModelNotFound, default_models_dirs, resolve_model

    path = args.fill_estimates
    if not path.is_file():
        print(f"error: --fill-estimates {path}: no such file", file=sys.stderr)
        return 2
    rows = report.read_csv(path)
    command, problem = (estimator.parse_command(args.estimate_cmd) if args.estimate_cmd
                        else estimator.default_command(REPO))
    if command is None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="localtune-bench-fill-"))
    try:
        for row in rows:
            try:
                model = resolve_model(str(row["model"]), [*args.models_dir, *default_models_dirs(RUNTIME_ROOT)], scratch)
            except ModelNotFound as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            case = BenchCase(model, str(row["method"]), int(row["max_length"]), int(row["micro_batch"]),
                             int(row["grad_accum"]), str(row["checkpointing"]) == "on",
                             int(row["lora_r"]) if row.get("lora_r") else 16, str(row["attention"]))
            dataset = _estimator_dataset(scratch, case)
            cuda = row.get("device") == "cuda"
            memory = report.number(row.get("gpu_memory_bytes"))
            result = estimator.estimate(command, estimator.arguments(
                case, str(row["precision"]), dataset, str(row["gpu"]) if cuda else None,
                memory / 1024 ** 3 if cuda and memory else None), REPO)
            apply_estimate(row, result)
            report.complete(row)
        report.write_csv(path, rows)
        prefix = "gpu" if rows and rows[0].get("device") == "cuda" else "cpu"
        md_path = path.parent / f"{prefix}.md"
        report.update_markdown(md_path, report.results_section(rows, path.name), TITLES[prefix])
        print(f"filled the estimates of {len(rows)} rows in {path} and {md_path}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
