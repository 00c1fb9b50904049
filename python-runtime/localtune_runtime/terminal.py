"""What a person reads in the terminal: short log lines and one progress bar, on stderr.

stdout is kept clean for commands whose stdout is data (`probe` prints JSON, `generate` prints the
generated text). tqdm is used when it is installed; otherwise a small bar of our own that redraws
in place on a terminal and prints a line every 10% when stderr is a file or a pipe.
"""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


def _format_duration(seconds: Optional[float]) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Terminal:
    def __init__(self, stream: TextIO = None):
        self.stream = stream if stream is not None else sys.stderr
        self._bar: Optional[ProgressBar] = None

    def say(self, message: str) -> None:
        if self._bar is not None:
            self._bar.clear()
        self.stream.write(message + "\n")
        self.stream.flush()
        if self._bar is not None:
            self._bar.redraw()

    def problem(self, title: str, message: str, advice: list) -> None:
        lines = [f"{title}: {message}"] + [f"  - {tip}" for tip in advice]
        self.say("\n".join(lines))

    def progress_bar(self, total: int, initial: int = 0):
        try:
            self._bar = TqdmBar(self.stream, total, initial)
        except ImportError:
            self._bar = ProgressBar(self.stream, total, initial)
        return self._bar

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class ProgressBar:
    WIDTH = 24

    def __init__(self, stream: TextIO, total: int, initial: int = 0):
        self.stream = stream
        self.total = max(1, total)
        self.n = initial
        self.initial = initial
        self.postfix = ""
        self.started = time.monotonic()
        self.interactive = bool(getattr(stream, "isatty", lambda: False)())
        self._last_decile = (initial * 10) // self.total
        self._drawn = False

    def update(self, n: int, postfix: str = "") -> None:
        self.n = n
        self.postfix = postfix
        if self.interactive:
            self.redraw()
            return
        decile = (n * 10) // self.total
        if decile != self._last_decile or n >= self.total:
            self._last_decile = decile
            self.stream.write(self._render() + "\n")
            self.stream.flush()

    def _render(self) -> str:
        fraction = min(1.0, self.n / self.total)
        filled = int(fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.monotonic() - self.started
        done_here = self.n - self.initial
        rate = done_here / elapsed if elapsed > 0 and done_here > 0 else None
        eta = (self.total - self.n) / rate if rate else None
        speed = f"{rate:.2f} step/s" if rate and rate >= 1 else (f"{1 / rate:.1f} s/step" if rate else "? s/step")
        text = (f"train {fraction * 100:3.0f}% [{bar}] {self.n}/{self.total} "
                f"[{_format_duration(elapsed)}<{_format_duration(eta)}, {speed}]")
        return f"{text} {self.postfix}".rstrip()

    def redraw(self) -> None:
        if not self.interactive:
            return
        self.stream.write("\r\x1b[2K" + self._render())
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self.interactive and self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def close(self) -> None:
        if self.interactive and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class TqdmBar:
    """The same four methods as ProgressBar, drawn by tqdm."""

    def __init__(self, stream: TextIO, total: int, initial: int = 0):
        from tqdm import tqdm  # optional; ImportError selects ProgressBar

        self._bar = tqdm(total=total, initial=initial, file=stream, desc="train", unit="step",
                         dynamic_ncols=True, mininterval=0.5)

    def update(self, n: int, postfix: str = "") -> None:
        self._bar.n = n
        self._bar.set_postfix_str(postfix, refresh=False)
        self._bar.refresh()

    def clear(self) -> None:
        self._bar.clear()

    def redraw(self) -> None:
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()
