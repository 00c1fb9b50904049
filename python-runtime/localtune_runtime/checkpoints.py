"""Resumable checkpoints: DIR/checkpoints/step-N/.

A checkpoint holds everything that decides the next steps: the trainable weights (the adapter for
LoRA), the optimizer state, the GradScaler state, the RNG states (Python, torch CPU, every CUDA
device), the data position (epoch and index in that epoch's shuffled order) and the step. The LR
schedule is a pure function of the step (schedule.get_lr); its settings are recorded for reading.
With all of that restored, a resumed run takes the same steps, with the same losses, as a run that
was never interrupted.

Under torchrun (distributed.py) rank 0 writes the checkpoint: the weights and optimizer state are
the same on every rank (DDP), or gathered onto rank 0 from the ranks' shards (FSDP, sharding.py),
so the files are the same in all three cases; the RNG states are not (each rank draws its own dropout masks), so
rng_state.pt holds every rank's. The world size is recorded, because the data split depends on
it: a checkpoint resumes only with the number of ranks that wrote it.

A checkpoint is written to a hidden `.step-N.partial` folder and renamed when complete, so an
interrupted save never looks like a checkpoint.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import torch

from .data import DataPosition
from .failures import RunFailure, describe_disk_error, ensure_free_space, is_disk_error
from .tensor_files import read_torch_tensors

CHECKPOINTS_DIR = "checkpoints"
STATE_FILE = "trainer_state.json"  # written last: its presence marks a complete checkpoint
# Only tensors in the .pt files (the numbers live in trainer_state.json), so the weights-only
# unpickler reads them and no code runs while loading a checkpoint.
OPTIMIZER_FILE = "optimizer.pt"    # the optimizer's per-parameter tensors
RNG_FILE = "rng_state.pt"          # torch CPU and CUDA generator states
_STEP_DIR = re.compile(r"^step-(\d+)$")


@dataclass
class TrainHistory:
    """What the finished event and model card report, carried across a resume."""
    recent_losses: List[float] = field(default_factory=list)
    last_eval_loss: Optional[float] = None
    last_eval_step: Optional[int] = None

    def add_loss(self, loss: float) -> None:
        self.recent_losses = (self.recent_losses + [loss])[-10:]

    @property
    def final_train_loss(self) -> Optional[float]:
        finite = [x for x in self.recent_losses if x == x and abs(x) != float("inf")]
        return sum(finite) / len(finite) if finite else None


@dataclass
class Restored:
    step: int
    position: DataPosition
    history: TrainHistory
    fingerprint: dict
    world_size: int = 1


def step_dirs(checkpoints_dir: Path) -> List[Path]:
    """Complete checkpoints, oldest first."""
    if not checkpoints_dir.is_dir():
        return []
    found = []
    for child in checkpoints_dir.iterdir():
        match = _STEP_DIR.match(child.name)
        if match and child.is_dir() and (child / STATE_FILE).exists():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def latest_checkpoint(checkpoints_dir: Path) -> Optional[Path]:
    found = step_dirs(checkpoints_dir)
    return found[-1] if found else None


def checkpoint_bytes(optimizer) -> int:
    """About what a checkpoint takes on disk: the trainable weights and Adam's two moments of each,
    plus room for the small files."""
    trainable = sum(p.numel() * p.element_size() for group in optimizer.param_groups for p in group["params"])
    return 3 * trainable + 1024 * 1024


def rng_states() -> dict:
    """This process's torch RNG states (CPU and every CUDA device)."""
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def save_checkpoint(checkpoints_dir: Path, *, step: int, total_steps: int, backend, optimizer,
                    scaler, position: DataPosition, history: TrainHistory, schedule: dict,
                    fingerprint: dict, keep: int, rank_rng: Optional[list] = None) -> Path:
    """`rank_rng`: every rank's rng_states(), in rank order, when training as several ranks."""
    partial = checkpoints_dir / f".step-{step}.partial"
    try:
        checkpoints_dir.mkdir(parents=True, exist_ok=True)
        # Checked first: a checkpoint cut short by a full disk costs the space and saves nothing.
        ensure_free_space(checkpoints_dir, checkpoint_bytes(optimizer), f"the checkpoint at step {step}", step=step)
        return _write_checkpoint(checkpoints_dir, partial, step=step, total_steps=total_steps, backend=backend,
                                 optimizer=optimizer, scaler=scaler, position=position, history=history,
                                 schedule=schedule, fingerprint=fingerprint, keep=keep, rank_rng=rank_rng)
    except Exception as error:  # noqa: BLE001 - a disk failure gets its own message; the rest goes on up
        if not is_disk_error(error):
            raise
        shutil.rmtree(partial, ignore_errors=True)  # give back what the half-written checkpoint took
        raise describe_disk_error(error, step, partial) from None


def _write_checkpoint(checkpoints_dir: Path, partial: Path, *, step: int, total_steps: int, backend, optimizer,
                      scaler, position: DataPosition, history: TrainHistory, schedule: dict,
                      fingerprint: dict, keep: int, rank_rng: Optional[list]) -> Path:
    final = checkpoints_dir / f"step-{step}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()

    backend.save_weights(partial)
    optimizer_state = optimizer.state_dict()
    torch.save({"state": optimizer_state["state"]}, partial / OPTIMIZER_FILE)
    rng = rng_states()
    if rank_rng is not None:
        rng["ranks"] = rank_rng
    torch.save(rng, partial / RNG_FILE)
    python_version, python_state, python_gauss = random.getstate()
    state = {
        "step": step, "total_steps": total_steps, "epoch": position.epoch, "index_in_epoch": position.index,
        "world_size": len(rank_rng) if rank_rng is not None else 1,
        "schedule": schedule, "fingerprint": fingerprint,
        "optimizer_param_groups": optimizer_state["param_groups"],
        "grad_scaler": scaler.state_dict() if scaler is not None else None,
        "python_rng": {"version": python_version, "state": list(python_state), "gauss_next": python_gauss},
        "recent_losses": history.recent_losses, "last_eval_loss": history.last_eval_loss,
        "last_eval_step": history.last_eval_step, "written_at": time.time(),
    }
    (partial / STATE_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")

    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    for old in step_dirs(checkpoints_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def checkpoint_world_size(path: Path) -> int:
    """The number of ranks that wrote the checkpoint (1 for single-process runs and checkpoints
    from before distributed training)."""
    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunFailure("model_files", f"The checkpoint {path.name} could not be read: {error}",
                         [f"Delete {path} to resume from the checkpoint before it.",
                          "Or start the run again without --resume."]) from None
    return int(state.get("world_size", 1))


def world_size_mismatch(path: Path, written_by: int, resuming_with: int) -> RunFailure:
    def processes(n: int) -> str:
        return f"{n} process{'es' if n != 1 else ''}"
    return RunFailure(
        "config",
        f"The checkpoint {path.parent.name}/{path.name} was written by {processes(written_by)} (GPUs/ranks) and "
        f"this resume runs {processes(resuming_with)}. The data order and each process's share of every "
        "batch depend on that number, so the run cannot continue exactly with another one.",
        [f"Resume with the same {written_by} GPU{'s' if written_by != 1 else ''}/processes as before.",
         "Or start a new run with the new number of GPUs (it begins at step 0)."])


def load_checkpoint(path: Path, *, backend, optimizer, scaler, rank: int = 0, world_size: int = 1) -> Restored:
    """Restore weights, optimizer, scaler and RNG from `path` (this rank's RNG when several
    ranks wrote it). Call it after the model and the optimizer exist (building them uses the
    RNG), right before the first step."""
    written_by = checkpoint_world_size(path)
    if written_by != world_size:
        raise world_size_mismatch(path, written_by, world_size)
    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        backend.load_weights(path)
        if hasattr(optimizer, "load_checkpoint_files"):
            # A sharded run (sharding.py): rank 0 reads the file and hands each rank its shard.
            optimizer.load_checkpoint_files(path / OPTIMIZER_FILE, state["optimizer_param_groups"])
        else:
            optimizer.load_state_dict({"state": read_torch_tensors(path / OPTIMIZER_FILE)["state"],
                                       "param_groups": state["optimizer_param_groups"]})
        rng = read_torch_tensors(path / RNG_FILE)
        if world_size > 1:
            rng = rng["ranks"][rank]
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        raise RunFailure("model_files", f"The checkpoint {path.name} could not be read: {error}",
                         [f"Delete {path} to resume from the checkpoint before it.",
                          "Or start the run again without --resume."]) from None
    if scaler is not None and state["grad_scaler"] is not None:
        scaler.load_state_dict(state["grad_scaler"])
    python_rng = state["python_rng"]
    random.setstate((python_rng["version"], tuple(python_rng["state"]), python_rng["gauss_next"]))
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"][:torch.cuda.device_count()])
    history = TrainHistory(list(state["recent_losses"]), state["last_eval_loss"], state["last_eval_step"])
    return Restored(state["step"], DataPosition(state["epoch"], state["index_in_epoch"]), history,
                    state["fingerprint"], written_by)
