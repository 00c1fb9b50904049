"""The baseline: a plain `transformers.Trainer` (+ peft for LoRA), as a person would write it,
on the same model, rows, sequence length, effective batch, precision and LoRA settings as
LocalTune's side.

Same: the architecture built from config.json with random weights from the same seed; base
dtype (bf16 for LoRA, fp32 master weights for full, like LocalTune); bf16/fp16 autocast; LoRA r,
alpha = 2r, dropout 0.05 on all linear layers; AdamW (fused on CUDA) without weight decay,
linear decay from the same learning rate, no warm-up; clipping at 1.0; non-reentrant gradient
checkpointing; the same attention kernel. Different, because that is what each does: Trainer's data loader
(pinned memory, random sampler), its loss inside the model, and its loop, which only synchronises
with the GPU when it logs (logging is off here).

Timing: a callback synchronises the device at the end of step W (warm-up) and at the last step;
tokens/s is the tokens of the steps in between over that wall time. The callback's two
synchronisations are the only ones the harness adds.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import torch

from localtune_runtime.failures import is_out_of_memory
from . import environment
from .cases import BenchCase
from .localtune_side import build_random_model, learning_rate

UNAVAILABLE = "unavailable: transformers not installed"
NOT_APPLICABLE_DEMO = "not applicable: the tiny demo model is plain PyTorch, not a transformers model"


@dataclass
class TrainerResult:
    status: str
    tokens_per_s: Optional[float] = None
    s_per_step: Optional[float] = None
    peak_allocated: Optional[int] = None
    peak_reserved: Optional[int] = None


def missing_packages(method: str) -> List[str]:
    needed = ["transformers", "accelerate"] + (["peft"] if method == "lora" else [])
    return [name for name in needed if importlib.util.find_spec(name) is None]


def unavailable_reason(case: BenchCase) -> Optional[str]:
    """Why this row has no baseline, or None when it can have one."""
    missing = missing_packages(case.method)
    if "transformers" in missing:
        return UNAVAILABLE
    if case.model.is_tiny_demo:
        return NOT_APPLICABLE_DEMO
    if missing:
        return f"unavailable: {', '.join(missing)} not installed"
    return None


class _Rows(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = [torch.tensor(row, dtype=torch.long) for row in rows]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        ids = self.rows[index]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids}


def run(case: BenchCase, rows, work_dir: Path, env: environment.Environment, precision: str, steps: int,
        warmup: int, seed: int) -> TrainerResult:
    reason = unavailable_reason(case)
    if reason is not None:
        return TrainerResult(status=reason)
    from transformers import Trainer, TrainerCallback, TrainingArguments, default_data_collator

    cuda = env.device == "cuda"
    device = torch.device("cuda:0" if cuda else "cpu")
    start_step, end_step = warmup, warmup + steps

    class StepClock(TrainerCallback):
        def __init__(self):
            self.started: Optional[float] = None
            self.ended: Optional[float] = None

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step in (start_step, end_step):
                if cuda:
                    torch.cuda.synchronize()
                now = time.perf_counter()
                if state.global_step == start_step:
                    self.started = now
                else:
                    self.ended = now

    environment.reset_peaks(env.device)
    clock = StepClock()
    model = trainer = None
    try:
        torch.manual_seed(seed)
        dtype = torch.float32 if case.method == "full" or precision == "fp32" else \
            {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        model = build_random_model(case.model.folder, dtype, case.attention, device)
        model.config.use_cache = False
        if case.method == "lora":
            from peft import LoraConfig, get_peft_model

            model = get_peft_model(model, LoraConfig(r=case.lora_r, lora_alpha=2 * case.lora_r, lora_dropout=0.05,
                                                     target_modules="all-linear", bias="none",
                                                     task_type="CAUSAL_LM"))
        args = TrainingArguments(
            output_dir=str(work_dir / "trainer"), per_device_train_batch_size=case.micro_batch,
            gradient_accumulation_steps=case.grad_accum, max_steps=end_step, learning_rate=learning_rate(case),
            lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
            bf16=precision == "bf16", fp16=precision == "fp16",
            optim="adamw_torch_fused" if cuda else "adamw_torch",
            gradient_checkpointing=case.checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False} if case.checkpointing else None,
            logging_strategy="no", save_strategy="no", eval_strategy="no", report_to="none",
            disable_tqdm=True, dataloader_num_workers=0, remove_unused_columns=False, seed=seed,
            use_cpu=not cuda)
        trainer = Trainer(model=model, args=args, train_dataset=_Rows(rows), data_collator=default_data_collator,
                          callbacks=[clock])
        trainer.train()
    except Exception as error:  # noqa: BLE001 - one failed row must not end the benchmark
        memory = environment.peaks(env.device)
        if is_out_of_memory(error):
            return TrainerResult(status="out of memory", peak_allocated=memory["allocated"],
                                 peak_reserved=memory["reserved"])
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return TrainerResult(status=f"failed: {type(error).__name__}: {first_line[:200]}")
    finally:
        del model, trainer
    memory = environment.peaks(env.device)
    result = TrainerResult(status="ok", peak_allocated=memory["allocated"], peak_reserved=memory["reserved"])
    if clock.started is None or clock.ended is None:
        result.status = f"failed: Trainer did not reach steps {start_step} and {end_step}"
        return result
    seconds = clock.ended - clock.started
    result.s_per_step = seconds / steps
    result.tokens_per_s = case.tokens_per_step * steps / seconds if seconds > 0 else None
    return result
