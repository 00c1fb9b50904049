"""Stopping a run on request: a line `stop` on stdin, SIGINT (Ctrl+C) or SIGTERM.

The first request only raises a flag; the training loop finishes the step it is in, writes a
checkpoint and the final outputs, and the command exits 0 with status "stopped" (stopping is
something the person asked for, so it is a success). A second SIGINT/SIGTERM raises
KeyboardInterrupt at once, which the command reports as an `interrupted` error and exit code 130.

`LOCALTUNE_STOP_AFTER_STEP=N` requests the same stop right after step N, deterministically; the
tests use it to stop at an exact step, and scripts may too.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Callable, Optional, TextIO

STOP_AFTER_STEP_ENV = "LOCALTUNE_STOP_AFTER_STEP"


class StopRequest:
    def __init__(self, on_request: Optional[Callable[[str], None]] = None):
        self._flag = threading.Event()
        self.reason: Optional[str] = None
        self._signals = 0
        self._on_request = on_request
        self.stop_after_step = _read_stop_after_step()

    @property
    def requested(self) -> bool:
        return self._flag.is_set()

    def request(self, reason: str) -> None:
        if self._flag.is_set():
            return
        self.reason = reason
        self._flag.set()
        if self._on_request is not None:
            self._on_request(reason)

    def after_step(self, step: int) -> None:
        if self.stop_after_step is not None and step >= self.stop_after_step:
            self.request(f"{STOP_AFTER_STEP_ENV}={self.stop_after_step}")

    def handle_signal(self, signum: int, frame=None) -> None:
        self._signals += 1
        if self._signals >= 2:
            raise KeyboardInterrupt(f"{signal.Signals(signum).name} received twice")
        self.request(signal.Signals(signum).name)

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self.handle_signal)
        signal.signal(signal.SIGTERM, self.handle_signal)

    def watch(self, stream: TextIO) -> threading.Thread:
        """Read lines from `stream` (stdin) in a daemon thread; `stop` requests a stop."""
        def read_lines() -> None:
            try:
                for line in stream:
                    if line.strip().lower() == "stop":
                        self.request("stop on stdin")
            except (OSError, ValueError):
                pass  # stdin closed or not readable: only signals can stop the run then

        thread = threading.Thread(target=read_lines, name="stdin-stop", daemon=True)
        thread.start()
        return thread


def _read_stop_after_step() -> Optional[int]:
    raw = os.environ.get(STOP_AFTER_STEP_ENV, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None
