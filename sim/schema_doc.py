"""The scenario JSON schema (version 1), generated from the pydantic models.

Durations, money and distributions are validated by converters, so the JSON schema describes
them as strings ("5 min", "12.50 USD") or mappings ({dist: exponential, mean: 5 min}).
``tests/test_scenario.py`` checks that ``sim/schemas/scenario-1.json`` matches this output.
"""

from __future__ import annotations

from typing import Any

from sim.scenario import SCHEMA_VERSION, Scenario


def json_schema() -> dict[str, Any]:
    """The JSON schema of a scenario file."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$id"] = f"https://omnisim.invalid/schemas/scenario-{SCHEMA_VERSION}.json"
    schema["title"] = f"omnisim scenario, schema version {SCHEMA_VERSION}"
    return schema
