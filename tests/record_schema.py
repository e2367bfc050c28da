"""Validation of assessment and prediction records against docs/assessment.schema.json, for the tests that write
them."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "assessment.schema.json").read_text())


def validate(record: dict, kind: str) -> None:
    """Raises jsonschema.ValidationError unless `record` is a valid `kind` ("assessment" or "prediction")."""
    Draft202012Validator.check_schema(SCHEMA)
    Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": SCHEMA["$defs"]}).validate(record)
