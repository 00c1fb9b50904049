"""`python -m localtune_runtime generate --run-dir DIR --prompt TEXT [--base]`.

Streams the generated text to stdout as it is produced (flushed per token) and prints nothing
else there; messages go to stderr. The prompt is used exactly as given: the app formats it the
same way it formatted the training data. Generation stops at the EOS token or max_new_tokens.
`--base` uses the base model without the finetuned weights, for side-by-side comparison.
No events are written: events.jsonl records training only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .config import FINAL_DIR, ConfigError, load_run_config
from .failures import RunFailure, config_failure
from .terminal import Terminal



def generate(run_dir: Path, prompt: str, base: bool, max_new_tokens: int, temperature: float,
             terminal: Terminal, out: TextIO = None) -> int:
    out = out if out is not None else sys.stdout
    try:
        try:
            config = load_run_config(Path(run_dir))
        except ConfigError as error:
            raise config_failure(error) from None
        final_dir = None if base else Path(run_dir) / FINAL_DIR
        if final_dir is not None and not final_dir.is_dir():
            raise RunFailure("model_files", f"{final_dir} does not exist: this run has no finished model yet.",
                             ["Train the run first (a stopped run also writes final/).",
                              "Or add --base to try the base model."])
        import torch

        if config.model.is_tiny_demo:
            from .backends.tiny_demo import DEMO_NOTICE, load_generator
            terminal.say(DEMO_NOTICE)
            device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
            generator = load_generator(final_dir, device)
        else:
            from .backends.hf import load_generator
            generator = load_generator(config, final_dir, lambda kind, message: terminal.say(f"warning: {message}"))
        from .backends.base import stream_text

        terminal.say(f"Generating with {'the base model' if base else 'the finetuned model'} ({config.model.id})")
        for piece in stream_text(generator, prompt, max_new_tokens, temperature):
            out.write(piece)
            out.flush()
        return 0
    except RunFailure as failure:
        terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
        return 1
