"""The Hugging Face backend on a tiny random Llama built locally (nothing is downloaded).

Needs transformers, peft, tokenizers and safetensors: the runtime venv has them (`npm run
runtime:setup -- --cpu --with-tests`). Without them these tests fail rather than skip, so a
runtime that cannot train real architectures never passes unnoticed.
"""

import json

import pytest

import torch  # noqa: E402

from conftest import chat_examples, losses_by_step, make_run, of_type, read_events, run_cli, runtime_env  # noqa: E402

PARAMS = {"max_length": 64, "micro_batch_size": 4, "max_steps": 30, "learning_rate": 1e-2, "warmup_steps": 2,
          "save_every_steps": 10, "eval_every_steps": 10, "lora": {"r": 8, "alpha": 16, "dropout": 0.0}}


@pytest.fixture(scope="module")
def llama_folder(tmp_path_factory):
    """A 2-layer Llama with random weights and a byte-level BPE tokenizer trained on the test data.
    The tokenizer has BOS and EOS but no pad token, like many real ones."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    texts = [e["prompt"] + e["response"] for e in chat_examples(200)]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=320, special_tokens=["<s>", "</s>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>")
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         tie_word_embeddings=False,
                         # 0.1 rather than 0.02: with 0.02 a frozen random output layer caps the
                         # logits near 1.3, and LoRA alone could hardly lower the loss.
                         initializer_range=0.1)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def _model(folder):
    return {"id": "local/tiny-llama", "path": str(folder)}


def _train(run_dir, **extra_env):
    """The train command; the run must succeed."""
    result = run_cli("train", "--run-dir", str(run_dir), env=runtime_env(**extra_env))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_lora_trains_and_saves_an_adapter_peft_loads(tmp_path, llama_folder):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run_dir = make_run(tmp_path / "lora", method="lora", model=_model(llama_folder), train=chat_examples(32),
                       valid=chat_examples(8, start=32), params=PARAMS)
    _train(run_dir)
    events = read_events(run_dir)
    started = of_type(events, "started")[0]
    assert started["demo"] is False and started["versions"]["transformers"] and started["versions"]["peft"]
    assert not any(e["demo"] for e in events)
    assert 0 < started["model"]["trainable_parameters"] < started["model"]["total_parameters"]
    assert any(w["kind"] == "tokenizer" for w in of_type(events, "warning"))  # pad = eos
    losses = losses_by_step(events)
    assert losses[30] < losses[1] - 0.5
    finished = of_type(events, "finished")[-1]
    assert finished["status"] == "completed" and finished["adapter_path"] == "final/adapter_model.safetensors"
    # On the CPU the peak is the process's resident memory (PyTorch alone is over 100 MiB), so the
    # run's estimate error can be known without a GPU.
    assert finished["peak_memory_bytes"] > 100 * 2**20

    final = run_dir / "final"
    assert (final / "adapter_config.json").is_file() and (final / "adapter_model.safetensors").is_file()
    assert "PeftModel.from_pretrained" in (final / "README.md").read_text()
    base = AutoModelForCausalLM.from_pretrained(str(llama_folder))
    ids = torch.tensor([[1, 5, 9, 12, 20]])
    with torch.no_grad():
        base_logits = base(input_ids=ids).logits
        tuned = PeftModel.from_pretrained(base, str(final))
        tuned_logits = tuned(input_ids=ids).logits
    assert not torch.allclose(base_logits, tuned_logits)


def test_full_finetuning_saves_a_model_transformers_loads(tmp_path, llama_folder):
    from transformers import AutoModelForCausalLM

    run_dir = make_run(tmp_path / "full", method="full", model=_model(llama_folder), train=chat_examples(32),
                       params={**PARAMS, "learning_rate": 3e-3})
    _train(run_dir)
    events = read_events(run_dir)
    losses = losses_by_step(events)
    assert losses[30] < losses[1] - 1.0
    finished = of_type(events, "finished")[-1]
    assert finished["weights_path"] == "final/model.safetensors"
    tuned = AutoModelForCausalLM.from_pretrained(str(run_dir / "final"))
    base = AutoModelForCausalLM.from_pretrained(str(llama_folder))
    assert not torch.equal(tuned.model.embed_tokens.weight, base.model.embed_tokens.weight)


@pytest.mark.parametrize("method", ["lora", "full"])
def test_resume_equals_an_uninterrupted_run(tmp_path, llama_folder, method):
    params = {**PARAMS, "max_steps": 8, "save_every_steps": 3, "lora": {"r": 8, "alpha": 16, "dropout": 0.1}}
    data = dict(method=method, model=_model(llama_folder), train=chat_examples(24), params=params)
    continuous, interrupted = make_run(tmp_path / "a", **data), make_run(tmp_path / "b", **data)
    _train(continuous)
    _train(interrupted, LOCALTUNE_STOP_AFTER_STEP="5")
    assert of_type(read_events(interrupted), "finished")[-1]["status"] == "stopped"
    result = run_cli("train", "--run-dir", str(interrupted), "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    expected, resumed = losses_by_step(read_events(continuous)), losses_by_step(read_events(interrupted))
    assert sorted(resumed) == list(range(1, 9))
    for step in range(1, 9):
        assert resumed[step] == pytest.approx(expected[step], abs=1e-5), f"step {step}"


def test_packed_examples_do_not_attend_to_each_other(llama_folder):
    """transformers must see the restarting position ids as separate sequences."""
    from localtune_runtime.backends.hf import HFBackend
    from localtune_runtime.config import RunConfig
    from localtune_runtime.data import Record, as_sequences, collate, tokenize_records
    from localtune_runtime.precision import choose_compute

    config = RunConfig.from_dict({"schema_version": 1, "run_id": "p", "model": _model(llama_folder), "method": "full",
                                  "mode": "chat", "data": {"train": "x"}, "params": {"max_length": 128}})
    backend = HFBackend(config, choose_compute("fp32", prefer_cuda=False), lambda *a: None)
    tokenizer = backend.load_tokenizer()
    backend.load_model().eval()
    texts = ("Q: colour 1?\nA: blue 7", "Q: colour 22?\nA: pink 11, and more")
    examples, _ = tokenize_records([Record(text, "", True, None, i, generic=True) for i, text in enumerate(texts, 1)],
                                   tokenizer, 128)
    alone = collate(as_sequences(examples[1:], 128, False), tokenizer.pad_id, False)
    packed = collate(as_sequences(examples, 128, True), tokenizer.pad_id, True)
    with torch.no_grad():
        logits_alone = backend.logits(alone)[0]
        logits_packed = backend.logits(packed)[0, len(examples[0].input_ids):]
    assert torch.allclose(logits_alone, logits_packed, atol=1e-4)


def test_generate_streams_from_the_adapter_and_the_base(tmp_path, llama_folder):
    run_dir = make_run(tmp_path / "gen", method="lora", model=_model(llama_folder), train=chat_examples(32),
                       params={**PARAMS, "max_steps": 40})
    _train(run_dir)
    tuned = run_cli("generate", "--run-dir", str(run_dir), "--prompt", "Q: colour 3?\nA: ", "--max-new-tokens", "8",
                    "--temperature", "0")
    base = run_cli("generate", "--run-dir", str(run_dir), "--prompt", "Q: colour 3?\nA: ", "--base",
                   "--max-new-tokens", "8", "--temperature", "0")
    assert tuned.returncode == 0 and base.returncode == 0, tuned.stderr + base.stderr
    assert tuned.stdout and tuned.stdout != base.stdout
    # The app's way: one process, the adapter switched off for the base answer, JSON lines on a pipe.
    request = {"prompt": "Q: colour 3?\nA: ", "models": ["finetuned", "base"], "max_new_tokens": 8, "temperature": 0}
    both = run_cli("generate", "--run-dir", str(run_dir), "--json", input=json.dumps(request))
    assert both.returncode == 0, both.stderr
    answers = {line["model"]: line for line in map(json.loads, both.stdout.splitlines()) if line["type"] == "answer"}
    assert answers["finetuned"]["text"] == tuned.stdout and answers["base"]["text"] == base.stdout


def test_merge_writes_a_merged_model(tmp_path, llama_folder):
    from transformers import AutoModelForCausalLM

    run_dir = make_run(tmp_path / "merge", method="lora", model=_model(llama_folder), train=chat_examples(16),
                       params={**PARAMS, "max_steps": 4}, merge=True)
    _train(run_dir)
    finished = of_type(read_events(run_dir), "finished")[-1]
    assert finished["merged_path"] == "final/merged" and finished["adapter_path"]
    AutoModelForCausalLM.from_pretrained(str(run_dir / "final" / "merged"))
