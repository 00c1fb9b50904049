"""What a person reads in the terminal: short log lines and one progress bar, on stderr.

stdout is kept clean for commands whose stdout is data (`probe` prints JSON, `generate` prints the
generated text). The bar is tqdm's: transformers depends on it and the runtime's requirements pin
it, so there is no fallback of our own. It is imported when a bar starts, inside the run, so a
Python that has torch and nothing else fails with the missing-package message, not a traceback.
"""

from __future__ import annotations

import sys
from typing import Optional, TextIO

from .failures import missing_package_failure


class Terminal:
    def __init__(self, stream: TextIO = None, quiet: bool = False):
        """`quiet`: only problems are written (a torchrun rank other than 0: rank 0 speaks for the run)."""
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self._bar: Optional[ProgressBar] = None

    def say(self, message: str) -> None:
        if self.quiet:
            return
        self._write(message)

    def _write(self, message: str) -> None:
        # A line printed while the bar is drawn would be glued to it: clear it, print, draw again.
        if self._bar is not None:
            self._bar.clear()
        self.stream.write(message + "\n")
        self.stream.flush()
        if self._bar is not None:
            self._bar.redraw()

    def problem(self, title: str, message: str, advice: list) -> None:
        lines = [f"{title}: {message}"] + [f"  - {tip}" for tip in advice]
        self._write("\n".join(lines))

    def progress_bar(self, total: int, initial: int = 0):
        if self.quiet:
            return _NoBar()
        self._bar = ProgressBar(self.stream, total, initial)
        return self._bar

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class ProgressBar:
    """The training steps as a tqdm bar; `update` takes the absolute step (a resumed run starts past 0)."""

    def __init__(self, stream: TextIO, total: int, initial: int = 0):
        try:
            from tqdm import tqdm
        except ImportError:
            raise missing_package_failure(["tqdm"], "The training progress bar") from None
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


class _NoBar:
    """The progress bar of a quiet terminal."""

    def update(self, n: int, postfix: str = "") -> None:
        pass
