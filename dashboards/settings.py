"""What the dashboard's controls set: one frozen record, turned into model parameters and plans.

The controls speak a classroom's language (organization size, number of
departments, a budget); :class:`Settings` translates them into a
:class:`sim.ModelParams` and budget-scaled :class:`sim.Plan` objects, so
the page, the presets and the tests share one translation.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Literal

import numpy as np
from pydantic import Field, InstanceOf, model_validator

from scenarios.plans import builtin_plans
from scenarios.scenario import Scenario
from sim import DEFAULT_DEPARTMENTS, Department, ModelParams, Plan, scale_to_budget
from sim.declared import Real, Whole, bounds, declared
from sim.organization import build_organization

EXTRA_DEPARTMENTS: tuple[Department, ...] = (
    Department("logistics", 40),
    Department("marketing", 30),
    Department("finance", 30),
    Department("quality", 30),
    Department("procurement", 30),
    Department("hr", 20),
)
"""Departments added, in order, when the organization has more than the six defaults."""

MAX_DEPARTMENTS = len(DEFAULT_DEPARTMENTS) + len(EXTRA_DEPARTMENTS)
DEFAULT_FRONTLINE = sum(d.frontline for d in DEFAULT_DEPARTMENTS)
BEHAVIOUR = ("w_peer", "w_blame", "w_lead", "w_edu", "w_mech", "resistance_mean", "cynicism_rate")
"""The weekly rule's weights a class can change from the page (fields of ModelParams)."""

_DEFAULT_PARAMS = ModelParams()
_builtin_plans = functools.cache(builtin_plans)  # read the TOML once per process


def _control(default: Any, lo: float, hi: float, step: float) -> Any:
    """A slider: its range on the page (narrower than the model's own) and its step."""
    return Field(default, ge=lo, le=hi, json_schema_extra={"step": step})


@declared()
class Settings:
    """Every control on the page (except playback speed).

    ``mode`` is one plan, or two racing on the same organization and seed
    (``second_plan`` is used only side by side); plans are built-in ones or
    the uploaded ``scenario``'s. ``budget`` (currency) is what each plan is
    scaled to spend; ``seed`` fixes the network, the people and the run.
    ``org_size`` multiplies every department's frontline (1 = the default
    ~334 staff; customers scale with it); ``n_departments`` takes the first
    of the six defaults, then :data:`EXTRA_DEPARTMENTS`. The weights are the
    :class:`sim.ModelParams` fields of the same name. ``weeks`` is when
    playing stops. An uploaded ``scenario``'s organization and parameters
    replace ``org_size`` and ``n_departments`` (the sliders still act on top).
    """

    mode: Literal["single", "side_by_side"] = "single"
    plan: str = "rocket"
    second_plan: str = "pilot"
    budget: Real = _control(300_000.0, 0, 1_000_000, 10_000)
    seed: Whole = _control(1, 0, 999, 1)
    org_size: Real = _control(1.0, 0.25, 3.0, 0.25)
    n_departments: Whole = _control(len(DEFAULT_DEPARTMENTS), 1, MAX_DEPARTMENTS, 1)
    silo_strength: Real = _control(_DEFAULT_PARAMS.silo_strength, 0.0, 1.0, 0.01)
    w_peer: Real = _control(_DEFAULT_PARAMS.w_peer, 0.0, 3.0, 0.05)
    w_blame: Real = _control(_DEFAULT_PARAMS.w_blame, 0.0, 3.0, 0.05)
    w_lead: Real = _control(_DEFAULT_PARAMS.w_lead, 0.0, 3.0, 0.05)
    w_edu: Real = _control(_DEFAULT_PARAMS.w_edu, 0.0, 3.0, 0.05)
    w_mech: Real = _control(_DEFAULT_PARAMS.w_mech, 0.0, 3.0, 0.05)
    resistance_mean: Real = _control(_DEFAULT_PARAMS.resistance_mean, -1.0, 1.5, 0.05)
    cynicism_rate: Real = _control(_DEFAULT_PARAMS.cynicism_rate, 0.0, 0.02, 0.001)
    weeks: Whole = _control(156, 52, 260, 26)
    scenario: InstanceOf[Scenario] | None = None

    @model_validator(mode="after")
    def _known_plans(self) -> Settings:
        known = tuple(self.available_plans())
        for name in ("plan", "second_plan"):
            if getattr(self, name) not in known:
                raise ValueError(f"{name}={getattr(self, name)!r}: allowed: {', '.join(known)}")
        return self

    def replace(self, **changes: Any) -> Settings:
        """A copy with some controls changed (validated)."""
        return dataclasses.replace(self, **changes)

    @property
    def plan_names(self) -> tuple[str, ...]:
        """The plans being run: one, or two side by side."""
        return (self.plan, self.second_plan) if self.mode == "side_by_side" else (self.plan,)

    def available_plans(self) -> dict[str, Plan]:
        """Plans one can pick: the uploaded scenario's first, then the built-in ones."""
        own = dict(self.scenario.plans) if self.scenario is not None else {}
        return {**own, **{k: v for k, v in _builtin_plans().items() if k not in own}}

    def departments(self) -> tuple[Department, ...]:
        """The organization's departments, frontline headcounts scaled by ``org_size``."""
        if self.scenario is not None:
            return self.scenario.params.departments
        chosen = (DEFAULT_DEPARTMENTS + EXTRA_DEPARTMENTS)[: int(self.n_departments)]
        return tuple(Department(d.name, max(1, round(d.frontline * self.org_size))) for d in chosen)

    def params(self) -> ModelParams:
        """The model parameters these controls stand for."""
        behaviour = {name: float(getattr(self, name)) for name in BEHAVIOUR}
        if self.scenario is not None:
            return self.scenario.params.replace(silo_strength=float(self.silo_strength), **behaviour)
        departments = self.departments()
        frontline = sum(d.frontline for d in departments)
        customers = max(1, round(_DEFAULT_PARAMS.n_customers * frontline / DEFAULT_FRONTLINE))
        return _DEFAULT_PARAMS.replace(
            departments=departments,
            n_customers=customers,
            silo_strength=float(self.silo_strength),
            **behaviour,
        )

    def plans(self, params: ModelParams | None = None) -> tuple[Plan, ...]:
        """The chosen plans, each scaled to spend ``budget`` on this organization."""
        params = params or self.params()
        # the expected cost depends on headcounts only, not on the network's random ties
        org = build_organization(params, np.random.default_rng(int(self.seed)))
        every = self.available_plans()
        return tuple(
            scale_to_budget(every[name], org, float(self.budget), params, int(self.weeks))
            for name in self.plan_names
        )


RANGES: dict[str, tuple[float, float, float]] = {
    name: (*bounds(info), info.json_schema_extra["step"])  # type: ignore[index, misc]
    for name, info in Settings.__pydantic_fields__.items()  # type: ignore[attr-defined]
    if isinstance(info.json_schema_extra, dict) and "step" in info.json_schema_extra
}
"""Each slider's (low, high, step), read from :class:`Settings`."""


def settings_for(scenario: Scenario) -> Settings:
    """The controls that play an uploaded scenario: its first two plans side by side (or one), its budget,
    first seed and horizon, its silo strength and weights on the sliders.

    Raises
    ------
    ParameterError
        If a value lies outside what the page's controls allow (named, with the range).
    """
    p = scenario.params
    chosen = [name for name in scenario.plans if name != "none"] or list(scenario.plans)
    two = len(chosen) > 1
    return Settings(
        mode="side_by_side" if two else "single",
        plan=chosen[0],
        second_plan=chosen[1] if two else chosen[0],
        budget=float(scenario.budget),
        seed=int(scenario.seeds[0]),
        n_departments=min(len(p.departments), MAX_DEPARTMENTS),
        weeks=int(scenario.weeks),
        scenario=scenario,
        silo_strength=float(p.silo_strength),
        **{name: float(getattr(p, name)) for name in BEHAVIOUR},
    )


def plan_names() -> tuple[str, ...]:
    """The built-in plans the page offers, in their file's order."""
    return tuple(_builtin_plans())


def plan_descriptions() -> dict[str, str]:
    """One line per built-in plan, to caption the plan pickers."""
    return {name: plan.description for name, plan in _builtin_plans().items()}
