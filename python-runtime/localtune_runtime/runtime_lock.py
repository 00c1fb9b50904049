"""The runtime's lock file: which exact packages `localtune setup-runtime` installed into a venv.

The requirement files hold version *ranges* (the releases the project has tested), so two set-ups
a month apart can install different releases. The lock records what one set-up really installed,
in `<venv>/localtune-runtime.lock.json`: the flavour (cpu or cuda), the Python, the platform, the
requirement lines it was asked for, and `name == version` of every distribution in the venv.
`doctor` shows it, every run's `started` event carries it, and `check` tells the set-up (and CI)
whether the venv still is what the requirements ask for.

Standard library only: the set-up runs this in a venv before anything else is known to work.

    python -m localtune_runtime.runtime_lock write --flavour cpu requirements-cpu.txt [more.txt]
    python -m localtune_runtime.runtime_lock check --flavour cpu requirements-cpu.txt [more.txt]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Sequence

LOCK_NAME = "localtune-runtime.lock.json"
LOCK_VERSION = 1
FLAVOURS = ("cpu", "cuda")


class LockError(ValueError):
    """The lock file exists but cannot be used (unreadable, not JSON, or not a lock)."""


def lock_path(prefix: Optional[str] = None) -> Path:
    """Where the lock of a venv lives: its root folder, which is `sys.prefix` inside it."""
    return Path(prefix if prefix is not None else sys.prefix) / LOCK_NAME


def canonical_name(name: str) -> str:
    """PEP 503 normalisation, so `PyYAML`, `pyyaml` and `py_yaml` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> Dict[str, str]:
    """Every distribution this Python can import, by canonical name. A name found twice on
    sys.path keeps the first one, the one an import would load."""
    packages: Dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue  # a broken .dist-info without metadata; pip ignores it too
        packages.setdefault(canonical_name(name), dist.version)
    return dict(sorted(packages.items()))


def requirement_lines(path: Path) -> List[str]:
    """The requirements a file asks for, without comments, blank lines or spacing, so editing a
    comment does not make a set-up look out of date."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        # pip's rule: `#` starts a comment at the start of a line or after whitespace.
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            lines.append(re.sub(r"\s+", " ", line))
    return lines


def requirement_sets(files: Sequence[Path]) -> List[dict]:
    return [{"file": Path(f).name, "lines": requirement_lines(Path(f))} for f in files]


def build_lock(flavour: str, requirement_files: Sequence[Path]) -> dict:
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, got {flavour!r}")
    return {
        "lock_version": LOCK_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "flavour": flavour,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": f"{sys.platform}-{platform.machine()}",
        "requirements": requirement_sets(requirement_files),
        "packages": installed_packages(),
    }


def write_lock(flavour: str, requirement_files: Sequence[Path], prefix: Optional[str] = None) -> Path:
    """Writes the lock of the running Python's venv. Written to a temp file and renamed, so a
    reader never sees half a lock."""
    lock = build_lock(flavour, requirement_files)
    target = lock_path(prefix)
    handle, temp = tempfile.mkstemp(prefix=".lock-", suffix=".json", dir=str(target.parent))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(lock, out, indent=2)
            out.write("\n")
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def load_lock(prefix: Optional[str] = None) -> Optional[dict]:
    """The lock of a venv; None when it has none (a Python not made by `setup-runtime`)."""
    path = lock_path(prefix)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise LockError(f"{path} cannot be read: {error}") from error
    try:
        lock = json.loads(text)
    except ValueError as error:
        raise LockError(f"{path} is not valid JSON: {error}") from error
    if (not isinstance(lock, dict) or lock.get("lock_version") != LOCK_VERSION
            or lock.get("flavour") not in FLAVOURS or not isinstance(lock.get("packages"), dict)):
        raise LockError(f"{path} is not a version {LOCK_VERSION} LocalTune runtime lock")
    return lock


def lock_for_started_event(prefix: Optional[str] = None) -> Optional[dict]:
    """What a run's `started` event records about the runtime: where the lock is, when and for
    which flavour it was made, and every installed version. None without a usable lock: a broken
    lock must not stop a training run (`localtune doctor` reports it)."""
    try:
        lock = load_lock(prefix)
    except LockError:
        return None
    if lock is None:
        return None
    return {
        "path": str(lock_path(prefix)),
        "flavour": lock["flavour"],
        "created_at": str(lock.get("created_at", "")) or "unknown",
        "packages": {str(name): str(version) for name, version in lock["packages"].items()},
    }


def mismatch(flavour: str, requirement_files: Sequence[Path], prefix: Optional[str] = None) -> Optional[str]:
    """Why this venv is not what the requirements ask for, in words; None when it is. Compares the
    flavour, the requirement lines and every installed version against the lock."""
    try:
        lock = load_lock(prefix)
    except LockError as error:
        return str(error)
    if lock is None:
        return f"it has no lock file ({LOCK_NAME}): it was not made by `localtune setup-runtime`"
    if lock["flavour"] != flavour:
        return f"it was set up for {lock['flavour']}, not {flavour}"
    wanted = requirement_sets(requirement_files)
    if lock.get("requirements") != wanted:
        locked_files = [entry.get("file") for entry in lock.get("requirements", []) if isinstance(entry, dict)]
        wanted_files = [entry["file"] for entry in wanted]
        if locked_files != wanted_files:
            return f"it was set up from {', '.join(map(str, locked_files)) or 'no files'}, not {', '.join(wanted_files)}"
        return f"{', '.join(wanted_files)} changed since it was set up on {lock.get('created_at', 'an unknown date')}"
    now = installed_packages()
    locked = lock["packages"]
    changes = [f"{name} {locked[name]} -> {now[name]}" for name in sorted(set(locked) & set(now)) if locked[name] != now[name]]
    changes += [f"{name} {locked[name]} removed" for name in sorted(set(locked) - set(now))]
    changes += [f"{name} {now[name]} added" for name in sorted(set(now) - set(locked))]
    if changes:
        shown = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
        return f"its packages changed since it was set up: {shown}"
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localtune_runtime.runtime_lock",
                                     description="Write or check the lock file of this Python's venv.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, summary in (("write", "record what is installed now"),
                          ("check", "exit 0 when the venv matches the lock and the requirements, else 1 with the reason")):
        command = commands.add_parser(name, help=summary)
        command.add_argument("--flavour", required=True, choices=FLAVOURS)
        command.add_argument("requirements", nargs="+", type=Path, help="the requirement files the set-up installed")
    args = parser.parse_args(argv)
    missing = [str(f) for f in args.requirements if not f.is_file()]
    if missing:
        print(f"error: no such requirement file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.command == "write":
        print(write_lock(args.flavour, args.requirements))
        return 0
    reason = mismatch(args.flavour, args.requirements)
    # One JSON line on stdout: the set-up reads it through a pipe (data never goes through a pty).
    print(json.dumps({"matches": reason is None, "reason": reason, "lock": str(lock_path())}))
    return 0 if reason is None else 1


if __name__ == "__main__":
    sys.exit(main())
