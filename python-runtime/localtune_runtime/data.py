"""Training data: JSONL files written by the app, tokenized here, batched for the loop.

The app formats the text (what the person previewed is what trains); this module never changes
it. A chat example is exactly `prompt + response`, a generic one is `text`; the tokenizer's EOS
token is appended to each. With train_on_response_only, labels of prompt tokens are -100 (no
loss). Labels are the input ids themselves; the loop shifts them by one when computing the loss.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import torch

IGNORE = -100  # label of a token that carries no loss (PyTorch's cross_entropy ignore_index)


@dataclass
class Record:
    text: str
    """The whole example as it trains: prompt + response (chat) or text (generic)."""
    loss_from_char: int
    """Characters before this offset carry no loss (the prompt, when training on the response only)."""
    row: Optional[int]
    line: int


@dataclass
class Example:
    input_ids: List[int]
    labels: List[int]
    row: Optional[int] = None


@dataclass
class TrainingSequence:
    """One row of a batch: a single example, or several packed ones."""
    input_ids: List[int]
    labels: List[int]
    position_ids: List[int]
    n_examples: int = 1


@dataclass
class DataSummary:
    records: int = 0
    examples: int = 0
    truncated: int = 0
    skipped: int = 0
    tokens: int = 0
    target_tokens: int = 0
    sequences: int = 0


def _data_error(message: str, *advice: str):
    from .failures import data_failure
    return data_failure(message, *advice)


def read_records(path: Path, mode: str, train_on_response_only: bool, label: str) -> List[Record]:
    """Parse a JSONL file of the app's format; a bad line is an error naming file and line."""
    try:
        raw_lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise _data_error(f"{label} was not found at {path}.",
                          "Export the dataset again from the app, or fix data paths in run.json.") from None
    except UnicodeDecodeError as error:
        raise _data_error(f"{label} is not UTF-8 text ({error}).", "Export the dataset again from the app.") from None
    records: List[Record] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        where = f"{label} line {number}"
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as error:
            raise _data_error(f"{where} is not valid JSON: {error.msg} (column {error.colno}).",
                              f"Open {label} and fix or remove line {number}, or export the dataset again.") from None
        if not isinstance(obj, dict):
            raise _data_error(f"{where} must be a JSON object, got {type(obj).__name__}.",
                              "Each line must look like {\"prompt\": ..., \"response\": ...} or {\"text\": ...}.")
        row = obj.get("row")
        if row is not None and (isinstance(row, bool) or not isinstance(row, int)):
            raise _data_error(f"{where}: \"row\" must be an integer CSV row number, got {row!r}.")
        if mode == "chat":
            prompt, response = obj.get("prompt"), obj.get("response")
            if not isinstance(prompt, str) or not isinstance(response, str):
                keys = ", ".join(sorted(obj)) or "none"
                raise _data_error(f"{where}: chat mode needs \"prompt\" and \"response\" strings; this line has keys: {keys}.",
                                  "Export the dataset again in chat format, or set mode to \"generic\" for {\"text\": ...} lines.")
            records.append(Record(prompt + response, len(prompt) if train_on_response_only else 0, row, number))
        else:
            text = obj.get("text")
            if not isinstance(text, str):
                keys = ", ".join(sorted(obj)) or "none"
                raise _data_error(f"{where}: generic mode needs a \"text\" string; this line has keys: {keys}.",
                                  "Export the dataset again in generic format, or set mode to \"chat\" for prompt/response lines.")
            records.append(Record(text, 0, row, number))
    return records


def tokenize_records(records: Sequence[Record], tokenizer, max_length: int) -> Tuple[List[Example], DataSummary]:
    summary = DataSummary(records=len(records))
    examples: List[Example] = []
    for record in records:
        ids, first_target = tokenizer.encode_with_boundary(record.text, record.loss_from_char)
        ids = list(ids)
        labels = [IGNORE] * first_target + ids[first_target:]
        if not ids or ids[-1] != tokenizer.eos_id:
            ids.append(tokenizer.eos_id)
            labels.append(tokenizer.eos_id)
        labels[0] = IGNORE  # nothing in this example predicts its first token
        if len(ids) > max_length:
            ids, labels = ids[:max_length], labels[:max_length]
            summary.truncated += 1
        targets = sum(1 for label in labels if label != IGNORE)
        if targets == 0:
            summary.skipped += 1
            continue
        examples.append(Example(ids, labels, record.row))
        summary.tokens += len(ids)
        summary.target_tokens += targets
    summary.examples = len(examples)
    return examples, summary


def as_sequences(examples: Sequence[Example], max_length: int, packing: bool) -> List[TrainingSequence]:
    """One sequence per example, or greedy packing in file order up to max_length tokens.

    Packed examples keep their own position ids (restarting at 0), and both backends build a
    block-diagonal causal mask from them, so no token attends to another example.
    """
    if not packing:
        return [TrainingSequence(e.input_ids, e.labels, list(range(len(e.input_ids)))) for e in examples]
    sequences: List[TrainingSequence] = []
    current: Optional[TrainingSequence] = None
    for example in examples:
        if current is None or len(current.input_ids) + len(example.input_ids) > max_length:
            current = TrainingSequence([], [], [], 0)
            sequences.append(current)
        current.input_ids.extend(example.input_ids)
        current.labels.extend(example.labels)
        current.position_ids.extend(range(len(example.input_ids)))
        current.n_examples += 1
    return sequences


@dataclass
class Batch:
    input_ids: torch.Tensor
    labels: torch.Tensor
    position_ids: torch.Tensor
    attention_mask: torch.Tensor
    packed: bool
    n_examples: int
    n_tokens: int
    n_targets: int = field(init=False)

    def __post_init__(self):
        self.n_targets = int((self.labels[:, 1:] != IGNORE).sum())

    def to(self, device) -> "Batch":
        for name in ("input_ids", "labels", "position_ids", "attention_mask"):
            setattr(self, name, getattr(self, name).to(device, non_blocking=True))
        return self


def collate(sequences: Sequence[TrainingSequence], pad_id: int, packed: bool) -> Batch:
    """Right-pad to the longest row. Pad positions restart at 0 so packed-sequence detection
    (ours and transformers') treats the padding as a separate, ignored segment."""
    width = max(len(s.input_ids) for s in sequences)
    rows = len(sequences)
    input_ids = torch.full((rows, width), pad_id, dtype=torch.long)
    labels = torch.full((rows, width), IGNORE, dtype=torch.long)
    position_ids = torch.zeros((rows, width), dtype=torch.long)
    attention_mask = torch.zeros((rows, width), dtype=torch.long)
    for i, s in enumerate(sequences):
        n = len(s.input_ids)
        input_ids[i, :n] = torch.tensor(s.input_ids, dtype=torch.long)
        labels[i, :n] = torch.tensor(s.labels, dtype=torch.long)
        position_ids[i, :n] = torch.tensor(s.position_ids, dtype=torch.long)
        attention_mask[i, :n] = 1
        if n < width:
            position_ids[i, n:] = torch.arange(width - n) if packed else torch.arange(n, width)
    return Batch(input_ids, labels, position_ids, attention_mask, packed,
                 n_examples=sum(s.n_examples for s in sequences), n_tokens=int(attention_mask.sum()))


@dataclass
class DataPosition:
    """Where the loop is in the data: epoch and index into that epoch's shuffled order."""
    epoch: int = 0
    index: int = 0


class BatchPlan:
    """The order of training sequences: a fresh permutation per epoch, derived only from the seed
    and the epoch number, so a resumed run can rebuild it from (epoch, index) alone."""

    def __init__(self, n_sequences: int, micro_batch_size: int, accumulation: int, seed: int):
        self.n = n_sequences
        self.micro_batch_size = micro_batch_size
        self.accumulation = accumulation
        self.seed = seed
        self._orders: dict = {}

    @property
    def steps_per_epoch(self) -> int:
        micro_batches = math.ceil(self.n / self.micro_batch_size)
        return math.ceil(micro_batches / self.accumulation)

    def order(self, epoch: int) -> List[int]:
        if epoch not in self._orders:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._orders = {epoch: torch.randperm(self.n, generator=generator).tolist()}
        return self._orders[epoch]

    def next_step(self, position: DataPosition) -> Tuple[List[List[int]], DataPosition]:
        """The micro batches (lists of sequence indices) of the next optimizer step. A step never
        spans two epochs; the last step of an epoch may have fewer micro batches."""
        epoch, index = position.epoch, position.index
        if index >= self.n:
            epoch, index = epoch + 1, 0
        order = self.order(epoch)
        micro_batches = []
        while len(micro_batches) < self.accumulation and index < self.n:
            micro_batches.append(order[index:index + self.micro_batch_size])
            index += self.micro_batch_size
        return micro_batches, DataPosition(epoch, min(index, self.n))

    def epochs_done(self, position: DataPosition) -> float:
        return position.epoch + position.index / self.n
