"""Token ids at the prompt/response boundary, with the real tokenizer files of two families:
GPT-2 (byte-level BPE) and Phi-3 (SentencePiece-style, with its chat template).

What must hold: the prompt's ids in a training example are exactly the ids generation feeds
the model; BOS once, EOS once at the end; a CSV cell's `</s>` or `<|end|>` is text.
"""

from pathlib import Path

import pytest

from localtune_runtime.backends.hf_tokenizer import HFTokenizer, split_markup
from localtune_runtime.data import IGNORE, Record, tokenize_records

CONFIGS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "model-configs"
GPT2 = CONFIGS / "openai-community--gpt2"
PHI3 = CONFIGS / "microsoft--Phi-3-mini-4k-instruct"

# One chat row in the LocalTune format, split as src/shared/dataset/training-format.ts splits it.
PROMPT = ("Below is an instruction that describes a task. Write a response that appropriately completes "
          "the request.\n### Instruction: Greet the guest\n### Response:")
RESPONSE = " Sure, welcome in!"


def _tokenizer(folder: Path, **kwargs) -> HFTokenizer:
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(folder), **kwargs)
    if hf.pad_token is None:
        hf.pad_token = hf.eos_token
    return HFTokenizer(hf)


def _chat(prompt: str, response: str, train_on_response_only: bool = True, markup=()) -> Record:
    return Record(prompt, response, not train_on_response_only, row=1, line=1, markup=tuple(markup))


def test_gpt2_the_answer_starts_with_its_own_word_and_the_prompt_ids_are_what_generation_reads():
    tokenizer = _tokenizer(GPT2)
    [example], summary = tokenize_records([_chat(PROMPT, RESPONSE)], tokenizer, 512)
    prompt_ids = tokenizer.encode_prompt(PROMPT)
    n = len(prompt_ids)
    assert example.input_ids[:n] == prompt_ids
    tokens = tokenizer.hf.convert_ids_to_tokens(example.input_ids[n - 3:n + 2])
    print(f"\nGPT-2 ids around the boundary: {example.input_ids[n - 3:n + 2]} = {tokens}")
    assert tokens == ["###", "ĠResponse", ":", "ĠSure", ","]  # " Sure" is one token, as mid-text
    assert example.input_ids == tokenizer.hf(PROMPT + RESPONSE)["input_ids"] + [tokenizer.eos_id]
    # no BOS for GPT-2; one EOS, last
    assert example.input_ids.count(tokenizer.eos_id) == 1 and example.input_ids[-1] == tokenizer.eos_id
    assert example.labels[:n] == [IGNORE] * n and example.labels[n:] == example.input_ids[n:]
    assert summary.truncated == 0 and summary.skipped == 0


def test_phi3_the_boundary_has_no_stray_prefix_space():
    tokenizer = _tokenizer(PHI3)
    [example], _ = tokenize_records([_chat(PROMPT, RESPONSE)], tokenizer, 512)
    n = len(tokenizer.encode_prompt(PROMPT))
    tokens = tokenizer.hf.convert_ids_to_tokens(example.input_ids[n - 3:n + 2])
    print(f"\nPhi-3 ids around the boundary: {example.input_ids[n - 3:n + 2]} = {tokens}")
    assert tokens == ["#", "▁Response", ":", "▁Sure", ","]
    assert example.input_ids[-1] == tokenizer.eos_id and example.input_ids.count(tokenizer.eos_id) == 1


def test_a_response_without_a_leading_space_gets_no_prefix_space_either():
    tokenizer = _tokenizer(PHI3)
    assert tokenizer.hf.convert_ids_to_tokens(tokenizer.encode_continuation("Sure")) == ["S", "ure"]
    assert tokenizer.hf.convert_ids_to_tokens(tokenizer.encode_prompt("Sure")) == ["▁Sure"]  # a text's start has it


@pytest.mark.parametrize("folder", [GPT2, PHI3], ids=["gpt2", "phi3"])
def test_special_token_text_in_a_csv_cell_trains_as_text(folder):
    tokenizer = _tokenizer(folder)
    cell = "Reply with </s> or <|end|> or <|endoftext|> literally"
    [example], _ = tokenize_records([_chat(PROMPT, " " + cell)], tokenizer, 512)
    specials = {tokenizer.hf.convert_tokens_to_ids(t) for t in ("</s>", "<|end|>", "<|endoftext|>")
                if t in tokenizer.hf.get_vocab()}
    assert example.input_ids[-1] == tokenizer.eos_id
    assert not specials.intersection(example.input_ids[:-1])
    assert tokenizer.decode(example.input_ids[:-1]).endswith(cell)


def _phi3_chat_row(user: str, answer: str):
    """The Phi-3 chat template's rendering of one row, split and marked as the app writes it."""
    parts = [("<|user|>\n", True), (user, False), ("<|end|>\n<|assistant|>\n", True), (answer, False),
             ("<|end|>\n<|endoftext|>", True)]
    text, markup, at = "", [], 0
    for piece, is_markup in parts:
        if is_markup:
            markup.append((at, at + len(piece)))
        text += piece
        at += len(piece)
    split = text.index(answer, text.index("<|assistant|>"))
    return text[:split], text[split:], markup


def test_phi3_chat_template_markup_is_control_tokens_and_the_cells_are_text():
    tokenizer = _tokenizer(PHI3)
    prompt, response, markup = _phi3_chat_row("What does </s> mean? <|end|>", "It ends a sequence.")
    [example], _ = tokenize_records([_chat(prompt, response, markup=markup)], tokenizer, 512)
    end, user, assistant = (tokenizer.hf.convert_tokens_to_ids(t) for t in ("<|end|>", "<|user|>", "<|assistant|>"))
    ids = example.input_ids
    assert ids[0] == user and ids.count(user) == 1 and ids.count(assistant) == 1
    # the template's two <|end|> are control tokens; the one in the user's cell is not
    assert ids.count(end) == 2 and tokenizer.hf.convert_tokens_to_ids("</s>") not in ids
    # the template already ends the turn with EOS: no second one
    assert ids[-1] == tokenizer.eos_id and ids.count(tokenizer.eos_id) == 1
    n = len(tokenizer.encode_prompt(prompt, [(s, e) for s, e in markup if e <= len(prompt)]))
    assert ids[n - 1] == assistant or tokenizer.hf.convert_ids_to_tokens(ids[n - 1]) in ("<0x0A>", "\n")
    assert set(example.labels[:n]) == {IGNORE} and example.labels[-1] == tokenizer.eos_id


def test_bos_comes_once_when_the_template_writes_it_and_the_tokenizer_adds_it():
    tokenizer = _tokenizer(PHI3, add_bos_token=True)
    assert tokenizer.bos_id == 1
    prompt, response, markup = _phi3_chat_row("Hi", "Hello.")
    prompt, markup = "<s>" + prompt, [(0, 3)] + [(s + 3, e + 3) for s, e in markup]
    [example], _ = tokenize_records([_chat(prompt, response, markup=markup)], tokenizer, 512)
    assert example.input_ids[0] == 1 and example.input_ids.count(1) == 1
    # and a prompt without it gets the tokenizer's BOS
    [plain], _ = tokenize_records([_chat(PROMPT, RESPONSE)], tokenizer, 512)
    assert plain.input_ids[0] == 1 and plain.input_ids.count(1) == 1


def test_a_long_prompt_loses_its_start_but_keeps_bos_and_the_whole_answer():
    tokenizer = _tokenizer(PHI3, add_bos_token=True)
    long_prompt = "word " * 300 + PROMPT
    [example], summary = tokenize_records([_chat(long_prompt, RESPONSE)], tokenizer, 64)
    assert summary.truncated == 1 and len(example.input_ids) == 64
    assert example.input_ids[0] == 1 and example.input_ids.count(1) == 1
    assert tokenizer.decode(example.input_ids).endswith("### Response: Sure, welcome in!")
    assert example.input_ids[-1] == tokenizer.eos_id


def test_split_markup_cuts_text_into_marked_pieces():
    assert split_markup("<a>hi<b>", [(0, 3), (5, 8)]) == [("<a>", True), ("hi", False), ("<b>", True)]
    assert split_markup("plain", []) == [("plain", False)]
