"""The model's parameters: one typed, validated, documented object.

Every field carries its unit, allowed range and meaning in its metadata, so
the CLI, the dashboard and the ODD document read them from one place.
Numbers are starting defaults calibrated as described in ``docs/ODD.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field, fields
from typing import Any

from sim.ladder import RUNG_NAMES

ROLE_NAMES = ("frontline", "managers", "executives")
RUNG_FIELDS = ("initial_rung_shares", "quality_by_rung", "recovery_by_rung", "hire_rung_shares")
"""Parameters with one value per rung."""


class ParameterError(ValueError):
    """A parameter value outside what the model allows.

    The message is one line naming the field, the value and what is allowed.
    """


@dataclass(frozen=True)
class Department:
    """A silo: a named department with its frontline headcount.

    Parameters
    ----------
    name : str
        Identifier used by plans and reports (letters, digits, ``_`` or ``-``).
    frontline : int
        Frontline staff (people); managers are added at one per ``span``.
    customer_share : float, optional
        Relative weight of this department as a customer's first point of
        contact; by default proportional to ``frontline``.
    """

    name: str
    frontline: int
    customer_share: float | None = None


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
    meta = {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "group": group}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ModelParams:
    """Everything that defines an organization and its people's rules.

    All rates are per week (one step is one week). Shares and probabilities
    lie in [0, 1]. Call :meth:`replace` to derive a variant; invalid values
    raise :class:`ParameterError` at construction.
    """

    # --- organization -----------------------------------------------------
    departments: tuple[Department, ...] = _p(
        DEFAULT_DEPARTMENTS, "departments (silos) and their frontline sizes", group="organization"
    )
    span: int = _p(10, "frontline staff per manager", "people", 1, 1000, "organization")
    executives: int = _p(4, "executives in the top team", "people", 0, 100, "organization")
    p_within: float = _p(0.25, "probability of a colleague tie inside a department", "", 0, 1, "organization")
    silo_strength: float = _p(
        0.85,
        "how closed departments are: p_across = p_within * (1 - silo_strength)",
        "",
        0,
        1,
        "organization",
    )
    initial_rung_shares: tuple[float, float, float, float] = _p(
        (0.13, 0.43, 0.34, 0.10),
        "initial shares at blame, shame, justify, own",
        "",
        0,
        1,
        "organization",
    )

    # --- the weekly rule --------------------------------------------------
    w_peer: float = _p(1.5, "weight of colleagues at OWN (R)", "", 0, 10)
    w_blame: float = _p(0.3, "weight of colleagues at BLAME (B)", "", 0, 10)
    w_lead: float = _p(2.0, "weight of one's leaders' rung (2L - 1): what the people above you do", "", 0, 10)
    w_edu: float = _p(0.8, "weight of education, halved under leaders below the line", "", 0, 10)
    w_mech: float = _p(0.8, "weight of the department's reinforcing mechanisms (M)", "", 0, 10)
    w_cust: float = _p(0.15, "weight of customer feedback (F)", "", 0, 10)
    w_align: float = _p(0.6, "weight of leadership alignment coaching (managers, executives)", "", 0, 10)
    upward_weight: float = _p(
        0.65,
        "share of a leader's L read from the people they lead (managers: their team; executives: the managers)",
        "",
        0,
        1,
    )
    results_weight: float = _p(
        0.2,
        "share of the executives' L read from the results they watch (customer loyalty)",
        "",
        0,
        1,
    )
    board_commitment: float = _p(
        0.0, "the board's outside push on the executive team (extra drive of executives)", "drive", -5, 5
    )
    resistance_mean: float = _p(0.28, "mean personal resistance to change", "drive", -5, 5)
    resistance_sd: float = _p(0.3, "spread of personal resistance", "drive", 0, 5)
    mood_sd: float = _p(
        0.1, "spread of the weekly mood shock added to the drive (a good or a bad week)", "drive", 0, 5
    )
    rung_spacing: float = _p(
        1.5,
        "drive between the thresholds of successive ladder steps (0: up if u > 0, down if u < 0)",
        "drive",
        0,
        5,
    )
    push: float = _p(
        0.0,
        "constant extra drive on everyone (outside pressure; 0 = none); used to map tipping and hysteresis",
        "drive",
        -5,
        5,
    )
    adaptability: float = _p(
        0.15, "chance per week that a person moves one rung as their drive says", "1/week", 0, 1
    )
    drift: float = _p(
        0.06,
        "chance per week that a person moves one rung up or down at random, whatever their drive",
        "1/week",
        0,
        1,
    )
    education_decay: float = _p(
        0.05, "weekly loss of education when no mechanism reinforces it", "1/week", 0, 1
    )
    mechanism_decay: float = _p(
        0.01, "weekly loss of mechanism strength when no wave sustains it", "1/week", 0, 1
    )
    cross_blame_weight: float = _p(1.5, "weight of blame arriving on cross-department ties", "", 0, 10)
    cynicism_rate: float = _p(
        0.004,
        "weekly rise of resistance in people a launched programme has not yet reached with more than training",
        "drive/week",
        0,
        1,
    )
    cynicism_recovery: float = _p(
        0.05,
        "weekly share of cynicism shed while the programme reaches a person with more than training",
        "1/week",
        0,
        1,
    )

    # --- customers --------------------------------------------------------
    n_customers: int = _p(1000, "customers at the start", "customers", 0, 10_000_000, "customers")
    b2b_share: float = _p(
        0.3,
        "share of customers (B2B accounts) whose journey passes through several departments",
        "",
        0,
        1,
        "customers",
    )
    b2b_departments: int = _p(
        3,
        "most departments a B2B journey passes through (2 up to this, equally likely)",
        "",
        2,
        100,
        "customers",
    )
    contact_rate: float = _p(0.25, "chance a customer is served in a week", "1/week", 0, 1, "customers")
    failure_rate: float = _p(0.08, "chance something goes wrong in a contact", "", 0, 1, "customers")
    handoff_failure_rate: float = _p(
        0.2,
        "extra failure chance per hand-off, times the BLAME share of the department handed to",
        "",
        0,
        1,
        "customers",
    )
    quality_by_rung: tuple[float, float, float, float] = _p(
        (2.0, 2.5, 3.0, 4.2), "Kaufman service level delivered at each rung", "level", 1, 6, "customers"
    )
    quality_sd: float = _p(0.5, "noise on service quality", "level", 0, 5, "customers")
    recovery_by_rung: tuple[float, float, float, float] = _p(
        (0.0, 0.1, 0.15, 0.8), "chance a failure is recovered at each rung", "", 0, 1, "customers"
    )
    failure_penalty: float = _p(1.5, "quality lost by an unrecovered failure", "level", 0, 5, "customers")
    recovery_restores: float = _p(
        0.8,
        "share of a failure's lost quality that a recovery restores (below 1: a recovered failure never beats no failure)",
        "",
        0,
        1,
        "customers",
    )
    expectation_norm: float = _p(
        2.7,
        "market norm customers' expectations relax to (a median-value customer)",
        "level",
        1,
        6,
        "customers",
    )
    value_expectation: float = _p(
        0.6,
        "how much more the most valuable customer expects than the least valuable one",
        "level",
        0,
        5,
        "customers",
    )
    value_alternatives: float = _p(
        0.25,
        "how much higher the most valuable customer's churn threshold is (more alternatives)",
        "",
        0,
        1,
        "customers",
    )
    expectation_ratchet: float = _p(
        0.05, "share of a positive surprise that becomes expectation", "", 0, 1, "customers"
    )
    expectation_relax: float = _p(
        0.1, "weekly pull of expectation back to the customer's norm", "1/week", 0, 1, "customers"
    )
    loyalty_rate: float = _p(
        0.04, "loyalty change per contact per level of satisfaction", "", 0, 1, "customers"
    )
    loyalty_habit: float = _p(
        0.02,
        "weekly pull of loyalty back to its initial level (habit, switching costs)",
        "1/week",
        0,
        1,
        "customers",
    )
    initial_loyalty: float = _p(0.5, "loyalty of a new customer", "", 0, 1, "customers")
    churn_loyalty: float = _p(
        0.1, "loyalty below which the least valuable customer leaves", "", 0, 1, "customers"
    )
    loyal_level: float = _p(0.7, "loyalty from which a customer refers others", "", 0, 1, "customers")
    arrival_rate: float = _p(
        0.003, "new customers per week per initial customer", "1/week", 0, 1, "customers"
    )
    referral_rate: float = _p(
        0.002,
        "referrals per loyal customer per week, in a market not yet served",
        "1/week",
        0,
        1,
        "customers",
    )
    market_size: float = _p(
        3.0,
        "customers the market holds, in multiples of n_customers (referrals slow as it fills)",
        "",
        0,
        1000,
        "customers",
    )
    spend: float = _p(
        100.0,
        "median weekly spend of a single-department customer at loyalty 0.5",
        "currency/week",
        0,
        1e9,
        "customers",
    )
    spend_sd: float = _p(0.8, "spread of log spend between customers", "", 0, 5, "customers")
    b2b_spend_factor: float = _p(3.0, "spend multiplier of a B2B account", "", 0, 1000, "customers")

    # --- people come and go -----------------------------------------------
    hire_rung_shares: tuple[float, float, float, float] = _p(
        (0.15, 0.20, 0.45, 0.20),
        "labour market: shares of newcomers arriving at blame, shame, justify, own",
        "",
        0,
        1,
        "people",
    )
    onboarding_base: float = _p(
        0.2,
        "strength of the organization's own recruitment and orientation before any programme",
        "",
        0,
        1,
        "people",
    )
    base_attrition: float = _p(0.0015, "weekly chance anyone leaves", "1/week", 0, 1, "people")
    shame_attrition: float = _p(0.003, "extra weekly chance of leaving at SHAME", "1/week", 0, 1, "people")
    blame_attrition: float = _p(
        0.002, "extra weekly chance of leaving per unit of surrounding blame", "1/week", 0, 1, "people"
    )
    own_in_blame_attrition: float = _p(
        0.004,
        "extra weekly chance an OWN person leaves per unit of surrounding blame",
        "1/week",
        0,
        1,
        "people",
    )
    cynicism_attrition: float = _p(
        0.004,
        "extra weekly chance of leaving per unit of cynicism (a stalled change)",
        "1/week per drive",
        0,
        1,
        "people",
    )
    talent_mobility: float = _p(
        3.0,
        "how much more the best performer's culture-driven quitting responds than the weakest's (outside options)",
        "",
        0,
        100,
        "people",
    )
    talent_quality: float = _p(
        0.5, "service level gained from the weakest to the best performer", "level", 0, 5, "people"
    )

    # --- costs --------------------------------------------------------------
    cost_person_week: float = _p(
        100.0, "reaching one person with the programme for one week", "currency", 0, 1e9, "costs"
    )
    cost_coaching_week: float = _p(
        300.0,
        "coaching one manager or executive for one week at full leadership dose",
        "currency",
        0,
        1e9,
        "costs",
    )
    cost_mechanism_local: float = _p(
        600.0,
        "a week of work on one local block in one department, per unit of target level at full coverage",
        "currency",
        0,
        1e12,
        "costs",
    )
    cost_mechanism_org: float = _p(
        3000.0,
        "a week of work on one organization-wide block, per unit of target level at full coverage",
        "currency",
        0,
        1e12,
        "costs",
    )

    # --- tipping ----------------------------------------------------------
    tip_level: float = _p(0.5, "above-the-line share that counts as tipped", "", 0, 1, "tipping")
    tip_hold: int = _p(26, "weeks the share must hold at the end of a run", "weeks", 1, 10_000, "tipping")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
            items = value if isinstance(value, tuple) and f.name != "departments" else (value,)
            for item in items:
                if f.name == "departments":
                    continue
                if isinstance(item, bool) or not isinstance(item, (int, float)):
                    raise ParameterError(f"{f.name}={value!r}: must be a number in [{lo}, {hi}]")
                whole = isinstance(f.default, int) and not isinstance(f.default, bool)
                if whole and not float(item).is_integer():
                    raise ParameterError(f"{f.name}={value!r}: must be a whole number in [{lo}, {hi}]")
                if math.isnan(item) or (lo is not None and item < lo) or (hi is not None and item > hi):
                    raise ParameterError(f"{f.name}={value!r}: must lie in [{lo}, {hi}]")
        for name in RUNG_FIELDS:
            if len(getattr(self, name)) != 4:
                raise ParameterError(
                    f"{name}={getattr(self, name)!r}: needs 4 values, one per rung {RUNG_NAMES}"
                )
        for name in ("initial_rung_shares", "hire_rung_shares"):
            if abs(sum(getattr(self, name)) - 1) > 1e-6:
                raise ParameterError(f"{name}={getattr(self, name)!r}: must sum to 1")
        if self.adaptability + self.drift > 1:
            raise ParameterError(
                f"adaptability + drift = {self.adaptability + self.drift:g}: must be <= 1 (both are weekly chances of a move)"
            )
        if self.upward_weight + self.results_weight > 1:
            raise ParameterError(
                f"upward_weight + results_weight = {self.upward_weight + self.results_weight:g}: must be <= 1"
                " (the rest of an executive's L comes from fellow executives)"
            )
        self._check_departments()

    def _check_departments(self) -> None:
        depts = self.departments
        if not isinstance(depts, tuple) or not depts:
            raise ParameterError("departments: needs at least one Department(name, frontline)")
        seen: set[str] = set()
        for d in depts:
            if not isinstance(d, Department):
                raise ParameterError(f"departments: {d!r} is not a Department(name, frontline)")
            if not d.name or not all(c.isalnum() or c in "_-" for c in d.name):
                raise ParameterError(f"departments: name {d.name!r} must be letters, digits, '_' or '-'")
            if d.name in seen:
                raise ParameterError(f"departments: name {d.name!r} appears twice")
            seen.add(d.name)
            if isinstance(d.frontline, bool) or not isinstance(d.frontline, int) or d.frontline < 1:
                raise ParameterError(
                    f"departments: {d.name}.frontline={d.frontline!r}: must be a whole number >= 1"
                )
            if d.customer_share is not None and not d.customer_share >= 0:
                raise ParameterError(
                    f"departments: {d.name}.customer_share={d.customer_share!r}: must be >= 0"
                )

    def replace(self, **changes: Any) -> ModelParams:
        """Return a copy with some fields changed (validated).

        Raises
        ------
        ParameterError
            For an unknown field name or an invalid value.
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ParameterError(f"{unknown[0]}: unknown parameter; allowed: {', '.join(sorted(known))}")
        changes = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
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
        for f in fields(self):
            if f.name == "departments":
                continue
            value = getattr(self, f.name)
            names.append(f.name)
            if isinstance(value, tuple):
                formats.append(("f8", (len(value),)))
                values.append(tuple(float(v) for v in value))
            elif isinstance(f.default, int) and not isinstance(f.default, bool):
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
        """One row per field: name, default, unit, range, group, meaning."""
        rows = []
        for f in fields(cls):
            rows.append({"name": f.name, "default": f.default, **f.metadata})
        return rows
