"""The declared shape of a scenario file, its organization and its plans.

A file holds the model's own declared types (:class:`sim.Department`,
:class:`sim.Wave`, :class:`sim.Gate`; see :mod:`sim.declared`): what each of
their fields allows is written once, there. This module adds only the
shape of the files around them. :data:`ParamsTable` is generated from
``ModelParams``' fields (type, range, unit, meaning), so a parameter the
model gains is accepted, checked and documented here at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, create_model, model_validator
from pydantic.fields import FieldInfo

from scenarios.inputs import Declared, Seed
from scenarios.optimize.family import PlanFamily
from sim import ModelParams, Plan, Wave
from sim.declared import Name, either, unique
from sim.params import Departments

MAX_WEEKS = 100_000
"""Longest horizon a file may ask for (weeks)."""

MAX_SEEDS = 100_000
"""Most seeds per plan a file may ask for; the size guard weighs the whole run before it starts."""


def _optional(name: str, info: FieldInfo) -> Any:
    """A ModelParams field as a key a table may leave out (then None), with the model's default in its docs."""
    default = list(info.default) if isinstance(info.default, tuple) else info.default
    extra = (info.json_schema_extra or {}) | {"model_default": default}  # type: ignore[operator]
    annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation  # type: ignore[name-defined]
    return annotation, Field(None, description=info.description, json_schema_extra=extra)


ParamsTable = create_model(  # type: ignore[call-overload]
    "ParamsTable",
    __base__=Declared,
    __doc__="The ``[params]`` table: any ModelParams field but ``departments`` (see docs/ODD.md).",
    **{n: _optional(n, f) for n, f in ModelParams.__pydantic_fields__.items() if n != "departments"},  # type: ignore[attr-defined]
)
"""The ``[params]`` table, generated from :class:`sim.ModelParams`; unset fields are None."""


OptionalSpan, OptionalExecutives = (ParamsTable.model_fields[n].annotation for n in ("span", "executives"))


class OrganizationTable(Declared):
    """``[organization]``, or a whole organization TOML file."""

    departments: Departments = Field(description="the departments, in order")
    span: OptionalSpan = None  # type: ignore[valid-type]
    executives: OptionalExecutives = None  # type: ignore[valid-type]


class PlanTable(Declared):
    """``[plans.NAME]``: a rollout plan as data (its name is the table's)."""

    description: str = ""
    waves: tuple[Wave, ...] = Field((), description="[[plans.NAME.waves]], in order")

    def to_plan(self, name: str) -> Plan:
        return Plan(name=name, waves=self.waves, description=self.description)

    @classmethod
    def of(cls, plan: Plan) -> dict[str, Any]:
        """A plan as the data of its table (as TOML holds it)."""
        return cls(description=plan.description, waves=plan.waves).model_dump(mode="json")


PlanNames = Annotated[list[str], Field(min_length=1), AfterValidator(unique("plan"))]
Seeds = Annotated[list[Seed], Field(min_length=1, max_length=MAX_SEEDS), AfterValidator(unique("seed"))]


class ScenarioFile(Declared):
    """A scenario file: organization, parameters, plans compared, budget, seeds and horizon."""

    name: str | None = Field(None, description="identifier (default: the file name)")
    description: str = Field("", description="one line: what this scenario asks")
    budget: float = Field(
        ge=0, le=1e15, description="what each compared plan spends", json_schema_extra={"unit": "currency"}
    )
    seeds: Seeds | None = Field(None, description="seeds to run")
    n_seeds: int | None = Field(None, ge=1, le=MAX_SEEDS, description="run seeds 0..n_seeds-1 (default 10)")
    weeks: int = Field(260, ge=1, le=MAX_WEEKS, description="horizon", json_schema_extra={"unit": "weeks"})
    cut_at_horizon: bool = Field(False, description="allow waves that start after the horizon")
    plans: either(  # type: ignore[valid-type]
        PlanNames,
        lambda v: isinstance(v, list),
        dict[Name, PlanTable],
        lambda v: isinstance(v, dict),
        "must be a list of plan names or [plans.NAME] tables",
    ) = Field(default_factory=list, description="built-in plan names, or this file's own plans")
    compare: PlanNames | None = Field(
        None, description="with [plans.NAME] tables: the plans compared, in order"
    )
    params: ParamsTable = Field(  # type: ignore[valid-type]
        default_factory=ParamsTable, description="model parameters (see docs/ODD.md)"
    )
    organization: (
        either(  # type: ignore[valid-type]
            str,
            lambda v: isinstance(v, str),
            OrganizationTable,
            lambda v: isinstance(v, dict | OrganizationTable),
            "must be a table with [[organization.departments]] or a path to a .toml or .csv file",
        )
        | None
    ) = Field(None, description="departments inline, or a .toml/.csv file relative to this one")
    optimize: PlanFamily | None = Field(None, description="the family of plans `blueline optimize` searches")

    @model_validator(mode="after")
    def _one_way_each(self) -> ScenarioFile:
        if self.seeds is not None and self.n_seeds is not None:
            raise ValueError("seeds and n_seeds: give one of them, not both")
        if self.compare is not None and not isinstance(self.plans, dict):
            raise ValueError(
                "compare: only used with [plans.NAME] tables; with plans = [...] the list is the order"
            )
        return self
