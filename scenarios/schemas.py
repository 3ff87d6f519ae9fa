"""The file kinds a user writes, their JSON Schemas (shipped in ``scenarios/schemas/``) and docs tables.

Each kind is a declared type; its JSON Schema lets an editor complete and
check the file (Taplo / Even Better TOML: a first line
``#:schema ./scenario.schema.json``), and :func:`markdown_table` gives the
field tables of ``docs/input-files.md``. Both are generated, never written
by hand: ``blueline schema KIND`` prints either.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pydantic import BaseModel, RootModel

from scenarios.scenario_file import OrganizationTable, PlanTable, ScenarioFile
from sim.declared import Name


class PlansFile(RootModel[dict[Name, PlanTable]]):
    """A plans file (the format of ``scenarios/builtin/plans.toml``): ``[NAME]`` tables of waves."""


def file_kinds() -> dict[str, type[BaseModel]]:
    """Every kind of input file, by the name ``blueline schema`` takes."""
    from experiments.experiment_file import experiment_file
    from scenarios.optimize.family import PlanFamily

    return {
        "scenario": ScenarioFile,
        "organization": OrganizationTable,
        "plans": PlansFile,
        "experiment": experiment_file(),
        "family": PlanFamily,
    }


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of file."""
    model = file_kinds()[kind]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"blueline {kind} file"
    return schema


def json_schema_text(kind: str) -> str:
    return json.dumps(json_schema(kind), indent=2, sort_keys=False) + "\n"


def shipped_schema(kind: str) -> str:
    """The schema file shipped with the package (``scenarios/schemas/KIND.schema.json``)."""
    return resources.files("scenarios").joinpath(f"schemas/{kind}.schema.json").read_text()


def markdown_table(kind: str) -> str:
    """The docs table of one kind: every field (nested tables as ``a.b``), its type, default and meaning."""
    schema = json_schema(kind)
    lines = ["| field | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for path, prop, required in _properties(schema, schema, ""):
        default = "required" if required else _default(prop)
        lines.append(f"| `{path}` | {_type(prop)} | {default} | {_allowed(prop)} | {_meaning(prop)} |")
    return "\n".join(lines) + "\n"


def _meaning(prop: dict[str, Any]) -> str:
    return prop.get("description", "").split("\n")[0].replace("``", "`")


def _resolve(prop: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if ref is None:
        for option in prop.get("anyOf", []) + prop.get("oneOf", []):
            if "$ref" in option:
                return _resolve(option, root)
        return prop
    return root["$defs"][ref.rsplit("/", 1)[-1]]


def _properties(
    node: dict[str, Any], root: dict[str, Any], prefix: str
) -> list[tuple[str, dict[str, Any], bool]]:
    out = []
    node = _resolve(node, root)
    items = node.get("properties", {})
    named = [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]
    if not items and isinstance(named[-1], dict):
        items = {"NAME": named[-1]}
    for key, prop in items.items():
        path = f"{prefix}{key}"
        out.append((path, prop, key in node.get("required", ())))
        target = _resolve(prop.get("items", prop), root)
        if target is not prop and "properties" in target:
            suffix = "[]" if "items" in prop else ""
            out += _properties(target, root, f"{path}{suffix}.")
    return out


def _type(prop: dict[str, Any]) -> str:
    options = prop.get("anyOf") or prop.get("oneOf") or [prop]
    names = []
    for option in options:
        if "$ref" in option:
            names.append("table")
        elif option.get("type") == "array":
            names.append("list")
        elif option.get("type") == "object":
            names.append("table")
        elif "const" in option:
            names.append(repr(option["const"]))
        elif option.get("type") and option["type"] != "null":
            names.append(
                {"integer": "whole number", "number": "number", "boolean": "true/false"}.get(
                    option["type"], option["type"]
                )
            )
    return " or ".join(dict.fromkeys(names))


def _default(prop: dict[str, Any]) -> str:
    value = prop.get("model_default", prop.get("default"))
    return "—" if value is None else f"`{json.dumps(value)}`" if not isinstance(value, str) else f"`{value}`"


def _allowed(prop: dict[str, Any]) -> str:
    options = prop.get("anyOf") or prop.get("oneOf") or [prop]
    parts = []
    for option in options:
        lo = option.get("minimum", option.get("exclusiveMinimum"))
        hi = option.get("maximum", option.get("exclusiveMaximum"))
        if lo is not None or hi is not None:
            parts.append(f"[{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]")
        for enum in (option, option.get("items", {}), option.get("propertyNames", {})):
            if "enum" in enum:
                parts.append(", ".join(map(str, enum["enum"])))
        if "pattern" in option:
            parts.append("letters, digits, _ or -")
    unit = prop.get("unit")
    return " ".join(parts) + (f" {unit}" if unit else "")


DOCS_KINDS = ("scenario", "organization", "plans", "experiment", "family")


def input_files_markdown() -> str:
    """The text of ``docs/input-files.md``: one table per kind of file (regenerate with ``blueline schema``)."""
    parts = [
        "# Input files\n\n"
        "Generated from the declared types (`blueline schema KIND --markdown`); a test keeps it current.\n"
        "JSON Schemas for editors: `scenarios/schemas/KIND.schema.json` or `blueline schema KIND`.\n"
    ]
    for kind in DOCS_KINDS:
        doc = (file_kinds()[kind].__doc__ or "").strip().split("\n")[0].replace("``", "`")
        parts.append(f"\n## {kind}\n\n{doc}\n\n{markdown_table(kind)}")
    return "".join(parts)


def write_shipped() -> None:
    """Regenerate the shipped schemas and ``docs/input-files.md`` (``python -m scenarios.schemas``)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for kind in file_kinds():
        (root / "scenarios" / "schemas" / f"{kind}.schema.json").write_text(json_schema_text(kind))
    (root / "docs" / "input-files.md").write_text(input_files_markdown())


if __name__ == "__main__":
    write_shipped()
