"""Real architectures, random weights, real tokenizer files: built at test time by model_factory
(nothing is downloaded) and trained through the runtime's CLI, as the app runs it.

Needs transformers, peft and tokenizers (the app's runtime venv), and the real configs in
../shared/data/model-configs beside the repository; fails with one line otherwise.
"""

import importlib.util
import json
import os
from pathlib import Path

import pytest

# A runtime or checkout without these fails here rather than skipping: a skipped test protects nothing.
MISSING = [name for name in ("transformers", "peft", "tokenizers", "safetensors") if importlib.util.find_spec(name) is None]
if MISSING:
    pytest.fail(f"real-architecture tests need {', '.join(MISSING)}: run npm run runtime:setup -- --cpu --with-tests", pytrace=False)

CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "model-configs"
if not (CONFIGS / "HuggingFaceTB--SmolLM2-135M" / "config.json").is_file():
    pytest.fail(f"the real model configs are not at {CONFIGS} (shared/ belongs beside the repository)", pytrace=False)

import torch  # noqa: E402

from conftest import chat_examples, losses_by_step, make_run, of_type, read_events, run_cli, runtime_env  # noqa: E402
from model_factory import ModelFactoryError, build_model  # noqa: E402

SMOLLM2 = CONFIGS / "HuggingFaceTB--SmolLM2-135M"
QWEN25 = CONFIGS / "Qwen--Qwen2.5-0.5B"
PHI3_TOKENIZER = CONFIGS / "microsoft--Phi-3-mini-4k-instruct"
GPT2_TOKENIZER = CONFIGS / "openai-community--gpt2"

PARAMS = {"max_length": 64, "micro_batch_size": 4, "max_steps": 8, "learning_rate": 1e-2, "warmup_steps": 0,
          "save_every_steps": 4, "eval_every_steps": 4, "lora": {"r": 8, "alpha": 16, "dropout": 0.0}}


def _train(run_dir):
    result = run_cli("train", "--run-dir", str(run_dir), env=runtime_env(HF_HUB_OFFLINE="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    return read_events(run_dir)


def _falls(events) -> None:
    losses = losses_by_step(events)
    first = sum(losses[s] for s in (1, 2)) / 2
    last = sum(losses[s] for s in (7, 8)) / 2
    assert last < first - 0.3, f"the loss should fall: {losses}"


def test_smollm2_at_real_size_has_its_exact_parameter_count(tmp_path):
    """134,515,008: SmolLM2-135M with its embedding tied to the output layer, counted once, which
    is also what the safetensors header holds (the app's catalog reads that)."""
    from safetensors import safe_open

    built = build_model(SMOLLM2, tokenizer_dir=PHI3_TOKENIZER, out=tmp_path / "smol", dtype="bfloat16")
    assert built.parameters == 134_515_008
    assert (built.model_type, built.num_layers, built.hidden_size, built.vocab_size) == ("llama", 30, 576, 49152)
    with safe_open(str(tmp_path / "smol" / "model.safetensors"), "pt") as weights:
        assert sum(_numel(weights.get_slice(name).get_shape()) for name in weights.keys()) == 134_515_008
    assert json.loads((tmp_path / "smol" / "config.json").read_text())["tie_word_embeddings"] is True


def _numel(shape) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


def test_the_hub_cache_layout_is_huggingface_hubs(tmp_path):
    """blobs named by SHA-256, snapshot files linking into them, refs/main naming the snapshot;
    transformers loads it by id, offline, from HF_HOME."""
    built = build_model(QWEN25, tokenizer_dir=GPT2_TOKENIZER, hf_home=tmp_path / "hf", repo_id="Qwen/Qwen2.5-0.5B",
                        layers=2, hidden=64, heads=4)
    repo = tmp_path / "hf" / "hub" / "models--Qwen--Qwen2.5-0.5B"
    assert (repo / "refs" / "main").read_text() == built.revision and len(built.revision) == 40
    snapshot = repo / "snapshots" / built.revision
    assert built.snapshot == snapshot
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        target = (snapshot / name).resolve()
        assert target.parent == (repo / "blobs").resolve(), name
    import subprocess
    import sys

    script = ("from transformers import AutoConfig, AutoTokenizer\n"
              "c = AutoConfig.from_pretrained('Qwen/Qwen2.5-0.5B'); t = AutoTokenizer.from_pretrained('Qwen/Qwen2.5-0.5B')\n"
              "print(c.model_type, c.num_hidden_layers, c.vocab_size, len(t))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["qwen2", "2", "151936", "50257"]


def test_a_tokenizer_larger_than_the_vocabulary_is_refused(tmp_path):
    with pytest.raises(ModelFactoryError, match="has 50257 tokens but the model's vocabulary is 49152"):
        build_model(SMOLLM2, tokenizer_dir=GPT2_TOKENIZER, out=tmp_path / "bad", layers=1, hidden=64)


def test_qwen2_lora_with_merge_loads_with_peft_and_with_transformers_alone(tmp_path):
    """The adapter loads on its base with PeftModel.from_pretrained; final/merged/ loads with
    AutoModelForCausalLM and computes what base + adapter compute."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    built = build_model(QWEN25, tokenizer_dir=GPT2_TOKENIZER, out=tmp_path / "qwen", layers=2, hidden=64, heads=4, init_std=0.1)
    run_dir = make_run(tmp_path / "run", method="lora", model={"id": "Qwen/Qwen2.5-0.5B", "path": str(built.folder)},
                       train=chat_examples(32), params=PARAMS, merge=True)
    events = _train(run_dir)
    _falls(events)
    finished = of_type(events, "finished")[-1]
    assert finished["status"] == "completed" and finished["merged_path"] == "final/merged"
    started = of_type(events, "started")[0]
    assert started["model"]["total_parameters"] - started["model"]["trainable_parameters"] == built.parameters

    final = run_dir / "final"
    ids = AutoTokenizer.from_pretrained(str(final))("Q: colour 3?\nA: ", return_tensors="pt").input_ids
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(built.folder)), str(final)).eval()
    merged = AutoModelForCausalLM.from_pretrained(str(final / "merged")).eval()
    base = AutoModelForCausalLM.from_pretrained(str(built.folder)).eval()
    with torch.no_grad():
        a, m, b = adapted(ids).logits, merged(ids).logits, base(ids).logits
    assert torch.allclose(a, m, atol=1e-4)
    assert not torch.allclose(a, b, atol=1e-3), "the adapter changed nothing"
    card = (final / "README.md").read_text()
    # The card counts the base as the model list does, and the adapter apart.
    assert f"- Parameters: {built.parameters:,} in the base model (frozen); " in card
    assert "trained in the LoRA adapter, added on top" in card


def test_llama_full_finetuning_from_the_transformers_5_tokenizer_layout(tmp_path):
    """SmolLM2's Llama layout with the tokenizer saved as transformers 5 saves it (the template in
    chat_template.jinja): full finetuning trains, and final/ is a whole model transformers loads."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    built = build_model(SMOLLM2, tokenizer_dir=PHI3_TOKENIZER, out=tmp_path / "smol", layers=2, hidden=64, heads=4,
                        init_std=0.1, resave_tokenizer=True)
    assert (built.folder / "chat_template.jinja").is_file()
    assert "chat_template" not in json.loads((built.folder / "tokenizer_config.json").read_text())
    run_dir = make_run(tmp_path / "run", method="full", model={"id": "HuggingFaceTB/SmolLM2-135M", "path": str(built.folder)},
                       train=chat_examples(32), params={**PARAMS, "learning_rate": 1e-3})
    events = _train(run_dir)
    _falls(events)
    final = run_dir / "final"
    model = AutoModelForCausalLM.from_pretrained(str(final)).eval()
    assert model.num_parameters() == built.parameters
    # The runtime reads chat_template.jinja through AutoTokenizer itself and saves it with the model.
    assert AutoTokenizer.from_pretrained(str(final)).chat_template is not None
    assert f"- Parameters: {built.parameters:,} (all trained)" in (final / "README.md").read_text()
