"""Training as 2 torchrun ranks on the CPU (gloo), launched the way the app launches it.

- Two ranks with micro batch b take the same steps over the same examples as one process with
  micro batch 2b: their losses agree within float rounding, for LoRA (DDP) and full finetuning
  (FSDP: the model sharded over the ranks) of a tiny random model of a real architecture
  (model_factory). The largest difference is printed. The sharded run's final model equals the
  single process's, and its stop and resume continue exactly; pure bf16 weights shard too.
- Stop after a step, a refused resume with another world size, a rank that fails with a message,
  rank 1 and then rank 0 killed with SIGKILL, and the resumes after each: the run ends with the
  losses of an uninterrupted 2-rank run (the tiny demo model, whose imports are torch only, keeps these fast).

Each launch costs a few interpreter start-ups (torchrun and one per rank), which dominate the
runtime of this file, so each scenario runs as few launches as it can.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RUNTIME_ROOT, chat_examples, make_run, of_type, read_events, runtime_env
from localtune_runtime.data import BatchPlan, DataPosition, rank_share
from localtune_runtime.stop import StopRequest
from localtune_runtime.terminal import Terminal
from localtune_runtime.train import train
from model_factory import build_model

CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "model-configs"
SMOLLM2 = CONFIGS / "HuggingFaceTB--SmolLM2-135M"
PHI3_TOKENIZER = CONFIGS / "microsoft--Phi-3-mini-4k-instruct"

# 17 examples, a global micro batch of 4 (2 ranks x 2, or 1 process x 4), 2 micro batches a step:
# 3 steps an epoch, the third a single micro batch of 1 example, which leaves rank 1 no share.
TRAIN, VALID = chat_examples(17), chat_examples(5, start=40)
STEPS = 6


def _params(micro_batch_size: int, **extra) -> dict:
    return {"max_length": 40, "micro_batch_size": micro_batch_size, "gradient_accumulation_steps": 2,
            "max_steps": STEPS, "learning_rate": 5e-3, "warmup_steps": 1, "scheduler": "cosine",
            "save_every_steps": 2, "eval_every_steps": 3, "keep_checkpoints": 3,
            "lora": {"r": 4, "alpha": 8, "dropout": 0.0}, **extra}


def _env(**extra: str) -> dict:
    # A short collective timeout: a hung rank fails the test in a minute, not in half an hour.
    return runtime_env(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", LOCALTUNE_COLLECTIVE_TIMEOUT_SECONDS="60", **extra)


def torchrun(run_dir: Path, *args: str, nproc: int = 2, env=None, stdin: str = "", timeout: float = 300):
    """The app's command line: torchrun (standalone: one machine, a free port) running `train`."""
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}", "--standalone",
               "--max-restarts=0", "-m", "localtune_runtime", "train", "--run-dir", str(run_dir), *args]
    return subprocess.run(command, cwd=RUNTIME_ROOT, env=env or _env(), input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def train_alone(run_dir: Path, monkeypatch, resume: bool = False) -> int:
    """A single process, as without torchrun, in this interpreter (its imports are paid already)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")  # the backend sets both; monkeypatch puts them back
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCALTUNE_STOP_AFTER_STEP"):
        monkeypatch.delenv(name, raising=False)
    return train(run_dir, resume, StopRequest(), Terminal(io.StringIO()))


def _losses(events: list) -> dict:
    """Loss per step; a step taken again after a resume counts with its last value."""
    return {e["step"]: e["loss"] for e in of_type(events, "progress")}


def _evals(events: list) -> dict:
    return {e["step"]: e["eval_loss"] for e in of_type(events, "eval")}


def _max_difference(a: dict, b: dict) -> float:
    assert sorted(a) == sorted(b), f"different steps: {sorted(a)} vs {sorted(b)}"
    return max(abs(a[k] - b[k]) for k in a)


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory) -> Path:
    """A 2-layer SmolLM2 (Llama architecture) with random weights and Phi-3's tokenizer."""
    folder = tmp_path_factory.mktemp("smollm2") / "model"
    build_model(SMOLLM2, tokenizer_dir=PHI3_TOKENIZER, out=folder, layers=2, hidden=64, heads=4, init_std=0.1)
    return folder


def test_the_ranks_shares_make_up_the_batches_of_one_process_with_twice_the_micro_batch():
    lengths = [(i * 7919) % 23 + 3 for i in range(17)]
    alone = BatchPlan(17, 4, 2, seed=5, lengths=lengths)
    ranks = BatchPlan(17, 2, 2, seed=5, lengths=lengths, world_size=2)
    assert ranks.steps_per_epoch == alone.steps_per_epoch == 3
    # Worst case first: the run's first global micro batch is the 4 longest; rank 0 takes the 2
    # longest, rank 1 the next 2, each its longest micro batch of the run.
    assert sorted(ranks.longest_batch()) == sorted(sorted(range(17), key=lambda i: -lengths[i])[:4])
    a, b = DataPosition(), DataPosition()
    for _ in range(8):  # across two epoch boundaries
        expected, a = alone.next_step(a)
        got, b = ranks.next_step(b)
        assert got == expected and a == b
        for micro_batch in got:
            shares = [rank_share(micro_batch, r, 2) for r in range(2)]
            assert shares[0] + shares[1] == micro_batch and all(len(x) <= 2 for x in shares)
    assert rank_share([7], 0, 2) == [7] and rank_share([7], 1, 2) == []
    assert rank_share([1, 2, 3], 0, 2) == [1, 2] and rank_share([1, 2, 3], 1, 2) == [3]


@pytest.mark.parametrize("method", ["lora", "full"])
def test_two_ranks_train_like_one_process_with_twice_the_micro_batch(tmp_path, smollm2, method, monkeypatch):
    model = {"id": "local/smollm2-tiny", "path": str(smollm2)}
    single = make_run(tmp_path / "single", method=method, model=model, train=TRAIN, valid=VALID,
                      params=_params(micro_batch_size=4))
    ranks = make_run(tmp_path / "ranks", method=method, model=model, train=TRAIN, valid=VALID,
                     params=_params(micro_batch_size=2))

    assert train_alone(single, monkeypatch) == 0, read_events(single)[-2:]
    both = torchrun(ranks)
    assert both.returncode == 0, both.stderr[-4000:]

    events = read_events(ranks)
    # Rank 0 alone writes the events and speaks in the terminal.
    assert len(of_type(events, "started")) == 1 and len(of_type(events, "finished")) == 1
    assert both.stderr.count("Loading the tokenizer") == 1, both.stderr[-3000:]
    started = of_type(events, "started")[0]
    assert started["world_size"] == 2 and started["effective_batch_size"] == 2 * 2 * 2
    assert started["parallelism"] == ("fsdp" if method == "full" else "ddp")
    assert of_type(read_events(single), "started")[0]["world_size"] == 1
    for progress in of_type(events, "progress"):
        assert len(progress["rank_peak_bytes"]) == 2 and all(b > 0 for b in progress["rank_peak_bytes"])
    assert "rank_peak_bytes" not in of_type(read_events(single), "progress")[0]
    finished = of_type(events, "finished")[0]
    assert finished["status"] == "completed" and finished["step"] == STEPS
    assert (ranks / (finished["adapter_path"] or finished["weights_path"])).is_file()
    state = json.loads((ranks / "checkpoints" / "step-4" / "trainer_state.json").read_text())
    assert state["world_size"] == 2

    expected, got = _losses(read_events(single)), _losses(events)
    assert sorted(got) == list(range(1, STEPS + 1))
    loss_difference = _max_difference(expected, got)
    eval_difference = _max_difference(_evals(read_events(single)), _evals(events))
    print(f"\n{method}: 2 ranks x micro batch 2 vs 1 process x micro batch 4 over {STEPS} steps: "
          f"max |loss difference| {loss_difference:.3g}, max |eval loss difference| {eval_difference:.3g}")
    assert loss_difference < 1e-4, f"{expected} vs {got}"
    assert eval_difference < 1e-4
    # The runs really trained: the loss moved.
    assert abs(got[STEPS] - got[1]) > 0.05
    if method == "full":
        _check_sharded_run(tmp_path, model, ranks, single, got)


def test_pure_bf16_weights_shard_and_train_like_one_process(tmp_path, smollm2, monkeypatch):
    """FSDP's mixed-precision path: bf16 units gathered and their gradients reduced in fp32. bf16
    rounds to 3 significant digits, so the ranks agree with one process to about 1e-2."""
    model = {"id": "local/smollm2-tiny", "path": str(smollm2)}
    runs = {name: make_run(tmp_path / name, method="full", model=model, train=TRAIN,
                           params=_params(micro_batch_size=size, full_weights="bf16", max_steps=4))
            for name, size in (("single", 4), ("ranks", 2))}
    assert train_alone(runs["single"], monkeypatch) == 0, read_events(runs["single"])[-2:]
    both = torchrun(runs["ranks"])
    assert both.returncode == 0, both.stderr[-4000:]
    started = of_type(read_events(runs["ranks"]), "started")[0]
    assert started["parallelism"] == "fsdp" and started["precision"] == "bf16"
    difference = _max_difference(_losses(read_events(runs["single"])), _losses(read_events(runs["ranks"])))
    print(f"\nfull, pure bf16 (FSDP): max |loss difference| vs 1 process {difference:.3g}")
    assert difference < 2e-2


def _check_sharded_run(tmp_path: Path, model: dict, ranks: Path, single: Path, losses: dict) -> None:
    """Full finetuning over ranks shards the model (FSDP): the final model gathered from the shards
    is the one the single process trained, it loads with transformers, and a stop and resume
    across the sharded checkpoint continues with the uninterrupted run's losses."""
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    assert of_type(read_events(ranks), "started")[0]["parallelism"] == "fsdp"
    final, alone = load_file(str(ranks / "final" / "model.safetensors")), load_file(str(single / "final" / "model.safetensors"))
    assert sorted(final) == sorted(alone)
    weight_difference = max(float((final[name] - alone[name]).abs().max()) for name in final)
    print(f"full (FSDP): max |final weight difference| vs 1 process {weight_difference:.3g}")
    assert weight_difference < 1e-4
    loaded = AutoModelForCausalLM.from_pretrained(str(ranks / "final"))
    assert float((loaded.state_dict()["model.embed_tokens.weight"] - final["model.embed_tokens.weight"]).abs().max()) == 0

    resumed = make_run(tmp_path / "resumed", method="full", model=model, train=TRAIN, valid=VALID,
                       params=_params(micro_batch_size=2))
    stopped = torchrun(resumed, env=_env(LOCALTUNE_STOP_AFTER_STEP="3"))
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    assert (resumed / "checkpoints" / "step-3" / "model.safetensors").is_file()
    again = torchrun(resumed, "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    events = read_events(resumed)
    assert [s["resumed_from_step"] for s in of_type(events, "started")] == [None, 3]
    resume_difference = _max_difference(losses, _losses(events))
    print(f"full (FSDP): stop at step 3 and resume vs uninterrupted: max |loss difference| {resume_difference:.3g}")
    assert resume_difference < 1e-6


def test_stop_failures_and_resumes_end_like_an_uninterrupted_run(tmp_path, monkeypatch):
    # LoRA dropout on: each rank draws its own masks, so an exact resume needs each rank's RNG.
    params = _params(micro_batch_size=2, lora={"r": 4, "alpha": 8, "dropout": 0.1})
    reference = make_run(tmp_path / "reference", method="lora", train=TRAIN, valid=VALID, params=params)
    run = make_run(tmp_path / "run", method="lora", train=TRAIN, valid=VALID, params=params)
    done = torchrun(reference)
    assert done.returncode == 0, done.stderr[-3000:]

    # 1. Stop after step 2: both ranks stop there, rank 0 checkpoints, exit 0.
    stopped = torchrun(run, env=_env(LOCALTUNE_STOP_AFTER_STEP="2"))
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    finished = of_type(read_events(run), "finished")[-1]
    assert (finished["status"], finished["step"]) == ("stopped", 2)
    assert json.loads((run / "checkpoints" / "step-2" / "trainer_state.json").read_text())["world_size"] == 2

    # 2. A resume with another number of processes is refused before anything loads.
    assert train_alone(run, monkeypatch, resume=True) == 1
    error = of_type(read_events(run), "error")[-1]
    assert error["kind"] == "config"
    assert "written by 2 processes" in error["message"] and "runs 1 process" in error["message"]
    assert any("same 2 GPUs" in tip for tip in error["advice"]) and any("new run" in tip for tip in error["advice"])

    # 3. Rank 1 fails with an error of its own at step 3: its message is the run's error.
    failed = torchrun(run, "--resume", env=_env(LOCALTUNE_TEST_FAIL_RANK="rank=1,step=3,how=raise"))
    assert failed.returncode != 0
    error = of_type(read_events(run), "error")[-1]
    assert error["rank"] == 1 and error["kind"] == "data" and error["step"] == 3, error
    assert error["message"].startswith("Rank 1 (of 2) failed: test failure injected"), error
    assert of_type(read_events(run), "finished")[-1]["status"] == "failed"

    # 4. Rank 1 is killed (SIGKILL) as step 5 begins: rank 0 names it.
    killed = torchrun(run, "--resume", env=_env(LOCALTUNE_TEST_FAIL_RANK="rank=1,step=5,how=kill"))
    assert killed.returncode != 0
    error = of_type(read_events(run), "error")[-1]
    assert error["rank"] == 1 and error["kind"] == "interrupted" and error["step"] == 5, error
    assert "Rank 1 (of 2) stopped without reporting an error" in error["message"], error
    assert (run / "checkpoints" / "step-4").is_dir()

    # 5. Rank 0, the one that writes the events, is killed as step 5 begins: rank 1, on the same
    #    machine, writes the error in its place.
    killed = torchrun(run, "--resume", env=_env(LOCALTUNE_TEST_FAIL_RANK="rank=0,step=5,how=kill"))
    assert killed.returncode != 0
    error = of_type(read_events(run), "error")[-1]
    assert error["rank"] == 0 and error["kind"] == "interrupted" and error["step"] == 5, error
    assert "Rank 0 (of 2) stopped without reporting an error" in error["message"], error
    assert of_type(read_events(run), "finished")[-1]["status"] == "failed"

    # 6. The last resume completes, with the losses of the run that was never interrupted.
    resumed = torchrun(run, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    events = read_events(run)
    # the first start; the failed resume from step 2, the killed ones from 2 and 4; this one from 4
    assert [s["resumed_from_step"] for s in of_type(events, "started")] == [None, 2, 2, 4, 4]
    assert of_type(events, "finished")[-1]["status"] == "completed"
    expected = read_events(reference)
    assert _max_difference(_losses(expected), _losses(events)) < 1e-6
    # The stop at step 2 also evaluated there; every evaluation of the reference is matched.
    evals = _evals(events)
    assert _max_difference(_evals(expected), {step: evals[step] for step in _evals(expected)}) < 1e-6


def test_a_stop_on_stdin_stops_every_rank_at_the_same_step(tmp_path):
    """Only rank 0 reads stdin; the stop flag is agreed on before each step. Were it not, rank 1
    would go on to a step rank 0 never takes and the run would hang until the collective timeout."""
    run = make_run(tmp_path / "run", method="lora", train=TRAIN, params=_params(micro_batch_size=2, max_steps=200))
    result = torchrun(run, stdin="stop\n")
    assert result.returncode == 0, result.stderr[-3000:]
    events = read_events(run)
    finished = of_type(events, "finished")[-1]
    assert finished["status"] == "stopped" and finished["step"] < 200
    assert "Stop requested (stop on stdin)" in result.stderr
    if finished["step"] > 0:  # the stop may arrive before the first step, or after a few
        assert of_type(events, "checkpoint")[-1]["step"] == finished["step"]
