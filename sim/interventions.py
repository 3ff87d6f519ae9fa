"""Rollout plans as data: waves of training, leadership coaching and mechanisms.

A :class:`Plan` is a list of :class:`Wave` objects. Nothing here knows a plan
by name: a pilot and a rocket differ only in their waves' targets, timing,
coverage and doses. The model compiles a plan against its organization
(:func:`compile_plan`) and applies it every week (:func:`apply_waves`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.dynamics import Workforce
from sim.organization import FRONTLINE, Organization
from sim.params import ROLE_NAMES, ParameterError

LOCAL_BLOCKS = (
    "common_service_language",
    "communications",
    "voice_of_the_customer",
    "improvement_process",
    "role_modelling",
)
"""Building blocks a department can build for itself."""

ORG_BLOCKS = (
    "vision",
    "recruitment",
    "orientation",
    "recognition_and_rewards",
    "measures",
    "recovery_and_guarantees",
    "benchmarking",
)
"""Organization-wide building blocks: only a wave engaging the executives moves them."""

BLOCKS = LOCAL_BLOCKS + ORG_BLOCKS


@dataclass(frozen=True)
class Wave:
    """One stage of a rollout.

    Parameters
    ----------
    start : int
        First week of the wave (week 0 is the first step).
    duration : int
        Weeks the wave lasts (>= 1).
    departments : "all" or tuple of str
        Departments targeted.
    roles : tuple of str
        Any of ``frontline``, ``managers``, ``executives``.
    coverage : float
        Share of the targeted people reached each week, in [0, 1].
    education : float
        Training dose: share of a reached person's missing education gained.
    leadership : float
        Alignment coaching dose for reached managers and executives.
    mechanisms : mapping of str to float
        Target level in [0, 1] for building blocks (see ``BLOCKS``); each
        week a block closes ``coverage`` of its gap to the target.
    cost_per_person_week : float
        Cost of reaching one person for one week (currency).
    every : int
        When > 0 the departments are taken one after another, each starting
        ``every`` weeks after the previous one (a staged rollout).
    """

    start: int
    duration: int
    departments: str | tuple[str, ...] = "all"
    roles: tuple[str, ...] = ROLE_NAMES
    coverage: float = 0.1
    education: float = 0.5
    leadership: float = 0.0
    mechanisms: Mapping[str, float] = field(default_factory=dict)
    cost_per_person_week: float = 100.0
    every: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(self.roles))
        if not isinstance(self.departments, str):
            object.__setattr__(self, "departments", tuple(self.departments))
        elif self.departments != "all":
            raise ParameterError(
                f"wave.departments={self.departments!r}: must be 'all' or a list of department names"
            )
        object.__setattr__(self, "mechanisms", dict(self.mechanisms))
        checks: list[tuple[str, Any, float, float]] = [
            ("start", self.start, 0, 1e9),
            ("duration", self.duration, 1, 1e9),
            ("coverage", self.coverage, 0, 1),
            ("education", self.education, 0, 1),
            ("leadership", self.leadership, 0, 1),
            ("cost_per_person_week", self.cost_per_person_week, 0, 1e12),
            ("every", self.every, 0, 1e9),
        ]
        for name, value, lo, hi in checks:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ParameterError(f"wave.{name}={value!r}: must be a number in [{lo:g}, {hi:g}]")
        for name in ("start", "duration", "every"):
            if not float(getattr(self, name)).is_integer():
                raise ParameterError(f"wave.{name}={getattr(self, name)!r}: must be a whole number of weeks")
        bad_roles = [r for r in self.roles if r not in ROLE_NAMES]
        if bad_roles or not self.roles:
            raise ParameterError(
                f"wave.roles={list(self.roles)!r}: allowed roles are {', '.join(ROLE_NAMES)}"
            )
        for block, level in self.mechanisms.items():
            if block not in BLOCKS:
                raise ParameterError(
                    f"wave.mechanisms.{block}: unknown building block; allowed: {', '.join(BLOCKS)}"
                )
            if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 <= level <= 1:
                raise ParameterError(f"wave.mechanisms.{block}={level!r}: must be a number in [0, 1]")

    @property
    def end(self) -> int:
        """First week after the wave."""
        return self.start + self.duration

    @property
    def brings_more_than_training(self) -> bool:
        return self.leadership > 0 or any(v > 0 for v in self.mechanisms.values())


@dataclass(frozen=True)
class Plan:
    """A named rollout plan: a list of waves (empty for the baseline)."""

    name: str
    waves: tuple[Wave, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "waves", tuple(self.waves))

    def staged(self, department_names: tuple[str, ...]) -> tuple[Wave, ...]:
        """Concrete waves: ``departments='all'`` resolved, staged waves split per department.

        Raises
        ------
        ParameterError
            If a wave names a department the organization does not have.
        """
        out: list[Wave] = []
        for wave in self.waves:
            names = department_names if wave.departments == "all" else wave.departments
            for name in names:
                if name not in department_names:
                    raise ParameterError(
                        f"plan {self.name}: department {name!r} unknown; allowed: {', '.join(department_names)}"
                    )
            if wave.every:
                out += [
                    replace(wave, departments=(name,), start=wave.start + k * wave.every, every=0)
                    for k, name in enumerate(names)
                ]
            else:
                out.append(replace(wave, departments=tuple(names)))
        return tuple(out)

    def scaled(self, factor: float) -> Plan:
        """The same plan with every wave's coverage multiplied by ``factor`` (capped at 1)."""
        waves = tuple(replace(w, coverage=min(1.0, w.coverage * factor)) for w in self.waves)
        return replace(self, waves=waves)


@dataclass(frozen=True)
class CompiledWave:
    """A wave resolved against an organization's slots."""

    wave: Wave
    targets: np.ndarray
    department_mask: np.ndarray
    engages_executives: bool
    local_target: np.ndarray
    org_target: np.ndarray

    @property
    def expected_cost(self) -> float:
        w = self.wave
        return float(w.coverage * self.targets.sum() * w.duration * w.cost_per_person_week)


def compile_plan(plan: Plan, org: Organization) -> tuple[CompiledWave, ...]:
    """Resolve a plan's waves to masks over the organization's staff slots."""
    compiled = []
    for wave in plan.staged(org.department_names):
        dept_mask = np.isin(
            np.arange(org.n_departments), [org.department_names.index(n) for n in wave.departments]
        )
        in_scope = np.r_[dept_mask, "executives" in wave.roles][org.department]
        targets = in_scope & org.role_mask(wave.roles)
        local = np.array([wave.mechanisms.get(b, np.nan) for b in LOCAL_BLOCKS])
        orgw = np.array([wave.mechanisms.get(b, np.nan) for b in ORG_BLOCKS])
        compiled.append(CompiledWave(wave, targets, dept_mask, "executives" in wave.roles, local, orgw))
    return tuple(compiled)


def expected_cost(plan: Plan, org: Organization) -> float:
    """What a plan is expected to spend on this organization (currency)."""
    return sum(cw.expected_cost for cw in compile_plan(plan, org))


def scale_to_budget(plan: Plan, org: Organization, budget: float) -> Plan:
    """Scale a plan's coverage so that its expected spend equals ``budget``.

    Coverage cannot exceed 1: a plan too small to spend the budget is
    returned at full coverage, spending less (check :func:`expected_cost`).
    """
    if budget < 0:
        raise ParameterError(f"budget={budget!r}: must be >= 0")
    compiled = compile_plan(plan, org)
    coverage = np.array([cw.wave.coverage for cw in compiled])
    full_cost = np.array(
        [cw.expected_cost / cw.wave.coverage if cw.wave.coverage else 0.0 for cw in compiled]
    )

    def cost(factor: float) -> float:
        return float(np.minimum(1.0, coverage * factor) @ full_cost)

    base = cost(1.0)
    if base == 0:
        return plan
    lo, hi = 0.0, budget / base
    if cost(hi) < budget:
        hi = 1e9
        if cost(hi) < budget:
            return plan.scaled(hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if cost(mid) < budget:
            lo = mid
        else:
            hi = mid
    return plan.scaled(hi)


def mechanism_strength(local: np.ndarray, orgwide: np.ndarray) -> np.ndarray:
    """M per department (and, last, for the executives): mean level of all 12 blocks.

    Executives see the organization-wide blocks and the average of the
    departments' local ones.
    """
    per_dept = local.sum(axis=1) + orgwide.sum()
    execs = local.mean(axis=0).sum() + orgwide.sum()
    return np.r_[per_dept, execs] / len(BLOCKS)


def apply_waves(
    week: int,
    waves: tuple[CompiledWave, ...],
    wf: Workforce,
    org: Organization,
    local: np.ndarray,
    orgwide: np.ndarray,
    rng: np.random.Generator,
) -> tuple[float, int]:
    """Apply this week's active waves in place.

    Returns
    -------
    cost : float
        Spend this week (currency).
    reached : int
        People reached this week.
    """
    cost, reached_total = 0.0, 0
    for cw in waves:
        w = cw.wave
        if not w.start <= week < w.end:
            continue
        reached = cw.targets & (rng.random(org.n_staff) < w.coverage)
        wf.education[reached] += w.education * (1.0 - wf.education[reached])
        lead = reached & (org.role != FRONTLINE)
        wf.alignment[lead] += w.leadership * (1.0 - wf.alignment[lead])
        if w.brings_more_than_training:
            wf.engaged |= reached
        gap = np.nan_to_num(np.maximum(cw.local_target - local[cw.department_mask], 0.0))
        local[cw.department_mask] += w.coverage * gap
        if cw.engages_executives:
            orgwide += w.coverage * np.nan_to_num(np.maximum(cw.org_target - orgwide, 0.0))
        n = int(reached.sum())
        reached_total += n
        cost += n * w.cost_per_person_week
    return cost, reached_total
