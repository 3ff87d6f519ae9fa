"""The model's parameters: one typed, validated, documented object.

Every field carries its unit, allowed range and meaning in its metadata, so
the CLI, the dashboard and the ODD document read them from one place.
Numbers are starting defaults calibrated as described in ``docs/ODD.md``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

RUNG_NAMES = ("blame", "shame", "justify", "own")
ROLE_NAMES = ("frontline", "managers", "executives")


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
    executives: int = _p(4, "executives in the top team", "people", 1, 100, "organization")
    p_within: float = _p(0.15, "probability of a colleague tie inside a department", "", 0, 1, "organization")
    silo_strength: float = _p(
        0.85,
        "how closed departments are: p_across = p_within * (1 - silo_strength)",
        "",
        0,
        1,
        "organization",
    )
    initial_rung_shares: tuple[float, float, float, float] = _p(
        (0.35, 0.20, 0.35, 0.10),
        "initial shares at blame, shame, justify, own",
        "",
        0,
        1,
        "organization",
    )

    # --- the weekly rule --------------------------------------------------
    w_peer: float = _p(1.0, "weight of colleagues at OWN (R)", "", 0, 10)
    w_blame: float = _p(0.8, "weight of colleagues at BLAME (B)", "", 0, 10)
    w_lead: float = _p(0.6, "weight of one's managers' rung (2L - 1)", "", 0, 10)
    w_edu: float = _p(0.8, "weight of education, halved under managers below the line", "", 0, 10)
    w_mech: float = _p(0.8, "weight of the department's reinforcing mechanisms (M)", "", 0, 10)
    w_cust: float = _p(0.3, "weight of customer feedback (F)", "", 0, 10)
    w_align: float = _p(0.6, "weight of leadership alignment coaching (managers)", "", 0, 10)
    resistance_mean: float = _p(0.4, "mean personal resistance to change", "drive", -5, 5)
    resistance_sd: float = _p(0.25, "spread of personal resistance", "drive", 0, 5)
    push: float = _p(
        0.0,
        "constant extra drive on everyone (outside pressure; 0 = none); used to map tipping and hysteresis",
        "drive",
        -5,
        5,
    )
    adaptability: float = _p(0.15, "chance per week that a person moves one rung", "1/week", 0, 1)
    education_decay: float = _p(
        0.05, "weekly loss of education when no mechanism reinforces it", "1/week", 0, 1
    )
    mechanism_decay: float = _p(
        0.01, "weekly loss of mechanism strength when no wave sustains it", "1/week", 0, 1
    )
    cross_blame_weight: float = _p(1.5, "weight of blame arriving on cross-department ties", "", 0, 10)
    cynicism_rate: float = _p(
        0.004,
        "weekly rise of resistance in people the launched programme has not reached",
        "drive/week",
        0,
        1,
    )
    cynicism_max: float = _p(0.6, "ceiling on accumulated cynicism", "drive", 0, 10)
    cynicism_recovery: float = _p(
        0.05,
        "weekly share of cynicism shed once the programme reaches a person fully",
        "1/week",
        0,
        1,
    )

    # --- customers --------------------------------------------------------
    n_customers: int = _p(1000, "customers at the start", "customers", 0, 10_000_000, "customers")
    b2b_share: float = _p(
        0.3, "share of customers whose journey hands off to a second department", "", 0, 1, "customers"
    )
    contact_rate: float = _p(0.25, "chance a customer is served in a week", "1/week", 0, 1, "customers")
    failure_rate: float = _p(0.08, "chance something goes wrong in a contact", "", 0, 1, "customers")
    handoff_failure_rate: float = _p(
        0.2,
        "extra failure chance on a hand-off, times the blame share of the other department",
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
    recovery_bonus: float = _p(
        0.7, "quality gained by a recovered failure (service recovery)", "level", 0, 5, "customers"
    )
    expectation_norm: float = _p(
        3.0, "market norm customers' expectations relax to", "level", 1, 6, "customers"
    )
    expectation_ratchet: float = _p(
        0.1, "share of a positive surprise that becomes expectation", "", 0, 1, "customers"
    )
    expectation_relax: float = _p(
        0.05, "weekly pull of expectation back to the market norm", "1/week", 0, 1, "customers"
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
    churn_loyalty: float = _p(0.1, "loyalty below which a customer leaves", "", 0, 1, "customers")
    loyal_level: float = _p(0.7, "loyalty from which a customer refers others", "", 0, 1, "customers")
    arrival_rate: float = _p(
        0.003, "new customers per week per initial customer", "1/week", 0, 1, "customers"
    )
    referral_rate: float = _p(0.002, "referrals per loyal customer per week", "1/week", 0, 1, "customers")
    spend: float = _p(
        100.0, "mean weekly spend of a customer at loyalty 0.5", "currency/week", 0, 1e9, "customers"
    )
    b2b_spend_factor: float = _p(3.0, "spend multiplier of a B2B customer", "", 0, 1000, "customers")

    # --- people come and go -----------------------------------------------
    base_attrition: float = _p(0.0015, "weekly chance anyone leaves", "1/week", 0, 1, "attrition")
    shame_attrition: float = _p(0.003, "extra weekly chance of leaving at SHAME", "1/week", 0, 1, "attrition")
    blame_attrition: float = _p(
        0.002, "extra weekly chance of leaving per unit of surrounding blame", "1/week", 0, 1, "attrition"
    )
    own_in_blame_attrition: float = _p(
        0.004,
        "extra weekly chance an OWN person leaves per unit of surrounding blame",
        "1/week",
        0,
        1,
        "attrition",
    )

    # --- tipping ----------------------------------------------------------
    tip_level: float = _p(0.8, "above-the-line share that counts as tipped", "", 0, 1, "tipping")
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
        for name in ("initial_rung_shares", "quality_by_rung", "recovery_by_rung"):
            if len(getattr(self, name)) != 4:
                raise ParameterError(
                    f"{name}={getattr(self, name)!r}: needs 4 values, one per rung {RUNG_NAMES}"
                )
        if abs(sum(self.initial_rung_shares) - 1) > 1e-6:
            raise ParameterError(f"initial_rung_shares={self.initial_rung_shares!r}: must sum to 1")
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
