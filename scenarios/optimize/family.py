"""The family of plans ``blueline optimize`` searches, declared like every input file.

A plan of the family has up to three waves, each reaching the same roles
with the same doses and building blocks:

1. the **first stage**, from week 0: ``first_stage_weeks`` long at
   ``first_stage_coverage`` a week, staged ``simultaneous`` (every
   department at once), ``one_at_a_time`` (each department in the
   organization's order for ``first_stage_weeks``, the next starting when it
   ends) or ``gated`` (one at a time, moving on when the department is
   ``gate_above_line`` above the line or after ``gate_max_weeks``);
2. an optional **booster**, everyone at once, ``booster_gap_weeks`` after
   the first stage ends (when staged: its last department, at the plan's own
   pace), ``booster_weeks`` long at ``booster_coverage``;
3. an optional **sustaining burn**, everyone at once, from the end of the
   booster (or of the first stage), ``burn_weeks`` long at ``burn_coverage``.

``roles`` lists the role sets tried; ``blocks`` which building blocks
(``none``, ``local``: the five a department builds, ``organization``: the
seven organization-wide ones, which only move when the executives are
engaged, ``all``) at ``block_level``; ``education`` and ``leadership`` are
the doses. Each numeric field is a number (fixed), a list (the values to
try) or ``{ min = .., max = .. }`` (a range; coverage ranges are searched on
a log scale). A booster or burn that would start after the horizon is left
out of the plan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Discriminator, Field, Tag, create_model, field_validator, model_validator

from scenarios.inputs import Declared, InputError, check, parse_toml, read_input_file
from sim import Gate, ModelParams, Plan, Wave
from sim.interventions import LOCAL_BLOCKS, ORG_BLOCKS, SpendProjection
from sim.organization import Organization
from sim.params import ROLE_NAMES

BLOCK_CHOICES = ("none", "local", "organization", "all")
STAGING_CHOICES = ("simultaneous", "one_at_a_time", "gated")
COVERAGE_FIELDS = ("first_stage_coverage", "booster_coverage", "burn_coverage")
WEEK_FIELDS = ("first_stage_weeks", "gate_max_weeks", "booster_gap_weeks", "booster_weeks", "burn_weeks")
MAX_FAMILY_WEEKS = 10_000
"""Longest stage, gap or burn the family may ask for (weeks)."""

Role = Literal[ROLE_NAMES]  # type: ignore[valid-type]
BlockChoice = Literal[BLOCK_CHOICES]  # type: ignore[valid-type]
StagingChoice = Literal[STAGING_CHOICES]  # type: ignore[valid-type]


def _span_model(name: str, number: type, lo: float, hi: float, unit: str = "") -> type[BaseModel]:
    """``{ min, max }`` for one field: both within [lo, hi], min <= max."""
    bounded = Annotated[number, Field(ge=lo, le=hi, json_schema_extra={"unit": unit} if unit else None)]  # type: ignore[valid-type]

    def ordered(self: Any) -> Any:
        if self.min > self.max:
            raise ValueError(f"min={self.min:g} is above max={self.max:g}; give min <= max")
        return self

    return create_model(  # type: ignore[call-overload, no-any-return]
        f"{name}Range",
        __base__=Declared,
        __doc__=f"A range of {name}: every value from min to max may be tried.",
        __validators__={"ordered": model_validator(mode="after")(ordered)},
        min=(bounded, Field(description="lowest value tried")),
        max=(bounded, Field(description="highest value tried")),
    )


def _shape(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "<number>"
    if isinstance(value, list):
        return "<choices>"
    if isinstance(value, (dict, BaseModel)):
        return "<range>"
    return None


def _numeric(name: str, number: type, lo: float, hi: float, unit: str = "") -> Any:
    """A number (fixed), a list of numbers (the values to try) or ``{ min, max }``."""
    bounded = Annotated[number, Field(ge=lo, le=hi, json_schema_extra={"unit": unit} if unit else None)]  # type: ignore[valid-type]
    span = _span_model(name, number, lo, hi, unit)
    return Annotated[
        Union[  # noqa: UP007
            Annotated[bounded, Tag("<number>")],
            Annotated[list[bounded], Field(min_length=1), Tag("<choices>")],  # type: ignore[valid-type]
            Annotated[span, Tag("<range>")],
        ],
        Discriminator(
            _shape,
            custom_error_type="shape",
            custom_error_message="must be a number (fixed), a list of values to try, or { min = .., max = .. }",
        ),
    ]


Fraction = _numeric("Fraction", float, 0, 1)
Coverage = _numeric("Coverage", float, 0, 1, "share of targets a week")
Weeks = _numeric("Weeks", int, 1, MAX_FAMILY_WEEKS, "weeks")
Gap = _numeric("Gap", int, 0, MAX_FAMILY_WEEKS, "weeks")
_FractionRange = _span_model("Fraction", float, 0, 1)
_CoverageRange = _span_model("Coverage", float, 0, 1, "share of targets a week")
_WeeksRange = _span_model("Weeks", int, 1, MAX_FAMILY_WEEKS, "weeks")
_GapRange = _span_model("Gap", int, 0, MAX_FAMILY_WEEKS, "weeks")


class PlanFamily(Declared):
    """The ``[optimize]`` table, or a family file: the plans ``blueline optimize`` may choose from.

    Each numeric field is a number (fixed), a list of values to try or
    ``{ min = .., max = .. }``; the defaults are the family searched when
    nothing is given.
    """

    roles: list[Annotated[list[Role], Field(min_length=1)]] = Field(  # type: ignore[valid-type]
        [list(ROLE_NAMES), ["frontline", "managers"], ["managers", "executives"]],
        min_length=1,
        description="the role sets tried, each a list of frontline, managers, executives",
    )
    blocks: list[BlockChoice] = Field(  # type: ignore[valid-type]
        list(BLOCK_CHOICES),
        min_length=1,
        description="which building blocks are raised: none, local, organization (needs the executives), all",
    )
    block_level: Fraction = Field(  # type: ignore[valid-type]
        _FractionRange(min=0.3, max=0.9), description="target level of every block raised"
    )
    education: Fraction = Field(_FractionRange(min=0.2, max=0.9), description="training dose")  # type: ignore[valid-type]
    leadership: Fraction = Field(  # type: ignore[valid-type]
        _FractionRange(min=0.0, max=0.9), description="alignment coaching dose (managers, executives)"
    )
    staging: list[StagingChoice] = Field(  # type: ignore[valid-type]
        list(STAGING_CHOICES),
        min_length=1,
        description="how the first stage reaches departments: simultaneous, one_at_a_time, gated",
    )
    first_stage_weeks: Weeks = Field(  # type: ignore[valid-type]
        _WeeksRange(min=4, max=39), description="length of the first stage (per department when staged)"
    )
    first_stage_coverage: Coverage = Field(  # type: ignore[valid-type]
        _CoverageRange(min=0.02, max=0.5), description="share of the targeted people reached each week"
    )
    gate_above_line: Fraction = Field(  # type: ignore[valid-type]
        _FractionRange(min=0.3, max=0.8),
        description="gated: share of the department above the line that moves the rollout on",
    )
    gate_max_weeks: Weeks = Field(  # type: ignore[valid-type]
        _WeeksRange(min=8, max=52), description="gated: weeks after which the rollout moves on regardless"
    )
    booster: list[bool] = Field([True, False], min_length=1, description="with a booster, without, or both")
    booster_gap_weeks: Gap = Field(  # type: ignore[valid-type]
        _GapRange(min=0, max=52), description="weeks between the end of the first stage and the booster"
    )
    booster_weeks: Weeks = Field(_WeeksRange(min=2, max=26), description="length of the booster")  # type: ignore[valid-type]
    booster_coverage: Coverage = Field(  # type: ignore[valid-type]
        _CoverageRange(min=0.02, max=0.5), description="booster: share of everyone reached each week"
    )
    sustaining_burn: list[bool] = Field(
        [True, False], min_length=1, description="with a sustaining burn, without, or both"
    )
    burn_weeks: Weeks = Field(_WeeksRange(min=13, max=208), description="length of the sustaining burn")  # type: ignore[valid-type]
    burn_coverage: Coverage = Field(  # type: ignore[valid-type]
        _CoverageRange(min=0.005, max=0.1), description="sustaining burn: share of everyone reached each week"
    )

    @field_validator("roles")
    @classmethod
    def _distinct_role_sets(cls, value: list[list[str]]) -> list[list[str]]:
        for k, roles in enumerate(value):
            if len(set(roles)) < len(roles):
                raise ValueError(f"set {k} {roles!r} repeats a role; list each role once")
        sets = [frozenset(r) for r in value]
        if len(set(sets)) < len(sets):
            raise ValueError("a role set appears twice; list each set once")
        return value

    @field_validator("blocks", "staging", "booster", "sustaining_burn")
    @classmethod
    def _distinct_choices(cls, value: list[Any]) -> list[Any]:
        if len(set(value)) < len(value):
            raise ValueError("a choice appears twice; list each choice once")
        return value


# -- the search space -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """One coordinate of the family: fixed, a choice among values, or a range.

    Attributes
    ----------
    name : str
        The family field.
    choices : tuple or None
        The values to try (a categorical dimension); one value when fixed.
    low, high : float
        A range's bounds (when ``choices`` is None).
    integer, log : bool
        Whole numbers; searched on a log scale.
    """

    name: str
    choices: tuple[Any, ...] | None = None
    low: float = math.nan
    high: float = math.nan
    integer: bool = False
    log: bool = False
    staged_high: float | None = None
    """A lower ``high`` used when the first stage is taken one department at a time (the horizon)."""

    @property
    def fixed(self) -> bool:
        return self.choices is not None and len(self.choices) == 1

    def values(self) -> tuple[Any, ...]:
        """Every value of a finite dimension (for brute force); raises ValueError on a range."""
        if self.choices is None:
            raise ValueError(f"{self.name} is a range")
        return self.choices

    def describe(self) -> Any:
        """The dimension as plain data (for the study's fingerprint and the summary)."""
        if self.choices is not None:
            return list(self.choices) if not self.fixed else self.choices[0]
        return {"min": self.low, "max": self.high, "log": self.log}


def role_key(roles: Any) -> str:
    """A role set as one categorical value: ``frontline+managers``, in the model's order."""
    return "+".join(r for r in ROLE_NAMES if r in roles)


def dimensions(family: PlanFamily) -> dict[str, Dimension]:
    """Every coordinate of the family, in field order."""
    out: dict[str, Dimension] = {}
    for name in PlanFamily.model_fields:
        value = getattr(family, name)
        integer = name in WEEK_FIELDS
        if name == "roles":
            out[name] = Dimension(name, tuple(dict.fromkeys(role_key(r) for r in value)))
        elif isinstance(value, list):
            out[name] = Dimension(name, tuple(value))
        elif isinstance(value, BaseModel):
            lo, hi = value.min, value.max  # type: ignore[attr-defined]
            if lo == hi:
                out[name] = Dimension(name, (lo,), integer=integer)
            else:
                out[name] = Dimension(
                    name, None, lo, hi, integer=integer, log=name in COVERAGE_FIELDS and lo > 0
                )
        else:
            out[name] = Dimension(name, (value,), integer=integer)
    return out


def fitted_to_horizon(
    dims: dict[str, Dimension], n_departments: int, weeks: int, source: str
) -> tuple[dict[str, Dimension], list[str]]:
    """The dimensions with the one-at-a-time first stage short enough for every department to start in time.

    A range is narrowed for that staging (with a note); a fixed value or a
    choice that is too long is an error.

    Raises
    ------
    InputError
        One line naming the field, the week the last department would start and what is allowed.
    """
    if "one_at_a_time" not in (dims["staging"].choices or ()) or n_departments < 2:
        return dims, []
    cap = (weeks - 1) // (n_departments - 1)
    d = dims["first_stage_weeks"]
    longest = max(d.choices) if d.choices is not None else d.low
    if longest > cap:
        which = "min" if d.choices is None else ("" if d.fixed else "[longest]")
        field = f"optimize.first_stage_weeks{'.' + which if which == 'min' else which}"
        raise InputError(
            f"{source}: {field}={longest}: with staging one_at_a_time the last of {n_departments} departments "
            f"would start in week {longest * (n_departments - 1)}, after the horizon of {weeks} weeks; "
            f"allowed: at most {cap}, or leave one_at_a_time out of staging"
        )
    if d.choices is not None or d.high <= cap:
        return dims, []
    note = (
        f"note: one department at a time, the first stage lasts at most {cap} weeks (not {d.high:g}) so that "
        f"all {n_departments} departments start within the {weeks} weeks"
    )
    return {**dims, "first_stage_weeks": replace(d, staged_high=cap)}, [note]


def used(point: Mapping[str, Any], name: str) -> bool:
    """Whether a coordinate matters at this point (a gate only when gated, a booster's length only with one)."""
    if name == "block_level":
        return point.get("blocks") not in (None, "none")
    if name == "leadership":
        return "managers" in point.get("roles", "") or "executives" in point.get("roles", "")
    if name.startswith("gate_"):
        return point.get("staging") == "gated"
    if name.startswith("booster_"):
        return bool(point.get("booster"))
    if name.startswith("burn_"):
        return bool(point.get("sustaining_burn"))
    return True


def finite_points(dims: Mapping[str, Dimension]) -> list[dict[str, Any]]:
    """Every distinct point of a family without ranges (the brute force the tests compare with).

    Raises
    ------
    ValueError
        If a dimension is a range.
    """
    points: list[dict[str, Any]] = [{}]
    for name, dim in dims.items():
        grown = []
        for point in points:
            if used(point, name):
                grown += [{**point, name: v} for v in dim.values()]
            else:
                grown.append(point)
        points = grown
    return points


# -- a point as a plan ------------------------------------------------------------------------------


def mechanisms_of(blocks: str, level: float, roles: tuple[str, ...]) -> dict[str, float]:
    """The building blocks raised and their target level (organization-wide ones only with the executives)."""
    chosen: tuple[str, ...] = ()
    if blocks in ("local", "all"):
        chosen += LOCAL_BLOCKS
    if blocks in ("organization", "all") and "executives" in roles:
        chosen += ORG_BLOCKS
    return {b: float(level) for b in chosen} if level > 0 else {}


def plan_of(point: Mapping[str, Any], org: Organization, weeks: int, name: str = "optimized") -> Plan:
    """The plan at a point of the family (see the module docstring for the waves).

    Parameters
    ----------
    point : mapping
        A value for every coordinate that matters at this point (:func:`used`).
    org : Organization
        For the staged first stage's pace (when the booster can start).
    weeks : int
        The horizon: a booster or burn that would start after it is left out.
    """
    roles = tuple(r for r in ROLE_NAMES if r in str(point["roles"]).split("+"))
    blocks = str(point["blocks"])
    level = float(point["block_level"]) if used(point, "block_level") else 0.0
    common = {
        "departments": "all",
        "roles": roles,
        "education": float(point["education"]),
        "leadership": float(point["leadership"]) if used(point, "leadership") else 0.0,
        "mechanisms": mechanisms_of(blocks, level, roles),
    }
    length = int(point["first_stage_weeks"])
    staging = point["staging"]
    first = Wave(
        start=0,
        duration=length,
        coverage=float(point["first_stage_coverage"]),
        every=length if staging == "one_at_a_time" else 0,
        advance_when=(
            Gate(float(point["gate_above_line"]), int(point["gate_max_weeks"]))
            if staging == "gated"
            else None
        ),
        **common,
    )
    waves = [first]
    _, ends = SpendProjection(Plan(name, (first,)), org, ModelParams()).schedule()
    end = int(ends.max())
    if point["booster"]:
        start = end + int(point["booster_gap_weeks"])
        if start < weeks:
            booster = Wave(
                start=start,
                duration=int(point["booster_weeks"]),
                coverage=float(point["booster_coverage"]),
                **common,
            )
            waves.append(booster)
            end = booster.end
    if point["sustaining_burn"] and end < weeks:
        waves.append(
            Wave(
                start=end, duration=int(point["burn_weeks"]), coverage=float(point["burn_coverage"]), **common
            )
        )
    return Plan(name, tuple(waves), describe_point(point))


def describe_point(point: Mapping[str, Any]) -> str:
    """A point of the family in words (the plan's description)."""
    staging = {
        "simultaneous": "every department at once",
        "one_at_a_time": "one department at a time",
        "gated": (
            f"one department at a time, moving on at {float(point.get('gate_above_line', 0)):.0%} above the "
            f"line or after {point.get('gate_max_weeks')} weeks"
        ),
    }[str(point["staging"])]
    roles = str(point["roles"]).replace("+", ", ")
    blocks = str(point["blocks"])
    level = f" at {float(point['block_level']):.2f}" if used(point, "block_level") else ""
    text = (
        f"Reaches {roles}; first stage {point['first_stage_weeks']} weeks, {staging}, at "
        f"{float(point['first_stage_coverage']):.1%} a week; blocks: {blocks}{level}; education "
        f"{float(point['education']):.2f}"
    )
    if used(point, "leadership"):
        text += f", leadership {float(point['leadership']):.2f}"
    if point["booster"]:
        text += (
            f"; booster {point['booster_weeks']} weeks at {float(point['booster_coverage']):.1%}, "
            f"{point['booster_gap_weeks']} weeks after the first stage"
        )
    if point["sustaining_burn"]:
        text += f"; sustaining burn {point['burn_weeks']} weeks at {float(point['burn_coverage']):.1%}"
    return text + "."


def load_family(data: Any, source: str, prefix: str = "optimize.") -> PlanFamily:
    """A family from parsed TOML (an ``[optimize]`` table or a family file's top level).

    Raises
    ------
    InputError
        Every problem, one line each naming ``source``, the field and what is allowed.
    """
    return check(PlanFamily, data if data is not None else {}, source, prefix)


def family_of(scenario_source: str, family_file: Path | None) -> tuple[PlanFamily, str]:
    """The family to search: the scenario's ``[optimize]`` table, with a family file's keys over it.

    Parameters
    ----------
    scenario_source : str
        :attr:`Scenario.source` (a path, or ``builtin:NAME``).
    family_file : Path, optional
        A TOML file whose keys are the family's (``--family``).

    Returns
    -------
    PlanFamily, str
        The family and where it was read, for messages.
    """
    from importlib import resources

    if scenario_source.startswith("builtin:"):
        name = scenario_source.removeprefix("builtin:")
        text = resources.files("scenarios").joinpath(f"builtin/{name}.toml").read_text()
    else:
        text = read_input_file(Path(scenario_source), scenario_source, "scenario")
    table = parse_toml(text, scenario_source).get("optimize") or {}
    where, prefix = scenario_source, "optimize."
    if family_file is not None:
        shown = str(family_file)
        extra = parse_toml(read_input_file(family_file, shown, "family"), shown)
        check(PlanFamily, extra, shown)
        table = {**table, **extra}
        where, prefix = (
            (shown, "") if not table.keys() - extra.keys() else (f"{scenario_source} + {shown}", "")
        )
    return load_family(table, where, prefix), where
