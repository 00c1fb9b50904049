"""Small trained models for the export tests (pytest here, vitest in tests/main/core/exports).

Not tests themselves: helpers, importable by the export tests and runnable as a script:

    python tests/test_export_models.py --shape llama|qwen2|smollm2 --run-dir DIR [--train FILE] [--steps N]
    python tests/test_export_models.py --shape llama|qwen2|smollm2 --base-dir DIR

builds a random-weight model of that architecture in DIR/../base-SHAPE (the real tokenizer files
from ../shared/data/model-configs, small hidden sizes), writes a run folder DIR with run.json and
train.jsonl, trains a LoRA adapter on it with the runtime's own `train` command and prints
{"run_dir", "model_dir"} as JSON. With --base-dir it only builds the base model there and prints
{"model_dir"} (the app's own tests then train it through the app). Nothing is downloaded.

Shapes:
- llama: LlamaForCausalLM, 2 layers, hidden 64, GQA (4 heads, 2 KV heads), untied output, vocab
  padded to 32064 like Phi-3's config. Tokenizer: Phi-3-mini's tokenizer.json (Llama 2's 32000
  SentencePiece pieces plus chat tokens) with Llama 2's settings: BOS added, EOS </s>.
- qwen2: Qwen2ForCausalLM (q/k/v biases), 2 layers, hidden 64, tied embeddings, vocab padded to
  50304. Tokenizer: GPT-2's byte-level BPE (Qwen2.5's own tokenizer.json is not in the test data),
  no BOS, EOS <|endoftext|>.
- smollm2: SmolLM2-135M's real config (30 layers, hidden 576, tied embeddings, its 49152-row
  vocabulary: 134.5M parameters) in bf16 like the published checkpoint, with the llama shape's
  tokenizer (32064 ids fit): for file sizes at a real model's scale, not for the per-test runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

RUNTIME_ROOT = Path(__file__).resolve().parents[1]
MODEL_CONFIGS = RUNTIME_ROOT.parent.parent / "shared" / "data" / "model-configs"
PHI3 = MODEL_CONFIGS / "microsoft--Phi-3-mini-4k-instruct"
GPT2 = MODEL_CONFIGS / "openai-community--gpt2"
SMOLLM2 = MODEL_CONFIGS / "HuggingFaceTB--SmolLM2-135M"

PREAMBLE = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
COLOURS = ["red", "blue", "green", "gold", "gray", "pink", "teal", "plum"]


def model_configs_available() -> bool:
    return (PHI3 / "tokenizer.json").is_file() and (GPT2 / "tokenizer.json").is_file()


def localtune_examples(count: int, start: int = 0) -> list:
    """Examples in the LocalTune format, as src/shared/dataset/training-format.ts writes them
    (prompt up to "### Response:", the response starting with its space)."""
    return [{"prompt": f"{PREAMBLE}\n### Instruction: What colour is item {i}?\n### Response:",
             "response": f" Item {i} is {COLOURS[i % len(COLOURS)]}.", "row": i + 1} for i in range(start, start + count)]


def write_tokenizer(shape: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if shape in ("llama", "smollm2"):
        shutil.copy(PHI3 / "tokenizer.json", folder / "tokenizer.json")
        config = json.loads((PHI3 / "tokenizer_config.json").read_text(encoding="utf-8"))
        config.update({"add_bos_token": True, "eos_token": "</s>", "pad_token": None, "padding_side": "right"})
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    else:
        shutil.copy(GPT2 / "tokenizer.json", folder / "tokenizer.json")
        config = {"model_max_length": 1024, "tokenizer_class": "GPT2Tokenizer", "bos_token": None,
                  "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "add_bos_token": False}
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


def build_base_model(shape: str, folder: Path, seed: int = 0) -> Path:
    """A random-weight model of the shape, saved with save_pretrained, plus its tokenizer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig, Qwen2Config

    if (folder / "config.json").is_file():
        return folder
    write_tokenizer(shape, folder)
    if shape == "llama":
        config = LlamaConfig(vocab_size=32064, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                             bos_token_id=1, eos_token_id=2, tie_word_embeddings=False, rms_norm_eps=1e-5,
                             # 0.1 rather than 0.02: a frozen random output layer then lets LoRA make
                             # confident predictions, so greedy answers are not near ties.
                             initializer_range=0.1)
    elif shape == "qwen2":
        config = Qwen2Config(vocab_size=50304, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                             bos_token_id=None, eos_token_id=50256, tie_word_embeddings=True, rms_norm_eps=1e-6,
                             initializer_range=0.1)
    elif shape == "smollm2":
        config = AutoConfig.from_pretrained(SMOLLM2)
        config.bos_token_id, config.eos_token_id, config.pad_token_id = 1, 2, None
    else:
        raise ValueError(f"unknown shape {shape}")
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    if shape == "smollm2":
        model = model.to(torch.bfloat16)  # as published
    model.save_pretrained(folder)
    return folder


def make_run(run_dir: Path, model_dir: Path, examples: list, steps: int, method: str = "lora") -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "train.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples), encoding="utf-8")
    config = {"schema_version": 1, "run_id": run_dir.name, "model": {"id": f"local/{model_dir.name}", "path": str(model_dir)},
              "method": method, "mode": "chat", "data": {"train": "train.jsonl", "valid": None},
              "params": {"max_length": 128, "micro_batch_size": 8, "max_steps": steps, "learning_rate": 1e-2,
                         "warmup_steps": 2, "save_every_steps": steps, "eval_every_steps": steps, "seed": 1,
                         "lora": {"r": 8, "alpha": 16, "dropout": 0.0}}}
    (run_dir / "run.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return run_dir


def train(run_dir: Path, python: str = sys.executable) -> None:
    env = {**__import__("os").environ, "PYTHONPATH": str(RUNTIME_ROOT)}
    result = subprocess.run([python, "-m", "localtune_runtime", "train", "--run-dir", str(run_dir)], cwd=RUNTIME_ROOT,
                            env=env, input="", capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"training {run_dir} failed:\n{result.stderr[-4000:]}")


def trained_run(shape: str, run_dir: Path, examples: list, steps: int = 40) -> Path:
    model_dir = build_base_model(shape, run_dir.parent / f"base-{shape}")
    make_run(run_dir, model_dir, examples, steps)
    train(run_dir)
    return run_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=("llama", "qwen2", "smollm2"), required=True)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--run-dir", type=Path)
    target.add_argument("--base-dir", type=Path)
    parser.add_argument("--train", type=Path, default=None, help="train.jsonl to use (default: built-in examples)")
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    if args.base_dir:
        print(json.dumps({"model_dir": str(build_base_model(args.shape, args.base_dir.resolve()))}))
        return 0
    examples = ([json.loads(line) for line in args.train.read_text(encoding="utf-8").splitlines() if line.strip()]
                if args.train else localtune_examples(16))
    run_dir = trained_run(args.shape, args.run_dir.resolve(), examples, args.steps)
    print(json.dumps({"run_dir": str(run_dir), "model_dir": str(run_dir.parent / f"base-{args.shape}")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
