"""`python -m localtune_runtime verify --json`: measure whether a training setup fits, before it trains.

The app's estimate is a formula; this is the measurement. One JSON request on stdin:

    {"config": <a run.json object, data.train an absolute path>, "steps": 3,
     "memory_limit_bytes": <the device's memory the run may use, or null>}

It loads the model with the chosen method and precision, builds the worst-case micro batch (the
longest sequences of the training file at max_length, micro_batch_size of them), takes a few real
optimizer steps with the training loop's own step function, and writes JSON lines to stdout:

    {"type": "progress", "stage": "tokenizer"|"data"|"model"|"step", "step": k, "steps": n, "message": ...}
    {"type": "result", "fits": bool, "cause": null|"out_of_memory"|"over_limit", "memory": {...}, ...}
    {"type": "failure", "kind": ..., "message": ..., "advice": [...]}   (could not measure at all)

Memory: on CUDA the allocator's peaks (allocated, reserved) and the device's used memory as the
driver reports it (what nvidia-smi shows, other processes included); on the CPU the process's
resident memory, sampled while each phase runs. With a memory limit, CUDA gets it as a hard cap
(a real out-of-memory error past it) and the CPU's measured peak is compared with it. Nothing is
written to disk: the app runs this with TMPDIR set to a folder it removes afterwards.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import threading
import time
import traceback
from typing import Callable, List, Optional, TextIO

import torch

from .backends import create_backend
from .config import ConfigError, RunConfig
from .data import as_sequences, collate, read_records, tokenize_records
from .failures import RunFailure, config_failure, is_out_of_memory
from .precision import choose_compute
from .terminal import Terminal
from .train import _adamw, _train_step

DEFAULT_STEPS = 3


class ResidentMemory:
    """The process's resident memory (Linux /proc/self/statm), sampled every 2 ms on a thread so
    short peaks inside a step are seen; `peak_since_mark()` is the highest sample since `mark()`."""

    def __init__(self) -> None:
        import os
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def now(self) -> int:
        try:
            with open("/proc/self/statm", "rb") as statm:
                return int(statm.read().split()[1]) * self._page
        except OSError:  # not Linux: the process's lifetime peak is the best there is
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, self.now())

    def mark(self) -> None:
        self._peak = self.now()

    def peak_since_mark(self) -> int:
        return max(self._peak, self.now())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


class VerifyRequest:
    def __init__(self, config: RunConfig, steps: int, memory_limit_bytes: Optional[int]):
        self.config = config
        self.steps = steps
        self.memory_limit_bytes = memory_limit_bytes

    @staticmethod
    def from_json(text: str) -> "VerifyRequest":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise RunFailure("config", f"The verify request on stdin is not JSON: {error.msg}.",
                             ["Send one JSON object: {\"config\": {...run.json...}, \"steps\": 3}."]) from None
        if not isinstance(raw, dict) or not isinstance(raw.get("config"), dict):
            raise RunFailure("config", "The verify request needs \"config\": the run.json object to verify.")
        steps = raw.get("steps", DEFAULT_STEPS)
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 20:
            raise RunFailure("config", f"\"steps\" must be a whole number from 1 to 20, got {steps!r}.")
        limit = raw.get("memory_limit_bytes")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0):
            raise RunFailure("config", f"\"memory_limit_bytes\" must be a positive number of bytes or null, got {limit!r}.")
        try:
            config = RunConfig.from_dict(raw["config"])
        except ConfigError as error:
            raise config_failure(error) from None
        return VerifyRequest(config, steps, int(limit) if limit is not None else None)


def _emit(out: TextIO, **line) -> None:
    out.write(json.dumps(line) + "\n")
    out.flush()


def verify(request_text: str, out: TextIO = None, terminal: Terminal = None, prefer_cuda: bool = True) -> int:
    """Exit code 0 when a result was written (fits or not), 1 when nothing could be measured."""
    out = out if out is not None else sys.stdout
    terminal = terminal or Terminal()
    try:
        request = VerifyRequest.from_json(request_text)
        _emit(out, type="result", **_measure(request, out, terminal, prefer_cuda))
        return 0
    except RunFailure as failure:
        terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
        _emit(out, type="failure", kind=failure.kind, message=failure.message, advice=failure.advice)
        return 1
    except Exception as error:  # noqa: BLE001 - the app must get a failure line, not a silent exit
        terminal.say(traceback.format_exc().rstrip())
        message = f"Unexpected error while verifying: {type(error).__name__}: {error}"
        _emit(out, type="failure", kind="internal", message=message,
              advice=["This is a bug in LocalTune's runtime; the traceback is in the verification's output."])
        return 1


def _measure(request: VerifyRequest, out: TextIO, terminal: Terminal, prefer_cuda: bool) -> dict:
    config, params = request.config, request.config.params
    compute = choose_compute(params.precision, prefer_cuda)
    random.seed(params.seed)
    torch.manual_seed(params.seed)
    resident = ResidentMemory() if not compute.is_cuda else None

    def progress(stage: str, message: str, step: Optional[int] = None) -> None:
        terminal.say(message)
        _emit(out, type="progress", stage=stage, step=step, steps=request.steps, message=message)

    def warn(kind: str, message: str) -> None:
        terminal.say(f"warning: {message}")

    try:
        backend = create_backend(config, compute, warn)
        progress("tokenizer", f"Loading the tokenizer of {config.model.id}")
        tokenizer = backend.load_tokenizer()
        progress("data", f"Finding the longest examples in {config.data.train}")
        batch = _worst_case_batch(config, tokenizer)
        baseline = _resting(compute, resident)
        if compute.is_cuda and request.memory_limit_bytes:
            total = torch.cuda.get_device_properties(compute.device).total_memory
            torch.cuda.set_per_process_memory_fraction(min(1.0, request.memory_limit_bytes / total), compute.device)

        progress("model", f"Loading {config.model.id} ({config.method}) on {compute.device_label} in {compute.precision}")
        measured = _Measured(compute, resident, baseline)
        outcome = _steps(request, backend, compute, batch, measured, progress)
        return measured.result(request, compute, batch, outcome)
    finally:
        if resident is not None:
            resident.close()


class _Batch:
    def __init__(self, sequences, pad_id: int, packed: bool, micro_batch_size: int, max_length: int):
        self.sequences = sequences
        self.pad_id = pad_id
        self.packed = packed
        self.longest = max(len(s.input_ids) for s in sequences)
        self.padded_tokens = self.longest * len(sequences)
        self.micro_batch_size = micro_batch_size
        self.max_length = max_length

    def fresh(self):
        """A new collated batch each step: the loop moves batches to the device in place."""
        return collate(self.sequences, self.pad_id, self.packed)


def _worst_case_batch(config: RunConfig, tokenizer) -> _Batch:
    params = config.params
    records = read_records(config.data.train, config.mode, params.train_on_response_only, config.data.train)
    examples, summary = tokenize_records(records, tokenizer, params.max_length)
    if not examples:
        raise RunFailure("data", f"None of the {summary.records} examples in {config.data.train} can train within "
                         f"max_length={params.max_length} tokens, so there is nothing to measure.",
                         [f"Raise max_length above {params.max_length}, or check the dataset's mapping."])
    sequences = as_sequences(examples, params.max_length, params.packing)
    longest_first = sorted(sequences, key=lambda s: len(s.input_ids), reverse=True)
    chosen = longest_first[:params.micro_batch_size]
    return _Batch(chosen, tokenizer.pad_id, params.packing, params.micro_batch_size, params.max_length)


def _resting(compute, resident: Optional[ResidentMemory]) -> int:
    if compute.is_cuda:
        torch.cuda.synchronize(compute.device)
        return int(torch.cuda.memory_allocated(compute.device))
    return resident.now()


class _Measured:
    """Memory at each phase: after loading (weights), resting after a step (optimizer state), and
    the peak while steps run (gradients, activations, logits and temporaries on top)."""

    def __init__(self, compute, resident: Optional[ResidentMemory], baseline: int):
        self.compute = compute
        self.resident = resident
        self.baseline = baseline
        self.after_load: Optional[int] = None
        self.after_step: Optional[int] = None
        self.peak = baseline
        self.step_seconds: List[float] = []
        self.losses: List[float] = []
        if compute.is_cuda:
            torch.cuda.reset_peak_memory_stats(compute.device)
        else:
            resident.mark()

    def peak_now(self) -> int:
        if self.compute.is_cuda:
            return int(torch.cuda.max_memory_allocated(self.compute.device))
        return self.resident.peak_since_mark()

    def note_peak(self) -> None:
        self.peak = max(self.peak, self.peak_now())

    def result(self, request: VerifyRequest, compute, batch: _Batch, outcome: Optional[str]) -> dict:
        self.note_peak()
        memory = {"kind": "cuda" if compute.is_cuda else "cpu-resident", "peak_bytes": self.peak,
                  "runtime_bytes": self.baseline if not compute.is_cuda else None,
                  "weights_bytes": _delta(self.after_load, self.baseline),
                  "optimizer_state_bytes": _delta(self.after_step, self.after_load),
                  "step_bytes": _delta(self.peak, self.after_step if self.after_step is not None else self.after_load),
                  "allocated_peak_bytes": None, "reserved_peak_bytes": None, "device_used_bytes": None}
        if compute.is_cuda:
            free, total = torch.cuda.mem_get_info(compute.device)
            memory.update(allocated_peak_bytes=int(torch.cuda.max_memory_allocated(compute.device)),
                          reserved_peak_bytes=int(torch.cuda.max_memory_reserved(compute.device)),
                          device_used_bytes=int(total - free))
        # What must fit: on CUDA the allocator's reserved peak (the driver's context comes on top),
        # on the CPU the process's resident peak.
        judged = memory["reserved_peak_bytes"] if compute.is_cuda else self.peak
        limit = request.memory_limit_bytes
        cause, message = outcome, None
        if outcome == "out_of_memory":
            message = (f"{compute.device_label} ran out of memory "
                       f"{'while loading the model' if self.after_load is None else f'at step {len(self.step_seconds) + 1}'}"
                       f" on the longest {len(batch.sequences)} examples ({batch.longest} tokens each).")
        elif limit is not None and judged > limit:
            cause = "over_limit"
            message = (f"The measured peak ({_gib(judged)}) is over the {_gib(limit)} this run may use on "
                       f"{compute.device_label}.")
        timed = self.step_seconds[1:] if len(self.step_seconds) > 1 else self.step_seconds
        seconds = statistics.median(timed) if timed else None
        return {"fits": cause is None, "cause": cause, "message": message,
                "device": compute.device_label, "precision": compute.precision,
                "method": request.config.method, "limit_bytes": limit, "memory": memory,
                "batch": {"sequences": len(batch.sequences), "longest_tokens": batch.longest,
                          "padded_tokens": batch.padded_tokens, "micro_batch_size": batch.micro_batch_size,
                          "max_length": batch.max_length},
                "steps": [{"step": i + 1, "seconds": s, "loss": loss}
                          for i, (s, loss) in enumerate(zip(self.step_seconds, self.losses))],
                "seconds_per_step": seconds,
                "tokens_per_second": batch.padded_tokens / seconds if seconds else None}


def _out_of_memory(error: BaseException) -> bool:
    """The GPU's out-of-memory error, or the CPU allocator's (`can't allocate memory`)."""
    return (is_out_of_memory(error) or isinstance(error, MemoryError)
            or (isinstance(error, RuntimeError) and "can't allocate memory" in str(error)))


def _delta(later: Optional[int], earlier: Optional[int]) -> Optional[int]:
    return None if later is None or earlier is None else max(0, later - earlier)


def _gib(count: float) -> str:
    return f"{count / 2**30:.2f} GiB"


def _steps(request: VerifyRequest, backend, compute, batch: _Batch, measured: _Measured,
           progress: Callable[..., None]) -> Optional[str]:
    """Loads the model and takes the steps; "out_of_memory" when the device ran out, else None."""
    params = request.config.params
    try:
        model = backend.load_model()
        model.train()
        measured.note_peak()
        measured.after_load = _resting(compute, measured.resident)
        named = backend.named_trainable_parameters()
        trainable = [p for _, p in named]
        optimizer = _adamw(named, params.learning_rate, params.weight_decay, compute.is_cuda)
        scaler = compute.grad_scaler()
        for step in range(1, request.steps + 1):
            progress("step", f"Step {step} of {request.steps} on the longest {len(batch.sequences)} examples "
                     f"({batch.longest} tokens)", step)
            if compute.is_cuda:
                torch.cuda.synchronize(compute.device)
            started = time.perf_counter()
            step_batch = batch.fresh()
            # One process, one micro batch that counts: the mean loss over its own target tokens.
            loss, _ = _train_step(backend, compute, optimizer, scaler, trainable, [(step_batch, True)],
                                  params.max_grad_norm, max(1, step_batch.n_targets))
            if compute.is_cuda:
                torch.cuda.synchronize(compute.device)
            measured.step_seconds.append(time.perf_counter() - started)
            measured.losses.append(loss)
            measured.note_peak()
            if step == 1:
                measured.after_step = _resting(compute, measured.resident)
        return None
    except Exception as error:  # noqa: BLE001 - only an out-of-memory error is an answer here
        if not _out_of_memory(error):
            raise
        measured.note_peak()
        if compute.is_cuda:
            torch.cuda.empty_cache()
        return "out_of_memory"
