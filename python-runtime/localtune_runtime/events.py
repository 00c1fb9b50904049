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


def _ends_torn(stream) -> bool:
    """Whether the file open in `stream` is non-empty and its last byte is not a newline."""
    size = stream.seek(0, 2)
    if size == 0:
        return False
    stream.seek(size - 1)
    return stream.read(1) != b"\n"


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
        data = (line + "\n").encode("utf-8")
        with open(self.path, "ab+") as stream:
            # A power cut (or a full disk) can leave the last line without its newline. Appending
            # right after it would glue this event onto the torn line, and readers would drop
            # both: start on a line of our own, so only the torn line is lost (and reported).
            if _ends_torn(stream):
                data = b"\n" + data
            stream.write(data)
            stream.flush()
        if event_type == "error":
            self.errors_written += 1
        if event_type == "finished":
            self.finished_written = True
        return event

    def warning(self, kind: str, message: str) -> None:
        self.emit("warning", kind=kind, message=message)

    def error(self, kind: str, message: str, advice: list, step: Optional[int],
              memory: Optional[dict] = None, rank: Optional[int] = None) -> None:
        """`rank`: the torchrun rank the failure happened on (distributed runs only)."""
        fields: dict = {"kind": kind, "message": message, "advice": list(advice), "step": step}
        if memory is not None:
            fields["memory"] = memory
        if rank is not None:
            fields["rank"] = rank
        self.emit("error", **fields)


class NoEvents:
    """The event log of a torchrun rank other than 0: rank 0 writes the run's events."""

    def emit(self, event_type: str, **fields: Any) -> None:
        pass

    def warning(self, kind: str, message: str) -> None:
        pass

    def error(self, *args: Any, **fields: Any) -> None:
        pass


def read_events(run_dir: Path) -> list:
    """The events of a run that parse; a torn line (a power cut mid-write) is skipped, not fatal."""
    path = Path(run_dir) / EVENTS_FILE
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events
