"""JSON-schema helpers shared by the providers' structured-output paths."""

from __future__ import annotations

import re
from typing import Any

NAMED_SCHEMAS = ("properties", "$defs", "definitions", "patternProperties")  # name -> schema maps
NOT_SCHEMAS = ("required", "enum", "const", "default", "examples")  # values, not schemas


def schema_name(schema: dict[str, Any]) -> str:
    """OpenAI wants ``^[A-Za-z0-9_-]{1,64}$``; the schema's title when it has one."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", str(schema.get("title") or "")).strip("_")[:64]
    return name or "response"


def strict_compatible(schema: Any) -> bool:
    """Whether OpenAI's strict mode accepts ``schema``: every object closes its keys
    (``additionalProperties: false``) and requires all of its properties."""
    if isinstance(schema, list):
        return all(strict_compatible(item) for item in schema)
    if not isinstance(schema, dict):
        return True
    if "properties" in schema or schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False or set(schema.get("required", [])) != set(properties):
            return False
    for key, value in schema.items():
        if key in NAMED_SCHEMAS and isinstance(value, dict):
            if not all(strict_compatible(sub) for sub in value.values()):
                return False
        elif key not in NOT_SCHEMAS and not strict_compatible(value):
            return False
    return True
