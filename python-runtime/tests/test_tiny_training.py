"""The tiny demo model learns real chat data through the real command, then generates from it."""

import json
import time

import pytest

from conftest import FIXTURES, losses_by_step, make_run, of_type, read_events, run_cli
from localtune_runtime.generate import GenerateRequest, generate
from localtune_runtime.terminal import Terminal

STEPS = 200


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """Full finetuning of the demo model on 180 rows of GPTeacher roleplay, 20 rows held out."""
    lines = (FIXTURES / "roleplay-train.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    run_dir = make_run(tmp_path_factory.mktemp("tiny") / "run", method="full", train=records[:180], valid=records[180:],
                       params={"max_length": 1024, "micro_batch_size": 2, "max_steps": STEPS, "learning_rate": 3e-3,
                               "warmup_steps": 10, "eval_every_steps": 50, "save_every_steps": 100})
    started = time.monotonic()
    result = run_cli("train", "--run-dir", str(run_dir))
    seconds = time.monotonic() - started
    return run_dir, result, seconds


def test_the_loss_falls_clearly(trained_run):
    run_dir, result, seconds = trained_run
    assert result.returncode == 0, result.stderr[-3000:]
    losses = losses_by_step(read_events(run_dir))
    assert sorted(losses) == list(range(1, STEPS + 1))
    start = losses[1]
    end = sum(losses[s] for s in range(STEPS - 9, STEPS + 1)) / 10
    print(f"\ntiny demo, full, {STEPS} steps: loss {start:.3f} -> {end:.3f} (mean of the last 10) in {seconds:.1f} s")
    assert start > 5.0  # about ln(258): the random model knows nothing
    assert end < 3.3 and end < start - 2.5
    evals = [e["eval_loss"] for e in of_type(read_events(run_dir), "eval")]
    # held-out rows improve too: steps 50, 100, 150, 200, far below the untrained ~5.5
    assert len(evals) == 4 and evals[-1] < evals[0] < 3.5


def test_events_tell_the_whole_story_and_say_demo(trained_run):
    run_dir, result, _ = trained_run
    events = read_events(run_dir)
    types = [e["type"] for e in events]
    assert types.count("started") == 1 and types[-1] == "finished"
    assert set(types[:types.index("started")]) <= {"warning"}  # e.g. examples cut to max_length
    started = events[types.index("started")]
    assert started["demo"] is True and started["model"]["id"] == "localtune/tiny-demo"
    assert all(e["demo"] is True for e in events)  # labelled on every event
    assert started["precision"] == "fp32" and started["device"] == "cpu" and started["total_steps"] == STEPS
    assert started["model"]["trainable_parameters"] == started["model"]["total_parameters"] > 500_000
    assert started["data"]["train_examples"] + started["data"]["skipped_examples"] == 180
    assert [c["path"] for c in of_type(events, "checkpoint")] == ["checkpoints/step-100"]
    assert (run_dir / "checkpoints" / "step-100" / "trainer_state.json").is_file()
    finished = events[-1]
    assert finished["status"] == "completed" and finished["step"] == STEPS
    assert finished["final_dir"] == "final" and finished["weights_path"].startswith("final/model.")
    assert finished["final_train_loss"] is not None and finished["final_eval_loss"] is not None


def test_the_terminal_gets_words_not_json(trained_run):
    _, result, _ = trained_run
    assert result.stdout == ""
    # The runtime's requirements include tqdm, so its bar is the one users see.
    assert "DEMO MODEL" in result.stderr and "train: 100%" in result.stderr
    assert '"type"' not in result.stderr and '{"v"' not in result.stderr


def test_final_folder_has_weights_tokenizer_config_and_a_demo_model_card(trained_run):
    run_dir, _, _ = trained_run
    final = run_dir / "final"
    description = json.loads((final / "localtune_tiny_demo.json").read_text())
    assert description["demo"] is True and description["method"] == "full"
    assert (final / description["weights_file"]).is_file() and (final / "tokenizer.json").is_file()
    card = (final / "README.md").read_text()
    assert "DEMO MODEL" in card and "`localtune/tiny-demo`" in card
    assert "Training examples:" in card and "Final validation loss:" in card
    assert "generate --run-dir" in card


def test_generate_streams_text_from_the_finetuned_model(trained_run):
    run_dir, _, _ = trained_run
    prompt = json.loads((FIXTURES / "roleplay-train.jsonl").read_text().splitlines()[0])["prompt"]
    tuned = run_cli("generate", "--run-dir", str(run_dir), "--prompt", prompt, "--max-new-tokens", "60",
                    "--temperature", "0")
    base = run_cli("generate", "--run-dir", str(run_dir), "--prompt", prompt, "--base", "--max-new-tokens", "60",
                   "--temperature", "0")
    assert tuned.returncode == 0 and base.returncode == 0, tuned.stderr + base.stderr
    assert "DEMO MODEL" in tuned.stderr and "DEMO MODEL" not in tuned.stdout  # logs stay off stdout
    assert tuned.stdout and tuned.stdout != base.stdout
    letters = sum(c.isalpha() or c == " " for c in tuned.stdout) / len(tuned.stdout)
    assert letters > 0.8, f"the finetuned model should write English-like text, got {tuned.stdout!r}"


class RecordingStream:
    def __init__(self):
        self.calls = []

    def write(self, text):
        self.calls.append(("write", text))

    def flush(self):
        self.calls.append(("flush", None))


def test_generate_flushes_every_piece_as_it_is_produced(trained_run, capsys):
    run_dir, _, _ = trained_run
    out = RecordingStream()
    code = generate(run_dir, GenerateRequest("### Response:", max_new_tokens=30, temperature=0.8), Terminal(), out=out)
    assert code == 0
    writes = [i for i, (kind, _) in enumerate(out.calls) if kind == "write"]
    assert len(writes) >= 5
    assert all(out.calls[i + 1][0] == "flush" for i in writes)


def test_the_app_gets_both_answers_as_json_lines_on_a_pipe(trained_run):
    """--json: the request on stdin, one JSON object a line on stdout, nothing else there."""
    run_dir, _, _ = trained_run
    prompt = json.loads((FIXTURES / "roleplay-train.jsonl").read_text().splitlines()[0])["prompt"]
    request = {"prompt": prompt, "models": ["finetuned", "base"], "max_new_tokens": 40, "temperature": 0}
    result = run_cli("generate", "--run-dir", str(run_dir), "--json", input=json.dumps(request))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    answers = [line for line in lines if line["type"] == "answer"]
    assert [a["model"] for a in answers] == ["finetuned", "base"]
    for answer in answers:
        streamed = "".join(line["text"] for line in lines if line["type"] == "text" and line["model"] == answer["model"])
        assert answer["text"] and streamed == answer["text"]
        assert answer["stop"] in ("end", "length") and answer["prompt_tokens"] == len(prompt.encode("utf-8"))
    assert answers[0]["text"] != answers[1]["text"]
    assert "DEMO MODEL" in result.stderr


def test_a_bad_request_is_a_failure_line_naming_the_field(trained_run):
    run_dir, _, _ = trained_run
    result = run_cli("generate", "--run-dir", str(run_dir), "--json", input=json.dumps({"prompt": "x", "models": ["other"]}))
    assert result.returncode == 1
    failure = json.loads(result.stdout.splitlines()[-1])
    assert failure["type"] == "failure" and "\"models\"" in failure["message"]
