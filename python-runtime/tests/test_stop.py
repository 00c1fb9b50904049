"""Stopping: `stop` on stdin, SIGINT or SIGTERM finish the step, save, and exit 0 as "stopped";
a second signal forces an exit (130) with an `interrupted` error."""

import json
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import FIXTURES, RUNTIME_ROOT, make_run, of_type, read_events, runtime_env
from localtune_runtime.stop import StopRequest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _slow_run(run_dir):
    """Steps of a few hundred milliseconds, so a stop surely lands in the middle of the run. 1024
    bytes keep most roleplay answers whole (longer ones are left out)."""
    records = [json.loads(line) for line in (FIXTURES / "roleplay-train.jsonl").read_text().splitlines()[:40]]
    return make_run(run_dir, method="lora", train=records,
                    params={"max_length": 1024, "micro_batch_size": 4, "max_steps": 500, "learning_rate": 5e-3,
                            "save_every_steps": 1000})


def _start(run_dir):
    process = subprocess.Popen([sys.executable, "-m", "localtune_runtime", "train", "--run-dir", str(run_dir)],
                               cwd=RUNTIME_ROOT, env=runtime_env(), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    return process, lines


def _wait_for_progress(run_dir, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = run_dir / "events.jsonl"
        if path.exists() and '"type":"progress"' in path.read_text():
            return
        assert process.poll() is None, "the run ended before its first step"
        time.sleep(0.05)
    raise AssertionError("no progress event")


def _wait_for_line(lines, text, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r}")


def _assert_stopped_cleanly(run_dir, code):
    assert code == 0
    events = read_events(run_dir)
    finished = of_type(events, "finished")[-1]
    assert finished["status"] == "stopped" and 1 <= finished["step"] < 500
    step = finished["step"]
    assert of_type(events, "checkpoint")[-1]["step"] == step
    assert (run_dir / "checkpoints" / f"step-{step}" / "trainer_state.json").is_file()
    assert finished["final_dir"] == "final" and (run_dir / "final" / "README.md").is_file()
    assert "stopped" in (run_dir / "final" / "README.md").read_text()


def test_stop_on_stdin(tmp_path):
    run_dir = _slow_run(tmp_path / "run")
    process, lines = _start(run_dir)
    _wait_for_progress(run_dir, process)
    process.stdin.write("stop\n")
    process.stdin.flush()
    _assert_stopped_cleanly(run_dir, process.wait(timeout=120))
    assert "Stop requested (stop on stdin)" in "".join(list(lines.queue))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stop_on_a_signal(tmp_path, signum):
    run_dir = _slow_run(tmp_path / "run")
    process, _ = _start(run_dir)
    _wait_for_progress(run_dir, process)
    process.send_signal(signum)
    _assert_stopped_cleanly(run_dir, process.wait(timeout=120))


def test_a_second_sigint_forces_an_exit(tmp_path):
    run_dir = _slow_run(tmp_path / "run")
    process, lines = _start(run_dir)
    _wait_for_progress(run_dir, process)
    process.send_signal(signal.SIGINT)
    _wait_for_line(lines, "Stop requested")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 130
    events = read_events(run_dir)
    assert of_type(events, "error")[-1]["kind"] == "interrupted"
    assert of_type(events, "finished")[-1]["status"] == "failed"


def test_the_first_signal_only_asks_and_the_second_raises():
    stop = StopRequest()
    stop.handle_signal(signal.SIGINT)
    assert stop.requested and stop.reason == "SIGINT"
    with pytest.raises(KeyboardInterrupt):
        stop.handle_signal(signal.SIGINT)


def test_stop_after_step_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOCALTUNE_STOP_AFTER_STEP", "3")
    stop = StopRequest()
    stop.after_step(2)
    assert not stop.requested
    stop.after_step(3)
    assert stop.requested
