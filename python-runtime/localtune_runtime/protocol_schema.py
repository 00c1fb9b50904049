"""Validation against the run protocol's JSON Schema files, with messages that name the field.

`events.schema.json` and `run.schema.json` are generated from the app's zod schemas (the one
definition; `npm run protocol:generate`, never edited by hand) and checked here with the
jsonschema library. What this module adds is the wording: jsonschema's own messages quote whole
objects, while the app and the person need "where" and "what", e.g. ("params.learning_rate",
"must be > 0, got -1"), in the same words the app's zod messages use.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, List, NamedTuple, Optional, Sequence, Union

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).parent


def _is_finite_number(_checker, value: Any) -> bool:
    # JSON has no NaN or Infinity, and zod's z.number() refuses them: so does the runtime (the
    # library's own "number" accepts float("nan"), which Python's json module can produce).
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


ProtocolValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _is_finite_number),
)


@lru_cache(maxsize=None)
def load_schema(file_name: str) -> dict:
    """A schema file of this package, checked to be a valid draft 2020-12 schema."""
    schema = json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@lru_cache(maxsize=None)
def schema_validator(file_name: str, definition: Optional[str] = None) -> Draft202012Validator:
    """A validator for the whole file, or for one of its `$defs` (e.g. "trainingParams")."""
    schema = load_schema(file_name)
    if definition is not None:
        if definition not in schema.get("$defs", {}):
            raise KeyError(f"{file_name} has no definition {definition!r}")
        # A reference into the file itself, so $refs inside the definition still resolve.
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return ProtocolValidator(schema)


class Problem(NamedTuple):
    path: List[Union[str, int]]
    """Where, from the document's root: keys and list indexes."""
    text: str
    """What, e.g. "must be > 0, got -1"."""


def first_problem(validator: Draft202012Validator, instance: Any, unknown_key: str) -> Optional[Problem]:
    """The first problem in schema order (the order of the zod fields), or None if valid.

    `unknown_key` is the text for a key the schema does not allow ("is not a known setting").
    """
    error = next(iter(validator.iter_errors(instance)), None)
    return None if error is None else _describe(error, unknown_key)


def show(value: Any) -> str:
    """A value as JSON, as the app would show it; Python-only values with repr."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)


_KINDS = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
          "null": "null", "object": "an object", "array": "a list"}


def _kinds(types: Union[str, Sequence[str]]) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(_KINDS.get(name, name) for name in names)


def _describe(error: ValidationError, unknown_key: str) -> Problem:
    path = list(error.absolute_path)
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword in ("anyOf", "oneOf"):
        return _describe_union(error, unknown_key)
    if keyword == "required":
        missing = [name for name in expected if name not in value]
        return Problem(path + missing[:1], "is required")
    if keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = [key for key in value if key not in known]
        return Problem(path + extra[:1], unknown_key)
    texts = {
        "type": lambda: f"must be {_kinds(expected)}, got {show(value)}",
        "const": lambda: f"must be {show(expected)}, got {show(value)}",
        "enum": lambda: f"must be one of {', '.join(show(option) for option in expected)}, got {show(value)}",
        "minimum": lambda: f"must be >= {show(expected)}, got {show(value)}",
        "exclusiveMinimum": lambda: f"must be > {show(expected)}, got {show(value)}",
        "maximum": lambda: f"must be <= {show(expected)}, got {show(value)}",
        "exclusiveMaximum": lambda: f"must be < {show(expected)}, got {show(value)}",
        "minLength": lambda: f"must have at least {expected} character(s)",
        "minItems": lambda: f"must have at least {expected} item(s)",
        # The zod schema's own message travels in the (validator-ignored) errorMessage keyword.
        "pattern": lambda: f"{error.schema.get('errorMessage') or f'must match {expected}'}, got {show(value)}",
    }
    text = texts.get(keyword)
    return Problem(path, text() if text else error.message)


def _describe_union(error: ValidationError, unknown_key: str) -> Problem:
    """Why a value matches none of a union's forms, told by the form it was meant to be."""
    branches: dict = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if not branches:  # oneOf failing because more than one form matches: a schema bug, not data
        return Problem(list(error.absolute_path), error.message)

    def wrong_kind(sub: ValidationError) -> bool:
        return sub.validator == "type" and not sub.relative_path

    if all(any(wrong_kind(sub) for sub in subs) for subs in branches.values()):
        types: List[str] = []
        for subs in branches.values():
            for sub in subs:
                if wrong_kind(sub):
                    found = [sub.validator_value] if isinstance(sub.validator_value, str) else sub.validator_value
                    types += [t for t in found if t not in types]
        return Problem(list(error.absolute_path), f"must be {_kinds(types)}, got {show(error.instance)}")

    def rank(subs: List[ValidationError]):
        # A form whose discriminator (a const one level down, e.g. "type": "progress") or whose
        # kind does not match is not the one meant; among the rest, the one with fewest problems.
        discriminator = sum(1 for sub in subs if sub.validator == "const" and len(sub.relative_path) == 1)
        return (discriminator, sum(1 for sub in subs if wrong_kind(sub)), len(subs))

    meant = min(branches.values(), key=rank)
    return _describe(meant[0], unknown_key)


def dotted(path: Sequence[Union[str, int]], root: str) -> str:
    """A path as "params.lora.target_modules[0]"; `root` when empty."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or root
