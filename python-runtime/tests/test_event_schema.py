"""events.schema.json and its validator, against the shared fixtures (also tested by vitest)."""

import json
from dataclasses import asdict, fields

import pytest

from conftest import FIXTURES
from localtune_runtime.config import TrainingParams
from jsonschema import Draft202012Validator

from localtune_runtime.event_schema import SchemaViolation, event_schema, parse_event_line, validate_event
from localtune_runtime.events import EventLog
from localtune_runtime.failures import ERROR_KINDS

EVENT_TYPES = {"started", "progress", "eval", "checkpoint", "warning", "error", "finished"}
VALID_LINES = (FIXTURES / "events-v1.jsonl").read_text().splitlines()
INVALID_CASES = json.loads((FIXTURES / "events-v1-invalid.json").read_text())


@pytest.mark.parametrize("line", VALID_LINES)
def test_every_fixture_line_is_valid(line):
    event, error = parse_event_line(line)
    assert error is None, error
    assert event["v"] == 1


def test_the_fixture_has_every_event_type():
    assert {json.loads(line)["type"] for line in VALID_LINES} == EVENT_TYPES


@pytest.mark.parametrize("case", INVALID_CASES, ids=[c["why"] for c in INVALID_CASES])
def test_every_invalid_fixture_line_is_rejected(case):
    event, error = parse_event_line(case["line"])
    assert event is None and error, f"accepted: {case['why']}"


def test_errors_name_the_field():
    _, error = parse_event_line(json.dumps({**json.loads(VALID_LINES[1]), "loss": "2.35"}))
    assert error.startswith("$.loss:") and "number or null" in error


def test_nan_is_not_json():
    line = VALID_LINES[1].replace('"loss":2.3512', '"loss":NaN')
    assert "NaN" in line
    assert parse_event_line(line)[0] is None


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(event_schema())
    assert event_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_unknown_fields_types_and_versions_are_named():
    progress = json.loads(VALID_LINES[1])
    assert parse_event_line(json.dumps({**progress, "extra": 1}))[1] == "$.extra: is not a known field"
    assert parse_event_line(json.dumps({**progress, "type": "tick"}))[1].startswith("$.type: must be one of")
    assert parse_event_line(json.dumps({**progress, "v": 2}))[1] == "$.v: must be 1, got 2"
    started = json.loads(VALID_LINES[0])
    _, error = parse_event_line(json.dumps({**started, "config": {**started["config"], "seed": -1}}))
    assert error == "$.config.seed: must be >= 0, got -1"


def test_non_finite_numbers_are_refused_even_from_python():
    with pytest.raises(SchemaViolation, match=r"^\$\.loss: must be a number or null"):
        validate_event({**json.loads(VALID_LINES[1]), "loss": float("nan")})


def test_schema_kinds_and_types_match_the_runtime():
    schema = event_schema()
    assert set(schema["properties"]["type"]["enum"]) == EVENT_TYPES
    assert schema["$defs"]["error"]["properties"]["kind"]["enum"] == list(ERROR_KINDS)


def test_schema_training_params_match_the_dataclass():
    params_schema = event_schema()["$defs"]["trainingParams"]
    names = [f.name for f in fields(TrainingParams)]
    # A field with a default may be absent (runs from before it existed); every other one is required.
    defaulted = [name for name, spec in params_schema["properties"].items() if "default" in spec]
    assert defaulted == ["full_weights"]
    assert sorted(params_schema["required"] + defaulted) == sorted(names)
    assert sorted(params_schema["properties"]) == sorted(names)
    started = json.loads(VALID_LINES[0])
    validate_event({**started, "config": asdict(TrainingParams())})
    validate_event({**started, "config": asdict(TrainingParams(max_steps=5, lora={"r": 8, "target_modules": ["q_proj"]}))})


def test_event_log_writes_non_finite_numbers_as_null(tmp_path):
    log = EventLog(tmp_path / "events.jsonl", "run-1", demo=False)
    log.emit("progress", step=1, total_steps=2, epoch=0.5, loss=float("nan"), lr=1e-3, grad_norm=float("inf"),
             tokens_per_second=1.0, examples_per_second=1.0, elapsed_seconds=1.0, eta_seconds=1.0,
             gpu_memory={"allocated_bytes": None, "reserved_bytes": None, "peak_bytes": None})
    line = (tmp_path / "events.jsonl").read_text().strip()
    event, error = parse_event_line(line)
    assert error is None and event["loss"] is None and event["grad_norm"] is None


def test_event_log_refuses_an_event_the_app_would_reject(tmp_path):
    log = EventLog(tmp_path / "events.jsonl", "run-1", demo=False)
    with pytest.raises(SchemaViolation, match=r"\$\.status"):
        log.emit("finished", status="done", step=1, final_dir=None, adapter_path=None, weights_path=None,
                 merged_path=None, final_train_loss=None, final_eval_loss=None, peak_memory_bytes=None,
                 elapsed_seconds=1.0)
    assert not (tmp_path / "events.jsonl").exists()
