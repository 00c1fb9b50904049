"""Data: reading the app's JSONL, labels, truncation, packing without leakage, epoch order, LR."""

import math

import pytest
import torch

from conftest import write_jsonl
from localtune_runtime.backends.tiny_demo import ByteTokenizer, build_base_model
from localtune_runtime.data import (IGNORE, BatchPlan, DataPosition, Record, as_sequences, collate,
                                    read_records, tokenize_records)
from localtune_runtime.failures import RunFailure
from localtune_runtime.schedule import get_lr

TOKENIZER = ByteTokenizer()


def test_a_broken_line_names_file_and_line(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"prompt": "a", "response": "b"}\n\n{"prompt": "c", "response": \n')
    with pytest.raises(RunFailure) as raised:
        read_records(path, "chat", True, "train.jsonl")
    assert raised.value.kind == "data"
    assert "train.jsonl line 3" in raised.value.message


def test_a_line_of_the_other_mode_names_its_keys(tmp_path):
    path = write_jsonl(tmp_path / "train.jsonl", [{"text": "hello", "row": 4}])
    with pytest.raises(RunFailure, match="line 1: chat mode needs"):
        read_records(path, "chat", True, "train.jsonl")


def test_chat_labels_cover_exactly_the_response_and_eos(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"prompt": "Q: hi\nA: ", "response": "yo", "row": 1}])
    [example], summary = tokenize_records(read_records(path, "chat", True, "t.jsonl"), TOKENIZER, 64)
    text = "Q: hi\nA: yo"
    assert example.input_ids == list(text.encode()) + [TOKENIZER.eos_id]  # never re-formatted
    targets = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE]
    assert targets == list(b"yo") + [TOKENIZER.eos_id]
    assert summary.target_tokens == 3 and example.row == 1


def test_chat_labels_include_the_prompt_when_asked(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"prompt": "Q: ", "response": "é"}])
    [example], _ = tokenize_records(read_records(path, "chat", False, "t.jsonl"), TOKENIZER, 64)
    assert example.labels[0] == IGNORE  # nothing predicts the first token
    assert example.labels[1:] == example.input_ids[1:]


def test_multibyte_boundaries_count_bytes_not_characters(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"prompt": "ünï: ", "response": "ok"}])
    [example], _ = tokenize_records(read_records(path, "chat", True, "t.jsonl"), TOKENIZER, 64)
    assert [t for t, l in zip(example.input_ids, example.labels) if l != IGNORE] == [ord("o"), ord("k"), TOKENIZER.eos_id]


def test_truncation_is_counted_and_prompt_only_examples_are_skipped(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [
        {"prompt": "p" * 5, "response": "r" * 20},   # the response alone is too long: left out
        {"prompt": "abcdefghij" * 3, "response": "r"},  # the prompt loses its start
        {"prompt": "p", "response": "r"},
    ])
    examples, summary = tokenize_records(read_records(path, "chat", True, "t.jsonl"), TOKENIZER, 16)
    assert (summary.records, summary.examples, summary.truncated, summary.skipped, summary.too_long) == (3, 2, 1, 1, 1)
    cut = examples[0]
    assert len(cut.input_ids) == 16 and cut.input_ids[-2:] == [ord("r"), TOKENIZER.eos_id]
    assert bytes(cut.input_ids[:14]).decode() == ("abcdefghij" * 3)[-14:]  # the end of the prompt is kept
    assert cut.labels[-2:] == [ord("r"), TOKENIZER.eos_id] and set(cut.labels[:14]) == {IGNORE}


def test_a_long_generic_text_is_cut_at_the_end_and_still_ends_with_eos(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": "x" * 40}])
    examples, summary = tokenize_records(read_records(path, "generic", False, "t.jsonl"), TOKENIZER, 16)
    assert summary.truncated == 1 and len(examples[0].input_ids) == 16
    assert examples[0].input_ids[-1] == TOKENIZER.eos_id and examples[0].labels[-1] == TOKENIZER.eos_id


def _examples(texts):
    records = [Record(text, "", True, None, line, generic=True) for line, text in enumerate(texts, start=1)]
    return tokenize_records(records, TOKENIZER, 64)[0]


def test_packing_restarts_positions_and_keeps_every_example():
    examples = _examples(["abc", "defgh", "i", "klmnopqrs"])  # 4, 6, 2 and 10 tokens with EOS
    packed = as_sequences(examples, 12, packing=True)
    assert [s.n_examples for s in packed] == [3, 1]
    assert packed[0].position_ids == [0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 0, 1]
    assert sum(len(s.input_ids) for s in packed) == sum(len(e.input_ids) for e in examples)


def test_packed_examples_do_not_attend_to_each_other():
    """The logits of an example are the same alone and packed behind another one."""
    model = build_base_model(use_sdpa=False).eval()
    first, second = _examples(["The first example.", "Another, longer second example!"])
    alone = collate(as_sequences([second], 64, packing=False), TOKENIZER.pad_id, packed=False)
    together = collate(as_sequences([first, second], 64, packing=True), TOKENIZER.pad_id, packed=True)
    with torch.no_grad():
        logits_alone = model(alone.input_ids, alone.position_ids)[0]
        logits_packed = model(together.input_ids, together.position_ids)[0, len(first.input_ids):]
    assert torch.allclose(logits_alone, logits_packed, atol=1e-5)
    # and the loss sees the same target tokens either way (no target across the boundary)
    first_alone = collate(as_sequences([first], 64, packing=False), TOKENIZER.pad_id, packed=False)
    assert together.n_targets == first_alone.n_targets + alone.n_targets


def test_padding_does_not_change_the_logits_of_real_tokens():
    model = build_base_model(use_sdpa=False).eval()
    short, long = _examples(["short", "a much longer example text"])
    batch = collate(as_sequences([short, long], 64, packing=False), TOKENIZER.pad_id, packed=False)
    alone = collate(as_sequences([short], 64, packing=False), TOKENIZER.pad_id, packed=False)
    with torch.no_grad():
        padded = model(batch.input_ids, batch.position_ids)[0, :len(short.input_ids)]
        single = model(alone.input_ids, alone.position_ids)[0]
    assert torch.allclose(padded, single, atol=1e-5)


def test_epoch_order_depends_only_on_seed_and_epoch():
    plan, again = BatchPlan(10, 2, 2, seed=7), BatchPlan(10, 2, 2, seed=7)
    assert plan.order(1) == again.order(1)
    assert sorted(plan.order(0)) == list(range(10))
    assert plan.order(0) != plan.order(1)
    assert BatchPlan(10, 2, 2, seed=8).order(0) != plan.order(0)


def test_steps_walk_the_epoch_and_move_to_the_next():
    plan = BatchPlan(10, 2, 2, seed=1)
    assert plan.steps_per_epoch == 3
    position, seen = DataPosition(), []
    for _ in range(3):
        micro_batches, position = plan.next_step(position)
        seen += [i for mb in micro_batches for i in mb]
    assert sorted(seen) == list(range(10)) and position == DataPosition(0, 10)
    assert plan.epochs_done(position) == 1.0
    micro_batches, position = plan.next_step(position)
    assert position == DataPosition(1, 4) and micro_batches[0] == plan.order(1)[:2]


def test_learning_rate_schedules():
    common = dict(learning_rate=1.0, warmup_steps=4, total_steps=14)
    assert [get_lr(s, scheduler="linear", **common) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert get_lr(4, scheduler="linear", **common) == 1.0
    assert get_lr(9, scheduler="linear", **common) == pytest.approx(0.5)
    assert get_lr(9, scheduler="cosine", **common) == pytest.approx(0.5)
    assert get_lr(6, scheduler="cosine", **common) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.2)))
    assert 0 < get_lr(13, scheduler="linear", **common) < 0.2
    assert get_lr(13, scheduler="constant", **common) == 1.0


def test_markup_ranges_are_read_and_a_bad_one_names_the_line(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [{"prompt": "<u>hi", "response": "yo<e>", "markup": [[0, 3], [5, 7]]}])
    [record] = read_records(good, "chat", True, "good.jsonl")
    assert record.markup == ((0, 3), (5, 7)) and record.text == "<u>hiyo<e>"
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "a", "response": "b"}, {"prompt": "a", "response": "b", "markup": [[0, 9]]}])
    with pytest.raises(RunFailure) as failure:
        read_records(bad, "chat", True, "bad.jsonl")
    assert "bad.jsonl line 2" in failure.value.message and "[0, 9]" in failure.value.message
