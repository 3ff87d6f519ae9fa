"""Rollout plans as data: waves of training, leadership coaching and mechanisms.

A :class:`Plan` is a list of :class:`Wave` objects. Nothing here knows a plan
by name: a pilot and a rocket differ only in their waves' targets, timing,
staging, coverage and doses. The model compiles a plan against its
organization into a :class:`Rollout` (which schedules gated stages as the
run unfolds) and applies it every week (:func:`apply_stages`).

Everything a wave does costs money at the model's unit costs
(``ModelParams.cost_*``): people reached, leadership coaching and building
blocks raised. :func:`fit_to_budget` scales a plan, keeping its shape, so it
spends a given budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import Field

from sim.declared import Name, ParameterError, Real, Share, Whole, declared, either
from sim.dynamics import Workforce
from sim.kernels import kernel
from sim.organization import FRONTLINE, Organization
from sim.params import ROLE_NAMES, ModelParams, Role

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
RECRUITMENT, ORIENTATION = ORG_BLOCKS.index("recruitment"), ORG_BLOCKS.index("orientation")
"""Where the blocks that shape hiring sit among the organization-wide blocks."""


Block = Literal[BLOCKS]  # type: ignore[valid-type]


@declared("advance_when.")
class Gate:
    """When a staged rollout moves on to the next department."""

    above_line: Share = Field(
        description="share of the current department above the line that lets it move on"
    )
    max_weeks: Whole = Field(
        ge=1,
        le=1_000_000,
        description="weeks after a stage starts when it moves on regardless",
        json_schema_extra={"unit": "weeks"},
    )


@declared("wave.")
class Wave:
    """One stage of a rollout.

    Each week a wave reaches ``coverage`` of the people it targets with its
    training and coaching doses, and closes ``coverage`` of each building
    block's gap to its target level (see ``BLOCKS``). Staged (``every`` or
    ``advance_when``), it takes the departments one after another.
    """

    start: Whole = Field(ge=0, le=10**9, description="first week of the wave (week 0 is the first step)")
    duration: Whole = Field(ge=1, le=10**9, description="weeks the wave lasts in each department it reaches")
    departments: either(  # type: ignore[valid-type]
        Literal["all"],
        lambda v: isinstance(v, str),
        tuple[Name, ...],
        lambda v: isinstance(v, list | tuple),
        "must be 'all' or a list of department names",
    ) = Field(default="all", description="departments targeted, in rollout order when staged")
    roles: tuple[Role, ...] = Field(default=ROLE_NAMES, min_length=1, description="roles targeted")
    coverage: Share = Field(default=0.1, description="share of the targeted people reached each week")
    education: Share = Field(
        default=0.5, description="training dose: share of a reached person's missing education gained"
    )
    leadership: Share = Field(default=0.0, description="alignment coaching dose (managers, executives)")
    mechanisms: dict[Block, Share] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="target level of each building block",
        json_schema_extra={"default": {}},
    )
    cost_per_person_week: Real | None = Field(
        default=None,
        ge=0,
        le=1e12,
        description="cost of reaching one person for one week (default: the model's cost_person_week)",
        json_schema_extra={"unit": "currency"},
    )
    every: Whole = Field(
        default=0,
        ge=0,
        le=10**9,
        description="> 0: stage the departments one after another, this many weeks apart (with a gate: at least)",
    )
    advance_when: Gate | None = Field(
        default=None, description="stage the departments one at a time, moving on at this gate"
    )

    @property
    def end(self) -> int:
        """First week after the wave (of its first department, when staged)."""
        return self.start + self.duration

    @property
    def staged(self) -> bool:
        """Whether departments are taken one after another."""
        return self.every > 0 or self.advance_when is not None

    @property
    def brings_more_than_training(self) -> bool:
        return self.leadership > 0 or any(v > 0 for v in self.mechanisms.values())


@declared("plan.")
class Plan:
    """A named rollout plan: a list of waves (empty for the baseline)."""

    name: str
    waves: tuple[Wave, ...] = ()
    description: str = ""

    def departments_of(self, wave: Wave, department_names: tuple[str, ...]) -> tuple[str, ...]:
        """The departments a wave targets, in rollout order.

        Raises
        ------
        ParameterError
            If the wave names a department the organization does not have.
        """
        names = department_names if wave.departments == "all" else wave.departments
        for name in names:
            if name not in department_names:
                raise ParameterError(
                    f"plan {self.name}: department {name!r} unknown; allowed: {', '.join(department_names)}"
                )
        return tuple(names)

    def fixed_starts(self, department_names: tuple[str, ...]) -> list[int]:
        """Start weeks of every stage fixed in advance (a gated stage after the first opens in the run)."""
        starts: list[int] = []
        for wave in self.waves:
            n = len(self.departments_of(wave, department_names)) if wave.staged else 1
            n = 1 if wave.advance_when is not None else n
            starts += [wave.start + k * wave.every for k in range(n)]
        return starts

    def scaled(self, factor: float) -> Plan:
        """The same plan with every wave's coverage multiplied by ``factor`` (capped at 1)."""
        waves = tuple(replace(w, coverage=min(1.0, w.coverage * factor)) for w in self.waves)
        return replace(self, waves=waves)

    def extended(self, weeks: int) -> Plan:
        """The same plan with its last wave (the sustaining burn) running ``weeks`` longer."""
        if not self.waves or weeks <= 0:
            return self
        last = self.waves[-1]
        return replace(self, waves=(*self.waves[:-1], replace(last, duration=last.duration + int(weeks))))


@dataclass(frozen=True)
class Stage:
    """A wave in some departments, resolved against an organization's slots.

    A staged wave becomes one stage per department. A gated stage has no
    fixed start: it starts when the stage before it (``after``) passes the
    gate.
    """

    wave: Wave
    targets: np.ndarray
    leaders: np.ndarray
    department_mask: np.ndarray
    engages_executives: bool
    local_target: np.ndarray
    org_target: np.ndarray
    start: int | None
    after: int | None = None

    @property
    def n_targets(self) -> int:
        return int(self.targets.sum())

    @property
    def n_leaders(self) -> int:
        return int(self.leaders.sum())

    def person_week_cost(self, p: ModelParams) -> float:
        """Cost of reaching one person for one week: the wave's own, or the model's unit cost."""
        w = self.wave
        return p.cost_person_week if w.cost_per_person_week is None else w.cost_per_person_week

    def weekly_cost(self, coverage: float, p: ModelParams) -> Spend:
        """Expected spend of one week of this stage at ``coverage`` (currency).

        People and coaching at their expected reach; the building blocks at
        the effort put into them (coverage x target level, per department for
        a local block), whatever level they have reached: the work is paid
        for, not the result, so a plan's spend does not depend on the run.
        """
        w = self.wave
        local = np.nansum(self.local_target) * self.department_mask.sum() * p.cost_mechanism_local
        orgwide = np.nansum(self.org_target) * p.cost_mechanism_org if self.engages_executives else 0.0
        return Spend(
            people=coverage * self.n_targets * self.person_week_cost(p),
            coaching=coverage * self.n_leaders * w.leadership * p.cost_coaching_week,
            mechanisms=coverage * float(local + orgwide),
        )


def compile_plan(plan: Plan, org: Organization) -> tuple[Stage, ...]:
    """Resolve a plan's waves to stages over the organization's staff slots."""
    stages: list[Stage] = []
    for wave in plan.waves:
        names = plan.departments_of(wave, org.department_names)
        groups = [(name,) for name in names] if wave.staged else [names]
        for k, group in enumerate(groups):
            dept_mask = np.isin(np.arange(org.n_departments), [org.department_names.index(n) for n in group])
            in_scope = np.r_[dept_mask, "executives" in wave.roles][org.department]
            targets = in_scope & org.role_mask(wave.roles)
            gated = wave.advance_when is not None and k > 0
            stages.append(
                Stage(
                    wave=wave,
                    targets=targets,
                    leaders=targets & (org.role != FRONTLINE),
                    department_mask=dept_mask,
                    engages_executives="executives" in wave.roles,
                    local_target=np.array([wave.mechanisms.get(b, np.nan) for b in LOCAL_BLOCKS]),
                    org_target=np.array([wave.mechanisms.get(b, np.nan) for b in ORG_BLOCKS]),
                    start=None if gated else wave.start + k * wave.every,
                    after=len(stages) - 1 if gated else None,
                )
            )
    return tuple(stages)


class StageArrays(NamedTuple):
    """A compiled plan's stages as arrays (one row per stage), for the weekly kernels.

    ``start`` holds each stage's start week, -1 while a gated stage waits;
    it is the only field that changes during a run.
    """

    start: np.ndarray
    duration: np.ndarray
    after: np.ndarray
    every: np.ndarray
    gate_level: np.ndarray
    gate_weeks: np.ndarray
    targets: np.ndarray
    department_mask: np.ndarray
    engages_executives: np.ndarray
    more_than_training: np.ndarray
    coverage: np.ndarray
    education: np.ndarray
    leadership: np.ndarray
    local_target: np.ndarray
    org_target: np.ndarray
    cost_person_week: np.ndarray
    mechanism_cost_week: np.ndarray


def stage_arrays(stages: tuple[Stage, ...], n_staff: int, n_departments: int, p: ModelParams) -> StageArrays:
    """Lay out stages as :class:`StageArrays` (unit costs resolved against ``p``)."""
    gates = [s.wave.advance_when for s in stages]
    return StageArrays(
        start=np.array([-1 if s.start is None else s.start for s in stages], dtype=np.int64),
        duration=np.array([s.wave.duration for s in stages], dtype=np.int64),
        after=np.array([-1 if s.after is None else s.after for s in stages], dtype=np.int64),
        every=np.array([s.wave.every for s in stages], dtype=np.int64),
        gate_level=np.array([np.nan if g is None else g.above_line for g in gates], dtype=np.float64),
        gate_weeks=np.array([0 if g is None else g.max_weeks for g in gates], dtype=np.int64),
        targets=np.array([s.targets for s in stages], dtype=bool).reshape(len(stages), n_staff),
        department_mask=np.array([s.department_mask for s in stages], dtype=bool).reshape(
            len(stages), n_departments
        ),
        engages_executives=np.array([s.engages_executives for s in stages], dtype=bool),
        more_than_training=np.array([s.wave.brings_more_than_training for s in stages], dtype=bool),
        coverage=np.array([s.wave.coverage for s in stages], dtype=np.float64),
        education=np.array([s.wave.education for s in stages], dtype=np.float64),
        leadership=np.array([s.wave.leadership for s in stages], dtype=np.float64),
        local_target=np.array([s.local_target for s in stages], dtype=np.float64).reshape(
            len(stages), len(LOCAL_BLOCKS)
        ),
        org_target=np.array([s.org_target for s in stages], dtype=np.float64).reshape(
            len(stages), len(ORG_BLOCKS)
        ),
        cost_person_week=np.array([s.person_week_cost(p) for s in stages], dtype=np.float64),
        mechanism_cost_week=np.array(
            [s.weekly_cost(s.wave.coverage, p).mechanisms for s in stages], dtype=np.float64
        ),
    )


@kernel
def open_gated_stages(st: StageArrays, week: int, above_line_by_department: np.ndarray) -> None:
    """Open gated stages whose predecessor passed its gate by ``week`` (state of last week), in place."""
    for i in range(len(st.start)):
        if st.start[i] >= 0 or st.after[i] < 0:
            continue
        before = st.start[st.after[i]]
        if before < 0 or week < before + max(st.every[i], 1):
            continue
        lowest = np.inf
        for d in np.flatnonzero(st.department_mask[st.after[i]]):
            lowest = min(lowest, above_line_by_department[d])
        if lowest >= st.gate_level[i] or week >= before + st.gate_weeks[i]:
            st.start[i] = week


@kernel
def is_running(st: StageArrays, i: int, week: int) -> bool:
    """Whether stage ``i`` runs in ``week``."""
    return 0 <= st.start[i] <= week < st.start[i] + st.duration[i]


class Rollout:
    """A compiled plan and its schedule: when each stage started (gated stages as they open).

    Parameters
    ----------
    stages : tuple of Stage
        From :func:`compile_plan`.
    arrays : StageArrays
        The same stages as arrays (:func:`stage_arrays`); ``arrays.start``
        is the schedule.
    """

    def __init__(self, stages: tuple[Stage, ...], arrays: StageArrays) -> None:
        self.stages = stages
        self.arrays = arrays

    @property
    def starts(self) -> np.ndarray:
        """Start week of each stage (-1 while a gated stage waits)."""
        return self.arrays.start

    def advance(self, week: int, above_line_by_department: np.ndarray) -> None:
        """Open gated stages whose predecessor passed its gate by ``week`` (state of last week)."""
        open_gated_stages(self.arrays, week, above_line_by_department)

    def active(self, week: int) -> Iterator[Stage]:
        """The stages running in ``week``."""
        for i, stage in enumerate(self.stages):
            if is_running(self.arrays, i, week):
                yield stage

    @property
    def launch_week(self) -> int | None:
        """First week any stage runs, if any has been scheduled."""
        started = self.starts[self.starts >= 0]
        return int(started.min()) if len(started) else None

    @property
    def last_end(self) -> int:
        """First week after the last scheduled stage (0 for no plan)."""
        ends = [s + st.wave.duration for s, st in zip(self.starts, self.stages, strict=True) if s >= 0]
        return max(ends, default=0)

    @property
    def pending(self) -> bool:
        """Whether some gated stage has not opened yet."""
        return bool((self.starts < 0).any())


@dataclass
class Spend:
    """Money spent, by component (currency)."""

    people: float = 0.0
    coaching: float = 0.0
    mechanisms: float = 0.0
    reached: int = 0

    @property
    def total(self) -> float:
        return self.people + self.coaching + self.mechanisms

    def add(self, other: Spend) -> None:
        self.people += other.people
        self.coaching += other.coaching
        self.mechanisms += other.mechanisms
        self.reached += other.reached


@kernel
def build_blocks(
    local_target: np.ndarray,
    org_target: np.ndarray,
    department_mask: np.ndarray,
    engages_executives: bool,
    coverage: float,
    local: np.ndarray,
    orgwide: np.ndarray,
) -> None:
    """Close ``coverage`` of each targeted block's gap, in place.

    Organization-wide blocks move only when the stage engages the
    executives. A NaN target leaves its block alone.
    """
    for d in np.flatnonzero(department_mask):
        for b in range(len(local_target)):
            gap = local_target[b] - local[d, b]
            if gap > 0:
                local[d, b] += coverage * gap
    if engages_executives:
        for b in range(len(org_target)):
            gap = org_target[b] - orgwide[b]
            if gap > 0:
                orgwide[b] += coverage * gap


def build_mechanisms(stage: Stage, coverage: float, local: np.ndarray, orgwide: np.ndarray) -> None:
    """:func:`build_blocks` for one :class:`Stage`."""
    build_blocks(
        stage.local_target,
        stage.org_target,
        stage.department_mask,
        stage.engages_executives,
        coverage,
        local,
        orgwide,
    )


SPEND_FIELDS = ("people", "coaching", "mechanisms", "reached")
"""What :func:`apply_stages` returns, in order."""


@kernel
def apply_stages(
    week: int,
    st: StageArrays,
    wf: Workforce,
    role: np.ndarray,
    local: np.ndarray,
    orgwide: np.ndarray,
    rng: np.random.Generator,
    p: Any,
) -> np.ndarray:
    """Apply this week's running stages in place; returns the week's spend (``SPEND_FIELDS``).

    Each running stage draws one uniform number per staff slot, in stage order.
    """
    spend = np.zeros(len(SPEND_FIELDS))
    n = len(role)
    education, alignment, engaged = wf.education, wf.alignment, wf.engaged
    for i in range(len(st.start)):
        if not is_running(st, i, week):
            continue
        draw = rng.random(n)
        targets, coverage, dose, lead = st.targets[i], st.coverage[i], st.education[i], st.leadership[i]
        more = st.more_than_training[i]
        reached = 0
        coached = 0
        for j in range(n):
            if not (targets[j] and draw[j] < coverage):
                continue
            reached += 1
            education[j] += dose * (1.0 - education[j])
            if role[j] != FRONTLINE:
                coached += 1
                alignment[j] += lead * (1.0 - alignment[j])
            if more:
                engaged[j] = True
        build_blocks(
            st.local_target[i],
            st.org_target[i],
            st.department_mask[i],
            st.engages_executives[i],
            st.coverage[i],
            local,
            orgwide,
        )
        spend[0] += reached * st.cost_person_week[i]
        spend[1] += coached * st.leadership[i] * p.cost_coaching_week
        spend[2] += st.mechanism_cost_week[i]
        spend[3] += reached
    return spend


class SpendProjection:
    """What a plan is expected to spend, for any coverage factor and sustaining-burn extension.

    The plan is compiled once; :meth:`spend` then adds up each stage's weeks
    within the horizon (:meth:`Stage.weekly_cost`). A gated stage is assumed
    to open when the stage before it ends (or at its gate's ``max_weeks``, if
    sooner): the plan's own pacing. Only the horizon can make a run spend
    less than projected: a gate that opens late may push stages past it.

    Parameters
    ----------
    plan : Plan
    org : Organization
    p : ModelParams
        Unit costs and mechanism decay.
    weeks : int or None
        Horizon: only spend before it counts (all of the plan when None).
    """

    def __init__(self, plan: Plan, org: Organization, p: ModelParams, weeks: int | None = None) -> None:
        self.plan, self.org, self.p, self.weeks = plan, org, p, weeks
        self.stages = compile_plan(plan, org)
        last = plan.waves[-1] if plan.waves else None
        self._in_last_wave = np.array([s.wave is last for s in self.stages], dtype=bool)

    def schedule(self, extra_weeks: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Start and end week of every stage."""
        durations = np.array([s.wave.duration for s in self.stages], dtype=np.int64)
        durations += extra_weeks * self._in_last_wave
        starts = np.array([-1 if s.start is None else s.start for s in self.stages], dtype=np.int64)
        for i, stage in enumerate(self.stages):
            gate = stage.wave.advance_when
            if stage.after is not None and gate is not None:
                pace = max(min(int(durations[stage.after]), gate.max_weeks), stage.wave.every, 1)
                starts[i] = starts[stage.after] + pace
        return starts, starts + durations

    def spend(self, factor: float = 1.0, extra_weeks: int = 0) -> Spend:
        """Expected spend with every coverage times ``factor`` (capped at 1) and the last wave longer."""
        starts, ends = self.schedule(extra_weeks)
        horizon = int(ends.max(initial=0)) if self.weeks is None else self.weeks
        out = Spend()
        for start, end, stage in zip(starts, ends, self.stages, strict=True):
            weeks = max(0, min(int(end), horizon) - int(start))
            week = stage.weekly_cost(min(1.0, stage.wave.coverage * factor), self.p)
            out.people += weeks * week.people
            out.coaching += weeks * week.coaching
            out.mechanisms += weeks * week.mechanisms
        return out


def expected_cost(
    plan: Plan, org: Organization, p: ModelParams | None = None, weeks: int | None = None
) -> float:
    """What a plan is expected to spend on this organization (currency)."""
    return SpendProjection(plan, org, p or ModelParams(), weeks).spend().total


@dataclass(frozen=True)
class BudgetFit:
    """A plan scaled to a budget.

    Attributes
    ----------
    plan : Plan
        The scaled plan (same shape; coverage scaled, the last wave
        lengthened when coverage alone cannot spend the budget).
    expected_spend : float
        What it is expected to spend within the horizon (currency).
    can_spend : bool
        False when even full coverage and a sustaining burn lasting to the
        horizon spend less than the budget.
    """

    plan: Plan
    expected_spend: float
    can_spend: bool


FIT_TOLERANCE = 0.002
"""Relative distance to the budget at which scaling stops (well inside 1%)."""


COST_FIELDS = ("cost_person_week", "cost_coaching_week", "cost_mechanism_local", "cost_mechanism_org")
"""The parameters a plan's spend depends on (besides the organization's slots)."""

_FITS: dict[tuple[Any, ...], BudgetFit] = {}


def fit_to_budget(plan: Plan, org: Organization, budget: float, p: ModelParams, weeks: int) -> BudgetFit:
    """Scale a plan so that its expected spend within ``weeks`` equals ``budget``.

    Coverage is scaled first (keeping the plan's shape). When every wave is
    at full coverage and still spends too little, the last wave (the
    sustaining burn) is lengthened up to the horizon, then coverage is
    scaled back down to land on the budget. A plan that cannot spend the
    budget even so is returned at its largest and flagged. Fits are
    remembered: a sweep that varies behaviour parameters fits each plan once.
    """
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget >= 0:
        raise ParameterError(f"budget={budget!r}: must be a number >= 0")
    if not plan.waves:
        return BudgetFit(plan, 0.0, budget == 0)
    key = (
        repr(plan),
        float(budget),
        int(weeks),
        tuple(getattr(p, name) for name in COST_FIELDS),
        org.department_names,
        org.role.tobytes(),
        org.department.tobytes(),
    )
    if key not in _FITS:
        if len(_FITS) > 4096:
            _FITS.clear()
        _FITS[key] = _fit(plan, org, float(budget), p, weeks)
    return _FITS[key]


def _fit(plan: Plan, org: Organization, budget: float, p: ModelParams, weeks: int) -> BudgetFit:
    projection = SpendProjection(plan, org, p, weeks)
    full = (
        max(1.0 / w.coverage for w in plan.waves if w.coverage > 0)
        if any(w.coverage for w in plan.waves)
        else 1.0
    )
    extra = 0
    if projection.spend(full).total < budget:
        last = plan.waves[-1]
        room = max(0, weeks - last.start - last.duration)
        if projection.spend(full, room).total < budget:
            largest = plan.scaled(full).extended(room)
            return BudgetFit(largest, projection.spend(full, room).total, False)
        lo, hi = 0, room
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if projection.spend(full, mid).total < budget else (lo, mid)
        extra = hi
    lo_f, hi_f = 0.0, full
    factor = hi_f
    for _ in range(60):
        factor = 0.5 * (lo_f + hi_f)
        cost = projection.spend(factor, extra).total
        if abs(cost - budget) <= FIT_TOLERANCE * budget:
            break
        lo_f, hi_f = (factor, hi_f) if cost < budget else (lo_f, factor)
    fitted = plan.scaled(factor).extended(extra)
    return BudgetFit(fitted, projection.spend(factor, extra).total, True)


def scale_to_budget(
    plan: Plan, org: Organization, budget: float, p: ModelParams | None = None, weeks: int = 260
) -> Plan:
    """The plan of :func:`fit_to_budget` (check ``fit_to_budget(...).can_spend`` to know it could)."""
    return fit_to_budget(plan, org, budget, p or ModelParams(), weeks).plan


N_BLOCKS = len(BLOCKS)


@kernel
def mechanism_strength(local: np.ndarray, orgwide: np.ndarray) -> np.ndarray:
    """M per department (and, last, for the executives): mean level of all 12 blocks.

    Executives see the organization-wide blocks and the average of the
    departments' local ones.
    """
    n_dept, n_local = local.shape
    org_total = orgwide.sum()
    out = np.empty(n_dept + 1)
    for d in range(n_dept):
        out[d] = (local[d].sum() + org_total) / N_BLOCKS
    execs = 0.0
    for b in range(n_local):
        execs += local[:, b].sum() / max(n_dept, 1)
    out[n_dept] = (execs + org_total) / N_BLOCKS
    return out
