"""A minimal JSON Schema (draft 2020-12) validator for the subset `events.schema.json` uses.

The jsonschema package is not a dependency of the runtime, and the schema is small, so this checks
exactly the keywords listed in `SUPPORTED_KEYWORDS` and refuses a schema that uses any other one:
a keyword silently ignored would be a check silently skipped.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Tuple

SCHEMA_PATH = Path(__file__).with_name("events.schema.json")

SUPPORTED_KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "title", "description",
    "type", "enum", "const", "properties", "required", "additionalProperties", "items",
    "minItems", "minLength", "minimum", "exclusiveMinimum", "exclusiveMaximum",
    "allOf", "anyOf", "if", "then",
})
# Keywords whose value is a map of names to schemas (the names are not keywords).
_SCHEMA_MAPS = ("$defs", "properties")


class SchemaViolation(ValueError):
    pass


@lru_cache(maxsize=1)
def event_schema() -> dict:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    check_supported(schema)
    return schema


def check_supported(schema: Any, where: str = "#") -> None:
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaViolation(f"{where}: a schema must be an object")
    for key, value in schema.items():
        if key not in SUPPORTED_KEYWORDS:
            raise SchemaViolation(f"{where}: keyword {key!r} is not supported by this validator")
        if key in _SCHEMA_MAPS:
            for name, sub in value.items():
                check_supported(sub, f"{where}/{key}/{name}")
        elif key in ("allOf", "anyOf"):
            for i, sub in enumerate(value):
                check_supported(sub, f"{where}/{key}/{i}")
        elif key in ("items", "if", "then") or (key == "additionalProperties" and isinstance(value, dict)):
            check_supported(value, f"{where}/{key}")


def validate_event(event: Any) -> None:
    """Raise SchemaViolation with a path and a reason if `event` is not a valid v1 event."""
    schema = event_schema()
    error = _first_error(event, schema, schema, "$")
    if error:
        raise SchemaViolation(error)


def parse_event_line(line: str) -> Tuple[Optional[dict], Optional[str]]:
    """The Python twin of the app's parseRunEventLine: (event, None) or (None, reason)."""
    try:
        event = json.loads(line, parse_constant=_reject_constant)
    except ValueError as error:
        return None, f"not valid JSON: {error}"
    try:
        validate_event(event)
    except SchemaViolation as error:
        return None, str(error)
    return event, None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


# ---- the checks -------------------------------------------------------------------------------

_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _TYPE_NAMES[type(value)]
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    for python_type, name in _TYPE_NAMES.items():
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _has_type(value: Any, expected: str) -> bool:
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return _type_name(value) == expected


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _first_error(value: Any, schema: Any, root: dict, path: str) -> Optional[str]:
    if schema is True:
        return None
    if schema is False:
        return f"{path}: is not allowed"
    if "$ref" in schema:
        error = _first_error(value, _resolve(schema["$ref"], root), root, path)
        if error:
            return error
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_has_type(value, t) for t in types):
            return f"{path}: expected {' or '.join(types)}, got {_type_name(value)}"
    if "const" in schema and not _same(value, schema["const"]):
        return f"{path}: must be {json.dumps(schema['const'])}, got {json.dumps(value)}"
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        options = ", ".join(json.dumps(o) for o in schema["enum"])
        return f"{path}: must be one of {options}, got {json.dumps(value)}"
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{path}: must be >= {schema['minimum']}, got {value}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return f"{path}: must be > {schema['exclusiveMinimum']}, got {value}"
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return f"{path}: must be < {schema['exclusiveMaximum']}, got {value}"
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        return f"{path}: must have at least {schema['minLength']} character(s)"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{path}: must have at least {schema['minItems']} item(s)"
        if "items" in schema:
            for i, item in enumerate(value):
                error = _first_error(item, schema["items"], root, f"{path}[{i}]")
                if error:
                    return error
    if isinstance(value, dict):
        error = _object_error(value, schema, root, path)
        if error:
            return error
    for sub in schema.get("allOf", ()):
        error = _first_error(value, sub, root, path)
        if error:
            return error
    if "anyOf" in schema:
        errors = [_first_error(value, sub, root, path) for sub in schema["anyOf"]]
        if all(errors):
            return " and ".join(errors) if len(set(errors)) > 1 else errors[0]
    if "if" in schema and _first_error(value, schema["if"], root, path) is None and "then" in schema:
        return _first_error(value, schema["then"], root, path)
    return None


def _object_error(value: dict, schema: dict, root: dict, path: str) -> Optional[str]:
    for name in schema.get("required", ()):
        if name not in value:
            return f"{path}.{name}: is required"
    properties = schema.get("properties", {})
    for name, item in value.items():
        where = f"{path}.{name}"
        if name in properties:
            error = _first_error(item, properties[name], root, where)
        elif "additionalProperties" in schema:
            extra = schema["additionalProperties"]
            error = f"{where}: is not a known field" if extra is False else _first_error(item, extra, root, where)
        else:
            error = None
        if error:
            return error
    return None


def _same(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1, and 1 equals 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _resolve(ref: str, root: dict) -> Any:
    if not ref.startswith("#/"):
        raise SchemaViolation(f"only local $ref values are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node
