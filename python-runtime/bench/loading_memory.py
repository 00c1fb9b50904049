"""Peak host memory while loading a bf16 checkpoint for training, per method and weights choice.

    cd python-runtime && .venv/bin/python -m bench.loading_memory [--config DIR] [--layers N]

A real config.json (default SmolLM2-135M, every layer) with random weights is saved in bf16 (as
published checkpoints are), with Phi-3-mini's tokenizer; then, each in a fresh subprocess, the
runtime's HFBackend loads it on the CPU as a run would. The figure is the process's peak resident
memory (ru_maxrss) minus its resident memory after the imports, just before loading. Run it with
another runtime on PYTHONPATH (e.g. an older checkout's python-runtime) for a before/after pair.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

RUNTIME_ROOT = Path(__file__).resolve().parents[1]
CONFIGS = RUNTIME_ROOT.parent.parent / "shared" / "data" / "model-configs"
VARIANTS = {"full-fp32-master": ("full", "fp32"), "full-pure-bf16": ("full", "bf16"), "lora": ("lora", "fp32")}


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def measure(variant: str, folder: Path) -> dict:
    import torch  # noqa: F401 - imported before the baseline, as a run has it
    import transformers  # noqa: F401

    from localtune_runtime.backends.hf import HFBackend
    from localtune_runtime.config import RunConfig
    from localtune_runtime.precision import choose_compute

    method, weights = VARIANTS[variant]
    params = {"max_length": 64}
    if weights == "bf16":
        params["full_weights"] = "bf16"
    config = RunConfig.from_dict({"schema_version": 1, "run_id": "load", "model": {"id": "bench/load", "path": str(folder)},
                                  "method": method, "mode": "generic", "data": {"train": "x"}, "params": params})
    try:
        compute = choose_compute("auto", prefer_cuda=False, full_weights=weights if method == "full" else "fp32")
    except TypeError:  # a runtime from before full_weights
        compute = choose_compute("auto", prefer_cuda=False)
    backend = HFBackend(config, compute, lambda *a: None)
    backend.load_tokenizer()
    before = _resident_bytes()
    model = backend.load_model()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    dtypes = sorted({str(p.dtype) for p in model.parameters()})
    return {"variant": variant, "peak_over_start_bytes": peak - before, "after_bytes": _resident_bytes() - before,
            "dtypes": dtypes, "parameters": sum(p.numel() for p in model.parameters())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loading_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=CONFIGS / "HuggingFaceTB--SmolLM2-135M")
    parser.add_argument("--tokenizer", type=Path, default=CONFIGS / "microsoft--Phi-3-mini-4k-instruct")
    parser.add_argument("--layers", type=int)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--measure", nargs=2, metavar=("VARIANT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return 0
    sys.path.insert(0, str(RUNTIME_ROOT / "tests"))
    from model_factory import build_model

    with tempfile.TemporaryDirectory(prefix="lt-bench-load-") as scratch:
        folder = Path(scratch) / "model"
        build_model(args.config, tokenizer_dir=args.tokenizer, out=folder, layers=args.layers, dtype="bfloat16")
        size = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
        print(f"checkpoint: {args.config.name}, bf16 safetensors {size / 2**20:.0f} MiB; runtime from "
              f"{os.environ.get('PYTHONPATH') or RUNTIME_ROOT}")
        for variant in args.variants.split(","):
            result = subprocess.run([sys.executable, "-m", "bench.loading_memory", "--measure", variant, str(folder)],
                                    capture_output=True, text=True, cwd=RUNTIME_ROOT,
                                    env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
            if result.returncode != 0:
                print(f"{variant}: failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")
                continue
            row = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{variant:17s} peak over start {row['peak_over_start_bytes'] / 2**20:7.0f} MiB, resident after "
                  f"{row['after_bytes'] / 2**20:7.0f} MiB, weights {'/'.join(row['dtypes'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
