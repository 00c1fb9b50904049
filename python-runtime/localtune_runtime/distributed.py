"""Training as N ranks under torchrun, with PyTorch's own torch.distributed.

The app launches the same `train` command through `python -m torch.distributed.run`; torchrun
sets RANK, WORLD_SIZE and LOCAL_RANK (and MASTER_ADDR/MASTER_PORT, its rendezvous store) in each
rank's environment. Without WORLD_SIZE, or with WORLD_SIZE=1, nothing here talks to anyone and
the run is exactly the single-process recipe.

What the ranks share and how:
- the data plan: every rank builds the same global order from (seed, epoch, world size) and
  takes its own slice of every global micro batch (data.rank_share), so no data is sent;
- gradients: DistributedDataParallel (wrap), summed over ranks per optimizer step;
- per step, an all_reduce of the stop flag before it (all ranks stop after the same step) and
  one of the loss after it (all ranks log the loss of the whole global batch);
- failures: each rank that fails writes a record to torchrun's store (TCPStore), which lives in
  the torchrun agent and so survives the ranks; rank 0 turns the first one into the run's error
  event, or names the rank that left no record (killed hard: kill -9, the OOM killer).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, List, Optional, Sequence, Tuple

import torch

from .failures import RunFailure

COLLECTIVE_TIMEOUT_ENV = "LOCALTUNE_COLLECTIVE_TIMEOUT_SECONDS"
# For the tests: "rank=K,step=N,how=raise|kill" makes rank K fail as step N begins, with an
# error of its own (raise) or by SIGKILL to itself (kill: no chance to say anything).
TEST_FAILURE_ENV = "LOCALTUNE_TEST_FAIL_RANK"
# Long enough for rank 0 to write a full-weights checkpoint or the final model while the other
# ranks wait at their next collective; a rank that hangs longer than this fails the run.
DEFAULT_COLLECTIVE_TIMEOUT_SECONDS = 1800
# How long rank 0 waits, after losing contact, for the other ranks to file their failure: a
# rank that failed on its own writes its record before it exits, the others right after they
# see the broken collective, so a few seconds suffice; a rank that was killed never writes.
FAILURE_RECORD_WAIT_SECONDS = 4.0
_KEY = "localtune"


class PeerLost(RunFailure):
    """This rank's collective failed because another rank stopped: a consequence, not the cause."""

    def __init__(self, message: str, step: Optional[int]):
        super().__init__("interrupted", message, ["Resume from the last checkpoint with --resume."], step=step)


@dataclass
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    store: Any = None
    device: Optional[torch.device] = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def reads_stdin(self) -> bool:
        """The first rank of each machine reads `stop` from the shared stdin (one reader, so no
        two ranks split its lines); the stop flag is then agreed on by all ranks."""
        return self.local_rank == 0

    @classmethod
    def from_env(cls) -> "Distributed":
        """The layout torchrun gives this process; a single process without torchrun's variables."""
        raw_world = os.environ.get("WORLD_SIZE", "").strip()
        if not raw_world:
            return cls()
        try:
            world_size = int(raw_world)
            rank = int(os.environ.get("RANK", "0"))
            local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        except ValueError:
            raise RunFailure("config", f"torchrun's WORLD_SIZE={raw_world!r}, RANK={os.environ.get('RANK')!r} and "
                             f"LOCAL_RANK={os.environ.get('LOCAL_RANK')!r} must be integers.",
                             ["Start distributed runs with python -m torch.distributed.run (torchrun), "
                              "which sets them."]) from None
        if world_size < 1 or not 0 <= rank < world_size:
            raise RunFailure("config", f"torchrun's RANK={rank} does not fit WORLD_SIZE={world_size}.",
                             ["Start distributed runs with python -m torch.distributed.run (torchrun)."])
        return cls(rank=rank, world_size=world_size, local_rank=local_rank)

    def quiet_libraries(self) -> None:
        """Ranks other than 0 keep the libraries' progress bars and warnings to themselves, so
        the terminal reads like a single-process run; their own failure is still printed."""
        if self.is_main:
            return
        import warnings

        os.environ["TQDM_DISABLE"] = "1"
        os.environ["TRANSFORMERS_VERBOSITY"] = "error"
        warnings.simplefilter("ignore")
        try:
            from transformers.utils import logging as transformers_logging
        except ImportError:
            return  # the tiny demo model trains without transformers
        transformers_logging.disable_progress_bar()  # "Loading weights", which ignores TQDM_DISABLE

    # ---- set-up and teardown --------------------------------------------------------------------

    def init(self) -> None:
        """Joins the process group: nccl between CUDA GPUs (this rank on cuda:LOCAL_RANK of the
        devices CUDA_VISIBLE_DEVICES leaves), gloo on the CPU. A no-op for a single process."""
        if not self.enabled:
            return
        import torch.distributed as dist

        cuda = torch.cuda.is_available()
        if cuda:
            if self.local_rank >= torch.cuda.device_count():
                raise RunFailure("config", f"Rank {self.rank} has LOCAL_RANK {self.local_rank}, but only "
                                 f"{torch.cuda.device_count()} CUDA GPU(s) are visible to it.",
                                 ["Start at most as many processes per machine (--nproc-per-node) as GPUs "
                                  "are listed in CUDA_VISIBLE_DEVICES."])
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")
        dist.init_process_group("nccl" if cuda else "gloo", timeout=timedelta(seconds=collective_timeout_seconds()))
        self.store = _connect_store()
        self._store_set(f"{_KEY}/host/{self.rank}", socket.gethostname())

    def finish(self) -> None:
        """After a run that ended well: every rank waits here until all are done, rank 0 included
        (it writes the final model while the others wait), so that no rank tears its process group
        down while another still talks to it. A rank that left early made gloo's threads abort the
        process at exit ("terminate called without an active exception", SIGABRT), which turned a
        completed run into a failed torchrun. A peer lost at this point changes nothing: the run's
        outputs and its finished event are written."""
        if not self.enabled:
            return
        import torch.distributed as dist

        try:
            if dist.is_initialized():
                dist.barrier()
        except Exception:  # noqa: BLE001 - see above
            pass

    def close(self) -> None:
        if not self.enabled:
            return
        import torch.distributed as dist

        if dist.is_initialized():
            try:
                dist.destroy_process_group()
            except Exception:  # noqa: BLE001 - after a failed peer, tearing down may fail too; exiting is what matters
                pass

    # ---- collectives ----------------------------------------------------------------------------

    def _all_reduce(self, values: Sequence[float]) -> List[float]:
        import torch.distributed as dist

        tensor = torch.tensor(list(values), dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.tolist()

    def agree_stop(self, requested: bool) -> bool:
        """Whether any rank was asked to stop; all ranks get the same answer."""
        if not self.enabled:
            return requested
        return self._all_reduce([1.0 if requested else 0.0])[0] > 0

    def step_loss(self, loss: float) -> float:
        """The step's loss over all ranks: each rank's part is already divided by the global
        target count, so their sum is the mean per target token of the whole global batch."""
        return self._all_reduce([loss])[0] if self.enabled else loss

    def sum(self, values: Sequence[float]) -> List[float]:
        return self._all_reduce(values) if self.enabled else list(values)

    def gather_ints(self, value: Optional[int]) -> List[Optional[int]]:
        """One integer (or None) from every rank, in rank order, on every rank."""
        if not self.enabled:
            return [value]
        import torch.distributed as dist

        mine = torch.tensor([-1 if value is None else int(value)], dtype=torch.int64, device=self.device)
        gathered = [torch.zeros_like(mine) for _ in range(self.world_size)]
        dist.all_gather(gathered, mine)
        return [None if int(t.item()) < 0 else int(t.item()) for t in gathered]

    def gather_objects(self, value: Any) -> List[Any]:
        if not self.enabled:
            return [value]
        import torch.distributed as dist

        gathered: List[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def wrap_for_gradients(self, model: torch.nn.Module, loss_of_batch: Callable[[Any], torch.Tensor]):
        """A DistributedDataParallel module whose forward(batch) is `loss_of_batch(batch)` over
        `model`'s parameters, or None for a single process. The loss goes through DDP's forward
        (not only the model's), because the backends compute it from parts of the model (the
        decoder and the output layer) and DDP must see the forward that uses its parameters."""
        if not self.enabled:
            return None
        from torch.nn.parallel import DistributedDataParallel

        # No buffers to keep in step (no batch norm; rotary tables are computed the same on every
        # rank), so none are broadcast before each forward. torch 2.13 renamed the switch.
        import inspect

        sync_buffers = ("forward_sync_buffers" if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
                        else "broadcast_buffers")
        return DistributedDataParallel(_LossOfBatch(model, loss_of_batch), device_ids=None, **{sync_buffers: False})

    def injected_failure(self, step: int) -> None:
        """The failure LOCALTUNE_TEST_FAIL_RANK asks for, if it is this rank's and this step's."""
        raw = os.environ.get(TEST_FAILURE_ENV, "").strip()
        if not raw or not self.enabled:
            return
        try:
            spec = dict(part.split("=", 1) for part in raw.split(","))
            rank, at_step, how = int(spec["rank"]), int(spec["step"]), spec.get("how", "raise")
        except (KeyError, ValueError):
            raise RunFailure("config", f"{TEST_FAILURE_ENV}={raw!r} must look like rank=1,step=3,how=raise|kill.",
                             [f"Unset {TEST_FAILURE_ENV}: it is for LocalTune's tests."]) from None
        if rank != self.rank or at_step != step:
            return
        if how == "kill":
            import signal
            os.kill(os.getpid(), signal.SIGKILL)
        raise RunFailure("data", f"test failure injected by {TEST_FAILURE_ENV} on rank {self.rank} at step {step}.",
                         [f"Unset {TEST_FAILURE_ENV}."], step=step)

    # ---- failures -------------------------------------------------------------------------------

    def _store_set(self, key: str, value: str) -> None:
        if self.store is None:
            return
        try:
            self.store.set(key, value)
        except Exception:  # noqa: BLE001 - the store is how failures travel; a dead one must not mask them
            pass

    def _store_get(self, key: str) -> Optional[str]:
        if self.store is None:
            return None
        try:
            if not self.store.check([key]):
                return None
            return self.store.get(key).decode("utf-8")
        except Exception:  # noqa: BLE001
            return None

    def record_failure(self, failure: RunFailure) -> None:
        """Files this rank's failure where rank 0 can read it, even if this process then dies."""
        record = {"rank": self.rank, "kind": failure.kind, "message": failure.message, "advice": failure.advice,
                  "step": failure.step, "secondary": isinstance(failure, PeerLost), "time": time.time()}
        self._store_set(f"{_KEY}/failure/{self.rank}", json.dumps(record))

    def mark_reported(self) -> None:
        """Rank 0 wrote the run's error event: no other rank needs to stand in for it."""
        self._store_set(f"{_KEY}/reported", str(self.rank))

    def failure_records(self) -> dict:
        records = {}
        for rank in range(self.world_size):
            raw = self._store_get(f"{_KEY}/failure/{rank}")
            if raw is not None:
                try:
                    records[rank] = json.loads(raw)
                except ValueError:
                    continue
        return records

    def explain_lost_peer(self, own: RunFailure, wait_seconds: float = FAILURE_RECORD_WAIT_SECONDS) -> Tuple[RunFailure, int]:
        """The failure that stopped the run, as the rank that writes the events reports it, and the
        rank it happened on: the first rank that failed on its own (with its kind, message and
        advice), else the rank that left no record (killed without a chance to say why)."""
        deadline = time.monotonic() + wait_seconds
        records: dict = {}
        while time.monotonic() < deadline:
            records = self.failure_records()
            if any(not r["secondary"] for rank, r in records.items() if rank != self.rank):
                break
            time.sleep(0.2)
        primary = sorted((r for rank, r in records.items() if rank != self.rank and not r["secondary"]),
                         key=lambda r: r["time"])
        of = f"of {self.world_size}"
        if primary:
            first = primary[0]
            return (RunFailure(first["kind"], f"Rank {first['rank']} ({of}) failed: {first['message']}",
                               first["advice"], step=first["step"]), first["rank"])
        silent = [rank for rank in range(self.world_size) if rank != self.rank and rank not in records]
        if silent:
            ranks = ", ".join(str(r) for r in silent)
            noun = "Rank" if len(silent) == 1 else "Ranks"
            message = (f"{noun} {ranks} ({of}) stopped without reporting an error: the process was killed "
                       "(kill -9, the system's out-of-memory killer, a crash in native code), its machine "
                       f"went away, or it hung past the collective timeout. Then {own.message}")
            return (RunFailure("interrupted", message,
                               ["Resume from the last checkpoint with --resume.",
                                "If it happens again, check the system log (e.g. `dmesg` for the out-of-memory "
                                "killer) and the memory each process uses.",
                                "Or train with fewer GPUs/processes."], step=own.step), silent[0])
        return own, self.rank

    def rank_zero_reported(self, wait_seconds: float = FAILURE_RECORD_WAIT_SECONDS) -> bool:
        """Whether rank 0 wrote the run's error event (or at least filed a record) within the wait."""
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self._store_get(f"{_KEY}/reported") is not None or self._store_get(f"{_KEY}/failure/0") is not None:
                return True
            time.sleep(0.2)
        return False

    def stands_in_for_rank_zero(self) -> bool:
        """Whether this rank writes the run's error event should rank 0 die without a word: the
        lowest other rank on rank 0's machine (the one that sees the same run folder)."""
        host = self._store_get(f"{_KEY}/host/0")
        if host is None:
            return False
        first = next((r for r in range(1, self.world_size) if self._store_get(f"{_KEY}/host/{r}") == host), None)
        return first == self.rank


class _LossOfBatch(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, loss_of_batch: Callable[[Any], torch.Tensor]):
        super().__init__()
        self.model = model
        self._loss_of_batch = loss_of_batch

    def forward(self, batch) -> torch.Tensor:
        return self._loss_of_batch(batch)


def collective_timeout_seconds() -> float:
    raw = os.environ.get(COLLECTIVE_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_COLLECTIVE_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise RunFailure("config", f"{COLLECTIVE_TIMEOUT_ENV}={raw!r} is not a number of seconds.",
                         [f"Unset {COLLECTIVE_TIMEOUT_ENV} or set it to e.g. 600."]) from None
    if value <= 0:
        raise RunFailure("config", f"{COLLECTIVE_TIMEOUT_ENV} must be > 0, got {raw}.",
                         [f"Unset {COLLECTIVE_TIMEOUT_ENV} or set it to e.g. 600."])
    return value


def _connect_store():
    """A client of the key-value store torchrun's agent hosts at MASTER_ADDR:MASTER_PORT. It
    outlives the ranks, so a failure filed there is still readable after its rank exited. None
    when it cannot be reached (failures are then reported without the other rank's message)."""
    host, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
    if not host or not port:
        return None
    try:
        import torch.distributed as dist

        return dist.TCPStore(host, int(port), is_master=False, timeout=timedelta(seconds=10),
                             wait_for_workers=False)
    except Exception:  # noqa: BLE001
        return None


def describe_collective_failure(error: BaseException) -> str:
    """The first line of a failed collective's error, without gloo's source location and its
    closing boilerplate ("This is typically caused by ... GLHF!")."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^\[[^\]]*\.(?:cc|cpp|h):\d+\]\s*", "", text)
    return text.split(" This is typically caused", 1)[0].strip()


def is_collective_failure(error: BaseException) -> bool:
    """A collective that failed because another rank went away or did not answer in time."""
    try:
        import torch.distributed as dist

        if isinstance(error, dist.DistError):
            return True
    except ImportError:
        pass
    text = str(error).lower()
    return isinstance(error, RuntimeError) and any(
        phrase in text for phrase in ("gloo", "nccl", "connection closed by peer", "connection reset by peer",
                                      "timed out", "broken pipe", "process group"))
