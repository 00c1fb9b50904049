import io
import sys

import pytest

from localtune_runtime.failures import RunFailure
from localtune_runtime.terminal import Terminal


def test_the_bar_counts_absolute_steps_and_log_lines_stay_whole():
    stream = io.StringIO()
    terminal = Terminal(stream)
    bar = terminal.progress_bar(10, initial=4)  # a resumed run starts past step 0
    bar.update(7, "loss=1.23")
    terminal.say("checkpoint saved")
    terminal.close_bar()
    text = stream.getvalue()
    assert "7/10" in text and "loss=1.23" in text
    assert "\ncheckpoint saved\n" in text.replace("\r", "\n")


def test_a_python_without_tqdm_gets_the_missing_package_failure(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    with pytest.raises(RunFailure) as raised:
        Terminal(io.StringIO()).progress_bar(10)
    assert raised.value.kind == "missing_package" and "tqdm" in raised.value.message
