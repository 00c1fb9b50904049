"""Small random-weight models of real architectures, built at test time with nothing downloaded.

A real config.json (optionally shrunk: fewer layers, a narrower width, the real vocabulary) and
real tokenizer files go in; a model folder and/or a Hugging Face hub cache entry come out, laid
out the way huggingface_hub writes them (`models--org--name/{blobs,refs/main,snapshots/<rev>}`),
so the app's catalog, the Data step and the runtime read them as they read a downloaded model.

Not shipped: tests (pytest, vitest, Playwright) import it or run it as a command:

    python tests/model_factory.py --config-dir ../shared/data/model-configs/HuggingFaceTB--SmolLM2-135M \\
        --tokenizer-dir ../shared/data/model-configs/microsoft--Phi-3-mini-4k-instruct \\
        --out DIR [--hf-home H --repo-id ORG/NAME] [--layers N --hidden N --heads N] [--resave-tokenizer]

It prints one JSON object: the folders written, the snapshot revision and the exact parameter
count (`num_parameters()`, tied weights counted once, as the safetensors headers count them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

# The files of a tokenizer folder that transformers reads; whichever of them exist are copied.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                   "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json")


class ModelFactoryError(Exception):
    """A request the factory cannot build (a tokenizer larger than the vocabulary, a bad shape)."""


@dataclass
class BuiltModel:
    """What was written: `folder` and/or `snapshot` (the cache's copy), and the model's size."""

    folder: Optional[Path]
    snapshot: Optional[Path]
    repo_id: Optional[str]
    revision: Optional[str]
    parameters: int
    model_type: str
    num_layers: int
    hidden_size: int
    vocab_size: int

    def as_json(self) -> dict:
        return {"folder": str(self.folder) if self.folder else None,
                "snapshot": str(self.snapshot) if self.snapshot else None,
                "repo_id": self.repo_id, "revision": self.revision, "parameters": self.parameters,
                "model_type": self.model_type, "num_layers": self.num_layers, "hidden_size": self.hidden_size,
                "vocab_size": self.vocab_size}


def shrink_config(config, layers: Optional[int], hidden: Optional[int], heads: Optional[int]):
    """Fewer layers and/or a narrower width, keeping the vocabulary, the family's layout and its
    grouped-query ratio where it divides (a 9:3 model at 4 heads keeps 4:4)."""
    if layers is not None:
        if layers < 1:
            raise ModelFactoryError(f"--layers must be 1 or more, got {layers}")
        config.num_hidden_layers = layers
        # transformers 5 configs list a type per layer; Qwen2 names how many use sliding windows.
        if getattr(config, "layer_types", None):
            config.layer_types = list(config.layer_types[:layers])
        if hasattr(config, "max_window_layers"):
            config.max_window_layers = min(config.max_window_layers, layers)
    if hidden is not None:
        original_heads = config.num_attention_heads
        original_kv = getattr(config, "num_key_value_heads", None) or original_heads
        new_heads = heads if heads is not None else max(1, min(original_heads, hidden // 16))
        if hidden % new_heads:
            raise ModelFactoryError(f"--hidden {hidden} is not divisible by {new_heads} attention heads; give --heads")
        kv = max(1, new_heads * original_kv // original_heads)
        if new_heads % kv:
            kv = new_heads
        ratio = config.intermediate_size / config.hidden_size
        config.hidden_size = hidden
        config.intermediate_size = max(1, round(hidden * ratio))
        config.num_attention_heads = new_heads
        config.num_key_value_heads = kv
        if getattr(config, "head_dim", None) is not None:
            config.head_dim = hidden // new_heads
    elif heads is not None:
        raise ModelFactoryError("--heads applies only with --hidden")
    return config


def _link_or_copy(blob: Path, target: Path) -> None:
    """A relative symlink from the snapshot into blobs/, as huggingface_hub makes on Linux and
    macOS; a copy where links are not allowed (huggingface_hub's Windows fallback)."""
    try:
        os.symlink(os.path.relpath(blob, target.parent), target)
    except OSError:
        shutil.copy2(blob, target)


def write_hub_cache_entry(folder: Path, hf_home: Path, repo_id: str) -> tuple:
    """Puts a model folder into `<hf_home>/hub` as a download would: every file as a blob named by
    its SHA-256, a snapshot folder of links named by a 40-hex revision, and refs/main naming it.
    The revision is a hash of the files, so the same model always lands in the same snapshot."""
    if repo_id.count("/") != 1 or "--" in repo_id:
        raise ModelFactoryError(f"--repo-id must look like ORG/NAME without '--', got {repo_id!r}")
    repo_dir = hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))
    blobs = repo_dir / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    revision_hash = hashlib.sha1()
    digests = {}
    for path in files:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digests[path] = digest.hexdigest()
        revision_hash.update(f"{path.relative_to(folder).as_posix()}:{digests[path]}\n".encode())
    revision = revision_hash.hexdigest()
    snapshot = repo_dir / "snapshots" / revision
    if snapshot.exists():
        shutil.rmtree(snapshot)
    for path in files:
        blob = blobs / digests[path]
        if not blob.exists():
            shutil.copy2(path, blob)
        target = snapshot / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(blob, target)
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision, encoding="utf-8")
    return snapshot, revision


def build_model(config_dir: Path, *, tokenizer_dir: Optional[Path] = None, out: Optional[Path] = None,
                hf_home: Optional[Path] = None, repo_id: Optional[str] = None, layers: Optional[int] = None,
                hidden: Optional[int] = None, heads: Optional[int] = None, seed: int = 0,
                init_std: Optional[float] = None, dtype: str = "float32",
                resave_tokenizer: bool = False) -> BuiltModel:
    """Builds the model (random weights from `seed`) and writes it to `out` and/or the hub cache
    under `hf_home` as `repo_id`. The tokenizer comes from `tokenizer_dir` (default: `config_dir`).

    `resave_tokenizer` writes the tokenizer with this transformers' save_pretrained instead of
    copying its files (transformers 5 moves the chat template into chat_template.jinja)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if out is None and hf_home is None:
        raise ModelFactoryError("give --out, or --hf-home with --repo-id, or both")
    if (hf_home is None) != (repo_id is None):
        raise ModelFactoryError("--hf-home and --repo-id go together")
    config_dir = Path(config_dir)
    tokenizer_dir = Path(tokenizer_dir) if tokenizer_dir else config_dir
    if not (config_dir / "config.json").is_file():
        raise ModelFactoryError(f"{config_dir} has no config.json")
    if not any((tokenizer_dir / name).is_file() for name in ("tokenizer.json", "tokenizer.model", "vocab.json")):
        raise ModelFactoryError(f"{tokenizer_dir} has no tokenizer files (tokenizer.json, tokenizer.model or vocab.json); "
                                "give --tokenizer-dir")

    config = AutoConfig.from_pretrained(str(config_dir))
    shrink_config(config, layers, hidden, heads)
    if init_std is not None:
        config.initializer_range = init_std
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    # Every id the tokenizer can produce must have a row in the embedding.
    if len(tokenizer) > config.vocab_size:
        raise ModelFactoryError(f"the tokenizer in {tokenizer_dir} has {len(tokenizer)} tokens but the model's vocabulary "
                                f"is {config.vocab_size}: pair it with a config whose vocab_size is at least {len(tokenizer)}")
    # The model is built for this tokenizer, so its special ids are the tokenizer's (generation
    # stops at the model's eos id).
    for name in ("bos", "eos", "pad"):
        token_id = getattr(tokenizer, f"{name}_token_id")
        if token_id is not None:
            setattr(config, f"{name}_token_id", token_id)
    if hasattr(config, "dtype"):
        config.dtype = dtype

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model = model.to(getattr(torch, dtype))
    model.eval()
    parameters = model.num_parameters()

    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(out) if out is not None else Path(scratch) / "model"
        staged.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(staged))
        if resave_tokenizer:
            tokenizer.save_pretrained(str(staged))
        else:
            for name in TOKENIZER_FILES:
                if (tokenizer_dir / name).is_file():
                    shutil.copy2(tokenizer_dir / name, staged / name)
        snapshot = revision = None
        if hf_home is not None:
            snapshot, revision = write_hub_cache_entry(staged, Path(hf_home), repo_id)
    return BuiltModel(folder=Path(out) if out is not None else None, snapshot=snapshot, repo_id=repo_id,
                      revision=revision, parameters=parameters, model_type=config.model_type,
                      num_layers=config.num_hidden_layers, hidden_size=config.hidden_size, vocab_size=config.vocab_size)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build a random-weight model of a real architecture (test data; nothing is downloaded).")
    parser.add_argument("--config-dir", required=True, type=Path, help="folder with the real config.json")
    parser.add_argument("--tokenizer-dir", type=Path, help="folder with the real tokenizer files (default: --config-dir)")
    parser.add_argument("--out", type=Path, help="write the model folder here")
    parser.add_argument("--hf-home", type=Path, help="also put it in the Hugging Face cache under HF_HOME/hub")
    parser.add_argument("--repo-id", help="its id in the cache, ORG/NAME")
    parser.add_argument("--layers", type=int, help="keep this many layers")
    parser.add_argument("--hidden", type=int, help="hidden size (intermediate size keeps its ratio)")
    parser.add_argument("--heads", type=int, help="attention heads with --hidden (default: hidden / 16, at most the original)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init-std", type=float, help="initializer_range for the random weights (default: the config's)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16"))
    parser.add_argument("--resave-tokenizer", action="store_true",
                        help="save the tokenizer with transformers' save_pretrained (v5: chat_template.jinja) instead of copying its files")
    args = parser.parse_args(argv)
    try:
        built = build_model(args.config_dir, tokenizer_dir=args.tokenizer_dir, out=args.out, hf_home=args.hf_home,
                            repo_id=args.repo_id, layers=args.layers, hidden=args.hidden, heads=args.heads,
                            seed=args.seed, init_std=args.init_std, dtype=args.dtype,
                            resave_tokenizer=args.resave_tokenizer)
    except ModelFactoryError as error:
        print(f"model_factory: {error}", file=sys.stderr)
        return 2
    print(json.dumps(built.as_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
