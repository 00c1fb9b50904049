"""run.json: the shared fixtures (also tested by vitest), defaults, field-naming errors, docs."""

import ast
import json
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from conftest import FIXTURES
from localtune_runtime import config as config_module
from localtune_runtime.config import (ConfigError, DataSpec, LoraParams, ModelSpec, RunConfig,
                                      TrainingParams, load_run_config)


def test_shared_valid_fixture_loads_and_round_trips():
    data = json.loads((FIXTURES / "run-v1.json").read_text())
    config = RunConfig.from_dict(data)
    assert config.to_dict() == data
    assert config.params.lora.target_modules == "all-linear"


def test_defaults_match_the_shared_defaults_fixture():
    expected = json.loads((FIXTURES / "training-params-defaults-v1.json").read_text())
    assert asdict(TrainingParams()) == expected


CASES = json.loads((FIXTURES / "run-v1-invalid.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_shared_invalid_fixture_is_rejected_naming_the_field(case):
    with pytest.raises(ConfigError) as raised:
        RunConfig.from_dict(case["config"])
    assert raised.value.field == case["field"]
    assert str(raised.value).startswith(case["field"] + " ")


def test_the_error_reads_as_the_brief_shows():
    data = json.loads((FIXTURES / "run-v1.json").read_text())
    data["params"]["learning_rate"] = -1
    with pytest.raises(ConfigError, match=r"^params\.learning_rate must be > 0, got -1$"):
        RunConfig.from_dict(data)


def test_missing_params_take_defaults_and_lora_merges_key_by_key():
    config = RunConfig.from_dict({
        "schema_version": 1, "run_id": "r", "model": {"id": "localtune/tiny-demo"}, "method": "lora",
        "mode": "generic", "data": {"train": "train.jsonl"},
        "params": {"learning_rate": 0.003, "lora": {"r": 4}},
    })
    assert config.params.learning_rate == 0.003
    assert config.params.micro_batch_size == TrainingParams().micro_batch_size
    assert config.params.lora == LoraParams(r=4)
    assert config.model.path is None and config.data.valid is None and config.merge is False


def test_integral_floats_count_as_integers_like_in_json_schema():
    params = TrainingParams(micro_batch_size=4.0, max_steps=10.0)
    assert params.micro_batch_size == 4 and isinstance(params.micro_batch_size, int)
    assert params.max_steps == 10 and isinstance(params.max_steps, int)


def test_booleans_are_not_numbers():
    with pytest.raises(ConfigError, match="micro_batch_size must be an integer"):
        TrainingParams(micro_batch_size=True)


@pytest.mark.parametrize("path", ["/models/qwen", "C:\\models\\qwen", "D:/models", "\\\\server\\share\\m"])
def test_absolute_model_paths_of_every_platform_are_accepted(path):
    assert ModelSpec(id="x", path=path).path == path


def test_load_run_config_names_broken_json(tmp_path: Path):
    (tmp_path / "run.json").write_text('{"schema_version": 1,')
    with pytest.raises(ConfigError, match="run.json is not valid JSON"):
        load_run_config(tmp_path)


def test_every_setting_has_a_docstring():
    """litgpt style: the string under each dataclass field is its documentation."""
    tree = ast.parse(Path(config_module.__file__).read_text())
    documented = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            body = node.body
            for i, item in enumerate(body):
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    following = body[i + 1] if i + 1 < len(body) else None
                    has_doc = (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                               and isinstance(following.value.value, str) and following.value.value.strip())
                    documented[(node.name, item.target.id)] = bool(has_doc)
    for cls in (LoraParams, TrainingParams, ModelSpec, DataSpec, RunConfig):
        for f in fields(cls):
            assert documented.get((cls.__name__, f.name)), f"{cls.__name__}.{f.name} has no docstring"
