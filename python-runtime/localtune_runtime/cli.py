"""The command line: probe, train, verify, generate, export. Heavy imports happen inside each command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localtune_runtime",
                                     description="LocalTune's training runtime.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("probe", help="print Python, torch, GPU and package facts as one JSON object")
    train = commands.add_parser("train", help="train the run in --run-dir")
    train.add_argument("--run-dir", required=True, type=Path, help="the run folder (holds run.json)")
    train.add_argument("--resume", action="store_true", help="continue from the latest checkpoint")
    generate = commands.add_parser("generate", help="stream text from the run's finetuned (or base) model")
    generate.add_argument("--run-dir", required=True, type=Path)
    source = generate.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompt", help="used exactly as given; the text streams to stdout")
    source.add_argument("--json", action="store_true",
                        help="read one JSON request from stdin and write JSON lines to stdout (the app's way)")
    generate.add_argument("--base", action="store_true", help="use the base model without the finetuned weights")
    generate.add_argument("--max-new-tokens", type=int, default=200)
    generate.add_argument("--temperature", type=float, default=0.7, help="0 picks the most likely token")
    verify = commands.add_parser(
        "verify", help="measure peak memory and step time of a setup on its longest examples (JSON lines on stdout)")
    verify.add_argument("--json", action="store_true", required=True,
                        help="read one JSON request ({\"config\": run.json, \"steps\": 3, \"memory_limit_bytes\": N}) from stdin")
    from .export.command import add_arguments as add_export_arguments
    add_export_arguments(commands.add_parser(
        "export", help="write the run's model as an adapter, merged model or GGUF file, checked against the trained model"))
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "probe":
        from .probe import main as probe_main
        return probe_main()

    from .terminal import Terminal
    terminal = Terminal()
    if args.command == "train":
        from .distributed import Distributed
        from .failures import RunFailure
        from .stop import StopRequest
        from .train import train

        try:
            dist = Distributed.from_env()  # torchrun's RANK / WORLD_SIZE / LOCAL_RANK, if any
        except RunFailure as failure:
            terminal.problem(f"error ({failure.kind})", failure.message, failure.advice)
            return 1
        # Under torchrun, rank 0 speaks for the run; the other ranks print only their own failure.
        dist.quiet_libraries()
        terminal = Terminal(quiet=not dist.is_main)
        stop = StopRequest(on_request=lambda reason: terminal.say(
            f"Stop requested ({reason}): finishing this step, then saving. Press Ctrl+C again to force."))
        stop.install_signal_handlers()
        if dist.reads_stdin:
            stop.watch(sys.stdin)
        return train(args.run_dir, args.resume, stop, terminal, dist)

    if args.command == "verify":
        from .verify import verify
        return verify(sys.stdin.read(), terminal=terminal)

    if args.command == "export":
        from .export.command import run_export
        return run_export(args, terminal)

    if args.max_new_tokens < 1:
        terminal.say("error: --max-new-tokens must be at least 1")
        return 2
    if args.temperature < 0:
        terminal.say("error: --temperature must be >= 0")
        return 2
    from .generate import GenerateRequest, generate
    if args.json:
        return generate(args.run_dir, None, terminal, json_lines=True, request_text=sys.stdin.read())
    request = GenerateRequest(args.prompt, models=["base" if args.base else "finetuned"],
                              max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    return generate(args.run_dir, request, terminal)
