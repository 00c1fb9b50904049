"""The `export` command on small trained models (random weights, real tokenizer files).

llama.cpp itself loads these files in tests/main/core/exports (node-llama-cpp); here the files
are read back with the gguf package and transformers: names, types, metadata, the q/k reorder,
the tokenizer metadata, merged and adapter folders that load and answer like the trained model.
"""

import importlib.util
import json

import pytest

MISSING = [name for name in ("transformers", "peft", "tokenizers", "safetensors", "gguf") if importlib.util.find_spec(name) is None]
if MISSING:
    pytest.skip(f"export tests need {', '.join(MISSING)}, not installed in this Python", allow_module_level=True)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from conftest import make_run, run_cli  # noqa: E402
from test_export_models import GPT2, PHI3, build_base_model, localtune_examples, model_configs_available, trained_run  # noqa: E402

if not model_configs_available():
    pytest.skip(f"export tests need the tokenizer files in {PHI3.parent} (shared test data beside the repo)",
                allow_module_level=True)

import gguf  # noqa: E402

from localtune_runtime.export.gguf_tokenizer import (LLAMA3_SPLIT, QWEN2_SPLIT, _pre_tokenizer,  # noqa: E402
                                                     _scores_from_merges)
from localtune_runtime.failures import RunFailure  # noqa: E402


@pytest.fixture(scope="module")
def llama_run(tmp_path_factory):
    return trained_run("llama", tmp_path_factory.mktemp("export") / "run-llama", localtune_examples(16))


@pytest.fixture(scope="module")
def merged_state(llama_run):
    """The trained model merged in float32, as the reference for the file contents."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    config = json.loads((llama_run / "run.json").read_text(encoding="utf-8"))
    base = AutoModelForCausalLM.from_pretrained(config["model"]["path"], dtype=torch.float32)
    return PeftModel.from_pretrained(base, str(llama_run / "final")).merge_and_unload().state_dict()


def export(run_dir, out, fmt, *extra):
    """Runs the command; returns (exit code, the JSON lines of stdout, stderr)."""
    result = run_cli("export", "--run-dir", str(run_dir), "--format", fmt, "--out", str(out), *extra, timeout=600)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, lines, result.stderr


def result_of(lines):
    results = [line for line in lines if line["type"] == "result"]
    assert len(results) == 1, lines[-3:]
    return results[0]


def field(reader, key):
    value = reader.fields[key]
    if value.types[0] == gguf.GGUFValueType.STRING:
        return bytes(value.parts[value.data[0]]).decode("utf-8")
    if value.types[0] == gguf.GGUFValueType.ARRAY:
        return [value.parts[i].tolist()[0] if value.types[-1] != gguf.GGUFValueType.STRING else bytes(value.parts[i]).decode("utf-8")
                for i in value.data]
    return value.parts[value.data[0]].tolist()[0]


# ---- tokenizer metadata rules ---------------------------------------------------------------


def test_pre_tokenizers_are_named_as_llama_cpp_names_them(tmp_path):
    gpt2 = json.loads((GPT2 / "tokenizer.json").read_text(encoding="utf-8"))
    assert _pre_tokenizer(gpt2, tmp_path) == "gpt-2"
    split = lambda regex: {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [  # noqa: E731
        {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}}
    assert _pre_tokenizer(split(LLAMA3_SPLIT), tmp_path) == "llama-bpe"
    assert _pre_tokenizer(split(QWEN2_SPLIT), tmp_path) == "qwen2"
    smollm = {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, {"type": "ByteLevel", "use_regex": True}]}}
    assert _pre_tokenizer(smollm, tmp_path) == "smollm"
    with pytest.raises(RunFailure, match="not one LocalTune can name for llama.cpp"):
        _pre_tokenizer(split(r"\p{L}+|\s+"), tmp_path)


def test_sentencepiece_scores_order_merges_like_transformers():
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}
    scores = _scores_from_merges(["a b", ["b", "c"], "ab c", "a bc"], vocab, 7)
    # The earlier a merge, the higher its piece's score; pieces no merge makes score 0; a piece two
    # merges make keeps the earlier one's rank.
    assert scores == [0.0, 0.0, 0.0, -1.0, -2.0, -3.0, 0.0]


# ---- GGUF files -------------------------------------------------------------------------------


def test_gguf_f16_holds_llama_cpp_names_the_tokenizer_and_the_chat_template(llama_run, merged_state, tmp_path):
    template = tmp_path / "template.jinja"
    template.write_text("{{ messages[0]['content'] }}", encoding="utf-8")
    code, lines, stderr = export(llama_run, tmp_path / "out", "gguf", "--quant", "f16", "--chat-template", str(template))
    assert code == 0, stderr[-3000:]
    assert [line["stage"] for line in lines if line["type"] == "progress"][:1] == ["load"]
    result = result_of(lines)
    path = tmp_path / "out" / "model-f16.gguf"
    assert result["gguf"]["path"] == str(path) and result["files"] == [{"path": "model-f16.gguf", "bytes": path.stat().st_size}]
    reader = gguf.GGUFReader(str(path))
    assert field(reader, "general.architecture") == "llama"
    assert field(reader, "llama.block_count") == 2 and field(reader, "llama.attention.head_count_kv") == 2
    assert field(reader, "llama.rope.dimension_count") == 16
    assert field(reader, "tokenizer.ggml.model") == "llama"
    assert field(reader, "tokenizer.ggml.eos_token_id") == 2
    assert field(reader, "tokenizer.ggml.add_eos_token") is False
    assert field(reader, "tokenizer.chat_template") == "{{ messages[0]['content'] }}"
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    assert len(tokens) == 32064 and tokens[32063] == "[PAD32063]" and types[32063] == gguf.TokenType.UNUSED
    assert tokens[3] == "<0x00>" and types[3] == gguf.TokenType.BYTE
    assert tokens[32000] == "<|endoftext|>" and types[32000] == gguf.TokenType.CONTROL
    scores = field(reader, "tokenizer.ggml.scores")
    assert scores[29871] > scores[13866]  # "▁" (an early merge) outranks "▁Below"
    names = {t.name: t for t in reader.tensors}
    assert {"token_embd.weight", "output.weight", "output_norm.weight", "blk.1.attn_q.weight", "blk.1.ffn_down.weight"} <= set(names)
    assert names["blk.0.attn_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    assert names["blk.0.attn_q.weight"].tensor_type == gguf.GGMLQuantizationType.F16

    # The q/k rows are reordered for llama.cpp's RoPE: undoing the reorder gives the merged weights.
    state = merged_state
    k = np.asarray(names["blk.0.attn_k.weight"].data, dtype=np.float32)
    heads, half = 2, 16 // 2
    undone = k.reshape(heads, half, 2, 64).swapaxes(1, 2).reshape(32, 64)
    np.testing.assert_allclose(undone, state["model.layers.0.self_attn.k_proj.weight"].numpy(), atol=1e-3)
    v = np.asarray(names["blk.0.attn_v.weight"].data, dtype=np.float32)
    np.testing.assert_allclose(v, state["model.layers.0.self_attn.v_proj.weight"].numpy(), atol=1e-3)

    reference = result["reference"]
    assert reference["eos_id"] == 2 and len(reference["prompts"]) == 3
    first = reference["prompts"][0]
    assert first["prompt"].endswith("### Response:") and first["stop"] == "end" and first["stop_id"] == 2
    assert first["tokens"] and len(first["margins"]) == len(first["tokens"]) + 1


def test_gguf_q8_0_quantizes_matrices_and_keeps_vectors_f32(llama_run, merged_state, tmp_path):
    code, lines, stderr = export(llama_run, tmp_path, "gguf", "--quant", "q8_0", "--file-name", "tiny.gguf")
    assert code == 0, stderr[-3000:]
    result = result_of(lines)
    assert result["gguf"]["tensor_types"] == {"q8_0": 16, "f32": 5}
    reader = gguf.GGUFReader(str(tmp_path / "tiny.gguf"))
    names = {t.name: t for t in reader.tensors}
    down = names["blk.0.ffn_down.weight"]
    assert down.tensor_type == gguf.GGMLQuantizationType.Q8_0
    values = gguf.quants.dequantize(down.data, down.tensor_type)
    expected = merged_state["model.layers.0.mlp.down_proj.weight"].numpy()
    assert values.shape == expected.shape == (64, 128)
    # q8_0 rounds each value to 1/127 of its 32-value block's largest magnitude: half a step at most.
    assert np.abs(values - expected).max() <= np.abs(expected).max() / 254 * 1.01


def test_gguf_low_bit_keeps_embeddings_q8_0_and_reports_f16_fallbacks(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from localtune_runtime.export.gguf_writer import plan_gguf

    # 48 columns do not split into 32-wide q4_0 blocks: those matrices fall back to f16.
    config = LlamaConfig(vocab_size=64, hidden_size=48, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=4, architectures=["LlamaForCausalLM"])
    plan = plan_gguf(LlamaForCausalLM(config), "q4_0")
    types = {name: type_name for name, _, _, type_name in plan.tensors}
    assert types["blk.0.ffn_down.weight"] == "Q4_0"  # 64 columns
    assert types["blk.0.attn_q.weight"] == "F16" and "blk.0.attn_q.weight (48 columns)" in plan.fallbacks
    assert types["token_embd.weight"] == "F16"  # 48 columns: f16 even before q8_0
    assert types["blk.0.attn_norm.weight"] == "F32"


def test_refused_architectures_say_why_and_what_to_do_instead():
    from transformers import Phi3Config, Phi3ForCausalLM

    from localtune_runtime.export.gguf_writer import plan_gguf

    model = Phi3ForCausalLM(Phi3Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                       bos_token_id=1, eos_token_id=2, pad_token_id=0,
                                       num_attention_heads=2, architectures=["Phi3ForCausalLM"]))
    with pytest.raises(RunFailure) as caught:
        plan_gguf(model, "f16")
    assert "Phi3ForCausalLM cannot be exported to GGUF" in caught.value.message
    assert "fused qkv_proj" in caught.value.message
    assert any("convert_hf_to_gguf.py" in tip for tip in caught.value.advice)


# ---- merged and adapter folders ---------------------------------------------------------------


def test_merged_export_loads_with_auto_model_and_stops_at_the_trained_eos(llama_run, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    code, lines, stderr = export(llama_run, tmp_path, "merged")
    assert code == 0, stderr[-3000:]
    result = result_of(lines)
    assert result["verification"]["same"] is True and result["verification"]["tool"] == "transformers"
    names = {f["path"] for f in result["files"]}
    assert {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"} <= names
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path))
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path))
    assert GenerationConfig.from_pretrained(str(tmp_path)).eos_token_id in (2, [2])
    prompt = result["reference"]["prompts"][0]
    output = model.generate(torch.tensor([prompt["prompt_ids"]]), max_new_tokens=24, do_sample=False)
    assert output[0, len(prompt["prompt_ids"]):].tolist() == prompt["tokens"] + [2]
    assert tokenizer.eos_token_id == 2


def test_adapter_export_is_the_peft_folder_and_reloads_to_the_same_answers(llama_run, tmp_path):
    code, lines, stderr = export(llama_run, tmp_path, "adapter")
    assert code == 0, stderr[-3000:]
    result = result_of(lines)
    assert result["verification"] == {"tool": "transformers + peft", "same": True, "answers": result["verification"]["answers"]}
    names = {f["path"] for f in result["files"]}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "README.md"} <= names


# ---- failures ---------------------------------------------------------------------------------


def test_the_tiny_demo_is_refused_as_a_failure_line(tmp_path):
    run_dir = make_run(tmp_path / "demo", train=localtune_examples(2))
    (run_dir / "final").mkdir()
    code, lines, stderr = export(run_dir, tmp_path / "out", "gguf")
    assert code == 1
    assert lines[-1]["type"] == "failure" and lines[-1]["kind"] == "config"
    assert "tiny-demo" in lines[-1]["message"] and lines[-1]["advice"]
    assert "error (config)" in stderr


def test_a_run_without_final_is_a_model_files_failure(tmp_path):
    model_dir = build_base_model("qwen2", tmp_path / "base-qwen2")
    run_dir = make_run(tmp_path / "run", model={"id": "local/q", "path": str(model_dir)}, method="lora",
                       train=localtune_examples(2))
    code, lines, _ = export(run_dir, tmp_path / "out", "merged")
    assert code == 1 and lines[-1]["kind"] == "model_files"
    assert "has no finished model to export" in lines[-1]["message"]
