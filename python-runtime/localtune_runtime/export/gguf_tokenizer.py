"""The tokenizer of a GGUF file: what llama.cpp needs to split text into exactly the ids that
transformers made during training.

Two tokenizer families cover the models LocalTune exports:

- byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2): GGUF tokenizer model "gpt2", the vocabulary in
  its byte-level spelling, the merges, and `tokenizer.ggml.pre`, which names the pre-tokenizer
  (the regex that splits text before BPE). llama.cpp knows pre-tokenizers by name only, so the
  regex in tokenizer.json is matched against the ones whose names llama.cpp understands; an
  unknown one is refused rather than written as "default", which would tokenize differently.
- SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral, Phi-3): GGUF model
  "llama", the pieces with their "▁", token types (byte tokens `<0xNN>`, control, unknown) and
  scores. llama.cpp merges the adjacent pair whose joined piece has the highest score, while
  transformers merges the pair that comes first in the merges list; a piece's score is therefore
  minus the rank of the first merge that makes it, which orders llama.cpp's merges like
  transformers'. (The gguf package's LlamaHfVocab gives every piece the same score, which
  makes llama.cpp merge left to right instead: that tokenizes differently, so it is not used.)

Special ids, the add-BOS flag, merges and the chat template go through gguf.SpecialVocab, with the
ids the run actually used written over what it reads: EOS is the token training appended to
every example, and BOS is added exactly when the runtime added it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..failures import RunFailure

# The pre-tokenizer regexes of tokenizer.json that llama.cpp implements, by llama.cpp's name for them.
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPLIT_PRE_TOKENIZERS = {LLAMA3_SPLIT: "llama-bpe", QWEN2_SPLIT: "qwen2"}

_BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")

# gguf.TokenType values (kept here so this module imports without the gguf package).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


@dataclass
class GgufTokenizer:
    model: str
    """"gpt2" (byte-level BPE) or "llama" (SentencePiece-style BPE)."""
    pre: Optional[str]
    tokens: List[str]
    token_types: List[int]
    scores: Optional[List[float]]
    add_space_prefix: Optional[bool]
    special_ids: Dict[str, int]
    add_bos: bool
    merges: List[str]
    chat_template: Optional[str]

    def add_to(self, writer) -> None:
        writer.add_tokenizer_model(self.model)
        if self.pre:
            writer.add_tokenizer_pre(self.pre)
        writer.add_token_list(self.tokens)
        if self.scores is not None:
            writer.add_token_scores(self.scores)
        writer.add_token_types(self.token_types)
        if self.add_space_prefix is not None:
            writer.add_add_space_prefix(self.add_space_prefix)
        if self.merges:
            writer.add_token_merges(self.merges)
        for kind, token_id in self.special_ids.items():
            getattr(writer, f"add_{kind}_token_id")(token_id)
        writer.add_add_bos_token(self.add_bos)
        # Training put EOS after the response, never after a prompt: llama.cpp must not add one.
        writer.add_add_eos_token(False)
        if self.chat_template:
            writer.add_chat_template(self.chat_template)

    def summary(self) -> dict:
        return {"model": self.model, "pre": self.pre, "tokens": len(self.tokens), "merges": len(self.merges),
                "add_bos": self.add_bos, "special_ids": dict(self.special_ids),
                "stop_texts": self.stop_texts(), "chat_template": bool(self.chat_template)}

    def stop_texts(self) -> List[str]:
        """The text of the end-of-answer tokens (EOS, then EOT): Ollama's stop strings."""
        texts = []
        for kind in ("eos", "eot"):
            token_id = self.special_ids.get(kind)
            if token_id is not None and 0 <= token_id < len(self.tokens):
                text = self.tokens[token_id]
                if text not in texts:
                    texts.append(text)
        return texts


def describe_tokenizer(tokenizer_dir: Path, hf_tokenizer, n_vocab: int, add_bos: bool, eos_id: int,
                       stop_ids: Sequence[int], chat_template: Optional[str]) -> GgufTokenizer:
    """The GGUF tokenizer metadata of the tokenizer saved in tokenizer_dir (the run's final/)."""
    import gguf

    path = Path(tokenizer_dir) / "tokenizer.json"
    if not path.is_file():
        raise RunFailure("tokenizer", f"{path} is missing: a GGUF export needs the fast tokenizer's tokenizer.json, "
                         "and training saves one in final/.",
                         ["Export 'merged' or 'adapter' instead, or resume the run so that it saves final/ again."])
    data = json.loads(path.read_text(encoding="utf-8"))
    model = data.get("model") or {}
    kind = _tokenizer_kind(data, path)
    vocab: Dict[str, int] = model.get("vocab") or {}
    added = {int(entry["id"]): entry for entry in data.get("added_tokens") or []}
    by_id = {token_id: piece for piece, token_id in vocab.items()}
    largest = max([*by_id, *added, -1]) + 1
    if largest > n_vocab:
        raise RunFailure("tokenizer", f"The tokenizer has ids up to {largest - 1} but the model's embedding has "
                         f"{n_vocab} rows, so llama.cpp could not load the file.",
                         ["Check that the run's final/ tokenizer belongs to this model."])
    unk_piece = model.get("unk_token")
    tokens: List[str] = []
    types: List[int] = []
    for token_id in range(n_vocab):
        if token_id in added:
            entry = added[token_id]
            tokens.append(entry["content"])
            types.append(CONTROL if entry.get("special") else USER_DEFINED)
        elif token_id in by_id:
            piece = by_id[token_id]
            tokens.append(piece)
            if kind == "llama" and _BYTE_PIECE.match(piece):
                types.append(BYTE)
            elif piece == unk_piece:
                types.append(UNKNOWN)
            else:
                types.append(NORMAL)
        else:
            # Embedding rows past the tokenizer (vocab padded to a multiple of 64 or 128).
            tokens.append(f"[PAD{token_id}]")
            types.append(UNUSED)

    merges_raw = model.get("merges") or []
    scores = None
    add_space_prefix = None
    if kind == "llama":
        scores = _scores_from_merges(merges_raw, vocab, n_vocab)
        add_space_prefix = _prepends_space(data)

    special = gguf.SpecialVocab(tokenizer_dir, load_merges=kind == "gpt2", n_vocab=n_vocab)
    special_ids = {k: v for k, v in special.special_token_ids.items() if k in ("bos", "eos", "unk", "pad")}
    # The ids the run used, over whatever the config files say.
    special_ids["eos"] = int(eos_id)
    if hf_tokenizer.bos_token_id is not None:
        special_ids["bos"] = int(hf_tokenizer.bos_token_id)
    if hf_tokenizer.pad_token_id is not None:
        special_ids["pad"] = int(hf_tokenizer.pad_token_id)
    end_of_turn = [int(i) for i in stop_ids if int(i) != int(eos_id)]
    if end_of_turn:
        special_ids["eot"] = end_of_turn[0]
    if add_bos and "bos" not in special_ids:
        raise RunFailure("tokenizer", "The runtime added a BOS token but the tokenizer names none.",
                         ["Check bos_token in the run's final/tokenizer_config.json."])
    template = chat_template if chat_template is not None else _template_text(special.chat_template)
    return GgufTokenizer(kind, _pre_tokenizer(data, path) if kind == "gpt2" else None, tokens, types, scores,
                         add_space_prefix, special_ids, add_bos, list(special.merges) if kind == "gpt2" else [],
                         template)


def _template_text(template) -> Optional[str]:
    if isinstance(template, str) or template is None:
        return template
    # A list of named templates: llama.cpp reads the default one from tokenizer.chat_template.
    for entry in template:
        if entry.get("name") == "default":
            return entry.get("template")
    return None


def _tokenizer_kind(data: dict, path: Path) -> str:
    model = data.get("model") or {}
    if model.get("type") != "BPE":
        raise RunFailure("tokenizer", f"{path} is a {model.get('type', 'unknown')} tokenizer; LocalTune writes GGUF "
                         "tokenizers for BPE models only (byte-level like GPT-2, Llama 3 and Qwen2, or "
                         "SentencePiece-style like Llama 2 and Mistral).",
                         ["Export 'merged' and convert it with llama.cpp's convert_hf_to_gguf.py."])
    if model.get("byte_fallback"):
        return "llama"
    if _has_byte_level(data):
        return "gpt2"
    raise RunFailure("tokenizer", f"{path} is a BPE tokenizer with neither byte-level pre-tokenization nor byte "
                     "fallback; llama.cpp has no tokenizer that splits text the same way.",
                     ["Export 'merged' or 'adapter' instead."])


def _parts(node) -> list:
    if not node:
        return []
    if node.get("type") == "Sequence":
        return [p for child in node.get("pretokenizers") or node.get("normalizers") or [] for p in _parts(child)]
    return [node]


def _has_byte_level(data: dict) -> bool:
    return any(p.get("type") == "ByteLevel" for p in _parts(data.get("pre_tokenizer"))) or \
        (data.get("decoder") or {}).get("type") == "ByteLevel"


def _pre_tokenizer(data: dict, path: Path) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenizer; refuses one llama.cpp does not have."""
    parts = _parts(data.get("pre_tokenizer"))
    splits = [p for p in parts if p.get("type") == "Split"]
    digits = [p for p in parts if p.get("type") == "Digits"]
    byte_level = [p for p in parts if p.get("type") == "ByteLevel"]
    others = [p.get("type") for p in parts if p.get("type") not in ("Split", "Digits", "ByteLevel")]
    if not others:
        if len(splits) == 1 and not digits:
            regex = (splits[0].get("pattern") or {}).get("Regex")
            if regex in SPLIT_PRE_TOKENIZERS:
                return SPLIT_PRE_TOKENIZERS[regex]
        if not splits and len(byte_level) == 1 and byte_level[0].get("use_regex", True):
            if not digits:
                return "gpt-2"
            if len(digits) == 1 and digits[0].get("individual_digits"):
                return "smollm"
    described = ", ".join(p.get("type", "?") + (f" {p.get('pattern')}" if p.get("type") == "Split" else "")
                          for p in parts) or "none"
    raise RunFailure("tokenizer", f"The pre-tokenizer in {path} ({described}) is not one LocalTune can name for "
                     "llama.cpp (it knows GPT-2's, Llama 3's, Qwen2's and SmolLM's); written under another name "
                     "the GGUF file would split text differently from training.",
                     ["Export 'merged' and convert it with llama.cpp's convert_hf_to_gguf.py, which knows more "
                      "tokenizers by their hash."])


def _scores_from_merges(merges: list, vocab: Dict[str, int], n_vocab: int) -> List[float]:
    scores = [0.0] * n_vocab
    seen = set()
    for rank, merge in enumerate(merges):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        token_id = vocab.get(left + right)
        if token_id is not None and token_id not in seen and token_id < n_vocab:
            seen.add(token_id)
            scores[token_id] = -float(rank + 1)
    return scores


def _prepends_space(data: dict) -> bool:
    """Whether the tokenizer puts "▁" before the text (SentencePiece's dummy prefix)."""
    for part in _parts(data.get("normalizer")):
        if part.get("type") == "Prepend" and part.get("prepend") == "\u2581":
            return True
    for part in _parts(data.get("pre_tokenizer")):
        if part.get("type") == "Metaspace":
            scheme = part.get("prepend_scheme")
            if scheme is None:
                return bool(part.get("add_prefix_space", True))
            return scheme != "never"
    return False
