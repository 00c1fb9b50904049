"""Token ids of a Hugging Face tokenizer, made the same way for training and for generation.

Three rules make "what trains is what the model later reads" true by construction:

- The prompt and the response are encoded separately and their ids concatenated (as torchtune
  and TRL do), so the prompt's ids at inference are exactly its ids in training. The response
  is encoded as a continuation: without the leading "▁" that SentencePiece-style tokenizers put
  at the start of a text (it would not be there in the middle of one).
- BOS comes once: the ids are encoded without special tokens and the BOS id is put in front only
  when the tokenizer adds one by default and the text does not already start with it (a chat
  template that writes `bos_token` itself).
- Text from the user's CSV never becomes a control token: it is encoded with
  `split_special_tokens=True`, so a cell holding `</s>` or `<|im_end|>` trains as those
  characters. Only the parts a chat template wrote (its "markup", given as character ranges) may
  hold special tokens.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Sequence, Set, Tuple

Span = Tuple[int, int]

# Encoding "\n" + text and dropping the ids of "\n" gives the ids of text as it tokenizes after
# other text. A newline neither merges with what follows in byte-level BPE (GPT-2's pre-tokenizer
# splits it off) nor in SentencePiece (it is a byte-fallback token); the others are spares for a
# tokenizer where it does, checked by comparing the prefix ids.
_ANCHORS = ("\n", "\n\n", ".", "a")


class HFTokenizer:
    """Wraps a transformers tokenizer for the loop (TrainingTokenizer) and for generation."""

    def __init__(self, tokenizer, extra_stop_ids: Iterable[int] = ()):
        self.hf = tokenizer
        self.eos_id = int(tokenizer.eos_token_id)
        self.pad_id = int(tokenizer.pad_token_id)
        self.bos_id = _default_bos(tokenizer)
        # The ids that end an answer: EOS, plus the end-of-turn ids a model's generation_config
        # lists (e.g. Phi-3's <|end|>, Qwen's <|im_end|>).
        self.stop_ids: Set[int] = {self.eos_id, *(int(i) for i in extra_stop_ids)}
        self._special_texts = sorted(_special_token_texts(tokenizer), key=len, reverse=True)
        self._special_set = set(self._special_texts)
        self._special_pattern = "(" + "|".join(re.escape(t) for t in self._special_texts) + ")" if self._special_texts else "(?!)"

    # ---- the two halves of an example ---------------------------------------------------------

    def encode_prompt(self, text: str, markup: Sequence[Span] = ()) -> List[int]:
        """The ids of the start of an example (a prompt, or a whole generic text), with BOS once."""
        ids = self._encode_text(text, markup, continuation=False)
        if self.bos_id is not None and (not ids or ids[0] != self.bos_id):
            ids.insert(0, self.bos_id)
        return ids

    def encode_continuation(self, text: str, markup: Sequence[Span] = ()) -> List[int]:
        """The ids of text that follows a prompt (the response), as it tokenizes mid-text."""
        return self._encode_text(text, markup, continuation=True) if text else []

    def decode(self, ids: Sequence[int]) -> str:
        return self.hf.decode(list(ids), skip_special_tokens=True)

    # ---- internals ----------------------------------------------------------------------------

    def _encode_text(self, text: str, markup: Sequence[Span], continuation: bool) -> List[int]:
        pieces = split_markup(text, markup)
        if not any(is_markup for _, is_markup in pieces):
            return self._encode_piece(text, literal=True, continuation=continuation)
        literal_holds_special = any(not is_markup and self._looks_special(piece) for piece, is_markup in pieces)
        if not literal_holds_special:
            # Nothing in the user's text could become a control token, so the text encodes in one
            # go, exactly as transformers' apply_chat_template tokenizes it.
            return self._encode_piece(text, literal=False, continuation=continuation)
        ids: List[int] = []
        for index, (piece, is_markup) in enumerate(pieces):
            ids.extend(self._encode_piece(piece, literal=not is_markup, continuation=continuation or index > 0))
        return ids

    def _encode_piece(self, text: str, literal: bool, continuation: bool) -> List[int]:
        if not (literal and self._looks_special(text)):
            return self._encode_plain(text, literal, continuation)
        # split_special_tokens covers special added tokens only; a control-looking token that a
        # tokenizer lists as non-special (Phi-3's "</s>") would still match. Each occurrence is
        # encoded in two halves, which no added token matches, so it trains as characters.
        ids: List[int] = []
        parts = [p for p in re.split(self._special_pattern, text) if p]
        for part in parts:
            halves = [part[:-1], part[-1:]] if part in self._special_set else [part]
            for half in halves:
                ids.extend(self._encode_plain(half, literal, continuation or bool(ids)))
        return ids

    def _encode_plain(self, text: str, literal: bool, continuation: bool) -> List[int]:
        if not continuation:
            return self._ids(text, literal)
        for anchor in _ANCHORS:
            anchor_ids = self._ids(anchor, literal=True)
            ids = self._ids(anchor + text, literal)
            if ids[:len(anchor_ids)] == anchor_ids:
                return ids[len(anchor_ids):]
        return self._ids(text, literal)

    def _ids(self, text: str, literal: bool) -> List[int]:
        return list(self.hf(text, add_special_tokens=False, split_special_tokens=literal)["input_ids"])

    def _looks_special(self, text: str) -> bool:
        return any(special in text for special in self._special_texts)


def split_markup(text: str, markup: Sequence[Span]) -> List[Tuple[str, bool]]:
    """text cut into (piece, is_markup) at the markup ranges (character offsets into text)."""
    pieces: List[Tuple[str, bool]] = []
    at = 0
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in markup):
        if start >= end or start < at:
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text) or not pieces:
        pieces.append((text[at:], False))
    return pieces


def _default_bos(tokenizer) -> Optional[int]:
    """The BOS id when the tokenizer puts one in front by default, else None."""
    bos = tokenizer.bos_token_id
    if bos is None:
        return None
    with_special = tokenizer("a", add_special_tokens=True)["input_ids"]
    without = tokenizer("a", add_special_tokens=False)["input_ids"]
    return int(bos) if with_special[:1] == [bos] and without[:1] != [bos] else None


def _special_token_texts(tokenizer) -> Set[str]:
    """Texts that would become a control token: special tokens, and added tokens that look like
    one (`<...>`) even where the tokenizer does not mark them special."""
    texts = {str(t) for t in getattr(tokenizer, "all_special_tokens", []) if t and len(str(t)) > 1}
    for added in getattr(tokenizer, "added_tokens_decoder", {}).values():
        content = added.content or ""
        looks_like_control = content.startswith("<") and content.endswith(">") and len(content) > 2
        if (getattr(added, "special", False) and len(content) > 1) or looks_like_control:
            texts.add(content)
    return texts
