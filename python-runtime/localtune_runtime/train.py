"""`python -m localtune_runtime train --run-dir DIR [--resume]`: the training recipe.

`train()` reads top to bottom: config, device, tokenizer, data, model, optimizer, resume, loop,
save. The model family is behind a backend object (tiny demo or Hugging Face); everything else
here is shared. Structured facts go to DIR/events.jsonl, words for a person to the terminal.

Exit codes: 0 completed or stopped on request, 1 failed (an `error` event says why), 130 forced
stop (a second Ctrl+C / SIGTERM).

Under torchrun every rank runs this same recipe (distributed.py): each trains on its share of
every global micro batch, DDP sums the gradients (LoRA, QLoRA) or FSDP shards the model over the
ranks (full finetuning of a Hugging Face model, sharding.py), and rank 0 alone writes the events,
the terminal's progress, the checkpoints and the final outputs.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import random
import shutil
import time
import traceback
from pathlib import Path
from typing import List, Optional

import torch

from .backends import create_backend
from .backends.base import parameter_counts
from .checkpoints import (CHECKPOINTS_DIR, TrainHistory, checkpoint_world_size, latest_checkpoint, load_checkpoint,
                          rng_states, save_checkpoint, world_size_mismatch)
from .config import FINAL_DIR, ConfigError, RunConfig, load_run_config, peek_run_identity
from .data import (IGNORE, BatchPlan, DataPosition, DataSummary, as_sequences, collate, rank_share,
                   read_records, tokenize_records)
from .distributed import (FAILURE_RECORD_WAIT_SECONDS, Distributed, PeerLost, describe_collective_failure,
                          is_collective_failure)
from .events import EVENTS_FILE, EventLog, NoEvents
from .failures import (RunFailure, config_failure, describe_disk_error, describe_out_of_memory, ensure_free_space,
                       is_disk_error, is_out_of_memory)
from .loss import token_loss_sum
from .model_card import TrainingOutcome, write_model_card
from .precision import choose_compute, gpu_memory, peak_memory, process_peak_resident_bytes
from .runtime_lock import lock_for_started_event
from .schedule import get_lr
from .sharding import ShardedModel, full_norm
from .stop import StopRequest
from .terminal import Terminal



class _Where:
    """How far the run got, for reporting a failure: the step being taken (None before the loop)
    and the steps completed."""
    step: Optional[int] = None
    completed: int = 0
    config: Optional[RunConfig] = None


def train(run_dir: Path, resume: bool, stop: StopRequest, terminal: Terminal,
          dist: Optional[Distributed] = None) -> int:
    """`dist`: this process's place among torchrun's ranks; None (or a world of 1) trains alone."""
    dist = dist or Distributed()
    run_dir = Path(run_dir).resolve()
    if not run_dir.is_dir():
        terminal.problem("error", f"the run folder {run_dir} does not exist", [])
        return 1
    events = EventLog(run_dir / EVENTS_FILE, *peek_run_identity(run_dir)) if dist.is_main else NoEvents()
    where = _Where()
    started = time.monotonic()
    report = lambda failure: _report_failure(failure, events, terminal, where, started, dist, run_dir)  # noqa: E731
    try:
        dist.init()
        code = _train(run_dir, resume, stop, terminal, events, where, dist)
        dist.finish()
        return code
    except RunFailure as failure:
        return report(failure)
    except KeyboardInterrupt:
        failure = RunFailure("interrupted", "Training was interrupted by a second stop signal before it "
                             "could save; progress since the last checkpoint is lost.",
                             ["Resume from the last checkpoint with --resume.",
                              "To stop cleanly next time, press Ctrl+C once (or send `stop`) and wait for the step to finish."],
                             step=where.step)
        report(failure)
        return 130
    except Exception as error:  # noqa: BLE001 - every failure must become an event
        if dist.enabled and is_collective_failure(error):
            # Another rank went away (or hung); rank 0 finds out which and why from its record.
            failure = PeerLost(f"rank {dist.rank} lost contact with the other ranks: "
                               f"{describe_collective_failure(error)}", where.step)
        elif is_out_of_memory(error):
            p = where.config.params if where.config else None
            failure = describe_out_of_memory(
                error, where.step, where.config.method if where.config else "lora",
                p.micro_batch_size if p else 1, p.max_length if p else 0,
                p.gradient_checkpointing if p else False)
        elif is_disk_error(error):
            # A full or read-only disk is the machine's state, not a bug: name the path and the fix.
            failure = describe_disk_error(error, where.step, run_dir)
        else:
            terminal.say(traceback.format_exc().rstrip())
            failure = RunFailure("internal", f"Unexpected error: {type(error).__name__}: {error}",
                                 ["This is a bug in LocalTune's runtime; the traceback is in the output log.",
                                  "Resume from the last checkpoint with --resume after a fix."], step=where.step)
        return report(failure)
    finally:
        dist.close()


def _train(run_dir: Path, resume: bool, stop: StopRequest, terminal: Terminal, events: EventLog,
           where: _Where, dist: Distributed) -> int:
    started = time.monotonic()

    def warn(kind: str, message: str) -> None:
        events.warning(kind, message)
        terminal.say(f"warning: {message}")

    # ---- 1. config and device ------------------------------------------------------------------
    try:
        config = load_run_config(run_dir)
    except ConfigError as error:
        raise config_failure(error) from None
    where.config = config
    params = config.params
    checkpoints_dir = run_dir / CHECKPOINTS_DIR
    latest = latest_checkpoint(checkpoints_dir)
    if latest is not None and not resume:
        raise RunFailure("config", f"This run folder already has checkpoints (latest: "
                         f"{CHECKPOINTS_DIR}/{latest.name}); starting over would mix two runs.",
                         ["Continue it with: train --run-dir DIR --resume",
                          f"Or delete {checkpoints_dir} to start from scratch."])
    if resume and latest is None:
        warn("resume", "--resume was given but there is no checkpoint yet; starting from step 0.")
    if resume and latest is not None and checkpoint_world_size(latest) != dist.world_size:
        # Before the model loads: the answer does not need it.
        raise world_size_mismatch(latest, checkpoint_world_size(latest), dist.world_size)
    pure_bf16 = config.method == "full" and params.full_weights == "bf16" and not config.model.is_tiny_demo
    compute = choose_compute(params.precision, full_weights="bf16" if pure_bf16 else "fp32",
                             cuda_index=dist.local_rank)
    random.seed(params.seed)
    torch.manual_seed(params.seed)

    # ---- 2. tokenizer --------------------------------------------------------------------------
    backend = create_backend(config, compute, warn)
    # Full finetuning over several ranks shards the model (FSDP): each rank loads it on the CPU
    # and keeps only its shard on its device. The tiny demo model is too small to need it.
    sharded_run = dist.enabled and config.method == "full" and not backend.demo
    if sharded_run:
        if compute.precision == "fp16":
            # GradScaler decides per rank whether a step overflowed; with each rank holding other
            # shards of the gradients, the ranks could disagree and their weights drift apart.
            raise RunFailure("unsupported_precision",
                             f"Full finetuning on {dist.world_size} GPUs shards the model (FSDP), and LocalTune "
                             "trains sharded models in bf16 or fp32, not fp16 (fp16 needs loss scaling that all "
                             "ranks agree on).",
                             ["Set precision to \"fp32\" (fp32 compute; more memory and time).",
                              "Or use LoRA, which trains on several fp16 GPUs.",
                              "Or train on one GPU."])
        backend.loads_on_cpu = True
    if backend.demo:
        from .backends.tiny_demo import DEMO_NOTICE
        terminal.say(DEMO_NOTICE)
        if params.full_weights == "bf16" and config.method == "full":
            warn("precision", "full_weights bf16 applies to Hugging Face models; the tiny demo model trains "
                 "fp32 weights.")
    terminal.say(f"Loading the tokenizer of {config.model.id}")
    tokenizer = backend.load_tokenizer()

    # ---- 3. data -------------------------------------------------------------------------------
    train_examples, train_summary = _load_split(run_dir, config.data.train, config, tokenizer)
    _check_training_data(config.data.train, train_summary, params, warn)
    train_set = as_sequences(train_examples, params.max_length, params.packing)
    if len(train_set) < params.effective_batch_size * dist.world_size:
        raise _too_small(config.data.train, len(train_examples), len(train_set), params, dist.world_size)
    valid_set, valid_summary = [], None
    if config.data.valid:
        valid_examples, valid_summary = _load_split(run_dir, config.data.valid, config, tokenizer)
        if not valid_examples:
            warn("data", f"{config.data.valid} has no usable examples; training goes on without evaluation.")
        valid_set = as_sequences(valid_examples, params.max_length, params.packing)
    # Worst case first: the run's first micro batch is its longest, so running out of memory
    # shows at step 1 with its advice rather than when the longest examples come up.
    plan = BatchPlan(len(train_set), params.micro_batch_size, params.gradient_accumulation_steps, params.seed,
                     lengths=[len(s.input_ids) for s in train_set], world_size=dist.world_size)
    # Per sequence, what a step counts: the loss of a step is divided by its global target count,
    # which every rank knows from the plan without asking the others.
    sequence_targets = [sum(1 for label in s.labels[1:] if label != IGNORE) for s in train_set]
    total_steps = params.max_steps or params.epochs * plan.steps_per_epoch
    terminal.say(f"Data: {train_summary.examples} training examples ({train_summary.tokens:,} tokens), "
                 f"{valid_summary.examples if valid_summary else 0} validation examples; {total_steps} steps")

    # ---- 4. model ------------------------------------------------------------------------------
    terminal.say(f"Loading {config.model.id} ({config.method}) on {compute.device_label} in {compute.precision}")
    model = backend.load_model()
    model.train()
    total_params, trainable_params = parameter_counts(model)
    # Sharding replaces the parameters (with each rank's shards), so it comes before the
    # optimizer is made from them.
    sharded = (ShardedModel(model, lambda batch: _loss_sum(backend, batch), compute.device, dist.rank,
                            dist.world_size, compute.dtype) if sharded_run else None)
    named_trainable = backend.named_trainable_parameters()
    trainable = [p for _, p in named_trainable]
    if dist.enabled:
        # Every rank built the same weights from the seed; from here on each draws its own
        # dropout masks (its RNG state is saved per rank, so a resume stays exact).
        torch.manual_seed(params.seed + dist.rank)

    # ---- 5. optimizer --------------------------------------------------------------------------
    optimizer = _adamw(named_trainable, params.learning_rate, params.weight_decay,
                       compute.is_cuda and sharded is None)
    scaler = compute.grad_scaler()
    schedule = {"name": params.scheduler, "learning_rate": params.learning_rate,
                "warmup_steps": params.warmup_steps, "total_steps": total_steps}
    fingerprint = {"sequences": len(train_set), "micro_batch_size": params.micro_batch_size,
                   "gradient_accumulation_steps": params.gradient_accumulation_steps,
                   "seed": params.seed, "method": config.method, "total_steps": total_steps,
                   "longest_first": True}

    # ---- 6. resume -----------------------------------------------------------------------------
    step, position, history, resumed_from = 0, DataPosition(), TrainHistory(), None
    if resume and latest is not None:
        # A sharded run's rank 0 reads the full weights and optimizer state and hands each rank its shard.
        restore = sharded.restorer(optimizer) if sharded else None
        restored = load_checkpoint(latest, backend=restore or backend, optimizer=restore or optimizer, scaler=scaler,
                                   rank=dist.rank, world_size=dist.world_size)
        step, position, history, resumed_from = restored.step, restored.position, restored.history, restored.step
        where.completed = step
        if restored.fingerprint != fingerprint:
            warn("resume", "Settings that decide the data order or schedule changed since the checkpoint; "
                 "the resumed run continues but will not match an uninterrupted one.")
        terminal.say(f"Resumed from {CHECKPOINTS_DIR}/{latest.name} (step {step}, epoch {position.epoch})")
    # After the resume, so that the weights DDP broadcasts from rank 0 are the restored ones.
    ddp = sharded or dist.wrap_for_gradients(model, lambda batch: _loss_sum(backend, batch))
    parallelism = None if not dist.enabled else "fsdp" if sharded else "ddp"
    # The lock (what `setup-runtime` installed, every exact version) makes a run reproducible
    # from its events alone; None for a Python the set-up did not make.
    events.emit("started", versions=backend.library_versions(), runtime_lock=lock_for_started_event(),
                device=compute.device_label,
                precision=compute.precision, method=config.method, mode=config.mode,
                config=config.to_dict()["params"], total_steps=total_steps, resumed_from_step=resumed_from,
                world_size=dist.world_size, parallelism=parallelism,
                effective_batch_size=params.effective_batch_size * dist.world_size,
                model={"id": config.model.id, "total_parameters": total_params,
                       "trainable_parameters": trainable_params},
                data={"train_examples": train_summary.examples,
                      "valid_examples": valid_summary.examples if valid_summary else 0,
                      "truncated_examples": train_summary.truncated, "skipped_examples": train_summary.skipped})
    terminal.say(f"Training {trainable_params:,} of {total_params:,} parameters"
                 + (f" on {dist.world_size} processes" if dist.enabled else "")
                 + (f" (FSDP: each holds 1/{dist.world_size} of the weights, gradients and optimizer state; "
                    f"{sharded.units} blocks gathered one at a time)" if sharded else "")
                 + (" [DEMO MODEL]" if backend.demo else ""))

    # ---- 7. the loop ---------------------------------------------------------------------------
    def evaluate_now() -> None:
        eval_loss = _evaluate(backend, compute, valid_set, params.micro_batch_size, tokenizer.pad_id, params.packing,
                              dist, sharded)
        history.last_eval_loss, history.last_eval_step = eval_loss, step
        events.emit("eval", step=step, eval_loss=eval_loss, eval_examples=valid_summary.examples)
        terminal.say(f"step {step}: eval loss {eval_loss:.4f} ({valid_summary.examples} examples)")

    def checkpoint_now() -> None:
        # Every rank takes part (its RNG state, and its shards of a sharded model, go into the
        # checkpoint); rank 0 writes it.
        gathered = sharded.gather(optimizer) if sharded else None
        rank_rng = dist.gather_objects(rng_states()) if dist.enabled else None
        if not dist.is_main:
            return
        path = save_checkpoint(checkpoints_dir, step=step, total_steps=total_steps, backend=gathered or backend,
                               optimizer=gathered or optimizer, scaler=scaler, position=position, history=history,
                               schedule=schedule, fingerprint=fingerprint, keep=params.keep_checkpoints,
                               rank_rng=rank_rng)
        relative = path.relative_to(run_dir).as_posix()
        events.emit("checkpoint", step=step, path=relative)
        terminal.say(f"step {step}: saved checkpoint {relative}")

    bar = terminal.progress_bar(total_steps, initial=step)
    loop_started = window_started = time.monotonic()
    first_step, window_tokens, window_examples = step, 0, 0
    last_checkpoint_step = step if resumed_from is not None else None
    # The stop flag is agreed on before every step, so all ranks stop after the same one.
    while step < total_steps and not dist.agree_stop(stop.requested):
        where.step = step + 1
        dist.injected_failure(step + 1)
        micro_batches, position = plan.next_step(position)
        lr = get_lr(step, learning_rate=params.learning_rate, scheduler=params.scheduler,
                    warmup_steps=params.warmup_steps, total_steps=total_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batches = [_my_batch(indices, train_set, tokenizer.pad_id, params.packing, dist) for indices in micro_batches]
        step_sequences = [i for indices in micro_batches for i in indices]
        loss, grad_norm = _train_step(backend, compute, optimizer, scaler, trainable, batches, params.max_grad_norm,
                                      sum(sequence_targets[i] for i in step_sequences), ddp, dist.world_size)
        step += 1
        where.completed = step
        loss = dist.step_loss(loss)
        history.add_loss(loss)
        window_tokens += sum(len(train_set[i].input_ids) for i in step_sequences)
        window_examples += sum(train_set[i].n_examples for i in step_sequences)

        if step % params.log_every_steps == 0 or step == total_steps:
            now = time.monotonic()
            seconds_per_step = (now - loop_started) / (step - first_step)
            window = max(now - window_started, 1e-9)
            events.emit("progress", step=step, total_steps=total_steps,
                        epoch=plan.epochs_done(position), loss=loss, lr=lr, grad_norm=grad_norm,
                        tokens_per_second=window_tokens / window, examples_per_second=window_examples / window,
                        elapsed_seconds=now - started, eta_seconds=seconds_per_step * (total_steps - step),
                        gpu_memory=gpu_memory(compute), **_rank_memory(compute, dist))
            window_started, window_tokens, window_examples = now, 0, 0
        bar.update(step, f"loss={loss:.4f} lr={lr:.2e}")
        if valid_set and step % params.eval_every_steps == 0:
            evaluate_now()
        if step % params.save_every_steps == 0 and step < total_steps:
            checkpoint_now()
            last_checkpoint_step = step
        stop.after_step(step)
    terminal.close_bar()
    where.step = step

    # ---- 8. save -------------------------------------------------------------------------------
    status = "completed" if step >= total_steps else "stopped"
    if status == "stopped":
        terminal.say(f"Stopping at step {step} of {total_steps} ({stop.reason or 'requested on another rank'}).")
        if step > 0 and last_checkpoint_step != step:
            checkpoint_now()
    if valid_set and step > 0 and history.last_eval_step != step:
        evaluate_now()
    # A sharded model's full weights are gathered onto rank 0 (every rank takes part).
    final_weights = sharded.full_weights() if sharded and step > 0 else None
    if not dist.is_main:
        return 0  # the final outputs are rank 0's to write
    outputs, final_dir = None, run_dir / FINAL_DIR
    if step > 0:
        # The final weights: the adapter, or every weight for full finetuning and a merged model (16-bit).
        needed = (total_params * 2 if config.merge or config.method == "full" else trainable_params * 4) + (16 << 20)
        ensure_free_space(run_dir, needed, f"the final model in {FINAL_DIR}/", step=step)
        if final_dir.exists():
            shutil.rmtree(final_dir)
        final_dir.mkdir()
        outputs = backend.save_final(final_dir, run_dir, config.merge, warn, **(
            {"full_weights": final_weights} if final_weights is not None else {}))
        outcome = TrainingOutcome(status, step, total_steps, history.final_train_loss, history.last_eval_loss,
                                  total_params, trainable_params, compute.precision, compute.device_label, backend.demo)
        write_model_card(final_dir, config, train_summary, valid_summary, outputs, outcome)
        terminal.say(f"Saved the {'adapter' if outputs.adapter_path else 'model'} and a model card in {FINAL_DIR}/")
    events.emit("finished", status=status, step=step,
                final_dir=FINAL_DIR if outputs else None,
                adapter_path=outputs.adapter_path if outputs else None,
                weights_path=outputs.weights_path if outputs else None,
                merged_path=outputs.merged_path if outputs else None,
                final_train_loss=history.final_train_loss, final_eval_loss=history.last_eval_loss,
                peak_memory_bytes=peak_memory(compute), elapsed_seconds=time.monotonic() - started)
    terminal.say(f"Finished: {status} at step {step} of {total_steps}"
                 + (f", final train loss {history.final_train_loss:.4f}" if history.final_train_loss is not None else ""))
    return 0


# ---- the pieces the recipe calls ---------------------------------------------------------------


def _load_split(run_dir: Path, name: str, config: RunConfig, tokenizer):
    path = Path(name) if Path(name).is_absolute() else run_dir / name
    records = read_records(path, config.mode, config.params.train_on_response_only, name)
    return tokenize_records(records, tokenizer, config.params.max_length)


def _check_training_data(name: str, summary: DataSummary, params, warn) -> None:
    if summary.records == 0:
        raise RunFailure("data", f"{name} is empty: there is nothing to train on.",
                         ["Check that the CSV has rows and that the mapped columns are not empty, then start the run again."])
    if summary.examples == 0:
        raise RunFailure("data", f"None of the {summary.records} examples in {name} can train within "
                         f"max_length={params.max_length} tokens ({summary.too_long} have a response longer "
                         "than that on its own).",
                         [f"Raise params.max_length above {params.max_length}.",
                          "Or turn off train_on_response_only so prompt tokens carry loss too."])
    if summary.truncated:
        warn("data", f"{summary.truncated} of {summary.records} examples in {name} are longer than "
             f"max_length={params.max_length} tokens: chat prompts lost their start (the response and "
             "its end marker are whole), generic texts were cut at the end and still end with EOS.")
    if summary.too_long:
        warn("data", f"{summary.too_long} examples in {name} were left out: their response alone is longer "
             f"than max_length={params.max_length} tokens, and a cut response would teach the model to "
             "stop mid-answer. Raise max_length to keep them.")
    if summary.skipped > summary.too_long:
        warn("data", f"{summary.skipped - summary.too_long} examples in {name} were skipped: no token in them "
             "carries loss (an empty response).")


def _too_small(name: str, examples: int, sequences: int, params, world_size: int = 1) -> RunFailure:
    packed = f" (packed into {sequences} sequences)" if params.packing else ""
    advice = []
    if params.micro_batch_size * world_size > sequences:
        advice.append(f"Lower params.micro_batch_size to {max(1, sequences // world_size)} or less.")
    if params.gradient_accumulation_steps > 1:
        advice.append("Lower params.gradient_accumulation_steps.")
    if params.packing:
        advice.append("Turn off packing.")
    advice.append("Add more rows to the dataset.")
    if world_size > 1:
        advice.append("Or train with fewer GPUs/processes.")
        ranks = f" x {world_size} processes"
    else:
        ranks = ""
    return RunFailure("data", f"{name} has {examples} usable examples{packed}, fewer than one optimizer step "
                      f"needs: micro_batch_size {params.micro_batch_size} x gradient_accumulation_steps "
                      f"{params.gradient_accumulation_steps}{ranks} = {params.effective_batch_size * world_size}.",
                      advice)


def _adamw(named_parameters, learning_rate: float, weight_decay: float, on_cuda: bool) -> torch.optim.AdamW:
    """AdamW with decay on matrices only; the fused CUDA kernel where this torch has one."""
    decay = [p for _, p in named_parameters if p.ndim >= 2]
    no_decay = [p for _, p in named_parameters if p.ndim < 2]
    groups = [g for g in ({"params": decay, "weight_decay": weight_decay},
                          {"params": no_decay, "weight_decay": 0.0}) if g["params"]]
    kwargs = {}
    if on_cuda and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        kwargs["fused"] = True
    return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.999), eps=1e-8, **kwargs)


def _loss_sum(backend, batch) -> torch.Tensor:
    """The batch's summed token loss. A backend that offers `loss_inputs` hands over hidden states
    and its output layer, so the loss never holds the batch's logits (localtune_runtime.loss);
    otherwise the loss chunks the logits the model returns."""
    loss_inputs = getattr(backend, "loss_inputs", None)
    if loss_inputs is not None:
        outputs, head = loss_inputs(batch)
    else:
        outputs, head = backend.logits(batch), None
    return token_loss_sum(outputs, batch.labels, head)


def _my_batch(indices: List[int], train_set, pad_id: int, packed: bool, dist: Distributed):
    """(this process's batch of a global micro batch, whether it counts). A rank whose share of
    the epoch's last, short micro batch is empty still runs one sequence with its loss times zero:
    DDP's gradient sum needs every rank's backward."""
    mine = rank_share(indices, dist.rank, dist.world_size) if dist.enabled else indices
    return collate([train_set[i] for i in (mine or indices[:1])], pad_id, packed), bool(mine)


def _train_step(backend, compute, optimizer, scaler, trainable: List[torch.nn.Parameter],
                batches, max_grad_norm: float, targets: int, ddp=None, world_size: int = 1):
    """One optimizer step over its micro batches, (batch, counts) pairs; returns (this process's
    part of the mean loss per target token, grad norm).

    Each micro batch's summed loss is divided by the target tokens of the whole (global) step, so
    the gradient equals that of one big batch however the step is split into micro batches and
    ranks. Under DDP (or FSDP: `ddp` is then the sharded model) the gradients are summed over
    ranks once, on the last micro batch.
    """
    step_loss = 0.0
    for number, (batch, counts) in enumerate(batches):
        batch.to(compute.device)
        last = number == len(batches) - 1
        with (ddp.no_sync() if ddp is not None and not last else contextlib.nullcontext()):
            with compute.autocast():
                loss = (ddp(batch) if ddp is not None else _loss_sum(backend, batch)) / targets
            if not counts:
                loss = loss * 0.0
            # DDP averages the ranks' gradients; the step's gradient is their sum.
            scaled = loss * world_size if world_size > 1 else loss
            (scaler.scale(scaled) if scaler is not None else scaled).backward()
        step_loss += loss.item()
    if scaler is not None:
        scaler.unscale_(optimizer)
    grad_norm = torch.nn.utils.clip_grad_norm_(trainable, max_grad_norm if max_grad_norm > 0 else math.inf)
    if scaler is not None:
        scaler.step(optimizer)  # skips the update when fp16 gradients overflowed
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return step_loss, full_norm(grad_norm)


def _evaluate(backend, compute, sequences, batch_size: int, pad_id: int, packed: bool,
              dist: Optional[Distributed] = None, sharded: Optional[ShardedModel] = None) -> float:
    """Mean loss per target token over `sequences`; under torchrun each rank takes every
    world_size-th batch and the sums are added up. A sharded model's forward is a collective, so
    there every rank runs as many forwards as the rank with the most batches (a rank without a
    batch of its own runs the first one again and does not count it)."""
    dist = dist or Distributed()
    backend.model.eval()
    loss_sum, targets = 0.0, 0
    starts = list(range(0, len(sequences), batch_size))
    rounds = -(-len(starts) // dist.world_size)
    with torch.no_grad():
        for number in range(rounds * dist.world_size):
            if number % dist.world_size != dist.rank:
                continue
            counts = number < len(starts)
            if not counts and sharded is None:
                break
            start = starts[number] if counts else 0
            batch = collate(sequences[start:start + batch_size], pad_id, packed).to(compute.device)
            with compute.autocast():
                loss = float(sharded(batch) if sharded is not None else _loss_sum(backend, batch))
            if counts:
                loss_sum += loss
                targets += batch.n_targets
    backend.model.train()
    if dist.enabled:
        loss_sum, targets = dist.sum([loss_sum, targets])
    return loss_sum / max(1, targets)


def _rank_memory(compute, dist: Distributed) -> dict:
    """Each rank's peak memory (its GPU's, or its process's resident memory on the CPU), for the
    progress event of a distributed run; nothing for a single process."""
    if not dist.enabled:
        return {}
    peak = int(torch.cuda.max_memory_allocated(compute.device)) if compute.is_cuda else process_peak_resident_bytes()
    return {"rank_peak_bytes": dist.gather_ints(peak)}


def _report_failure(failure: RunFailure, events, terminal: Terminal, where: _Where,
                    started: float, dist: Distributed, run_dir: Path) -> int:
    terminal.close_bar()
    rank = None
    if dist.enabled:
        dist.record_failure(failure)
        if not dist.is_main:
            terminal.problem(f"error on rank {dist.rank} ({failure.kind})", failure.message, failure.advice)
            if not (isinstance(failure, PeerLost) and dist.stands_in_for_rank_zero()
                    and not dist.rank_zero_reported()):
                return 1
            # Rank 0 is gone without a word (killed): this rank, on its machine, writes the events.
            events = EventLog(run_dir / EVENTS_FILE, *peek_run_identity(run_dir))
        if isinstance(failure, PeerLost):
            # A stand-in for rank 0 has waited for the others' records already.
            wait = FAILURE_RECORD_WAIT_SECONDS if dist.is_main else 1.0
            failure, rank = dist.explain_lost_peer(failure, wait_seconds=wait)
        else:
            rank = dist.rank
    step = failure.step if failure.step is not None else where.step
    if dist.is_main or not dist.enabled:
        terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
    try:
        events.error(failure.kind, failure.message, failure.advice, step, failure.memory,
                     **({"rank": rank} if rank is not None else {}))
        dist.mark_reported()
        events.emit("finished", status="failed", step=where.completed, final_dir=None, adapter_path=None,
                    weights_path=None, merged_path=None, final_train_loss=None, final_eval_loss=None,
                    peak_memory_bytes=failure.memory.get("peak_bytes") if failure.memory else None,
                    elapsed_seconds=time.monotonic() - started)
    except Exception as error:  # noqa: BLE001 - e.g. a full disk; the exit code still says failed
        terminal.say(f"(could not write the error to {EVENTS_FILE}: {error})")
    return 1
