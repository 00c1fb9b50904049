"""The loss (localtune_runtime.loss) equals the textbook formula it replaced: cross-entropy of
`logits[:, :-1]` against `labels[:, 1:]` in fp32, summed over labelled tokens; in value and in
gradient, chunked or not, from logits or from hidden states through a real architecture's
output layer (with and without LoRA)."""

import pytest
import torch
import torch.nn.functional as F

from localtune_runtime.data import IGNORE
from localtune_runtime.loss import next_token_labels, token_loss_sum


def textbook_loss(logits, labels):
    vocab = logits.size(-1)
    return F.cross_entropy(logits[:, :-1].reshape(-1, vocab).float(), labels[:, 1:].reshape(-1),
                           ignore_index=IGNORE, reduction="sum")


def _labels(batch, length, vocab, generator):
    labels = torch.randint(0, vocab, (batch, length), generator=generator)
    labels[0, :3] = IGNORE       # a prompt that carries no loss
    labels[1, length - 5:] = IGNORE  # padding
    labels[:, 0] = IGNORE
    return labels


def test_shifted_labels_move_left_and_end_ignored():
    labels = torch.tensor([[5, 6, 7], [8, IGNORE, 9]])
    assert next_token_labels(labels).tolist() == [[6, 7, IGNORE], [IGNORE, 9, IGNORE]]


@pytest.mark.parametrize("chunk_tokens", [1024, 7, 1])
def test_chunked_loss_from_logits_equals_the_textbook_formula(chunk_tokens):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 19, 50, generator=generator, requires_grad=True)
    labels = _labels(3, 19, 50, generator)
    expected = textbook_loss(logits, labels)
    (expected_grad,) = torch.autograd.grad(expected, logits)
    loss = token_loss_sum(logits, labels, chunk_tokens=chunk_tokens)
    (grad,) = torch.autograd.grad(loss, logits)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert torch.allclose(grad, expected_grad, atol=1e-7)


def test_bf16_logits_are_upcast_before_the_softmax():
    generator = torch.Generator().manual_seed(1)
    logits = (torch.randn(2, 11, 40, generator=generator) * 4).to(torch.bfloat16)
    labels = _labels(2, 11, 40, generator)
    assert token_loss_sum(logits, labels, chunk_tokens=5).item() == pytest.approx(
        textbook_loss(logits, labels).item(), rel=1e-6)


@pytest.mark.parametrize("lora", [False, True])
def test_hidden_states_through_the_output_layer_equal_the_models_logits(lora):
    from localtune_runtime.backends.hf import HFBackend
    from localtune_runtime.config import RunConfig
    from localtune_runtime.data import TrainingSequence, collate
    from localtune_runtime.precision import choose_compute
    from transformers import AutoModelForCausalLM, Qwen2Config

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(Qwen2Config(
        vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, tie_word_embeddings=False))
    if lora:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False))
    config = RunConfig.from_dict({"schema_version": 1, "run_id": "l", "model": {"id": "local/q", "path": None},
                                  "method": "lora" if lora else "full", "mode": "generic", "data": {"train": "x"},
                                  "params": {"max_length": 32}})
    backend = HFBackend(config, choose_compute("fp32", prefer_cuda=False), lambda *a: None)
    backend.model = model
    generator = torch.Generator().manual_seed(2)
    rows = [torch.randint(0, 300, (n,), generator=generator).tolist() for n in (17, 9, 12)]
    sequences = [TrainingSequence(r, [IGNORE] + r[1:], list(range(len(r)))) for r in rows]
    batch = collate(sequences, 0, False)
    trainable = [p for p in model.parameters() if p.requires_grad]

    expected = textbook_loss(backend.logits(batch), batch.labels)
    expected_grads = torch.autograd.grad(expected, trainable)
    outputs, head = backend.loss_inputs(batch)
    assert head is not None and outputs.size(-1) == 32  # hidden states, not logits
    loss = token_loss_sum(outputs, batch.labels, head, chunk_tokens=8)
    grads = torch.autograd.grad(loss, trainable)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    for got, want in zip(grads, expected_grads):
        assert torch.allclose(got, want, atol=1e-5, rtol=1e-4)


def test_packed_examples_do_not_attend_to_each_other_in_the_hidden_states_the_loss_reads():
    from localtune_runtime.backends.hf import HFBackend
    from localtune_runtime.config import RunConfig
    from localtune_runtime.data import Example, as_sequences, collate
    from localtune_runtime.precision import choose_compute
    from transformers import AutoModelForCausalLM, LlamaConfig

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(LlamaConfig(
        vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2), attn_implementation="sdpa").eval()
    config = RunConfig.from_dict({"schema_version": 1, "run_id": "p", "model": {"id": "local/l", "path": None},
                                  "method": "full", "mode": "generic", "data": {"train": "x"}, "params": {"max_length": 64}})
    backend = HFBackend(config, choose_compute("fp32", prefer_cuda=False), lambda *a: None)
    backend.model = model
    first, second = Example(list(range(5, 20)), list(range(5, 20))), Example(list(range(40, 52)), list(range(40, 52)))
    with torch.no_grad():
        alone = backend.loss_inputs(collate(as_sequences([second], 64, False), 0, False))[0][0]
        packed = backend.loss_inputs(collate(as_sequences([first, second], 64, True), 0, True))[0][0, 15:]
    assert torch.allclose(alone, packed, atol=1e-5)
