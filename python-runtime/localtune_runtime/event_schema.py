"""Events are checked against `events.schema.json` with the jsonschema library.

The schema file is generated from the app's zod schemas (src/shared/run-events/run-event-schema.ts,
`npm run protocol:generate`), so the runtime refuses to write an event the app would reject.
Messages name the field as a JSON path: `$.loss: must be a number or null, got "2.35"`.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

from .protocol_schema import SCHEMA_DIR, first_problem, load_schema, schema_validator

SCHEMA_FILE = "events.schema.json"
SCHEMA_PATH = SCHEMA_DIR / SCHEMA_FILE


class SchemaViolation(ValueError):
    pass


def event_schema() -> dict:
    """The parsed events.schema.json (checked to be a valid draft 2020-12 schema)."""
    return load_schema(SCHEMA_FILE)


def validate_event(event: Any) -> None:
    """Raise SchemaViolation with a path and a reason if `event` is not a valid v1 event."""
    problem = first_problem(schema_validator(SCHEMA_FILE), event, "is not a known field")
    if problem:
        where = "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem.path)
        raise SchemaViolation(f"{where}: {problem.text}")


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
