"""DIR/events.jsonl: the structured record of a run, one JSON object per line.

Each event is checked against `events.schema.json` before it is written, then appended and
flushed, so a reader tailing the file sees whole lines only and never an event the app's schema
would reject. The terminal never gets this JSON (see terminal.py for what a person reads).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Optional

from .event_schema import validate_event

EVENTS_FILE = "events.jsonl"
EVENT_VERSION = 1


def _finite_or_none(value: Any) -> Any:
    """JSON has no NaN or Infinity; a non-finite loss is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    return value


class EventLog:
    def __init__(self, path: Path, run_id: str, demo: bool):
        self.path = Path(path)
        self.run_id = run_id
        self.demo = demo  # every event of a tiny-demo run says so
        self.errors_written = 0
        self.finished_written = False

    def emit(self, event_type: str, **fields: Any) -> dict:
        event = {"v": EVENT_VERSION, "type": event_type, "time": time.time(), "run_id": self.run_id,
                 "demo": self.demo}
        event.update(_finite_or_none(fields))
        validate_event(event)  # a schema violation here is a bug in the runtime, not in the run
        line = json.dumps(event, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()
        if event_type == "error":
            self.errors_written += 1
        if event_type == "finished":
            self.finished_written = True
        return event

    def warning(self, kind: str, message: str) -> None:
        self.emit("warning", kind=kind, message=message)

    def error(self, kind: str, message: str, advice: list, step: Optional[int],
              memory: Optional[dict] = None) -> None:
        fields: dict = {"kind": kind, "message": message, "advice": list(advice), "step": step}
        if memory is not None:
            fields["memory"] = memory
        self.emit("error", **fields)


def read_events(run_dir: Path) -> list:
    path = Path(run_dir) / EVENTS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
