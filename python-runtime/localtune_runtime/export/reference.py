"""What an export must reproduce: prompts in the training format, their ids, and greedy answers.

The prompts are the run's own examples (the first of train.jsonl, then valid.jsonl, then more of
train.jsonl), so they are exactly the text the model was trained to answer. Their ids come from
the runtime's HFTokenizer.encode_prompt, the function that made the training examples. The answer
is greedy (the most likely token each step) until an end-of-answer id or `max_new_tokens`; for
each step the gap between the two most likely tokens' logits is kept, so a later comparison can
tell a real difference from a near tie that a 16-bit or 8-bit copy may resolve the other way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import torch

from ..config import RunConfig
from ..data import read_records, spans_within

# A prompt longer than this (in tokens) is not used: the check is about the format and the
# weights, and a short context keeps llama.cpp's verification fast.
MAX_PROMPT_TOKENS = 384


@dataclass
class ReferencePrompt:
    prompt: str
    """The prompt exactly as in the training data."""
    parse_special: bool
    """Whether special-token text in the prompt is a control token (a chat template wrote it)."""
    prompt_ids: List[int]
    """The ids training fed the model for this prompt (BOS included when the model uses one)."""
    tokens: List[int] = field(default_factory=list)
    """The greedy answer's ids, without the end-of-answer id."""
    margins: List[float] = field(default_factory=list)
    """Per answer step (and for the stop step): logit of the chosen token minus the runner-up's."""
    stop: str = "length"
    """"end" when an end-of-answer id came, "length" when max_new_tokens ran out."""
    stop_id: Optional[int] = None
    text: str = ""


def pick_prompts(config: RunConfig, run_dir: Path, tokenizer, count: int = 3) -> List[ReferencePrompt]:
    """Up to `count` distinct training-format prompts from the run's data, with their ids."""
    run_dir = Path(run_dir)
    files = [run_dir / config.data.train]
    if config.data.valid:
        files.append(run_dir / config.data.valid)
    pools = []
    for path in files:
        if path.is_file():
            pools.append(read_records(path, config.mode, True, path.name))
    order = []
    # train[0] is what the playground starts from; valid[0] is one the model never trained on.
    for pool, index in ((0, 0), (1, 0), (0, 1), (0, 2), (1, 1), (0, 3), (0, 4)):
        if pool < len(pools) and index < len(pools[pool]):
            order.append(pools[pool][index])
    special_texts = _special_texts(tokenizer.hf)
    chosen: List[ReferencePrompt] = []
    seen = set()
    for record in order:
        prompt, markup = _prompt_of(record)
        if not prompt or prompt in seen:
            continue
        literal = "".join(piece for piece, is_markup in _pieces(prompt, markup) if not is_markup)
        if any(special in literal for special in special_texts):
            continue  # llama.cpp cannot be told which occurrences are the user's text: skip it
        ids = tokenizer.encode_prompt(prompt, markup)
        if len(ids) > MAX_PROMPT_TOKENS:
            continue
        seen.add(prompt)
        chosen.append(ReferencePrompt(prompt, bool(markup), ids))
        if len(chosen) == count:
            break
    return chosen


def _prompt_of(record) -> Tuple[str, List[Tuple[int, int]]]:
    if record.generic:
        # A generic example has no prompt: its first half (cut at a space) stands in for one.
        text = record.prompt
        cut = text.rfind(" ", 0, max(1, len(text) // 2))
        prompt = text[:cut] if cut > 0 else text[: max(1, len(text) // 2)]
        return prompt, []
    return record.prompt, spans_within(record.markup, 0, len(record.prompt))


def _pieces(text: str, markup: Sequence[Tuple[int, int]]):
    from ..backends.hf_tokenizer import split_markup

    return split_markup(text, markup)


def _special_texts(hf_tokenizer) -> List[str]:
    texts = {str(t) for t in getattr(hf_tokenizer, "all_special_tokens", []) if t}
    for added in getattr(hf_tokenizer, "added_tokens_decoder", {}).values():
        if getattr(added, "special", False) and added.content:
            texts.add(added.content)
    return sorted(texts)


@torch.no_grad()
def answer_greedily(model, reference: ReferencePrompt, stop_ids: Sequence[int], max_new_tokens: int,
                    device: torch.device, decode) -> ReferencePrompt:
    """Fills in the greedy answer of `model` to the prompt (with a KV cache, one token a step)."""
    ids = list(reference.prompt_ids)
    past = None
    tokens: List[int] = []
    margins: List[float] = []
    stop, stop_id = "length", None
    for _ in range(max_new_tokens):
        step_ids = ids if past is None else ids[-1:]
        output = model(input_ids=torch.tensor([step_ids], dtype=torch.long, device=device), past_key_values=past,
                       use_cache=True)
        past = output.past_key_values
        logits = output.logits[0, -1].float()
        top = torch.topk(logits, 2)
        token = int(top.indices[0])
        margins.append(float(top.values[0] - top.values[1]))
        if token in stop_ids:
            stop, stop_id = "end", token
            break
        tokens.append(token)
        ids.append(token)
    reference.tokens, reference.margins, reference.stop, reference.stop_id = tokens, margins, stop, stop_id
    reference.text = decode(tokens)
    return reference


def as_json(references: Sequence[ReferencePrompt]) -> List[dict]:
    return [asdict(reference) for reference in references]


def first_difference(expected: ReferencePrompt, actual: ReferencePrompt) -> Optional[int]:
    """The first answer step where the two differ (the stop counts as a step), or None."""
    a = expected.tokens + ([expected.stop_id] if expected.stop == "end" else [])
    b = actual.tokens + ([actual.stop_id] if actual.stop == "end" else [])
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))
