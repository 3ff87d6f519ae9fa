"""The declared shape of a scenario file, its organization and its plans.

These types hold what a user may write and what each field allows; the
model's own objects (:class:`sim.ModelParams`, :class:`sim.Plan`) are built
from them in :mod:`scenarios.scenario`. Model parameters are not re-typed by
hand: :data:`ParamsTable` is generated from ``ModelParams``' field metadata
(type, range, unit, meaning), so a parameter the model gains is accepted,
checked and documented here at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, create_model, model_validator

from scenarios.inputs import Declared, Name, Seed, either
from sim import Gate, ModelParams, Plan, Wave
from sim.interventions import BLOCKS
from sim.params import ROLE_NAMES

MAX_WEEKS = 100_000
"""Longest horizon a file may ask for (weeks)."""

MAX_SEEDS = 100_000
"""Most seeds per plan a file may ask for; the size guard weighs the whole run before it starts."""

MAX_FRONTLINE = 1_000_000
"""Largest department a file may declare (people); the size guard checks the organization's memory."""


def _param_annotation(f: dataclasses.Field[Any]) -> Any:
    meta = f.metadata
    bounds = {"ge": meta.get("lo"), "le": meta.get("hi")}
    default = list(f.default) if isinstance(f.default, tuple) else f.default
    extra = {"unit": meta.get("unit") or None, "group": meta.get("group"), "model_default": default}
    number = int if isinstance(f.default, int) and not isinstance(f.default, bool) else float
    if isinstance(f.default, tuple):
        n = len(f.default)
        item = Annotated[number, Field(**bounds)]
        return Annotated[
            list[item],  # type: ignore[valid-type]
            Field(min_length=n, max_length=n, description=meta.get("doc"), json_schema_extra=extra),
        ]
    return Annotated[number, Field(description=meta.get("doc"), json_schema_extra=extra, **bounds)]


ParamsTable = create_model(  # type: ignore[call-overload]
    "ParamsTable",
    __base__=Declared,
    __doc__="The ``[params]`` table: any ModelParams field but ``departments`` (see docs/ODD.md).",
    **{
        f.name: (_param_annotation(f), None)
        for f in dataclasses.fields(ModelParams)
        if f.name != "departments"
    },
)
"""The ``[params]`` table, generated from :class:`sim.ModelParams`; unset fields are None."""


def param_annotation(name: str) -> Any:
    """The declared type of one ModelParams field (for tables that set it elsewhere)."""
    return ParamsTable.model_fields[name].annotation | None


class DepartmentRow(Declared):
    """One department (silo) of an organization."""

    name: Name = Field(description="identifier used by plans and reports")
    frontline: int = Field(
        ge=1, le=MAX_FRONTLINE, description="frontline staff", json_schema_extra={"unit": "people"}
    )
    customer_share: float | None = Field(
        None,
        ge=0,
        le=1e6,
        description="relative weight as a customer's first contact (default: proportional to frontline)",
    )


class OrganizationTable(Declared):
    """``[organization]``, or a whole organization TOML file."""

    departments: list[DepartmentRow] = Field(min_length=1, description="the departments, in order")
    span: param_annotation("span") = None  # type: ignore[valid-type]
    executives: param_annotation("executives") = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _unique_names(self) -> OrganizationTable:
        names = [d.name for d in self.departments]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"department name {twice[0]!r} appears twice; names must be unique")
        return self


def _wave_default(name: str) -> Any:
    f = next(f for f in dataclasses.fields(Wave) if f.name == name)
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]


Fraction = Annotated[float, Field(ge=0, le=1)]
Weeks = Annotated[int, Field(ge=0, le=10**9)]
Role = Literal[ROLE_NAMES]  # type: ignore[valid-type]
Block = Literal[BLOCKS]  # type: ignore[valid-type]


class GateTable(Declared):
    """``advance_when``: when a staged rollout moves on (the fields of :class:`sim.Gate`)."""

    above_line: Fraction = Field(
        description="share of the current department above the line that lets it move on"
    )
    max_weeks: int = Field(
        ge=1, le=1_000_000, description="weeks after a stage starts when it moves on regardless"
    )


class WaveTable(Declared):
    """One wave of a plan (the fields of :class:`sim.Wave`, with its defaults)."""

    start: Weeks = Field(description="first week of the wave (week 0 is the first step)")
    duration: int = Field(ge=1, le=10**9, description="weeks the wave lasts")
    departments: either(  # type: ignore[valid-type]
        Literal["all"],
        lambda v: isinstance(v, str),
        list[Name],
        lambda v: isinstance(v, list),
        "must be 'all' or a list of department names",
    ) = Field(_wave_default("departments"), description="departments targeted")
    roles: list[Role] = Field(  # type: ignore[valid-type]
        list(_wave_default("roles")), min_length=1, description="roles targeted"
    )
    coverage: Fraction = Field(
        _wave_default("coverage"), description="share of the targeted people reached each week"
    )
    education: Fraction = Field(_wave_default("education"), description="training dose")
    leadership: Fraction = Field(
        _wave_default("leadership"), description="alignment coaching dose (managers, executives)"
    )
    mechanisms: dict[Block, Fraction] = Field(  # type: ignore[valid-type]
        dict(_wave_default("mechanisms")), description="target level of each building block"
    )
    cost_per_person_week: float | None = Field(
        _wave_default("cost_per_person_week"),
        ge=0,
        le=1e12,
        description="cost of reaching one person for one week (default: the model's cost_person_week)",
        json_schema_extra={"unit": "currency"},
    )
    every: Weeks = Field(
        _wave_default("every"),
        description="> 0: stage the departments one after another, this many weeks apart (with a gate: at least)",
    )
    advance_when: GateTable | None = Field(
        _wave_default("advance_when"),
        description="stage the departments one at a time, moving on at this gate",
    )

    def to_wave(self) -> Wave:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(Wave)}
        gate = self.advance_when
        return Wave(
            **fields | {"advance_when": None if gate is None else Gate(gate.above_line, gate.max_weeks)}
        )


class PlanTable(Declared):
    """``[plans.NAME]``: a rollout plan as data."""

    description: str = ""
    waves: list[WaveTable] = Field(default_factory=list, description="[[plans.NAME.waves]], in order")

    def to_plan(self, name: str) -> Plan:
        return Plan(name=name, waves=tuple(w.to_wave() for w in self.waves), description=self.description)

    @classmethod
    def of(cls, plan: Plan) -> dict[str, Any]:
        """A plan as the data of its table (tuples as lists, as TOML holds them)."""
        waves = [{f.name: _plain(getattr(w, f.name)) for f in dataclasses.fields(Wave)} for w in plan.waves]
        return {"description": plan.description, "waves": waves}


def _plain(value: Any) -> Any:
    if isinstance(value, Gate):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return list(value)
    return dict(value) if isinstance(value, Mapping) else value


PlanNames = Annotated[list[str], Field(min_length=1)]


class ScenarioFile(Declared):
    """A scenario file: organization, parameters, plans compared, budget, seeds and horizon."""

    name: str | None = Field(None, description="identifier (default: the file name)")
    description: str = Field("", description="one line: what this scenario asks")
    budget: float = Field(
        ge=0, le=1e15, description="what each compared plan spends", json_schema_extra={"unit": "currency"}
    )
    seeds: list[Seed] | None = Field(None, min_length=1, max_length=MAX_SEEDS, description="seeds to run")
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


def wave_fields() -> tuple[str, ...]:
    """The keys of a wave table, in order."""
    return tuple(WaveTable.model_fields)
