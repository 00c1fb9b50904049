"""Real-token throughput on a real CSV: LocalTune's recipe (padded, and packed) against a minimal
transformers.Trainer + peft script with the Trainer's usual causal-LM collation.

    cd python-runtime && .venv/bin/python -m bench.real_data_throughput [--rounds 3] [--steps 6] ...

Model: a real config.json (default SmolLM2-135M: Llama architecture, hidden 576, 49,152-row
vocabulary) with fewer layers and random weights, and Phi-3-mini's real tokenizer, written once to
a model folder by tests/model_factory.py; both sides load that folder with from_pretrained.
Data: ../shared/data/gpteacher-roleplay.csv, instruction (+ input) as the prompt, output as the
response; both sides train on the same token ids (the runtime's own tokenisation, loss on every
token), in fp32 on the CPU, LoRA r=16 on all linear layers, the same learning rate, batch and
length.

  localtune         `python -m localtune_runtime train` on the run folder, packing off: batches
                    padded to their longest row, in the run's order (longest batch first)
  localtune-packed  the same with packing on: examples packed greedily up to max_length, position
                    ids restarting per example so none attends to another
  trainer           Trainer(DataCollatorForLanguageModeling(mlm=False)): its random sampler,
                    rows padded to the batch's longest

Tokens/s counts only real tokens (attention mask 1) in the timed steps (after --warmup steps):
LocalTune's from its progress events, the Trainer's from a forward pre-hook on the model. The
three run one after another in each round (interleaved), so machine noise hits all of them; the
report gives each round's ratios and their spread.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

RUNTIME_ROOT = Path(__file__).resolve().parents[1]
SHARED = RUNTIME_ROOT.parent.parent / "shared" / "data"
CONFIGS = SHARED / "model-configs"


def read_csv_examples(path: Path, limit: int) -> list:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    examples = []
    for i, row in enumerate(rows, start=1):
        prompt = "### Instruction:\n" + row["instruction"].strip()
        if row.get("input", "").strip():
            prompt += "\n\n### Input:\n" + row["input"].strip()
        examples.append({"prompt": prompt + "\n\n### Response:\n", "response": row["output"].strip(), "row": i})
    return examples


def build_model_folder(out: Path, config: str, tokenizer: str, layers: int) -> Path:
    sys.path.insert(0, str(RUNTIME_ROOT / "tests"))
    from model_factory import build_model

    build_model(CONFIGS / config, tokenizer_dir=CONFIGS / tokenizer, out=out, layers=layers, resave_tokenizer=True)
    return out


def write_run(run_dir: Path, folder: Path, examples: list, args, packing: bool) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "train.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples), encoding="utf-8")
    params = {"max_length": args.max_length, "micro_batch_size": args.batch, "gradient_accumulation_steps": 1,
              "max_steps": args.warmup + args.steps, "learning_rate": 2e-4, "scheduler": "linear", "warmup_steps": 0,
              "weight_decay": 0.0, "max_grad_norm": 1.0, "packing": packing, "precision": "fp32", "attention": "sdpa",
              "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"},
              "train_on_response_only": False, "save_every_steps": 10_000, "log_every_steps": 1, "seed": args.seed}
    config = {"schema_version": 1, "run_id": f"bench-{run_dir.name}", "model": {"id": "bench/real-data", "path": str(folder)},
              "method": "lora", "mode": "chat", "data": {"train": "train.jsonl", "valid": None}, "params": params}
    (run_dir / "run.json").write_text(json.dumps(config), encoding="utf-8")
    return run_dir


def localtune_tokens_per_second(run_dir: Path, warmup: int, steps: int) -> float:
    env = {"PYTHONPATH": str(RUNTIME_ROOT), "CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "localtune_runtime", "train", "--run-dir", str(run_dir)],
                            capture_output=True, text=True, env=env, cwd=RUNTIME_ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"LocalTune run failed: {result.stdout[-1500:]}{result.stderr[-1500:]}")
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    progress = {e["step"]: e for e in events if e["type"] == "progress"}
    last = warmup + steps
    tokens = sum(progress[s]["tokens_per_second"] * (progress[s]["elapsed_seconds"] - progress[s - 1]["elapsed_seconds"])
                 for s in range(warmup + 1, last + 1))
    return tokens / (progress[last]["elapsed_seconds"] - progress[warmup]["elapsed_seconds"])


def tokenized_rows(run_dir: Path) -> list:
    """The run's examples as the runtime tokenizes them (prompt + response + EOS)."""
    from localtune_runtime.backends.hf import HFBackend
    from localtune_runtime.config import load_run_config
    from localtune_runtime.data import read_records, tokenize_records
    from localtune_runtime.precision import choose_compute

    config = load_run_config(run_dir)
    backend = HFBackend(config, choose_compute("fp32", prefer_cuda=False), lambda *a: None)
    tokenizer = backend.load_tokenizer()
    records = read_records(run_dir / "train.jsonl", "chat", False, "train.jsonl")
    examples, _ = tokenize_records(records, tokenizer, config.params.max_length)
    return [e.input_ids for e in examples], backend.hf_tokenizer


def trainer_tokens_per_second(folder: Path, rows: list, hf_tokenizer, work: Path, args) -> float:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (AutoModelForCausalLM, DataCollatorForLanguageModeling, Trainer, TrainerCallback,
                              TrainingArguments)

    start_step, end_step = args.warmup, args.warmup + args.steps
    counted = {"tokens": 0}
    marks = {}

    class Clock(TrainerCallback):
        def on_step_end(self, _args, state, control, **kwargs):
            if state.global_step in (start_step, end_step):
                marks[state.global_step] = (time.perf_counter(), counted["tokens"])

    torch.manual_seed(args.seed)
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="sdpa")
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear",
                                             bias="none", task_type="CAUSAL_LM"))

    def count_real_tokens(_module, _args, kwargs):
        counted["tokens"] += int(kwargs["attention_mask"].sum())

    model.register_forward_pre_hook(count_real_tokens, with_kwargs=True)
    dataset = [{"input_ids": ids} for ids in rows]
    training = TrainingArguments(
        output_dir=str(work / "trainer"), per_device_train_batch_size=args.batch, gradient_accumulation_steps=1,
        max_steps=end_step, learning_rate=2e-4, lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0,
        max_grad_norm=1.0, optim="adamw_torch", logging_strategy="no", save_strategy="no", eval_strategy="no",
        report_to="none", disable_tqdm=True, dataloader_num_workers=0, remove_unused_columns=False, seed=args.seed,
        use_cpu=True)
    collator = DataCollatorForLanguageModeling(hf_tokenizer, mlm=False)
    Trainer(model=model, args=training, train_dataset=dataset, data_collator=collator, callbacks=[Clock()]).train()
    (t0, n0), (t1, n1) = marks[start_step], marks[end_step]
    return (n1 - n0) / (t1 - t0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.real_data_throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=SHARED / "gpteacher-roleplay.csv")
    parser.add_argument("--rows", type=int, default=400, help="CSV rows used (from the top)")
    parser.add_argument("--config", default="HuggingFaceTB--SmolLM2-135M")
    parser.add_argument("--tokenizer", default="microsoft--Phi-3-mini-4k-instruct")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    import torch

    examples = read_csv_examples(args.csv, args.rows)
    results = []
    with tempfile.TemporaryDirectory(prefix="lt-bench-real-") as scratch:
        work = Path(scratch)
        folder = build_model_folder(work / "model", args.config, args.tokenizer, args.layers)
        rows, hf_tokenizer = tokenized_rows(write_run(work / "probe", folder, examples, args, False))
        lengths = sorted(len(r) for r in rows)
        print(f"data: {len(rows)} examples, {sum(lengths)} tokens, length min {lengths[0]} median "
              f"{lengths[len(lengths) // 2]} max {lengths[-1]} (cut at {args.max_length}); torch threads "
              f"{torch.get_num_threads()}", flush=True)
        for round_number in range(1, args.rounds + 1):
            padded = localtune_tokens_per_second(write_run(work / f"p{round_number}", folder, examples, args, False),
                                                 args.warmup, args.steps)
            baseline = trainer_tokens_per_second(folder, rows, hf_tokenizer, work / f"t{round_number}", args)
            packed = localtune_tokens_per_second(write_run(work / f"k{round_number}", folder, examples, args, True),
                                                 args.warmup, args.steps)
            row = {"round": round_number, "trainer": baseline, "localtune": padded, "localtune_packed": packed,
                   "ratio": padded / baseline, "ratio_packed": packed / baseline}
            results.append(row)
            print(f"round {round_number}: trainer {baseline:.1f} tok/s, localtune {padded:.1f} ({row['ratio']:.2f}x), "
                  f"packed {packed:.1f} ({row['ratio_packed']:.2f}x)", flush=True)
    for key in ("ratio", "ratio_packed"):
        values = [r[key] for r in results]
        print(f"{key}: median {median(values):.2f}, spread {min(values):.2f}-{max(values):.2f}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rounds": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
