"""Full finetuning's weights (params.full_weights): fp32 master weights, or pure bf16 weights and
AdamW state, computed in bf16 on any device; contradictions are refused with the fix."""

from pathlib import Path

import pytest
import torch

from conftest import chat_examples, make_run, of_type, read_events, run_cli
from localtune_runtime.failures import RunFailure
from localtune_runtime.precision import choose_compute
from model_factory import build_model

CONFIGS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "model-configs"
SMOLLM2 = CONFIGS / "HuggingFaceTB--SmolLM2-135M"
PHI3_TOKENIZER = CONFIGS / "microsoft--Phi-3-mini-4k-instruct"

PARAMS = {"max_length": 64, "micro_batch_size": 2, "max_steps": 2, "save_every_steps": 1, "learning_rate": 1e-3}


def test_pure_bf16_trains_and_keeps_weights_and_optimizer_state_in_bf16(tmp_path):
    from safetensors import safe_open

    built = build_model(SMOLLM2, tokenizer_dir=PHI3_TOKENIZER, out=tmp_path / "smol", layers=1, hidden=64)
    run_dir = make_run(tmp_path / "run", method="full", model={"id": "local/smol", "path": str(built.folder)},
                       train=chat_examples(8), params={**PARAMS, "full_weights": "bf16"})
    result = run_cli("train", "--run-dir", str(run_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    events = read_events(run_dir)
    assert of_type(events, "started")[0]["precision"] == "bf16"
    assert of_type(events, "finished")[-1]["status"] == "completed"
    state = torch.load(run_dir / "checkpoints" / "step-1" / "optimizer.pt", weights_only=True)
    moments = [s["exp_avg"] for s in state["state"].values()]
    assert moments and {m.dtype for m in moments} == {torch.bfloat16}
    with safe_open(str(run_dir / "final" / "model.safetensors"), "pt") as weights:
        assert {weights.get_tensor(name).dtype for name in weights.keys()} == {torch.bfloat16}


@pytest.mark.parametrize("precision", ["fp16", "fp32"])
def test_pure_bf16_with_another_precision_is_refused_with_the_fix(precision):
    with pytest.raises(RunFailure) as failure:
        choose_compute(precision, prefer_cuda=False, full_weights="bf16")
    assert f"precision is {precision}" in failure.value.message
    assert any("full_weights to \"fp32\"" in advice for advice in failure.value.advice)


def test_pure_bf16_computes_in_bf16_on_the_cpu_and_fp32_master_weights_in_fp32():
    assert choose_compute("auto", prefer_cuda=False, full_weights="bf16").precision == "bf16"
    assert choose_compute("auto", prefer_cuda=False).precision == "fp32"
