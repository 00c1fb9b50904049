"""`verify --json`: a few real steps on the longest examples, measured, answered as JSON lines.

A 2-layer SmolLM2-shaped model (real vocabulary and tokenizer, random weights) from model_factory;
the command runs as the app runs it, a subprocess with the request on stdin.
"""

import io
import json
from pathlib import Path

import pytest

from conftest import chat_examples, run_cli, runtime_env, write_jsonl

CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "model-configs"
SMOLLM2 = CONFIGS / "HuggingFaceTB--SmolLM2-135M"
PHI3_TOKENIZER = CONFIGS / "microsoft--Phi-3-mini-4k-instruct"


@pytest.fixture(scope="module")
def smol_folder(tmp_path_factory):
    from model_factory import build_model

    folder = tmp_path_factory.mktemp("smol") / "model"
    build_model(SMOLLM2, tokenizer_dir=PHI3_TOKENIZER, out=folder, layers=2, hidden=64, heads=4)
    return folder


def _examples():
    """Short examples and three much longer ones: the worst case is those three."""
    short = chat_examples(12)
    long = [{"prompt": "Tell a long story. " * 20, "response": "Once upon a time " * 10, "row": 100 + i} for i in range(3)]
    return short[:5] + long + short[5:]


def _request(tmp_path, folder, method="lora", **extra):
    train = write_jsonl(tmp_path / "train.jsonl", _examples())
    config = {"schema_version": 1, "run_id": "verify-test", "model": {"id": "local/smol", "path": str(folder)},
              "method": method, "mode": "chat", "data": {"train": str(train), "valid": None}, "merge": False,
              "params": {"max_length": 256, "micro_batch_size": 2, "lora": {"r": 4, "alpha": 8, "dropout": 0.0}}}
    return json.dumps({"config": config, "steps": 3, **extra})


def _lines(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def _verify(request: str):
    return run_cli("verify", "--json", input=request, env=runtime_env(HF_HUB_OFFLINE="1"), timeout=120)


def test_it_measures_three_steps_on_the_longest_examples(tmp_path, smol_folder):
    result = _verify(_request(tmp_path, smol_folder))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = _lines(result)
    stages = [line["stage"] for line in lines if line["type"] == "progress"]
    assert stages == ["tokenizer", "data", "model", "step", "step", "step"]
    answer = lines[-1]
    assert answer["type"] == "result" and answer["fits"] is True and answer["cause"] is None
    # The two longest sequences of the file, not the first two: the long examples are rows 100-102.
    assert answer["batch"]["sequences"] == 2 and answer["batch"]["longest_tokens"] > 100
    assert answer["batch"]["padded_tokens"] == 2 * answer["batch"]["longest_tokens"]
    assert [step["step"] for step in answer["steps"]] == [1, 2, 3]
    assert all(step["seconds"] > 0 and step["loss"] > 0 for step in answer["steps"])
    assert answer["seconds_per_step"] > 0 and answer["tokens_per_second"] > 0
    memory = answer["memory"]
    assert memory["kind"] == "cpu-resident"
    # Resident memory: the runtime first, the model on top of it, the peak above both.
    assert memory["runtime_bytes"] > 50 << 20
    assert memory["peak_bytes"] >= memory["runtime_bytes"] + memory["weights_bytes"]
    assert memory["allocated_peak_bytes"] is None
    assert answer["device"] == "cpu" and answer["precision"] == "fp32" and answer["method"] == "lora"


def test_a_peak_over_the_memory_limit_does_not_fit_and_says_by_how_much(tmp_path, smol_folder):
    """The limit is the device's memory the run may use; the CPU's measured peak is judged against it."""
    result = _verify(_request(tmp_path, smol_folder, memory_limit_bytes=64 << 20))
    assert result.returncode == 0, result.stderr[-3000:]
    answer = _lines(result)[-1]
    assert answer["fits"] is False and answer["cause"] == "over_limit"
    assert "0.06 GiB" in answer["message"] and "cpu" in answer["message"]
    assert answer["memory"]["peak_bytes"] > 64 << 20 and answer["limit_bytes"] == 64 << 20


def _verify_here(request: str):
    """In this process (a bad request fails before any model loads): (exit code, lines)."""
    from localtune_runtime.terminal import Terminal
    from localtune_runtime.verify import verify

    out = io.StringIO()
    code = verify(request, out=out, terminal=Terminal(io.StringIO()))
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_bad_request_is_a_failure_line_naming_the_field(tmp_path, smol_folder):
    request = json.loads(_request(tmp_path, smol_folder))
    request["config"]["params"]["micro_batch_size"] = 0
    code, lines = _verify_here(json.dumps(request))
    assert code == 1 and lines[-1]["type"] == "failure" and lines[-1]["kind"] == "config"
    assert "params.micro_batch_size" in lines[-1]["message"]
    code, lines = _verify_here(json.dumps({**json.loads(_request(tmp_path, smol_folder)), "steps": 0}))
    assert code == 1 and lines[-1]["message"].startswith('"steps" must be a whole number')
    code, lines = _verify_here("not json")
    assert code == 1 and "not JSON" in lines[-1]["message"]
