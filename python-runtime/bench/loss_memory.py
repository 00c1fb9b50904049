"""Peak host memory of one forward + backward, the textbook loss against LocalTune's chunked loss.

    cd python-runtime && .venv/bin/python -m bench.loss_memory [--config DIR] [--layers 2] [--batch 4] [--length 512]

A real config.json (default Qwen2.5-0.5B: 151,936-row vocabulary, hidden 896) with fewer layers
and random weights, on the CPU in fp32, LoRA r=16 on all linear layers. Each variant runs in a
fresh subprocess; the figure is the process's peak resident memory (ru_maxrss) during the step
minus its resident memory just before it (model, optimizer-free, batch already built).
  textbook: model(...).logits, then cross-entropy of logits[:, :-1].float() against labels[:, 1:]
  chunked:  localtune_runtime.loss.token_loss_sum on the backend's loss_inputs (hidden states +
            lm_head, 1024 labelled tokens per chunk, recomputed in backward)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).resolve().parents[3] / "shared" / "data" / "model-configs" / "Qwen--Qwen2.5-0.5B"


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def measure(variant: str, config_dir: Path, layers: int, batch: int, length: int) -> dict:
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    from localtune_runtime.backends.hf import HFBackend
    from localtune_runtime.config import RunConfig
    from localtune_runtime.data import IGNORE, TrainingSequence, collate
    from localtune_runtime.loss import token_loss_sum
    from localtune_runtime.precision import choose_compute

    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(str(config_dir))
    config.num_hidden_layers = layers
    if getattr(config, "layer_types", None):
        config.layer_types = list(config.layer_types[:layers])
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"))
    run = RunConfig.from_dict({"schema_version": 1, "run_id": "m", "model": {"id": "bench/loss", "path": None},
                               "method": "lora", "mode": "generic", "data": {"train": "x"}, "params": {"max_length": length}})
    backend = HFBackend(run, choose_compute("fp32", prefer_cuda=False), lambda *a: None)
    backend.model = model
    rows = torch.randint(0, config.vocab_size, (batch, length)).tolist()
    data = collate([TrainingSequence(r, [IGNORE] + r[1:], list(range(length))) for r in rows], 0, False)
    before = _resident_bytes()
    if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 > before:
        # Building the model peaked above today's resident size: free that high-water mark's
        # cause is gone, but ru_maxrss cannot be reset, so say so rather than under-report.
        note = "set-up peak above start"
    else:
        note = ""
    if variant == "textbook":
        logits = backend.logits(data)
        vocab = logits.size(-1)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab).float(), data.labels[:, 1:].reshape(-1),
                               ignore_index=IGNORE, reduction="sum")
    else:
        outputs, head = backend.loss_inputs(data)
        loss = token_loss_sum(outputs, data.labels, head)
    loss.backward()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"variant": variant, "loss": float(loss), "peak_over_start_bytes": peak - before,
            "note": note, "vocab": config.vocab_size, "hidden": config.hidden_size, "layers": layers, "batch": batch, "length": length}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loss_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--variant", choices=("textbook", "chunked"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.variant:
        print(json.dumps(measure(args.variant, args.config, args.layers, args.batch, args.length)))
        return 0
    for variant in ("textbook", "chunked"):
        command = [sys.executable, "-m", "bench.loss_memory", "--variant", variant, "--config", str(args.config),
                   "--layers", str(args.layers), "--batch", str(args.batch), "--length", str(args.length)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        if result.returncode != 0:
            print(result.stderr[-2000:], file=sys.stderr)
            return 1
        row = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{variant:9s} peak over start {row['peak_over_start_bytes'] / 2**30:.2f} GiB  loss {row['loss']:.3f}  "
              f"({row['layers']} layers, hidden {row['hidden']}, vocab {row['vocab']}, {row['batch']} x {row['length']}) {row['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
