"""The Mesa model: an organization whose people climb or slide down the responsibility ladder."""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import Network

from sim import customers as cust
from sim import dynamics as dyn
from sim.agents import Customer, Employee, FrontlineStaff, Manager
from sim.colleague_grid import colleague_grid
from sim.interventions import (
    LOCAL_BLOCKS,
    ORG_BLOCKS,
    Plan,
    Rollout,
    Wave,
    apply_waves,
    compile_plan,
    mechanism_strength,
    scale_to_budget,
)
from sim.ladder import Rung
from sim.metrics import WeekTally, metric_names, summarize, weekly_metrics
from sim.organization import FRONTLINE, build_organization, redraw_across
from sim.params import ModelParams, ParameterError
from sim.plan_sources import plan_named

ENGINES = ("vectorized", "agents")
REORGANIZING = ("silo_strength", "p_within")
"""Organization parameters a running model can change: they re-draw the cross-department ties."""

TOP_PERFORMERS = 0.8
"""Performance percentile from which a person counts as a top performer (the top quintile)."""


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
        Extra :class:`mesa.DataCollector` columns, collected next to the
        model's own weekly metrics (which :meth:`summary` reads).
    engine : {"vectorized", "agents"}
        ``vectorized`` runs the weekly rule on whole arrays; ``agents`` calls
        every Mesa agent's ``step``. Both draw the same random numbers and
        give identical trajectories.
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
        engine: str = "vectorized",
        rng: Any = None,
        model_reporters: dict[str, Any] | None = None,
        agent_reporters: dict[str, Any] | None = None,
        agenttype_reporters: dict[Any, Any] | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(rng=rng)
        if engine not in ENGINES:
            raise ParameterError(f"engine={engine!r}: allowed: {', '.join(ENGINES)}")
        self.engine = engine
        self.params = p = (params or ModelParams()).replace(**overrides)
        plan = plan_named(plan) if isinstance(plan, str) else plan if plan is not None else Plan("none")
        self.organization = org = build_organization(p, self.rng)
        if budget is not None:
            plan = scale_to_budget(plan, org, budget, p, budget_weeks)
        self.plan = plan
        self.workforce = dyn.initial_workforce(org, p, self.rng)
        self.customers = cust.initial_customers(org, p, self.rng)
        self.mechanisms_local = np.zeros((org.n_departments, len(LOCAL_BLOCKS)))
        self.mechanisms_org = np.zeros(len(ORG_BLOCKS))
        self.rollout = Rollout(compile_plan(self.plan, org))
        self.cumulative_cost = 0.0
        self.mechanism_by_person = np.zeros(org.n_staff)
        self.handoff_blame = np.zeros(org.n_departments)
        self.draws: dict[str, np.ndarray] = {}
        self.signals: dict[str, np.ndarray] = {}

        self._grid: Network | None = None
        self.staff: list[Employee] = [self._new_employee(i) for i in range(org.n_staff)]
        self.customer_agents: list[Customer | None] = [
            Customer(self, c) for c in range(self.customers.capacity)
        ]

        self.tally = WeekTally(revenue=cust.revenue(self.customers))
        self.metrics = self._measure()
        self.metric_names = metric_names(org)
        own = {name: partial(_read_metric, name) for name in self.metric_names}
        clash = sorted(set(own) & set(model_reporters or {}))
        if clash:
            raise ParameterError(
                f"model_reporters: {clash[0]!r} is one of the model's own metrics; choose another name"
            )
        self.datacollector = mesa.DataCollector(
            model_reporters={**own, **(model_reporters or {})},
            agent_reporters=agent_reporters,
            agenttype_reporters=agenttype_reporters,
        )
        self.running = True
        self.datacollector.collect(self)

    # -- Mesa agents ---------------------------------------------------------
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

    # -- the week --------------------------------------------------------------
    def step(self) -> None:
        """One week: waves, decisions, customers, churn and arrivals, people leaving."""
        org, wf, p = self.organization, self.workforce, self.params
        week = self.steps - 1
        self.tally = tally = WeekTally()

        self.rollout.advance(week, self.above_line_by_department())
        spend = apply_waves(
            week, self.rollout, wf, org, self.mechanisms_local, self.mechanisms_org, self.rng, p
        )
        tally.cost_people, tally.cost_coaching, tally.cost_mechanisms = (
            spend.people,
            spend.coaching,
            spend.mechanisms,
        )
        tally.reached = spend.reached
        self.cumulative_cost += spend.total
        self.mechanism_by_person = mechanism_strength(self.mechanisms_local, self.mechanisms_org)[
            org.department
        ]

        self.signals = self._signals()
        n = org.n_staff
        self.draws = {"move": self.rng.random(n), "mood": self.rng.standard_normal(n)}
        if self.engine == "agents":
            for agent in self.staff:
                agent.step()
            for agent in self.staff:
                agent.advance()
        else:
            wf.rung = self._decide_vectorized()

        wf.education = dyn.fade(wf.education, self.mechanism_by_person, p.education_decay)
        wf.alignment = dyn.fade(wf.alignment, self.mechanism_by_person, p.education_decay)
        launched = self.rollout.launch_week is not None
        wf.cynicism = dyn.update_cynicism(wf.cynicism, wf.engaged, launched, p)

        self._serve_customers()
        self._turn_over_customers()
        self._turn_over_staff(self.signals["blame"])

        decay = 1.0 - p.mechanism_decay
        self.mechanisms_local *= decay
        self.mechanisms_org *= decay
        self.metrics = self._measure()
        self.datacollector.collect(self)

    def above_line_by_department(self) -> np.ndarray:
        """Share above the line in each department (frontline and managers), now."""
        org = self.organization
        size = np.bincount(org.department, minlength=org.n_departments + 1)[:-1]
        own = np.bincount(
            org.department, weights=self.workforce.rung == Rung.OWN, minlength=org.n_departments + 1
        )[:-1]
        return own / np.maximum(size, 1)

    def _signals(self) -> dict[str, np.ndarray]:
        """Last week's state read once for the week: R, B, the weights of L, results, outside push.

        The agents engine reads its colleagues and leaders itself, through
        the same functions; B here also drives attrition.
        """
        org, p = self.organization, self.params
        w_boss, w_team, w_results = dyn.leader_weights(org, p)
        own_in, blame_in, own_x, blame_x = dyn.peer_counts(org, self.workforce.rung)
        own, blame = dyn.peer_shares(own_in, blame_in, own_x, blame_x, org.degree, p.cross_blame_weight)
        return {
            "own": own,
            "w_boss": w_boss,
            "w_team": w_team,
            "w_results": w_results,
            "results": np.float64(cust.results_signal(self.customers, p)),
            "outside": dyn.outside_push(org, p),
            "blame": blame,
        }

    def _decide_vectorized(self) -> np.ndarray:
        org, wf, p, s = self.organization, self.workforce, self.params, self.signals
        r, b = s["own"], s["blame"]
        boss_rung, team_rung = dyn.leader_rungs(org, wf.rung)
        lead = dyn.leader_signal(boss_rung, team_rung, s["results"], s["w_boss"], s["w_team"], s["w_results"])
        u = dyn.drive(
            r,
            b,
            lead,
            wf.education,
            self.mechanism_by_person,
            wf.feedback,
            wf.alignment,
            s["outside"],
            wf.resistance + wf.cynicism,
            p,
        )
        return dyn.next_rung(wf.rung, u, self.draws["move"], self.draws["mood"], p)

    def _serve_customers(self) -> None:
        org, wf, cb, p = self.organization, self.workforce, self.customers, self.params
        n = cb.capacity
        self.draws.update(
            contact=self.rng.random(n),
            server=self.rng.random(n),
            fail=self.rng.random(n),
            recover=self.rng.random(n),
            noise=self.rng.standard_normal(n),
        )
        blame = np.bincount(org.department, weights=wf.rung == Rung.BLAME, minlength=org.n_departments + 1)
        size = np.bincount(org.department, minlength=org.n_departments + 1)
        self.handoff_blame = blame[:-1] / np.maximum(size[:-1], 1)
        self._server = np.full(n, -1)
        self._feedback = np.zeros(n)
        self._satisfaction = np.full(n, np.nan)
        self._failed = np.zeros(n, dtype=bool)
        if self.engine == "agents":
            for agent in self.customer_agents:
                if agent is not None:
                    agent.step()
        else:
            d = self.draws
            c = np.flatnonzero(cb.active & (d["contact"] < p.contact_rate))
            server = cust.pick_server(org, cb.first[c], d["server"][c])
            sat, cb.expectation[c], cb.loyalty[c], fb, failed = cust.serve(
                cb.expectation[c],
                cb.loyalty[c],
                cb.value[c],
                wf.rung[server],
                wf.performance[server],
                cust.handoff_blame(cb.journey[c], self.handoff_blame),
                d["fail"][c],
                d["recover"][c],
                d["noise"][c],
                p,
            )
            self.record_contact(c, server, sat, fb, failed)
        served = self._server >= 0
        count = np.bincount(self._server[served], minlength=org.n_staff)
        total = np.bincount(self._server[served], weights=self._feedback[served], minlength=org.n_staff)
        wf.feedback = total / np.maximum(count, 1)
        self.tally.contacts = int(served.sum())
        self.tally.failures = int(self._failed.sum())
        if served.any():
            self.tally.satisfaction = float(self._satisfaction[served].mean())

    def record_contact(
        self, customer: Any, server: Any, satisfaction: Any, feedback: Any, failed: Any
    ) -> None:
        """Note this week's contact(s) for feedback to staff and for the metrics."""
        self._server[customer] = server
        self._satisfaction[customer] = satisfaction
        self._feedback[customer] = feedback
        self._failed[customer] = failed

    def _turn_over_customers(self) -> None:
        p = self.params
        cust.settle(self.customers, p)
        before = cust.weekly_revenue(self.customers)
        left = cust.churn(self.customers, p)
        for c in np.flatnonzero(left):
            agent = self.customer_agents[c]
            if agent is not None:
                agent.remove()
            self.customer_agents[c] = None
        self.customers, arrived = cust.arrive(self.customers, self.organization, p, self.rng)
        self.customer_agents += [None] * (self.customers.capacity - len(self.customer_agents))
        for c in arrived:
            self.customer_agents[c] = Customer(self, int(c))
        self.tally.churned = int(left.sum())
        self.tally.churned_revenue = float(before[left].sum())
        self.tally.arrived = len(arrived)
        self.tally.arrived_revenue = float(cust.weekly_revenue(self.customers)[arrived].sum())
        self.tally.revenue = cust.revenue(self.customers)

    def _turn_over_staff(self, blame_around: np.ndarray) -> None:
        wf, p = self.workforce, self.params
        n = self.organization.n_staff
        leave = self.rng.random(n) < dyn.leave_probability(
            wf.rung, blame_around, wf.cynicism, wf.performance, p
        )
        draws = dyn.HiringDraws.draw(self.rng, n)
        recruitment = dyn.onboarding_strength(self.mechanisms_org[ORG_BLOCKS.index("recruitment")], p)
        orientation = dyn.onboarding_strength(self.mechanisms_org[ORG_BLOCKS.index("orientation")], p)
        top = wf.performance >= TOP_PERFORMERS
        self.tally.leavers = int(leave.sum())
        self.tally.top_performers = int(top.sum())
        self.tally.top_performer_leavers = int((leave & top).sum())
        dyn.hire(wf, leave, recruitment, orientation, draws, p)
        for i in np.flatnonzero(leave):
            self.staff[i].remove()
            self.staff[i] = self._new_employee(int(i))

    def _measure(self) -> dict[str, float]:
        wf, cb = self.workforce, self.customers
        return weekly_metrics(
            self.organization,
            wf.rung.astype(np.int64),
            wf.education,
            self.mechanism_by_person,
            cb.loyalty,
            cb.active,
            self.tally,
            self.cumulative_cost,
        )

    # -- running and results -----------------------------------------------------
    def run(self, weeks: int) -> None:
        """Simulate ``weeks`` more weeks."""
        for _ in range(weeks):
            self.step()

    def weekly(self) -> dict[str, list[float]]:
        """The weekly columns collected so far, week 0 first."""
        return {name: self.datacollector.model_vars[name] for name in self.metric_names}

    def summary(self) -> dict[str, Any]:
        """Per-run results: ``tipped``, ``weeks_to_tip``, final values, totals."""
        return summarize(self.weekly(), self.params, self.last_wave_end)

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
        fixed = [f.name for f in fields(ModelParams) if f.metadata.get("group") == "organization"]
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
        self.rollout.stages = (*self.rollout.stages, *added)
        self.rollout.starts = np.r_[self.rollout.starts, [-1 if s.start is None else s.start for s in added]]
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
