"""Packing, gradient checkpointing and merge through the real loop on the tiny demo model."""

import io
import json

import torch

from conftest import chat_examples, losses_by_step, make_run, of_type, read_events
from localtune_runtime.backends.tiny_demo import load_generator
from localtune_runtime.stop import StopRequest
from localtune_runtime.terminal import Terminal
from localtune_runtime.train import train


def _train(run_dir):
    assert train(run_dir, False, StopRequest(), Terminal(io.StringIO())) == 0
    return read_events(run_dir)


def test_lora_with_packing_checkpointing_and_merge(tmp_path):
    params = {"max_length": 96, "micro_batch_size": 2, "max_steps": 6, "learning_rate": 5e-3, "packing": True,
              "gradient_checkpointing": True, "lora": {"r": 4, "alpha": 8, "dropout": 0.1}}
    run_dir = make_run(tmp_path / "r", method="lora", train=chat_examples(40), params=params, merge=True)
    events = _train(run_dir)
    started = of_type(events, "started")[0]
    assert started["data"]["train_examples"] == 40
    assert 0 < started["model"]["trainable_parameters"] < started["model"]["total_parameters"] / 5
    assert len(losses_by_step(events)) == 6
    finished = of_type(events, "finished")[-1]
    assert finished["adapter_path"].startswith("final/adapter.") and finished["merged_path"] == "final/merged"

    # the merged weights compute what base + adapter compute
    adapter = load_generator(run_dir / "final", torch.device("cpu"))
    merged = load_generator(run_dir / "final" / "merged", torch.device("cpu"))
    assert json.loads((run_dir / "final" / "merged" / "localtune_tiny_demo.json").read_text())["method"] == "full"
    ids = list(b"Q: colour 3?\nA: ")
    with torch.no_grad():
        a, _ = adapter.next_token_logits(ids, None)
        m, _ = merged.next_token_logits(ids, None)
        base, _ = load_generator(None, torch.device("cpu")).next_token_logits(ids, None)
    assert torch.allclose(a, m, atol=1e-4) and not torch.allclose(a, base, atol=1e-3)


def test_gradient_checkpointing_does_not_change_the_losses(tmp_path):
    params = {"max_length": 64, "micro_batch_size": 2, "max_steps": 4, "learning_rate": 3e-3}
    plain = _train(make_run(tmp_path / "plain", train=chat_examples(16), params=params))
    checkpointed = _train(make_run(tmp_path / "ckpt", train=chat_examples(16),
                                   params={**params, "gradient_checkpointing": True}))
    a, b = losses_by_step(plain), losses_by_step(checkpointed)
    assert all(abs(a[s] - b[s]) < 1e-5 for s in a)
