"""`probe` prints exactly one JSON object on stdout, with torch or without it."""

import json
import os
import subprocess
import sys

import torch

from conftest import RUNTIME_ROOT, run_cli, runtime_env

KEYS = {"python", "executable", "torch", "cuda_available", "cuda_version", "gpus", "packages", "error"}
PACKAGES = {"transformers", "peft", "bitsandbytes", "accelerate", "safetensors"}


def _probe(*python_args):
    result = subprocess.run([sys.executable, *python_args], cwd=RUNTIME_ROOT, env=runtime_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def test_probe_reports_this_python_and_torch():
    report = _probe("-m", "localtune_runtime", "probe")
    assert set(report) == KEYS and set(report["packages"]) == PACKAGES
    assert report["python"] == ".".join(map(str, sys.version_info[:3]))
    assert report["executable"] == sys.executable
    assert report["torch"] == torch.__version__ and report["error"] is None
    assert report["cuda_available"] == torch.cuda.is_available()
    assert len(report["gpus"]) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    for gpu in report["gpus"]:
        assert {"index", "name", "total_memory_bytes", "free_memory_bytes", "bf16_supported", "compute_capability"} <= set(gpu)


def test_probe_works_without_torch():
    # sys.modules["torch"] = None makes `import torch` raise ImportError, as in a bare Python.
    report = _probe("-c", "import sys, runpy; sys.modules['torch'] = None; sys.argv = ['x', 'probe']; "
                          "runpy.run_module('localtune_runtime', run_name='__main__')")
    assert set(report) == KEYS
    assert report["torch"] is None and report["cuda_available"] is False and report["gpus"] == []
    assert report["cuda_version"] is None and report["error"] is None
    assert set(report["packages"]) == PACKAGES


def test_probe_through_the_cli_helper():
    result = run_cli("probe")
    assert result.returncode == 0 and json.loads(result.stdout)["python"]


def test_stdout_carries_only_the_answer_when_libraries_print(capfd, monkeypatch):
    from localtune_runtime import probe

    def noisy_version(name):
        print(f"python-level noise about {name}")
        os.write(1, b"native noise on fd 1\n")
        return None

    monkeypatch.setattr(probe, "_version", noisy_version)
    assert probe.main() == 0
    out, err = capfd.readouterr()
    assert json.loads(out)["packages"]["peft"] is None
    assert "python-level noise about peft" in err and "native noise on fd 1" in err
