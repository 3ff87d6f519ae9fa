"""The model's parameters: one typed, validated, documented object.

Every field is declared once (:mod:`sim.declared`) with its type, unit,
allowed range and meaning, so Python construction, scenario files, their
JSON Schema, the CLI, the dashboard and the ODD document read one place.
Numbers are starting defaults calibrated as described in ``docs/ODD.md``.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import fields
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field, model_validator

from sim.declared import Name, Real, Share, Whole, bounds, declared, unique

Role = Literal["frontline", "managers", "executives"]
ROLE_NAMES: tuple[Role, ...] = get_args(Role)

MAX_FRONTLINE = 1_000_000
"""Largest department (people); the size guard weighs the whole organization's memory before a run."""


@declared("department.")
class Department:
    """A silo: a named department with its frontline headcount (managers are added at one per ``span``)."""

    name: Name = Field(description="identifier used by plans and reports")
    frontline: Whole = Field(
        ge=1, le=MAX_FRONTLINE, description="frontline staff", json_schema_extra={"unit": "people"}
    )
    customer_share: Real | None = Field(
        default=None,
        ge=0,
        le=1e6,
        description="relative weight as a customer's first contact (default: proportional to frontline)",
    )


Departments = Annotated[
    tuple[Department, ...], Field(min_length=1), AfterValidator(unique("department name"))
]
"""An organization's departments, in order, names distinct."""


DEFAULT_DEPARTMENTS: tuple[Department, ...] = (
    Department("call_center", 80),
    Department("sales", 50),
    Department("operations", 60),
    Department("field_service", 50),
    Department("billing", 30),
    Department("it_support", 30),
)


def _p(
    default: Any,
    doc: str,
    unit: str = "",
    lo: float | None = None,
    hi: float | None = None,
    group: str = "behaviour",
) -> Any:
    extra = {"unit": unit, "group": group}
    return Field(default, ge=lo, le=hi, description=doc, json_schema_extra=extra)  # type: ignore[arg-type]


Level = Annotated[Real, Field(ge=1, le=6)]
"""A Kaufman service level."""

ShareByRung = tuple[Share, Share, Share, Share]
LevelByRung = tuple[Level, Level, Level, Level]
"""One value per rung (blame, shame, justify, own)."""


def _sums_to_one(shares: tuple[float, ...]) -> tuple[float, ...]:
    if abs(sum(shares) - 1) > 1e-6:
        raise ValueError("must sum to 1")
    return shares


@declared()
class ModelParams:
    """Everything that defines an organization and its people's rules.

    All rates are per week (one step is one week). Shares and probabilities
    lie in [0, 1]. Call :meth:`replace` to derive a variant; invalid values
    raise :class:`ParameterError` at construction.
    """

    # --- organization -----------------------------------------------------
    departments: Departments = _p(
        DEFAULT_DEPARTMENTS, "departments (silos) and their frontline sizes", group="organization"
    )
    span: Whole = _p(10, "frontline staff per manager", "people", 1, 1000, "organization")
    executives: Whole = _p(4, "executives in the top team", "people", 0, 100, "organization")
    p_within: Real = _p(0.25, "probability of a colleague tie inside a department", "", 0, 1, "organization")
    silo_strength: Real = _p(
        0.85,
        "how closed departments are: p_across = p_within * (1 - silo_strength)",
        "",
        0,
        1,
        "organization",
    )
    initial_rung_shares: Annotated[ShareByRung, AfterValidator(_sums_to_one)] = _p(
        (0.13, 0.43, 0.34, 0.10),
        "initial shares at blame, shame, justify, own",
        group="organization",
    )

    # --- the weekly rule --------------------------------------------------
    w_peer: Real = _p(1.5, "weight of colleagues at OWN (R)", "", 0, 10)
    w_blame: Real = _p(0.3, "weight of colleagues at BLAME (B)", "", 0, 10)
    w_lead: Real = _p(2.0, "weight of one's leaders' rung (2L - 1): what the people above you do", "", 0, 10)
    w_edu: Real = _p(0.8, "weight of education, halved under leaders below the line", "", 0, 10)
    w_mech: Real = _p(0.8, "weight of the department's reinforcing mechanisms (M)", "", 0, 10)
    w_cust: Real = _p(0.15, "weight of customer feedback (F)", "", 0, 10)
    w_align: Real = _p(0.6, "weight of leadership alignment coaching (managers, executives)", "", 0, 10)
    upward_weight: Real = _p(
        0.65,
        "share of a leader's L read from the people they lead (managers: their team; executives: the managers)",
        "",
        0,
        1,
    )
    results_weight: Real = _p(
        0.2,
        "share of the executives' L read from the results they watch (customer loyalty)",
        "",
        0,
        1,
    )
    board_commitment: Real = _p(
        0.0, "the board's outside push on the executive team (extra drive of executives)", "drive", -5, 5
    )
    resistance_mean: Real = _p(0.28, "mean personal resistance to change", "drive", -5, 5)
    resistance_sd: Real = _p(0.3, "spread of personal resistance", "drive", 0, 5)
    mood_sd: Real = _p(
        0.1, "spread of the weekly mood shock added to the drive (a good or a bad week)", "drive", 0, 5
    )
    rung_spacing: Real = _p(
        1.5,
        "drive between the thresholds of successive ladder steps (0: up if u > 0, down if u < 0)",
        "drive",
        0,
        5,
    )
    push: Real = _p(
        0.0,
        "constant extra drive on everyone (outside pressure; 0 = none); used to map tipping and hysteresis",
        "drive",
        -5,
        5,
    )
    adaptability: Real = _p(
        0.15, "chance per week that a person moves one rung as their drive says", "1/week", 0, 1
    )
    drift: Real = _p(
        0.06,
        "chance per week that a person moves one rung up or down at random, whatever their drive",
        "1/week",
        0,
        1,
    )
    education_decay: Real = _p(
        0.05, "weekly loss of education when no mechanism reinforces it", "1/week", 0, 1
    )
    mechanism_decay: Real = _p(
        0.01, "weekly loss of mechanism strength when no wave sustains it", "1/week", 0, 1
    )
    cross_blame_weight: Real = _p(1.5, "weight of blame arriving on cross-department ties", "", 0, 10)
    cynicism_rate: Real = _p(
        0.004,
        "weekly rise of resistance in people a launched programme has not yet reached with more than training",
        "drive/week",
        0,
        1,
    )
    cynicism_recovery: Real = _p(
        0.05,
        "weekly share of cynicism shed while the programme reaches a person with more than training",
        "1/week",
        0,
        1,
    )

    # --- customers --------------------------------------------------------
    n_customers: Whole = _p(1000, "customers at the start", "customers", 0, 10_000_000, "customers")
    b2b_share: Real = _p(
        0.3,
        "share of customers (B2B accounts) whose journey passes through several departments",
        "",
        0,
        1,
        "customers",
    )
    b2b_departments: Whole = _p(
        3,
        "most departments a B2B journey passes through (2 up to this, equally likely)",
        "",
        2,
        100,
        "customers",
    )
    contact_rate: Real = _p(0.25, "chance a customer is served in a week", "1/week", 0, 1, "customers")
    failure_rate: Real = _p(0.08, "chance something goes wrong in a contact", "", 0, 1, "customers")
    handoff_failure_rate: Real = _p(
        0.2,
        "extra failure chance per hand-off, times the BLAME share of the department handed to",
        "",
        0,
        1,
        "customers",
    )
    quality_by_rung: LevelByRung = _p(
        (2.0, 2.5, 3.0, 4.2), "Kaufman service level delivered at each rung", "level", group="customers"
    )
    quality_sd: Real = _p(0.5, "noise on service quality", "level", 0, 5, "customers")
    recovery_by_rung: ShareByRung = _p(
        (0.0, 0.1, 0.15, 0.8), "chance a failure is recovered at each rung", group="customers"
    )
    failure_penalty: Real = _p(1.5, "quality lost by an unrecovered failure", "level", 0, 5, "customers")
    recovery_restores: Real = _p(
        0.8,
        "share of a failure's lost quality that a recovery restores (below 1: a recovered failure never beats no failure)",
        "",
        0,
        1,
        "customers",
    )
    expectation_norm: Real = _p(
        2.7,
        "market norm customers' expectations relax to (a median-value customer)",
        "level",
        1,
        6,
        "customers",
    )
    value_expectation: Real = _p(
        0.6,
        "how much more the most valuable customer expects than the least valuable one",
        "level",
        0,
        5,
        "customers",
    )
    value_alternatives: Real = _p(
        0.25,
        "how much higher the most valuable customer's churn threshold is (more alternatives)",
        "",
        0,
        1,
        "customers",
    )
    expectation_ratchet: Real = _p(
        0.05, "share of a positive surprise that becomes expectation", "", 0, 1, "customers"
    )
    expectation_relax: Real = _p(
        0.1, "weekly pull of expectation back to the customer's norm", "1/week", 0, 1, "customers"
    )
    loyalty_rate: Real = _p(
        0.04, "loyalty change per contact per level of satisfaction", "", 0, 1, "customers"
    )
    loyalty_habit: Real = _p(
        0.02,
        "weekly pull of loyalty back to its initial level (habit, switching costs)",
        "1/week",
        0,
        1,
        "customers",
    )
    initial_loyalty: Real = _p(0.5, "loyalty of a new customer", "", 0, 1, "customers")
    churn_loyalty: Real = _p(
        0.1, "loyalty below which the least valuable customer leaves", "", 0, 1, "customers"
    )
    loyal_level: Real = _p(0.7, "loyalty from which a customer refers others", "", 0, 1, "customers")
    arrival_rate: Real = _p(0.003, "new customers per week per initial customer", "1/week", 0, 1, "customers")
    referral_rate: Real = _p(
        0.002,
        "referrals per loyal customer per week, in a market not yet served",
        "1/week",
        0,
        1,
        "customers",
    )
    market_size: Real = _p(
        3.0,
        "customers the market holds, in multiples of n_customers (referrals slow as it fills)",
        "",
        0,
        1000,
        "customers",
    )
    spend: Real = _p(
        100.0,
        "median weekly spend of a single-department customer at loyalty 0.5",
        "currency/week",
        0,
        1e9,
        "customers",
    )
    spend_sd: Real = _p(0.8, "spread of log spend between customers", "", 0, 5, "customers")
    b2b_spend_factor: Real = _p(3.0, "spend multiplier of a B2B account", "", 0, 1000, "customers")

    # --- people come and go -----------------------------------------------
    hire_rung_shares: Annotated[ShareByRung, AfterValidator(_sums_to_one)] = _p(
        (0.15, 0.20, 0.45, 0.20),
        "labour market: shares of newcomers arriving at blame, shame, justify, own",
        group="people",
    )
    onboarding_base: Real = _p(
        0.2,
        "strength of the organization's own recruitment and orientation before any programme",
        "",
        0,
        1,
        "people",
    )
    base_attrition: Real = _p(0.0015, "weekly chance anyone leaves", "1/week", 0, 1, "people")
    shame_attrition: Real = _p(0.003, "extra weekly chance of leaving at SHAME", "1/week", 0, 1, "people")
    blame_attrition: Real = _p(
        0.002, "extra weekly chance of leaving per unit of surrounding blame", "1/week", 0, 1, "people"
    )
    own_in_blame_attrition: Real = _p(
        0.004,
        "extra weekly chance an OWN person leaves per unit of surrounding blame",
        "1/week",
        0,
        1,
        "people",
    )
    cynicism_attrition: Real = _p(
        0.004,
        "extra weekly chance of leaving per unit of cynicism (a stalled change)",
        "1/week per drive",
        0,
        1,
        "people",
    )
    talent_mobility: Real = _p(
        3.0,
        "how much more the best performer's culture-driven quitting responds than the weakest's (outside options)",
        "",
        0,
        100,
        "people",
    )
    talent_quality: Real = _p(
        0.5, "service level gained from the weakest to the best performer", "level", 0, 5, "people"
    )

    # --- costs --------------------------------------------------------------
    cost_person_week: Real = _p(
        100.0, "reaching one person with the programme for one week", "currency", 0, 1e9, "costs"
    )
    cost_coaching_week: Real = _p(
        300.0,
        "coaching one manager or executive for one week at full leadership dose",
        "currency",
        0,
        1e9,
        "costs",
    )
    cost_mechanism_local: Real = _p(
        600.0,
        "a week of work on one local block in one department, per unit of target level at full coverage",
        "currency",
        0,
        1e12,
        "costs",
    )
    cost_mechanism_org: Real = _p(
        3000.0,
        "a week of work on one organization-wide block, per unit of target level at full coverage",
        "currency",
        0,
        1e12,
        "costs",
    )

    # --- tipping ----------------------------------------------------------
    tip_level: Real = _p(0.5, "above-the-line share that counts as tipped", "", 0, 1, "tipping")
    tip_hold: Whole = _p(26, "weeks the share must hold at the end of a run", "weeks", 1, 10_000, "tipping")

    @model_validator(mode="after")
    def _weekly_chances(self) -> ModelParams:
        if self.adaptability + self.drift > 1:
            raise ValueError(
                f"adaptability + drift = {self.adaptability + self.drift:g}: must be <= 1 (both are weekly chances of a move)"
            )
        if self.upward_weight + self.results_weight > 1:
            raise ValueError(
                f"upward_weight + results_weight = {self.upward_weight + self.results_weight:g}: must be <= 1"
                " (the rest of an executive's L comes from fellow executives)"
            )
        return self

    def replace(self, **changes: Any) -> ModelParams:
        """Return a copy with some fields changed (validated).

        Raises
        ------
        ParameterError
            For an unknown field name or an invalid value.
        """
        return dataclasses.replace(self, **changes)

    @functools.cached_property
    def numbers(self) -> Any:
        """The numeric fields as one numpy record (``numbers.w_peer``...): what compiled kernels read.

        Whole-number fields are ints and all others floats whatever the
        user typed, so compiled code sees one type per field; a record
        reaches compiled functions by reference, not as dozens of arguments.
        """
        import numpy as np  # not at module level: the CLI reads parameters without numpy

        names: list[str] = []
        formats: list[Any] = []
        values: list[Any] = []
        whole = whole_fields()
        for f in fields(self):
            if f.name == "departments":
                continue
            value = getattr(self, f.name)
            names.append(f.name)
            if isinstance(value, tuple):
                formats.append(("f8", (len(value),)))
                values.append(tuple(float(v) for v in value))
            elif f.name in whole:
                formats.append("i8")
                values.append(int(value))
            else:
                formats.append("f8")
                values.append(float(value))
        table = np.array([tuple(values)], dtype=np.dtype({"names": names, "formats": formats}))
        return table.view(np.recarray)[0]

    @property
    def department_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.departments)

    @property
    def p_across(self) -> float:
        """Probability of a tie between two people of different departments."""
        return self.p_within * (1.0 - self.silo_strength)

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """One row per field: name, default, doc, unit, range (lo, hi), group."""
        rows = []
        for name, info in cls.__pydantic_fields__.items():  # type: ignore[attr-defined]
            extra = info.json_schema_extra or {}
            lo, hi = bounds(info)
            rows.append(
                {"name": name, "default": info.default, "doc": info.description}
                | extra
                | {"lo": lo, "hi": hi}
            )
        return rows


@functools.cache
def whole_fields() -> frozenset[str]:
    """The ModelParams fields that hold whole numbers."""
    declared = ModelParams.__pydantic_fields__  # type: ignore[attr-defined]
    return frozenset(name for name, info in declared.items() if info.annotation is int)
