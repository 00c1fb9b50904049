"""Sampling new tokens from a loaded model, for `generate` (the playground and `localtune generate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Protocol, Sequence, Set, Tuple

import torch


class TextGenerator(Protocol):
    """A loaded model that yields next-token logits. Its tokenizer is the one training used."""
    tokenizer: object

    def prompt_ids(self, prompt: str, markup: Sequence[Tuple[int, int]] = ()) -> List[int]: ...

    def next_token_logits(self, ids: List[int], state) -> Tuple[torch.Tensor, object]: ...


@dataclass
class Answer:
    """Filled in while stream_text runs: why it stopped and how many tokens it made."""
    stop: str = "length"
    """"end" (the model wrote an end-of-answer token) or "length" (max_new_tokens reached)."""
    new_tokens: int = 0
    prompt_tokens: int = 0
    text: str = ""
    ids: List[int] = field(default_factory=list)


def stream_text(generator: TextGenerator, prompt: str, max_new_tokens: int, temperature: float,
                markup: Sequence[Tuple[int, int]] = (), answer: Optional[Answer] = None,
                rng: Optional[torch.Generator] = None) -> Iterator[str]:
    """Sample up to max_new_tokens after `prompt`, yielding text as soon as it is complete.

    Decoding all generated ids and yielding the new suffix keeps multi-token characters and
    tokenizer spacing right; a trailing U+FFFD means an incomplete UTF-8 sequence, held back
    until the next token completes it. Stops at any of the tokenizer's stop ids (EOS and the
    model's end-of-turn ids).
    """
    answer = answer if answer is not None else Answer()
    tokenizer = generator.tokenizer
    stop_ids: Set[int] = set(getattr(tokenizer, "stop_ids", None) or {tokenizer.eos_id})
    banned = getattr(generator, "banned_ids", None)
    ids = generator.prompt_ids(prompt, markup)
    answer.prompt_tokens = len(ids)
    generated: List[int] = []
    shown = ""
    state = None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits, state = generator.next_token_logits(ids, state)
            logits = logits.float().view(-1)
            if banned:
                logits[banned] = float("-inf")
            if temperature <= 0:
                token = int(torch.argmax(logits))
            else:
                probs = torch.softmax(logits / temperature, dim=-1).cpu()
                token = int(torch.multinomial(probs, 1, generator=rng))
            if token in stop_ids:
                answer.stop = "end"
                break
            ids.append(token)
            generated.append(token)
            answer.new_tokens = len(generated)
            text = tokenizer.decode(generated)
            if text.endswith("\ufffd"):
                continue
            if text.startswith(shown) and len(text) > len(shown):
                yield text[len(shown):]
            shown = text
    final = tokenizer.decode(generated)
    if final.startswith(shown) and len(final) > len(shown):
        yield final[len(shown):]
    answer.text = final
    answer.ids = generated
