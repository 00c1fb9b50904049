"""Stop at step k, resume: the per-step losses equal those of a run that was never stopped."""

import pytest

from conftest import chat_examples, losses_by_step, make_run, of_type, read_events, run_cli, runtime_env

STEPS, STOP_AT = 12, 7


def _params(**extra):
    # 20 examples, 2 x 2 per step: 5 steps per epoch, so the runs cross two epoch boundaries.
    return {"max_length": 64, "micro_batch_size": 2, "gradient_accumulation_steps": 2, "max_steps": STEPS,
            "learning_rate": 5e-3, "warmup_steps": 3, "scheduler": "cosine", "weight_decay": 0.01,
            "save_every_steps": 5, "keep_checkpoints": 2, "eval_every_steps": 4,
            "lora": {"r": 4, "alpha": 8, "dropout": 0.1}, **extra}


@pytest.mark.parametrize("method", ["lora", "full"])
def test_resumed_losses_equal_an_uninterrupted_run(tmp_path, method):
    data = dict(method=method, train=chat_examples(20), valid=chat_examples(4, start=20), params=_params())
    continuous = make_run(tmp_path / "continuous", **data)
    interrupted = make_run(tmp_path / "interrupted", **data)

    assert run_cli("train", "--run-dir", str(continuous)).returncode == 0

    first = run_cli("train", "--run-dir", str(interrupted), env=runtime_env(LOCALTUNE_STOP_AFTER_STEP=str(STOP_AT)))
    assert first.returncode == 0, first.stderr[-2000:]  # stopped is a successful outcome
    events = read_events(interrupted)
    assert of_type(events, "finished")[-1]["status"] == "stopped"
    assert of_type(events, "finished")[-1]["step"] == STOP_AT
    assert of_type(events, "checkpoint")[-1] == {**of_type(events, "checkpoint")[-1], "step": STOP_AT,
                                                 "path": f"checkpoints/step-{STOP_AT}"}
    assert sorted(p.name for p in (interrupted / "checkpoints").iterdir()) == ["step-5", f"step-{STOP_AT}"]

    second = run_cli("train", "--run-dir", str(interrupted), "--resume")
    assert second.returncode == 0, second.stderr[-2000:]
    events = read_events(interrupted)
    starts = of_type(events, "started")
    assert [s["resumed_from_step"] for s in starts] == [None, STOP_AT]
    assert of_type(events, "finished")[-1]["status"] == "completed"

    expected = losses_by_step(read_events(continuous))
    resumed = losses_by_step(events)
    assert sorted(resumed) == list(range(1, STEPS + 1))
    for step in range(1, STEPS + 1):
        assert resumed[step] == pytest.approx(expected[step], abs=1e-6), f"step {step}"
    # later steps really did train on: the loss moved after the resume
    assert len({round(resumed[s], 4) for s in range(STOP_AT + 1, STEPS + 1)}) > 1

    expected_evals = {e["step"]: e["eval_loss"] for e in of_type(read_events(continuous), "eval")}
    resumed_evals = {e["step"]: e["eval_loss"] for e in of_type(events, "eval")}
    for step in expected_evals:
        assert resumed_evals[step] == pytest.approx(expected_evals[step], abs=1e-6)
    assert of_type(events, "finished")[-1]["final_train_loss"] == pytest.approx(
        of_type(read_events(continuous), "finished")[-1]["final_train_loss"], abs=1e-6)
    # keep_checkpoints=2: the newest two survive
    assert sorted(p.name for p in (continuous / "checkpoints").iterdir()) == ["step-10", "step-5"]


def test_a_second_start_without_resume_is_refused(tmp_path):
    run_dir = make_run(tmp_path / "run", train=chat_examples(8), params=_params(max_steps=3, save_every_steps=1))
    env = runtime_env(LOCALTUNE_STOP_AFTER_STEP="2")
    assert run_cli("train", "--run-dir", str(run_dir), env=env).returncode == 0
    again = run_cli("train", "--run-dir", str(run_dir))
    assert again.returncode == 1
    error = of_type(read_events(run_dir), "error")[-1]
    assert error["kind"] == "config" and "already has checkpoints" in error["message"]
    assert any("--resume" in tip for tip in error["advice"])
