"""`python -m localtune_runtime export --run-dir DIR --format adapter|merged|gguf [--quant Q] --out DIR`.

stdout is a pipe of JSON lines for the app, never screen output:
  {"type": "progress", "stage": S, "message": M, "done": n, "total": n}   stages: load, reference,
      write, verify (done/total count tensors or steps within the stage; null when unknown)
  {"type": "result", ...}    once, at the end (see `_result`)
  {"type": "failure", "kind", "message", "advice"}   when it cannot go on (exit code 1)
A person reads stderr: the same progress as lines, and errors with advice.
`--result-file FILE` also writes the result object there (for scripts that keep stdout for
themselves).

The export is proven before the result is written: `adapter` and `merged` folders are loaded back
with transformers (+ peft) and must answer the reference prompts with the same tokens; a GGUF
file carries the reference in the result, and the app loads it in llama.cpp to compare.
"""

from __future__ import annotations

import errno
import json
import re
import sys
import time
from pathlib import Path
from typing import List, Optional, TextIO

from ..config import ConfigError, load_run_config
from ..failures import RunFailure, config_failure, missing_package_failure
from ..terminal import Terminal
from . import FORMATS, QUANTS

DEFAULT_MAX_NEW_TOKENS = 24


def add_arguments(parser) -> None:
    parser.add_argument("--run-dir", required=True, type=Path, help="the run folder (run.json and final/)")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--quant", default="f16", choices=list(QUANTS), help="GGUF only: the type of the matrices")
    parser.add_argument("--out", required=True, type=Path, help="the folder to write the export into")
    parser.add_argument("--file-name", default=None, help="GGUF only: the file's name (default model-QUANT.gguf)")
    parser.add_argument("--chat-template", type=Path, default=None,
                        help="GGUF only: a Jinja file to store as the chat template (default: the tokenizer's)")
    parser.add_argument("--name", default=None, help="the model's name in the GGUF metadata")
    parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS,
                        help="length of the reference answers")
    parser.add_argument("--result-file", type=Path, default=None, help="also write the result JSON here")


class _Report:
    def __init__(self, stream: TextIO, terminal: Terminal):
        self.stream = stream
        self.terminal = terminal
        self._last_line = 0.0

    def line(self, **record) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()

    def progress(self, stage: str, message: str, done: Optional[int] = None, total: Optional[int] = None) -> None:
        self.line(type="progress", stage=stage, message=message, done=done, total=total)
        # A person's terminal gets a line per message, and at most one count line a second.
        now = time.monotonic()
        if done is None or done == total or now - self._last_line >= 1.0:
            self._last_line = now
            counted = f" ({done}/{total})" if done is not None and total else ""
            self.terminal.say(f"{message}{counted}")


def run_export(args, terminal: Terminal, out: TextIO = None) -> int:
    report = _Report(out if out is not None else sys.stdout, terminal)
    try:
        result = _export(args, report)
    except RunFailure as failure:
        terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
        report.line(type="failure", kind=failure.kind, message=failure.message, advice=list(failure.advice))
        return 1
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
        failure = RunFailure("model_files", f"The disk filled up while writing the export to {args.out}.",
                             ["Free some space (the app shows the size it needs before it starts), or export to "
                              "another disk with --out."])
        terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
        report.line(type="failure", kind=failure.kind, message=failure.message, advice=failure.advice)
        return 1
    report.line(type="result", **result)
    if args.result_file:
        args.result_file.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    terminal.say(f"Exported {args.format} to {result['out_dir']}")
    return 0


def _export(args, report: _Report) -> dict:
    import importlib.util

    if args.max_new_tokens < 1:
        raise RunFailure("config", "--max-new-tokens must be at least 1.", [])
    if args.format == "gguf" and importlib.util.find_spec("gguf") is None:
        raise missing_package_failure(["gguf"], "A GGUF export")
    try:
        config = load_run_config(args.run_dir)
    except ConfigError as error:
        raise config_failure(error) from None
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    chat_template = None
    if args.chat_template is not None:
        try:
            chat_template = args.chat_template.read_text(encoding="utf-8")
        except OSError as error:
            raise RunFailure("config", f"--chat-template {args.chat_template} cannot be read: {error.strerror}.", []) from None

    from .reference import answer_greedily, as_json, pick_prompts
    from .trained_model import final_dir_of, load_trained_model

    final_dir = final_dir_of(args.run_dir)
    merge = args.format != "adapter"
    report.progress("load", f"Loading the trained model ({config.model.id}, {config.method})")
    trained = load_trained_model(config, args.run_dir, merge, lambda message: report.progress("load", message))
    tokenizer = trained.tokenizer
    stop_ids = sorted(tokenizer.stop_ids)
    references = pick_prompts(config, args.run_dir, tokenizer)
    if not references:
        raise RunFailure("data", "The run's train.jsonl has no prompt short enough to check the export with.",
                         ["Check that the run folder still holds its train.jsonl."])
    for index, reference in enumerate(references, start=1):
        report.progress("reference", "Answering the reference prompts with the trained model", index - 1, len(references))
        answer_greedily(trained.model, reference, stop_ids, args.max_new_tokens, trained.device, tokenizer.decode)
    report.progress("reference", "Answering the reference prompts with the trained model", len(references), len(references))

    result = {
        "format": args.format, "run_id": config.run_id, "model_id": config.model.id, "method": config.method,
        "mode": config.mode, "out_dir": str(out_dir), "dtype": str(trained.dtype).replace("torch.", ""),
        "reference": {"device": str(trained.device), "max_new_tokens": args.max_new_tokens,
                      "eos_id": tokenizer.eos_id, "stop_ids": stop_ids, "prompts": as_json(references)},
        "notes": list(trained.notes),
    }
    if args.format == "gguf":
        part = _gguf(args, trained, chat_template, out_dir, report)
    else:
        part = _folder(args, config, trained, final_dir, out_dir, references, stop_ids, report)
    result["notes"] += part.pop("notes", [])
    result["files"] = _files(out_dir, part.pop("written"))
    result.update(part)
    return result


def _folder(args, config, trained, final_dir: Path, out_dir: Path, references, stop_ids: List[int], report: _Report) -> dict:
    from .merged import reload_and_compare, write_adapter, write_merged

    if args.format == "adapter":
        if not trained.adapter:
            raise RunFailure("config", f"This run trained all weights ({config.method}): there is no adapter to export.",
                             ["Export it as 'merged' or 'gguf' instead."])
        report.progress("write", f"Copying the adapter to {out_dir}")
        written = write_adapter(final_dir, out_dir)
    else:
        report.progress("write", f"Saving the merged model to {out_dir}")
        write_merged(trained.model, trained.hf_tokenizer, stop_ids, trained.tokenizer.eos_id, out_dir)
        written = sorted(p.name for p in out_dir.iterdir() if p.is_file())
    device = trained.device
    adapter = args.format == "adapter"
    # The in-memory model goes before the copy from disk is loaded: never two models at once.
    trained.model = None
    report.progress("verify", f"Loading the export from {out_dir} to check it answers the same")
    verification = reload_and_compare(out_dir, trained.source, adapter, config.model.trust_remote_code, references, stop_ids, args.max_new_tokens,
                                      device, trained.tokenizer.decode)
    if not verification["same"]:
        first = next(a for a in verification["answers"] if not a["same"])
        raise RunFailure("model_files", f"The {args.format} export in {out_dir} loads but answers differently from the "
                         f"trained model (first different token at answer step {first['first_difference']}).",
                         ["The files may be incomplete: check the free space and export again.",
                          "If it happens again, report it with the run's output.log."])
    return {"written": written, "verification": verification}


def _gguf(args, trained, chat_template: Optional[str], out_dir: Path, report: _Report) -> dict:
    from .gguf_tokenizer import describe_tokenizer
    from .gguf_writer import plan_gguf, write_gguf

    model = trained.model
    config = model.config.to_dict()
    plan = plan_gguf(model, args.quant)
    tokenizer = describe_tokenizer(trained.final_dir, trained.hf_tokenizer, int(config["vocab_size"]),
                                   trained.tokenizer.bos_id is not None, trained.tokenizer.eos_id,
                                   sorted(trained.tokenizer.stop_ids), chat_template)
    file_name = args.file_name or f"model-{args.quant}.gguf"
    if not re.fullmatch(r"[\w.+-]+\.gguf", file_name):
        raise RunFailure("config", f"--file-name {file_name!r} must be a plain file name ending in .gguf.", [])
    path = out_dir / file_name
    name = args.name or f"{trained.source.rstrip('/').split('/')[-1]} (LocalTune {args.quant})"
    total = len(plan.tensors)
    report.progress("write", f"Writing {file_name} ({plan.architecture}, {args.quant})", 0, total)
    size = write_gguf(model, tokenizer, plan, path, name,
                      lambda done, count, _bytes: report.progress("write", f"Writing {file_name}", done, count))
    notes = []
    if plan.fallbacks:
        notes.append(f"{len(plan.fallbacks)} matrices are f16 because their rows do not split into {args.quant} "
                     f"blocks: {', '.join(plan.fallbacks[:4])}{', …' if len(plan.fallbacks) > 4 else ''}.")
    return {
        "written": [file_name],
        "gguf": {
            "file": file_name, "path": str(path), "bytes": size, "architecture": plan.architecture,
            "quant": args.quant, "tensor_types": plan.type_counts(), "fallbacks": plan.fallbacks,
            "context_length": int(config.get("max_position_embeddings") or 4096),
            "tokenizer": tokenizer.summary(),
            "chat_template": tokenizer.chat_template,
        },
        "notes": notes,
    }


def _files(out_dir: Path, names: List[str]) -> List[dict]:
    return [{"path": name, "bytes": (out_dir / name).stat().st_size} for name in names if (out_dir / name).is_file()]
