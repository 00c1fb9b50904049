"""`python -m localtune_runtime generate --run-dir DIR (--prompt TEXT [--base] | --json)`.

Two ways in, one way of generating:

- `--prompt TEXT`: for a person at a terminal. The prompt is used exactly as given and the
  generated text streams to stdout (flushed per token); messages go to stderr.
- `--json`: for the app. One JSON request on stdin
  `{"prompt": str, "markup": [[start, end], ...], "models": ["finetuned", "base"],
    "max_new_tokens": int, "temperature": float}`
  and JSON lines on stdout: `{"type": "text", "model": M, "text": delta}` as text streams,
  `{"type": "answer", "model": M, "text": whole, "stop": "end"|"length", "new_tokens": n,
  "prompt_tokens": n}` when one model is done, and `{"type": "failure", "kind", "message",
  "advice"}` when it cannot go on. stdout is a pipe here, never the terminal: the app reads
  data, not screen output. Messages for a person still go to stderr.

The app formats the prompt with the same formatter that made the training data; `markup` names
the parts a chat template wrote, as in train.jsonl. With models ["finetuned", "base"] the two
answer one after the other from one loaded model where the finetuned weights are an adapter
(switched off for the base answer). No events are written: events.jsonl records training only.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, TextIO, Tuple

from .config import FINAL_DIR, ConfigError, load_run_config
from .failures import RunFailure, config_failure
from .terminal import Terminal

MODELS = ("finetuned", "base")


@dataclass
class GenerateRequest:
    prompt: str
    markup: List[Tuple[int, int]] = field(default_factory=list)
    models: List[str] = field(default_factory=lambda: ["finetuned"])
    max_new_tokens: int = 200
    temperature: float = 0.7

    @staticmethod
    def from_json(text: str) -> "GenerateRequest":
        """Parses the app's request; a bad one is a RunFailure naming the field."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise _request_failure(f"the request on stdin is not JSON: {error.msg}") from None
        if not isinstance(raw, dict):
            raise _request_failure("the request on stdin must be a JSON object")
        prompt = raw.get("prompt")
        if not isinstance(prompt, str):
            raise _request_failure("\"prompt\" must be a string")
        models = raw.get("models", ["finetuned"])
        if not isinstance(models, list) or not models or any(m not in MODELS for m in models):
            raise _request_failure(f"\"models\" must be a non-empty list of {' and '.join(MODELS)}, got {models!r}")
        markup = raw.get("markup", [])
        if not isinstance(markup, list) or any(
                not isinstance(s, list) or len(s) != 2 or not all(isinstance(v, int) for v in s)
                or not 0 <= s[0] <= s[1] <= len(prompt) for s in markup):
            raise _request_failure("\"markup\" must be a list of [start, end] character ranges within the prompt")
        max_new_tokens = raw.get("max_new_tokens", 200)
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise _request_failure(f"\"max_new_tokens\" must be a whole number of at least 1, got {max_new_tokens!r}")
        temperature = raw.get("temperature", 0.7)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature < 0:
            raise _request_failure(f"\"temperature\" must be a number >= 0, got {temperature!r}")
        return GenerateRequest(prompt, [(s[0], s[1]) for s in markup], list(models), max_new_tokens, float(temperature))


def _request_failure(message: str) -> RunFailure:
    return RunFailure("config", f"Generate request: {message}.",
                      ["This is a bug in the caller: LocalTune sends this request itself."])


class _Output:
    """Where answers go: raw text for a person (--prompt), JSON lines for the app (--json)."""

    def __init__(self, stream: TextIO, json_lines: bool):
        self.stream = stream
        self.json_lines = json_lines

    def line(self, **record) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()

    def text(self, model: str, piece: str) -> None:
        if self.json_lines:
            self.line(type="text", model=model, text=piece)
        else:
            self.stream.write(piece)
            self.stream.flush()

    def answer(self, model: str, answer) -> None:
        if self.json_lines:
            self.line(type="answer", model=model, text=answer.text, stop=answer.stop,
                      new_tokens=answer.new_tokens, prompt_tokens=answer.prompt_tokens)

    def failure(self, failure: RunFailure, terminal: Terminal) -> None:
        terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
        if self.json_lines:
            self.line(type="failure", kind=failure.kind, message=failure.message, advice=list(failure.advice))


def generate(run_dir: Path, request: Optional[GenerateRequest], terminal: Terminal, out: TextIO = None,
             json_lines: bool = False, request_text: Optional[str] = None) -> int:
    output = _Output(out if out is not None else sys.stdout, json_lines)
    try:
        if request is None:
            request = GenerateRequest.from_json(request_text or "")
        try:
            config = load_run_config(Path(run_dir))
        except ConfigError as error:
            raise config_failure(error) from None
        final_dir = Path(run_dir) / FINAL_DIR
        if "finetuned" in request.models and not final_dir.is_dir():
            raise RunFailure("model_files", f"{final_dir} does not exist: this run has no finished model yet.",
                             ["Train the run first (a stopped run also writes final/).",
                              "Or ask the base model only (--base)."])
        _answer_all(config, final_dir, request, terminal, output)
        return 0
    except RunFailure as failure:
        output.failure(failure, terminal)
        return 1


def _answer_all(config, final_dir: Path, request: GenerateRequest, terminal: Terminal, output: _Output) -> None:
    from .sampling import Answer, stream_text

    warn = lambda kind, message: terminal.say(f"warning: {message}")  # noqa: E731
    loaded = None  # (generator, which model it holds)
    for model in request.models:
        if loaded is None or loaded[1] != model:
            can_switch = loaded is not None and model == "base" and _has_base_switch(loaded[0])
            if not can_switch:
                loaded = None  # free the previous model before loading the next
                loaded = (_load(config, final_dir if model == "finetuned" else None, terminal, warn), model)
        generator = loaded[0]
        from .backends.hf_generation import answering_as_base

        terminal.say(f"Generating with {'the base model' if model == 'base' else 'the finetuned model'} ({config.model.id})")
        answer = Answer()
        with answering_as_base(generator) if model == "base" and loaded[1] != "base" else _nothing():
            for piece in stream_text(generator, request.prompt, request.max_new_tokens, request.temperature,
                                     request.markup, answer):
                output.text(model, piece)
        output.answer(model, answer)


def _has_base_switch(generator) -> bool:
    return getattr(generator, "base_model", None) is not None and generator.base_model() is not None


class _nothing:
    def __enter__(self):
        return False

    def __exit__(self, *exc):
        return False


def _load(config, final_dir: Optional[Path], terminal: Terminal, warn):
    import torch

    if config.model.is_tiny_demo:
        from .backends.tiny_demo import DEMO_NOTICE, load_generator
        terminal.say(DEMO_NOTICE)
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        return load_generator(final_dir, device)
    from .backends.hf_generation import load_generator
    return load_generator(config, final_dir, warn)
