"""The Mesa model: an organization whose people climb or slide down the responsibility ladder."""

from __future__ import annotations

import dataclasses
import math
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim import compiled as cw
from sim import customers as cust
from sim import dynamics as dyn
from sim.agents import Customer, Employee, FrontlineStaff, Manager
from sim.colleague_grid import colleague_grid
from sim.declared import ParameterError
from sim.interventions import (
    LOCAL_BLOCKS,
    ORG_BLOCKS,
    Plan,
    Rollout,
    Wave,
    compile_plan,
    scale_to_budget,
    stage_arrays,
)
from sim.metrics import REVENUE, metric_names, new_tally, summarize
from sim.organization import FRONTLINE, build_organization, redraw_across
from sim.params import ModelParams
from sim.plan_sources import plan_named

ENGINES = ("compiled", "agents")
"""``compiled`` decides in compiled loops and runs many weeks per call; ``agents`` calls each Mesa agent."""

REORGANIZING = ("silo_strength", "p_within")
"""Organization parameters a running model can change: they re-draw the cross-department ties."""

ENGINE_ALIASES = {"vectorized": "compiled"}
"""Former engine names: the vectorized engine became the compiled one."""

TOP_PERFORMERS = cw.TOP_PERFORMERS


class CultureModel(mesa.Model):
    """Blame and responsibility spreading through departmental silos, week by week.

    Parameters
    ----------
    params : ModelParams, optional
        The organization and its rules; defaults to ``ModelParams()``.
    plan : Plan or str, optional
        The rollout plan, or the name of an installed one (``"rocket"``, see
        :mod:`sim.plan_sources`); defaults to no intervention.
    budget : float, optional
        Scale the plan to spend this much (currency) over ``budget_weeks``
        (:func:`sim.interventions.fit_to_budget`); by default it runs as written.
    budget_weeks : int
        Horizon the budget is spent over (weeks).
    model_reporters, agent_reporters, agenttype_reporters : dict, optional
        Extra :class:`mesa.DataCollector` columns, collected every week next
        to the model's own weekly metrics (which :meth:`summary` reads); with
        any of them the model steps week by week.
    engine : {"compiled", "agents"}
        ``compiled`` decides for everyone in compiled loops, and
        :meth:`run` simulates all its weeks in one compiled call while no
        one has asked for the Mesa agents; ``agents`` calls every Mesa
        agent's ``step``. Both draw the same random numbers and give
        identical trajectories. (``vectorized`` is accepted for
        ``compiled``.)
    rng : int or numpy Generator, optional
        Seed: one seed fixes a run.
    **overrides
        Any :class:`ModelParams` field, e.g. ``silo_strength=0.9`` (so
        ``mesa.batch_run`` can sweep fields by name).

    Examples
    --------
    >>> model = CultureModel(rng=1, silo_strength=0.9)
    >>> model.run(52)
    >>> 0 <= model.summary()["final_above_line"] <= 1
    True
    """

    def __init__(
        self,
        params: ModelParams | None = None,
        plan: Plan | str | None = None,
        *,
        budget: float | None = None,
        budget_weeks: int = 260,
        engine: str = "compiled",
        rng: Any = None,
        model_reporters: dict[str, Any] | None = None,
        agent_reporters: dict[str, Any] | None = None,
        agenttype_reporters: dict[Any, Any] | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(rng=rng)
        engine = ENGINE_ALIASES.get(engine, engine)
        if engine not in ENGINES:
            raise ParameterError(f"engine={engine!r}: allowed: {', '.join(ENGINES)}")
        self.engine = engine
        self._params = p = (params or ModelParams()).replace(**overrides)
        self.numbers = p.numbers
        plan = plan_named(plan) if isinstance(plan, str) else plan if plan is not None else Plan("none")
        self.organization = org = build_organization(p, self.rng)
        if budget is not None:
            plan = scale_to_budget(plan, org, budget, p, budget_weeks)
        self.plan = plan
        self.workforce = dyn.initial_workforce(org, p, self.rng)
        self.customers = cust.initial_customers(org, p, self.rng)
        self.mechanisms_local = np.zeros((org.n_departments, len(LOCAL_BLOCKS)))
        self.mechanisms_org = np.zeros(len(ORG_BLOCKS))
        stages = compile_plan(self.plan, org)
        self.rollout = Rollout(stages, stage_arrays(stages, org.n_staff, org.n_departments, p))
        self.structure = cw.structure(org, p)
        self.peer_counts = cw.count_peers(self.structure, self.workforce.rung)
        self._totals = np.zeros(1)
        self.mechanism_by_person = np.zeros(org.n_staff)
        self.signals: cw.WeekSignals | None = None
        self.contacts: cw.Contacts | None = None
        self._served_at: dict[int, int] = {}

        self._grid: Network | None = None
        self._staff: list[Employee] = []
        self._customer_agents: list[Customer | None] = []
        self._materialized = False
        if engine == "agents":
            self._materialize()

        self.metric_names = metric_names(org)
        self._history = np.full((1, len(self.metric_names)), np.nan)
        tally = new_tally()
        tally[REVENUE] = cw.total_revenue(self.customers)
        cw.measure_now(
            self.structure,
            self.workforce,
            self.customers,
            self.mechanism_by_person,
            tally,
            0.0,
            self._history[0],
        )
        own = {name: partial(_read_metric, name) for name in self.metric_names}
        clash = sorted(set(own) & set(model_reporters or {}))
        if clash:
            raise ParameterError(
                f"model_reporters: {clash[0]!r} is one of the model's own metrics; choose another name"
            )
        self._collecting = bool(model_reporters or agent_reporters or agenttype_reporters)
        if agent_reporters or agenttype_reporters:
            self._materialize()
        self._datacollector = mesa.DataCollector(
            model_reporters={**own, **(model_reporters or {})},
            agent_reporters=agent_reporters,
            agenttype_reporters=agenttype_reporters,
        )
        self.running = True
        if self._collecting:
            self._datacollector.collect(self)

    @property
    def params(self) -> ModelParams:
        """The organization's rules; assigning new ones between weeks takes effect the next week."""
        return self._params

    @params.setter
    def params(self, value: ModelParams) -> None:
        self._params = value
        self.numbers = value.numbers
        self.structure = cw.structure(self.organization, value)

    # -- Mesa agents: thin views of the state arrays, made when first asked for --------------
    def _new_employee(self, slot: int) -> Employee:
        kind = FrontlineStaff if self.organization.role[slot] == FRONTLINE else Manager
        employee = kind(self, slot)
        if self._grid is not None:
            employee.cell = self._grid[slot]
        return employee

    @property
    def grid(self) -> Network:
        """The colleague network as a Mesa space, each employee in its slot's cell.

        Built on first use (a sweep that never looks at it does not pay for
        it), then kept in step: a hire takes the cell of the person replaced.
        """
        if self._grid is None:
            self._grid = colleague_grid(self.organization, self.random)
            for employee in self.staff:
                employee.cell = self._grid[employee.slot]
        return self._grid

    def _materialize(self) -> None:
        """Create the Mesa agents (from now on every week keeps them in step with the slots)."""
        if self._materialized:
            return
        self._materialized = True
        self._staff = [self._new_employee(i) for i in range(self.organization.n_staff)]
        self._customer_agents = [
            Customer(self, int(c)) if self.customers.active[c] else None
            for c in range(self.customers.capacity)
        ]

    @property
    def staff(self) -> list[Employee]:
        """One Mesa agent per staff slot (a leaver's agent is replaced by the newcomer's)."""
        self._materialize()
        return self._staff

    @property
    def customer_agents(self) -> list[Customer | None]:
        """One Mesa agent per customer slot (None for a free slot)."""
        self._materialize()
        return self._customer_agents

    @property
    def agents(self) -> Any:
        self._materialize()
        return super().agents

    @property
    def agents_by_type(self) -> Any:
        self._materialize()
        return super().agents_by_type

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.steps

    @property
    def launch_week(self) -> int | None:
        """First week a wave ran, if one has."""
        return self.rollout.launch_week

    @property
    def last_wave_end(self) -> int:
        """First week after the last scheduled wave."""
        return self.rollout.last_end

    @property
    def cumulative_cost(self) -> float:
        """Spent so far (currency)."""
        return float(self._totals[0])

    # -- the week --------------------------------------------------------------
    def step(self) -> None:
        """One week: waves, decisions, customers, churn and arrivals, people leaving."""
        o, wf, cb, q = self.structure, self.workforce, self.customers, self.numbers
        week = self.steps - 1
        self._reserve(week + 2)
        tally = new_tally()
        args = (self.mechanisms_local, self.mechanisms_org, self.rng, q, tally, self._totals)
        self.signals = s = cw.begin_week(week, o, self.rollout.arrays, wf, cb, self.peer_counts, *args)
        self.mechanism_by_person = s.mechanisms
        if self.engine == "agents":
            for agent in self._staff:
                agent.step()
            for agent in self._staff:
                agent.advance()
        else:
            cw.decide_all(o, wf, s, q)
        cw.after_decisions(week, self.rollout.arrays, wf, s, q)
        self.contacts = k = cw.begin_contacts(o, wf, cb, self.rng, q)
        if self.engine == "agents":
            self._served_at = {int(c): j for j, c in enumerate(k.served)}
            for customer in self._customer_agents:
                if customer is not None:
                    customer.step()
        else:
            cw.serve_all(o, wf, cb, k, q)
        cw.end_contacts(wf, k, tally)
        turnover = cw.end_week(
            o,
            wf,
            cb,
            self.mechanisms_local,
            self.mechanisms_org,
            s,
            self.rng,
            q,
            tally,
            self._totals,
            self._history[week + 1],
        )
        self.customers = turnover.customers
        if self._materialized:
            self._follow_turnover(turnover)
        if self._collecting:
            self._datacollector.collect(self)

    def _follow_turnover(self, turnover: cw.Turnover) -> None:
        """Mesa agents leave with the people and customers who left; newcomers get new agents."""
        for c in np.flatnonzero(turnover.churned):
            agent = self._customer_agents[c]
            if agent is not None:
                agent.remove()
            self._customer_agents[c] = None
        self._customer_agents += [None] * (self.customers.capacity - len(self._customer_agents))
        for c in turnover.arrived:
            self._customer_agents[c] = Customer(self, int(c))
        for i in np.flatnonzero(turnover.leavers):
            self._staff[i].remove()
            self._staff[i] = self._new_employee(int(i))

    def contact_index(self, slot: int) -> int | None:
        """Where the customer in ``slot`` is among this week's served customers (None: not served)."""
        return self._served_at.get(slot)

    def record_contact(self, j: int, server: int, satisfaction: float, feedback: float, failed: bool) -> None:
        """Note the ``j``-th served customer's contact this week, for feedback to staff and for the metrics."""
        k = self.contacts
        assert k is not None
        k.server[j] = server
        k.satisfaction[j] = satisfaction
        k.feedback[j] = feedback
        k.failed[j] = failed

    def above_line_by_department(self) -> np.ndarray:
        """Share above the line in each department (frontline and managers), now."""
        return cw.above_line_by_department(self.structure, self.workforce.rung)

    def _reserve(self, rows: int) -> None:
        """Room for ``rows`` weeks of metrics (grown by doubling)."""
        if rows > len(self._history):
            grown = np.full((max(rows, 2 * len(self._history)), self._history.shape[1]), np.nan)
            grown[: len(self._history)] = self._history
            self._history = grown

    # -- running and results -----------------------------------------------------
    def run(self, weeks: int) -> None:
        """Simulate ``weeks`` more weeks (in one compiled call unless Mesa agents must follow)."""
        if self.engine == "agents" or self._materialized or self._collecting or weeks <= 0:
            for _ in range(weeks):
                self.step()
            return
        first = self.steps
        self._reserve(first + weeks + 1)
        self.customers = cw.run_weeks(
            first,
            weeks,
            self.structure,
            self.rollout.arrays,
            self.workforce,
            self.customers,
            self.peer_counts,
            self.mechanisms_local,
            self.mechanisms_org,
            self.rng,
            self.numbers,
            self._totals,
            self._history,
        )
        self._advance_clock(weeks)

    def _advance_clock(self, weeks: int) -> None:
        """Move Mesa's step counter and clock over weeks simulated in one call."""
        self.steps += weeks
        schedule: Any = getattr(self, "_default_schedule")  # noqa: B009  (Mesa's clock, restarted after the jump)
        schedule.stop()
        self.time += weeks
        self._default_schedule = mesa.time.EventGenerator(
            self,
            self._do_step,
            mesa.time.Schedule(interval=1.0, start=self.time + 1.0),
            priority=mesa.time.Priority.HIGH,
        ).start()

    @property
    def history(self) -> np.ndarray:
        """Weekly metrics so far, one row per week (week 0 first), columns ``metric_names``."""
        return self._history[: self.steps + 1]

    @property
    def metrics(self) -> dict[str, float]:
        """This week's metrics by name."""
        return dict(zip(self.metric_names, self._history[self.steps].tolist(), strict=True))

    def weekly(self) -> dict[str, list[float]]:
        """The weekly columns so far, week 0 first.

        A missing value is the one ``math.nan`` object, so two runs' columns compare equal as lists.
        """
        return {
            name: [v if v == v else math.nan for v in column.tolist()]
            for name, column in zip(self.metric_names, self.history.T, strict=True)
        }

    @property
    def datacollector(self) -> mesa.DataCollector:
        """A Mesa DataCollector holding the weekly columns (filled from the metrics when read)."""
        dc = self._datacollector
        if not self._collecting:
            dc.model_vars.update(self.weekly())
            dc._collection_steps = [float(w) for w in range(self.steps + 1)]
        return dc

    def summary(self) -> dict[str, Any]:
        """Per-run results: ``tipped``, ``weeks_to_tip``, final values, totals."""
        columns = dict(zip(self.metric_names, self.history.T, strict=True))
        return summarize(columns, self.params, self.last_wave_end)

    # -- levers moved mid-run ------------------------------------------------------
    def adjust(self, **changes: Any) -> None:
        """Change parameters from the current week on, without a restart (a lever moved).

        The next step uses ``params.replace(**changes)``. A change to
        ``silo_strength`` or ``p_within`` is a reorganization: the
        cross-department ties are drawn again with the new probability from
        the model's rng. Headcounts cannot change mid-run. Each change is
        recorded in :attr:`lever_moves` as ``(week, name, old, new)``.

        Raises
        ------
        ParameterError
            For an unknown field, an invalid value, or a headcount change.
        """
        fixed = [row["name"] for row in ModelParams.describe() if row["group"] == "organization"]
        frozen = sorted(set(changes) & set(fixed) - set(REORGANIZING))
        if frozen:
            raise ParameterError(
                f"{frozen[0]}: cannot change while running; mid-run levers: any parameter but "
                f"{', '.join(sorted(set(fixed) - set(REORGANIZING)))}"
            )
        new = self.params.replace(**changes)
        moved = [(name, getattr(self.params, name), value) for name, value in changes.items()]
        self.params = new
        if any(name in REORGANIZING for name, old, value in moved if old != value):
            self.organization = redraw_across(self.organization, new, self.rng)
            self.structure = cw.structure(self.organization, new)
            self.peer_counts = cw.count_peers(self.structure, self.workforce.rung)
        self.lever_moves.extend((self.week, name, old, value) for name, old, value in moved)

    def launch(self, wave: Wave) -> None:
        """Start ``wave`` now: its ``start`` counts from the current week, as a plan's waves count from 0.

        The wave is compiled against the organization like the plan's own
        waves and joins the rollout: it spends like them, and counts for
        ``launch_week`` (cynicism of the people waiting) and ``last_wave_end``
        (when tipping is judged). Recorded in :attr:`lever_moves` as
        ``(week, "launch", None, wave)``.
        """
        now = dataclasses.replace(wave, start=self.week + wave.start)
        offset = len(self.rollout.stages)
        added = tuple(
            dataclasses.replace(s, after=None if s.after is None else s.after + offset)
            for s in compile_plan(Plan("launched", (now,)), self.organization)
        )
        stages = (*self.rollout.stages, *added)
        org = self.organization
        arrays = stage_arrays(stages, org.n_staff, org.n_departments, self.params)
        arrays.start[:offset] = self.rollout.starts  # the plan's stages keep their schedule
        self.rollout.stages, self.rollout.arrays = stages, arrays
        self.lever_moves.append((self.week, "launch", None, wave))

    @property
    def lever_moves(self) -> list[tuple[int, str, Any, Any]]:
        """Levers moved mid-run, in order: ``(week, name, old, new)``; a launched wave is ``(week, "launch", None, wave)``."""
        if not hasattr(self, "_lever_moves"):
            self._lever_moves: list[tuple[int, str, Any, Any]] = []
        return self._lever_moves


def _read_metric(name: str, model: CultureModel) -> float:
    """DataCollector reporter: one column of the model's weekly metrics."""
    return model.metrics[name]
