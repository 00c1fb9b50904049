"""Synthetic training data: random token ids, every row exactly max_length tokens, the same rows
for LocalTune's loop and for the Trainer baseline.

LocalTune's recipe reads text from train.jsonl and tokenizes it, so the rows are written as text
its tokenizer turns back into exactly these ids: decimal ids for Hugging Face architectures (read
by `TokenIdTokenizer`), printable ASCII characters for the tiny demo model (its tokenizer is
UTF-8 bytes). Content does not change the cost of a step; length does, and it is exact.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import List, Sequence, Tuple

from .cases import BenchModel

ROWS_PER_STEP_MULTIPLE = 4  # rows = effective batch × 4: every step draws a full batch, epochs cycle
TINY_DEMO_EOS = 256  # tiny_demo.EOS_ID, kept here to avoid importing the model module for a number


def vocabulary(model: BenchModel) -> Tuple[int, int]:
    """(vocab_size, eos_id) of the architecture."""
    if model.is_tiny_demo:
        return 258, TINY_DEMO_EOS
    config = model.config()
    vocab = int(config["vocab_size"])
    eos = config.get("eos_token_id")
    if isinstance(eos, list):
        eos = eos[0] if eos else None
    return vocab, int(eos) if isinstance(eos, int) and 0 <= eos < vocab else vocab - 1


def make_rows(model: BenchModel, n_rows: int, length: int, seed: int) -> List[List[int]]:
    """n_rows rows of `length` ids: random ids, then EOS, as LocalTune's data loader ends every
    example. The tiny demo gets ids of printable ASCII so that the rows can be written as text."""
    rng = random.Random(seed * 1_000_003 + length)
    vocab, eos = vocabulary(model)
    rows = []
    for _ in range(n_rows):
        if model.is_tiny_demo:
            body = [rng.randint(32, 126) for _ in range(length - 1)]
        else:
            body = [rng.randrange(vocab - 1) for _ in range(length - 1)]
            body = [i + 1 if i >= eos else i for i in body]  # never EOS inside a row
        rows.append(body + [eos])
    return rows


def rows_as_text(model: BenchModel, rows: Sequence[Sequence[int]]) -> List[str]:
    """Text that LocalTune's tokenizer for this model turns back into exactly `rows` (EOS
    included: the loader appends it when the text does not end with it)."""
    if model.is_tiny_demo:
        return ["".join(chr(i) for i in row[:-1]) for row in rows]
    return [" ".join(str(i) for i in row) for row in rows]


def write_train_jsonl(path: Path, texts: Sequence[str]) -> None:
    path.write_text("".join(json.dumps({"text": text, "row": number}) + "\n"
                            for number, text in enumerate(texts, 1)), encoding="utf-8")


class TokenIdTokenizer:
    """The tokenizer LocalTune's recipe uses for synthetic rows: the text is token ids written as
    decimal numbers, so the ids the loop trains on are exactly the ones the harness drew."""

    def __init__(self, eos_id: int):
        self.eos_id = eos_id
        self.pad_id = eos_id  # rows are all max_length long: nothing is padded

    def encode_prompt(self, text: str, markup=()) -> List[int]:
        return [int(part) for part in text.split()]

    def encode_continuation(self, text: str, markup=()) -> List[int]:
        return [int(part) for part in text.split()]

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(str(i) for i in ids)


def write_estimator_dataset(folder: Path, rows: int, max_length: int) -> Path:
    """A train.jsonl for `localtune estimate --dataset`: `rows` examples whose token count is above
    max_length for any counter the CLI uses (the demo's bytes, ⌈bytes / 4⌉ + 1 without a
    tokenizer, a real BPE on random letters), so the estimator cuts each to max_length, like the
    measured rows."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(max_length)
    letters = "abcdefghijklmnopqrstuvwxyz"
    texts = []
    for _ in range(rows):
        words = []
        size = 0
        while size < 6 * max_length:
            word = "".join(rng.choice(letters) for _ in range(rng.randint(2, 9)))
            words.append(word)
            size += len(word) + 1
        texts.append(" ".join(words))
    write_train_jsonl(folder / "train.jsonl", texts)
    return folder
