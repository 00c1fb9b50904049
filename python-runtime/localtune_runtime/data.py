"""Training data: JSONL files written by the app, tokenized here, batched for the loop.

The app formats the text (what the person previewed is what trains); this module never changes
it. A chat example is exactly `prompt + response`, a generic one is `text`. The prompt and the
response are tokenized separately and their ids concatenated, so the prompt's ids are the ones
generation later feeds the model; EOS ends every example (unless the response already ends a
turn with one of the model's stop ids). With train_on_response_only, labels of prompt tokens are
-100 (no loss). Labels are the input ids themselves; the loop shifts them by one for the loss.

An example longer than max_length keeps its end: a chat example loses the start of its prompt
(BOS stays), and one whose response alone does not fit is left out and counted; a generic text
is cut at max_length with EOS as its last token.
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
    prompt: str
    """The start of the example: a chat prompt, or the whole text of a generic example."""
    response: str
    """What the model learns to write after the prompt (empty for a generic example)."""
    loss_on_prompt: bool
    """False when training on the response only: the prompt's tokens carry no loss."""
    row: Optional[int]
    line: int
    markup: Tuple[Tuple[int, int], ...] = ()
    """Character ranges of prompt + response that a chat template wrote (special tokens allowed
    there); everything else is the user's text, never read as a control token."""
    generic: bool = False

    @property
    def text(self) -> str:
        return self.prompt + self.response


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
    """Cut to max_length: a chat prompt shortened from the start, or a generic text from the end."""
    skipped: int = 0
    """Left out: no token carries loss, or the response alone is longer than max_length."""
    too_long: int = 0
    """Of the skipped: those whose response (with EOS) alone does not fit max_length."""
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
            markup = _markup_spans(obj.get("markup"), len(prompt) + len(response), where)
            records.append(Record(prompt, response, not train_on_response_only, row, number, markup))
        else:
            text = obj.get("text")
            if not isinstance(text, str):
                keys = ", ".join(sorted(obj)) or "none"
                raise _data_error(f"{where}: generic mode needs a \"text\" string; this line has keys: {keys}.",
                                  "Export the dataset again in generic format, or set mode to \"chat\" for prompt/response lines.")
            records.append(Record(text, "", True, row, number, generic=True))
    return records


def _markup_spans(value, length: int, where: str) -> Tuple[Tuple[int, int], ...]:
    """The optional "markup" list of [start, end] character ranges a chat template wrote."""
    if value is None:
        return ()
    advice = "Export the dataset again from the app: it writes \"markup\" as a list of [start, end] character ranges."
    if not isinstance(value, list):
        raise _data_error(f"{where}: \"markup\" must be a list of [start, end] ranges, got {type(value).__name__}.", advice)
    spans = []
    for span in value:
        if (not isinstance(span, list) or len(span) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in span)
                or not 0 <= span[0] <= span[1] <= length):
            raise _data_error(f"{where}: \"markup\" has {span!r}, not a [start, end] range within the example's "
                              f"{length} characters.", advice)
        spans.append((span[0], span[1]))
    return tuple(spans)


def spans_within(markup: Sequence[Tuple[int, int]], start: int, end: int) -> List[Tuple[int, int]]:
    """The parts of markup ranges that fall in [start, end), made relative to start."""
    return [(max(s, start) - start, min(e, end) - start) for s, e in markup if s < end and e > start]


def encode_record(record: Record, tokenizer) -> Tuple[List[int], List[int], List[int]]:
    """(prompt ids with BOS, response ids, end ids): the example is their concatenation."""
    split = len(record.prompt)
    prompt_ids = tokenizer.encode_prompt(record.prompt, spans_within(record.markup, 0, split))
    response_ids = tokenizer.encode_continuation(record.response, spans_within(record.markup, split, len(record.text)))
    # A chat template may end the turn itself (Phi-3's "<|end|>", Qwen's "<|im_end|>"), with
    # one of the ids generation stops at; a second end marker after it would teach nothing.
    stop_ids = getattr(tokenizer, "stop_ids", {tokenizer.eos_id})
    if record.generic:
        ends_turn = prompt_ids[-1:] == [tokenizer.eos_id]
    else:
        ends_turn = any(i in stop_ids for i in response_ids)
    return prompt_ids, response_ids, [] if ends_turn else [tokenizer.eos_id]


def tokenize_records(records: Sequence[Record], tokenizer, max_length: int) -> Tuple[List[Example], DataSummary]:
    summary = DataSummary(records=len(records))
    examples: List[Example] = []
    for record in records:
        prompt_ids, response_ids, end_ids = encode_record(record, tokenizer)
        bos = prompt_ids[:1] if getattr(tokenizer, "bos_id", None) is not None and prompt_ids[:1] == [tokenizer.bos_id] else []
        if len(prompt_ids) + len(response_ids) + len(end_ids) > max_length:
            tail = response_ids + end_ids
            if record.generic:
                prompt_ids = prompt_ids[:max_length - len(end_ids)]
            elif len(bos) + len(tail) + 1 > max_length:
                # Cutting the response would teach the model to stop mid-answer (or never stop).
                summary.skipped += 1
                summary.too_long += 1
                continue
            else:
                keep = max_length - len(bos) - len(tail)
                prompt_ids = bos + prompt_ids[len(prompt_ids) - keep:]
            summary.truncated += 1
        ids = prompt_ids + response_ids + end_ids
        prompt_labels = prompt_ids if record.loss_on_prompt else [IGNORE] * len(prompt_ids)
        labels = list(prompt_labels) + response_ids + end_ids
        labels[0] = IGNORE  # nothing in this example predicts its first token
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
    """The order of training sequences: a fresh permutation per epoch, derived only from the seed,
    the epoch number and the sequences' lengths, so a resumed run can rebuild it from
    (epoch, index) alone.

    Worst case first: given the lengths, the first micro batch of the run holds the longest
    sequences (the rest of epoch 0 keeps its shuffled order), so a batch that does not fit in
    memory fails at step 1, not hours in when the longest examples come up.

    Under torchrun the plan is global: a micro batch holds micro_batch_size x world_size
    sequences and each rank trains on its share of it (rank_share). The order depends only on the
    seed, the epoch, the lengths and the world size, so two ranks with micro batch b take the
    same steps over the same examples as one process with micro batch 2b, every rank rebuilds the
    same plan, and a resume needs only (epoch, index)."""

    def __init__(self, n_sequences: int, micro_batch_size: int, accumulation: int, seed: int,
                 lengths: Optional[Sequence[int]] = None, world_size: int = 1):
        if lengths is not None and len(lengths) != n_sequences:
            raise ValueError(f"BatchPlan: {len(lengths)} lengths for {n_sequences} sequences")
        if world_size < 1:
            raise ValueError(f"BatchPlan: world_size must be >= 1, got {world_size}")
        self.n = n_sequences
        self.micro_batch_size = micro_batch_size
        self.world_size = world_size
        self.global_micro_batch_size = micro_batch_size * world_size
        self.accumulation = accumulation
        self.seed = seed
        self.lengths = list(lengths) if lengths is not None else None
        self._orders: dict = {}

    def longest_batch(self) -> List[int]:
        """Indices of the longest (global) micro batch: the micro_batch_size x world_size longest
        sequences (earlier ones first among equal lengths); [] without lengths. Every rank's share
        of it is that rank's longest micro batch of the run."""
        if self.lengths is None:
            return []
        by_length = sorted(range(self.n), key=lambda i: (-self.lengths[i], i))
        return by_length[:self.global_micro_batch_size]

    @property
    def steps_per_epoch(self) -> int:
        micro_batches = math.ceil(self.n / self.global_micro_batch_size)
        return math.ceil(micro_batches / self.accumulation)

    def order(self, epoch: int) -> List[int]:
        if epoch not in self._orders:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            order = torch.randperm(self.n, generator=generator).tolist()
            if epoch == 0 and self.lengths is not None:
                first = self.longest_batch()
                chosen = set(first)
                order = first + [i for i in order if i not in chosen]
            self._orders = {epoch: order}
        return self._orders[epoch]

    def next_step(self, position: DataPosition) -> Tuple[List[List[int]], DataPosition]:
        """The (global) micro batches, lists of sequence indices, of the next optimizer step. A
        step never spans two epochs; the last step of an epoch may have fewer micro batches, and
        its last micro batch fewer sequences."""
        epoch, index = position.epoch, position.index
        if index >= self.n:
            epoch, index = epoch + 1, 0
        order = self.order(epoch)
        micro_batches = []
        while len(micro_batches) < self.accumulation and index < self.n:
            micro_batches.append(order[index:index + self.global_micro_batch_size])
            index += self.global_micro_batch_size
        return micro_batches, DataPosition(epoch, min(index, self.n))

    def epochs_done(self, position: DataPosition) -> float:
        return position.epoch + position.index / self.n


def rank_share(indices: Sequence[int], rank: int, world_size: int) -> List[int]:
    """Rank `rank`'s part of a global micro batch: contiguous, sizes differing by at most one
    (earlier ranks take the extra), so a full micro batch gives every rank micro_batch_size
    sequences. The last micro batch of an epoch may leave a rank none."""
    base, extra = divmod(len(indices), world_size)
    start = rank * base + min(rank, extra)
    return list(indices[start:start + base + (1 if rank < extra else 0)])
