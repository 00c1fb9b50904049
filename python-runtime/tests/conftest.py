"""Shared helpers: run folders in tmp_path, the CLI in a subprocess, events read back and checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Optional

import pytest

RUNTIME_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

sys.path.insert(0, str(RUNTIME_ROOT))

from localtune_runtime.event_schema import parse_event_line  # noqa: E402


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_run(run_dir: Path, *, method: str = "full", mode: str = "chat", model: Optional[dict] = None,
             params: Optional[dict] = None, train: Optional[Iterable[dict]] = None,
             valid: Optional[Iterable[dict]] = None, merge: bool = False) -> Path:
    """A run folder as the app writes it: run.json plus train.jsonl (and valid.jsonl)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if train is not None:
        write_jsonl(run_dir / "train.jsonl", train)
    if valid is not None:
        write_jsonl(run_dir / "valid.jsonl", valid)
    config = {
        "schema_version": 1, "run_id": f"test-{run_dir.name}",
        "model": model or {"id": "localtune/tiny-demo", "path": None},
        "method": method, "mode": mode,
        "data": {"train": "train.jsonl", "valid": "valid.jsonl" if valid is not None else None},
        "params": params or {}, "merge": merge,
    }
    (run_dir / "run.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return run_dir


def chat_examples(n: int, start: int = 0) -> list:
    """Short, varied chat examples (a few dozen bytes each) for fast tiny-model runs."""
    words = ["red", "blue", "green", "gold", "gray", "pink", "teal", "plum"]
    return [{"prompt": f"Q: colour {i}?\nA: ", "response": f"{words[i % len(words)]} {i * 7 % 13}", "row": i + 1}
            for i in range(start, start + n)]


def runtime_env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(RUNTIME_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("LOCALTUNE_STOP_AFTER_STEP", None)
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 240, env: Optional[dict] = None, input: Optional[str] = None):
    """`python -m localtune_runtime ARGS` with this interpreter; stdin is closed unless given."""
    return subprocess.run([sys.executable, "-m", "localtune_runtime", *args], cwd=RUNTIME_ROOT,
                          env=env or runtime_env(), input=input if input is not None else "",
                          capture_output=True, text=True, timeout=timeout)


def read_events(run_dir: Path) -> list:
    """Every line of events.jsonl, each checked against the event schema."""
    events = []
    for number, line in enumerate((run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        event, error = parse_event_line(line)
        assert error is None, f"events.jsonl line {number} is not a valid event: {error}\n{line}"
        events.append(event)
    return events


def of_type(events: list, event_type: str) -> list:
    return [e for e in events if e["type"] == event_type]


def losses_by_step(events: list) -> dict:
    return {e["step"]: e["loss"] for e in of_type(events, "progress")}


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
