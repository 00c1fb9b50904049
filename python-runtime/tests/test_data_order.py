"""Worst case first: every run starts with its longest batch, then follows the planned order, and a
stopped run resumes onto exactly the batches (and losses) of an uninterrupted one."""

import pytest

from conftest import chat_examples, losses_by_step, make_run, of_type, read_events, run_cli, runtime_env
from localtune_runtime.data import BatchPlan, DataPosition


def _epoch_batches(plan: BatchPlan, start: DataPosition = DataPosition(), steps: int = 1_000):
    batches, position = [], start
    for _ in range(steps):
        micro, position = plan.next_step(position)
        batches.append(micro)
    return batches


def test_the_first_micro_batch_holds_the_longest_sequences_then_the_shuffle_goes_on():
    lengths = [5, 40, 7, 9, 33, 2, 40, 11, 3, 8]
    plan = BatchPlan(10, micro_batch_size=3, accumulation=2, seed=7, lengths=lengths)
    unordered = BatchPlan(10, micro_batch_size=3, accumulation=2, seed=7)
    first_step, _ = plan.next_step(DataPosition())
    assert first_step[0] == [1, 6, 4]  # the three longest, ties in index order
    epoch0 = plan.order(0)
    assert sorted(epoch0) == list(range(10))
    # after the longest batch, the others keep the seed's shuffled order
    assert epoch0[3:] == [i for i in unordered.order(0) if i not in (1, 6, 4)]
    # later epochs are the seed's plain shuffle
    assert plan.order(1) == unordered.order(1)


def test_a_plan_rebuilt_at_any_position_continues_with_the_same_batches():
    lengths = [(i * 37) % 23 + 1 for i in range(17)]
    whole = _epoch_batches(BatchPlan(17, 2, 2, seed=3, lengths=lengths), steps=12)
    for stop_after in range(1, 12):
        position = DataPosition()
        plan = BatchPlan(17, 2, 2, seed=3, lengths=lengths)
        for _ in range(stop_after):
            _, position = plan.next_step(position)
        resumed = BatchPlan(17, 2, 2, seed=3, lengths=lengths)  # a new process rebuilds the plan
        assert _epoch_batches(resumed, position, steps=12 - stop_after) == whole[stop_after:]


def test_lengths_must_match_the_sequences():
    with pytest.raises(ValueError, match="3 lengths for 4 sequences"):
        BatchPlan(4, 1, 1, seed=0, lengths=[1, 2, 3])


def _uneven_examples():
    examples = chat_examples(12)
    examples[9]["response"] = "teal " * 30 + "and that is the longest answer"
    return examples


PARAMS = {"max_length": 256, "micro_batch_size": 1, "gradient_accumulation_steps": 1, "learning_rate": 5e-3,
          "warmup_steps": 0, "save_every_steps": 3, "keep_checkpoints": 2, "lora": {"r": 4, "alpha": 8, "dropout": 0.0}}


def test_a_run_trains_on_its_longest_example_first(tmp_path):
    """Step 1's loss (taken before the first update) is the loss of the longest example alone."""
    examples = _uneven_examples()
    whole = make_run(tmp_path / "whole", train=examples, params={**PARAMS, "max_steps": 1})
    alone = make_run(tmp_path / "alone", train=[examples[9]], params={**PARAMS, "max_steps": 1})
    other = make_run(tmp_path / "other", train=[examples[3]], params={**PARAMS, "max_steps": 1})
    for run_dir in (whole, alone, other):
        result = run_cli("train", "--run-dir", str(run_dir))
        assert result.returncode == 0, result.stderr[-2000:]
    first = losses_by_step(read_events(whole))[1]
    assert first == pytest.approx(losses_by_step(read_events(alone))[1], abs=1e-6)
    assert first != pytest.approx(losses_by_step(read_events(other))[1], abs=1e-3)


def test_stop_and_resume_give_the_losses_of_an_uninterrupted_run_with_uneven_lengths(tmp_path):
    params = {**PARAMS, "max_steps": 8, "micro_batch_size": 2, "gradient_accumulation_steps": 2}
    continuous = make_run(tmp_path / "continuous", train=_uneven_examples(), params=params)
    interrupted = make_run(tmp_path / "interrupted", train=_uneven_examples(), params=params)
    assert run_cli("train", "--run-dir", str(continuous)).returncode == 0
    first = run_cli("train", "--run-dir", str(interrupted), env=runtime_env(LOCALTUNE_STOP_AFTER_STEP="4"))
    assert first.returncode == 0, first.stderr[-2000:]
    second = run_cli("train", "--run-dir", str(interrupted), "--resume")
    assert second.returncode == 0, second.stderr[-2000:]
    events = read_events(interrupted)
    assert [s["resumed_from_step"] for s in of_type(events, "started")] == [None, 4]
    assert not [w for w in of_type(events, "warning") if w.get("kind") == "resume"]
    expected, resumed = losses_by_step(read_events(continuous)), losses_by_step(events)
    assert sorted(resumed) == list(range(1, 9))
    for step in range(1, 9):
        assert resumed[step] == pytest.approx(expected[step], abs=1e-6), f"step {step}"
