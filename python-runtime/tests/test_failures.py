"""Every failure: an `error` event of the right kind with advice, then `finished: failed`, a
readable line in the terminal, and a non-zero exit code."""

import importlib.util
import io
import json

import pytest
import torch

from conftest import chat_examples, make_run, of_type, read_events, run_cli
from localtune_runtime.backends.tiny_demo import TinyDemoBackend
from localtune_runtime.stop import StopRequest
from localtune_runtime.terminal import Terminal
from localtune_runtime.train import train

SMALL = {"max_length": 64, "micro_batch_size": 2, "max_steps": 4, "learning_rate": 3e-3}


def run_in_process(run_dir):
    """The train command minus argument parsing and signal handlers; returns (code, error, terminal text)."""
    terminal = io.StringIO()
    code = train(run_dir, False, StopRequest(), Terminal(terminal))
    events = read_events(run_dir)
    assert events[-2]["type"] == "error" and events[-1]["type"] == "finished"
    assert events[-1]["status"] == "failed" and events[-1]["final_dir"] is None
    error = events[-2]
    assert error["advice"], "every error comes with advice"
    assert f"error ({error['kind']}): " in terminal.getvalue()
    return code, error, terminal.getvalue()


def test_a_config_error_names_the_field(tmp_path):
    run_dir = make_run(tmp_path / "r", train=chat_examples(4), params={**SMALL, "learning_rate": -1})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "config" and error["step"] is None
    assert "params.learning_rate must be > 0, got -1" in error["message"]
    assert error["demo"] is True  # read from run.json's model id even though run.json is invalid


def test_broken_run_json(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "run.json").write_text('{"schema_version": 1, "run_id": "x",')
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "config" and "not valid JSON" in error["message"]
    assert error["run_id"] == "r"  # the folder name when run.json cannot say


def test_a_broken_jsonl_line_names_file_and_line(tmp_path):
    run_dir = make_run(tmp_path / "r", train=chat_examples(4), params=SMALL)
    with open(run_dir / "train.jsonl", "a") as stream:
        stream.write('{"prompt": "Q", "response": }\n')
    code, error, terminal = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "data"
    assert "train.jsonl line 5" in error["message"] and "train.jsonl line 5" in terminal


def test_an_empty_dataset(tmp_path):
    run_dir = make_run(tmp_path / "r", train=[], params=SMALL)
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "data" and "empty" in error["message"]


def test_a_dataset_shorter_than_one_batch(tmp_path):
    run_dir = make_run(tmp_path / "r", train=chat_examples(3), params={**SMALL, "micro_batch_size": 4})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "data" and "fewer than one optimizer step" in error["message"]
    assert any("micro_batch_size to 3" in tip for tip in error["advice"])


def test_responses_longer_than_max_length(tmp_path):
    """A cut answer would teach the model to stop mid-answer: such examples are left out, and
    when none is left the run says why. (A long prompt only loses its start: see test_data.)"""
    examples = [{"prompt": "x", "response": "y" * 100} for _ in range(4)]
    run_dir = make_run(tmp_path / "r", train=examples, params={**SMALL, "max_length": 32})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "data" and "4 have a response longer" in error["message"]
    assert any("max_length" in tip for tip in error["advice"])


def test_missing_model_folder(tmp_path):
    run_dir = make_run(tmp_path / "r", method="lora", train=chat_examples(4), params=SMALL,
                       model={"id": "someone/model", "path": str(tmp_path / "nowhere")})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "model_files" and "does not exist" in error["message"]


def test_model_folder_without_weights(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    run_dir = make_run(tmp_path / "r", method="lora", train=chat_examples(4), params=SMALL,
                       model={"id": "someone/model", "path": str(folder)})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "model_files" and "no weight files" in error["message"]


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is not None, reason="bitsandbytes is installed here")
def test_qlora_without_bitsandbytes_says_how_to_install_it(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    run_dir = make_run(tmp_path / "r", method="qlora", train=chat_examples(4), params=SMALL,
                       model={"id": "someone/model", "path": str(folder)})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "missing_package" and "bitsandbytes" in error["message"]
    assert any("pip install" in tip and "bitsandbytes" in tip for tip in error["advice"])


def test_qlora_on_the_tiny_demo_model_is_a_config_error(tmp_path):
    run_dir = make_run(tmp_path / "r", method="qlora", train=chat_examples(4), params=SMALL)
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "config"
    assert "tiny demo" in error["message"] and "bitsandbytes" in error["message"]


def test_max_length_beyond_the_tiny_models_context(tmp_path):
    run_dir = make_run(tmp_path / "r", train=chat_examples(4), params={**SMALL, "max_length": 2048})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "config" and "params.max_length must be <= 1024" in error["message"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_half_precision_on_the_cpu_is_unsupported(tmp_path, precision):
    run_dir = make_run(tmp_path / "r", train=chat_examples(4), params={**SMALL, "precision": precision})
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "unsupported_precision" and precision in error["message"]
    assert any("fp32" in tip for tip in error["advice"])


def test_out_of_memory_reports_the_step_and_what_to_change(tmp_path, monkeypatch):
    forward = TinyDemoBackend.logits
    calls = {"n": 0}

    def logits(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:  # one micro batch per step: this is step 3
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(self, batch)

    monkeypatch.setattr(TinyDemoBackend, "logits", logits)
    run_dir = make_run(tmp_path / "r", train=chat_examples(8), params=SMALL)
    code, error, _ = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "out_of_memory" and error["step"] == 3
    assert of_type(read_events(run_dir), "finished")[-1]["step"] == 2  # steps completed
    assert "at step 3" in error["message"] and "Tried to allocate 2.00 GiB" in error["message"]
    advice = " ".join(error["advice"])
    assert "micro_batch_size" in advice and "max_length" in advice and "gradient_checkpointing" in advice
    assert "qlora" in advice


def test_an_unexpected_exception_is_an_internal_error_with_its_traceback(tmp_path, monkeypatch):
    def logits(self, batch):
        raise ValueError("shapes do not match")

    monkeypatch.setattr(TinyDemoBackend, "logits", logits)
    run_dir = make_run(tmp_path / "r", train=chat_examples(4), params=SMALL)
    code, error, terminal = run_in_process(run_dir)
    assert code == 1 and error["kind"] == "internal" and "ValueError: shapes do not match" in error["message"]
    assert "Traceback" in terminal


def test_the_command_exits_non_zero_and_prints_the_problem(tmp_path):
    run_dir = make_run(tmp_path / "r", train=chat_examples(3), params={**SMALL, "micro_batch_size": 4})
    result = run_cli("train", "--run-dir", str(run_dir))
    assert result.returncode == 1
    assert "error (data):" in result.stderr and result.stdout == ""
    assert of_type(read_events(run_dir), "error")[-1]["kind"] == "data"


def test_a_missing_run_folder_exits_non_zero(tmp_path):
    result = run_cli("train", "--run-dir", str(tmp_path / "missing"))
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_generate_without_a_trained_model(tmp_path):
    run_dir = make_run(tmp_path / "r", train=chat_examples(4), params=SMALL)
    result = run_cli("generate", "--run-dir", str(run_dir), "--prompt", "Q: ")
    assert result.returncode == 1 and result.stdout == ""
    assert "error (model_files)" in result.stderr and "--base" in result.stderr


def test_bad_arguments_exit_with_usage_errors(tmp_path):
    assert run_cli("train").returncode == 2
    assert run_cli("generate", "--run-dir", str(tmp_path), "--prompt", "x", "--max-new-tokens", "0").returncode == 2


def test_warnings_carry_on(tmp_path):
    examples = chat_examples(6) + [{"prompt": "Q: " + "long " * 30, "response": "A"}]
    run_dir = make_run(tmp_path / "r", train=examples, params={**SMALL, "max_steps": 1, "attention": "flash_attention_2"})
    assert train(run_dir, False, StopRequest(), Terminal(io.StringIO())) == 0
    warnings = {w["kind"]: w["message"] for w in of_type(read_events(run_dir), "warning")}
    assert "data" in warnings and "attention" in warnings
    assert json.loads((run_dir / "final" / "localtune_tiny_demo.json").read_text())["demo"] is True
