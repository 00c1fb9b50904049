"""A full, read-only or unwritable disk: a `disk` failure that names the path, the errno and what
to do, never "a bug in LocalTune's runtime"; checkpoints check the free space before writing."""

import collections
import errno
import io

import torch

from conftest import chat_examples, make_run, read_events
from localtune_runtime import checkpoints, failures
from localtune_runtime.stop import StopRequest
from localtune_runtime.terminal import Terminal
from localtune_runtime.train import train

SMALL = {"max_length": 64, "micro_batch_size": 2, "max_steps": 4, "learning_rate": 3e-3, "save_every_steps": 2}
Usage = collections.namedtuple("Usage", "total used free")


def run(run_dir):
    terminal = io.StringIO()
    code = train(run_dir, False, StopRequest(), Terminal(terminal))
    events = read_events(run_dir)
    error = [event for event in events if event["type"] == "error"][-1]
    assert events[-1]["type"] == "finished" and events[-1]["status"] == "failed"
    return code, error, terminal.getvalue()


def test_a_checkpoint_is_not_started_on_a_disk_without_room_for_it(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path / "r", train=chat_examples(8), params=SMALL)
    monkeypatch.setattr(failures.shutil, "disk_usage", lambda path: Usage(10 << 30, 10 << 30, 4096))
    code, error, terminal = run(run_dir)
    assert code == 1 and error["kind"] == "disk" and error["step"] == 2
    assert f"Not enough free space in {run_dir / 'checkpoints'} for the checkpoint at step 2" in error["message"]
    assert "the disk has 4.0 KiB free" in error["message"]
    assert any("History" in tip and "resume" in tip for tip in error["advice"])
    assert "bug" not in error["message"] + " ".join(error["advice"]) + terminal
    assert not list((run_dir / "checkpoints").glob(".step-*"))


def test_a_full_disk_mid_checkpoint_names_the_file_and_errno_and_frees_the_half_checkpoint(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path / "r", train=chat_examples(8), params=SMALL)
    real_save = torch.save

    def full_disk(obj, path, *args, **kwargs):
        if "optimizer" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(checkpoints.torch, "save", full_disk)
    code, error, terminal = run(run_dir)
    partial = run_dir / "checkpoints" / ".step-2.partial"
    assert code == 1 and error["kind"] == "disk"
    assert f"Writing {partial / 'optimizer.pt'} failed at step 2: the disk is full (ENOSPC, errno 28)." == error["message"]
    assert any(str(partial) in tip and "free now" in tip for tip in error["advice"])
    assert "bug" not in terminal
    assert not partial.exists()


def test_a_read_only_disk_at_the_end_says_so_instead_of_calling_it_a_bug(tmp_path, monkeypatch):
    run_dir = make_run(tmp_path / "r", train=chat_examples(8), params={**SMALL, "save_every_steps": 100})

    def read_only(final_dir, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(final_dir / "README.md"))

    import localtune_runtime.train as train_module
    monkeypatch.setattr(train_module, "write_model_card", read_only)
    code, error, terminal = run(run_dir)
    assert code == 1 and error["kind"] == "disk"
    assert "read-only (EROFS, errno 30)" in error["message"] and str(run_dir / "final" / "README.md") in error["message"]
    assert any("remount it read-write" in tip for tip in error["advice"])
    assert "This is a bug" not in terminal


def test_torch_reports_a_full_disk_without_errno_and_it_is_still_a_disk_failure():
    assert failures.is_disk_error(RuntimeError("[enforce fail at inline_container.cc:595] . PytorchStreamWriter failed writing file data/0: file write failed"))
    assert not failures.is_disk_error(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    wrapped = RuntimeError("save failed")
    wrapped.__cause__ = OSError(errno.EDQUOT, "Disk quota exceeded", "/x/y")
    assert failures.describe_disk_error(wrapped, 3).message == "Writing /x/y failed at step 3: the disk quota is used up (EDQUOT, errno 122)."
