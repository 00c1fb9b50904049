"""The runtime lock: what it records, how a changed venv or changed requirements are told apart,
and that a run's `started` event carries it (through a real venv, so sys.prefix is real)."""

import json
import os
import site
import subprocess
import sys
import venv
from importlib import metadata

import pytest

from conftest import RUNTIME_ROOT, chat_examples, make_run, of_type, read_events
from localtune_runtime import runtime_lock
from localtune_runtime.runtime_lock import (LOCK_NAME, LockError, build_lock, load_lock, lock_for_started_event,
                                            mismatch, requirement_lines, write_lock)


@pytest.fixture
def requirements(tmp_path):
    path = tmp_path / "requirements-cpu.txt"
    path.write_text("# tested ranges\ntorch>=2.4,<3   # CPU wheels: see the README\n\n"
                    "transformers >=5,<6\n", encoding="utf-8")
    return path


def test_requirement_lines_drop_comments_and_spacing(requirements):
    assert requirement_lines(requirements) == ["torch>=2.4,<3", "transformers >=5,<6"]


def test_the_lock_records_every_installed_version(tmp_path, requirements):
    path = write_lock("cpu", [requirements], prefix=str(tmp_path))
    assert path == tmp_path / LOCK_NAME
    lock = json.loads(path.read_text())
    assert lock["lock_version"] == 1 and lock["flavour"] == "cpu"
    assert lock["python"] == ".".join(map(str, sys.version_info[:3]))
    assert lock["requirements"] == [{"file": "requirements-cpu.txt", "lines": ["torch>=2.4,<3", "transformers >=5,<6"]}]
    # This very interpreter runs pytest, so the lock must name its exact version.
    assert lock["packages"]["pytest"] == metadata.version("pytest")
    assert list(lock["packages"]) == sorted(lock["packages"])
    assert load_lock(str(tmp_path)) == lock
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lock-")]  # no temp file left


def test_a_venv_without_a_lock_has_none(tmp_path, requirements):
    assert load_lock(str(tmp_path)) is None
    assert lock_for_started_event(str(tmp_path)) is None
    assert "no lock file" in mismatch("cpu", [requirements], prefix=str(tmp_path))


@pytest.mark.parametrize("content, why", [("{not json", "not valid JSON"),
                                          ('{"lock_version": 99, "flavour": "cpu", "packages": {}}', "not a version 1")])
def test_a_broken_lock_is_an_error_but_never_stops_a_run(tmp_path, requirements, content, why):
    (tmp_path / LOCK_NAME).write_text(content)
    with pytest.raises(LockError, match=why):
        load_lock(str(tmp_path))
    assert why in mismatch("cpu", [requirements], prefix=str(tmp_path))
    assert lock_for_started_event(str(tmp_path)) is None


def test_mismatch_names_what_changed(tmp_path, requirements, monkeypatch):
    write_lock("cpu", [requirements], prefix=str(tmp_path))
    assert mismatch("cpu", [requirements], prefix=str(tmp_path)) is None
    assert mismatch("cuda", [requirements], prefix=str(tmp_path)) == "it was set up for cpu, not cuda"

    requirements.write_text(requirements.read_text() + "# a comment changes nothing\n")
    assert mismatch("cpu", [requirements], prefix=str(tmp_path)) is None
    requirements.write_text(requirements.read_text().replace("<6", "<7"))
    assert "requirements-cpu.txt changed since it was set up" in mismatch("cpu", [requirements], prefix=str(tmp_path))
    requirements.write_text(requirements.read_text().replace("<7", "<6"))

    test_requirements = tmp_path / "requirements-test.txt"
    test_requirements.write_text("pytest>=8\n")
    assert mismatch("cpu", [requirements, test_requirements], prefix=str(tmp_path)) == (
        "it was set up from requirements-cpu.txt, not requirements-cpu.txt, requirements-test.txt")

    real = runtime_lock.installed_packages()
    drifted = {**{k: v for k, v in real.items() if k != "pytest"}, "numpy": "0.0.1", "made-up-package": "1.0"}
    monkeypatch.setattr(runtime_lock, "installed_packages", lambda: drifted)
    reason = mismatch("cpu", [requirements], prefix=str(tmp_path))
    assert reason.startswith("its packages changed since it was set up: ")
    assert f"pytest {real['pytest']} removed" in reason and "made-up-package 1.0 added" in reason
    if "numpy" in real:
        assert f"numpy {real['numpy']} -> 0.0.1" in reason


def test_the_flavour_is_checked(requirements):
    with pytest.raises(ValueError, match="flavour"):
        build_lock("rocm", [requirements])


@pytest.fixture
def bare_venv(tmp_path):
    """A real venv (no pip: fast) that sees this interpreter's packages through PYTHONPATH, so it
    can train while its own sys.prefix, where the lock lives, is the temp folder."""
    root = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(RUNTIME_ROOT), *site.getsitepackages()])
    env.pop("LOCALTUNE_STOP_AFTER_STEP", None)
    return root, python, env


def _lock_cli(python, env, *args):
    return subprocess.run([str(python), "-m", "localtune_runtime.runtime_lock", *args], cwd=RUNTIME_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_command_writes_and_checks_the_lock_of_its_own_venv(bare_venv, requirements):
    root, python, env = bare_venv
    checked = _lock_cli(python, env, "check", "--flavour", "cpu", str(requirements))
    assert checked.returncode == 1
    answer = json.loads(checked.stdout)
    assert answer["matches"] is False and "no lock file" in answer["reason"]
    assert answer["lock"] == str(root / LOCK_NAME)

    written = _lock_cli(python, env, "write", "--flavour", "cpu", str(requirements))
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == str(root / LOCK_NAME)
    checked = _lock_cli(python, env, "check", "--flavour", "cpu", str(requirements))
    assert (checked.returncode, json.loads(checked.stdout)["reason"]) == (0, None)

    missing = _lock_cli(python, env, "check", "--flavour", "cpu", str(requirements.with_name("nope.txt")))
    assert missing.returncode == 2 and "no such requirement file" in missing.stderr


def test_the_started_event_carries_the_lock(bare_venv, requirements, tmp_path):
    root, python, env = bare_venv
    assert _lock_cli(python, env, "write", "--flavour", "cpu", str(requirements)).returncode == 0
    run_dir = make_run(tmp_path / "run", method="full", train=chat_examples(8), params={"max_length": 32, "max_steps": 1})
    result = subprocess.run([str(python), "-m", "localtune_runtime", "train", "--run-dir", str(run_dir)], cwd=RUNTIME_ROOT,
                            env=env, input="", capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    started = of_type(read_events(run_dir), "started")[0]
    lock = json.loads((root / LOCK_NAME).read_text())
    assert started["runtime_lock"] == {"path": str(root / LOCK_NAME), "flavour": "cpu",
                                       "created_at": lock["created_at"], "packages": lock["packages"]}
    assert started["runtime_lock"]["packages"]["torch"] == started["versions"]["torch"]


def test_pyproject_declares_the_ranges_the_requirement_files_install():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((RUNTIME_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    cpu = requirement_lines(RUNTIME_ROOT / "requirements-cpu.txt")
    assert project["dependencies"] == cpu
    assert requirement_lines(RUNTIME_ROOT / "requirements-cuda.txt") == cpu + project["optional-dependencies"]["qlora"]
    assert requirement_lines(RUNTIME_ROOT / "requirements-test.txt") == project["optional-dependencies"]["test"]
    assert not [line for line in cpu if line.startswith("-")]  # no index options: pip's configuration decides
